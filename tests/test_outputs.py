"""Kept outputs (`core.outputs`): `analyze`, `metrics`, `list` and `check` reuse their last output
while nothing it is made from changed, and never show a stale one."""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from pathlib import Path

import pytest

from issuelog.core.config import Config
from issuelog.core.outputs import kept_file_name, kept_output
from tests.conftest import Invoke, issue_text, make_tree

COMMANDS = [("analyze",), ("analyze", "--format", "json"), ("metrics",),
            ("list", "--format", "json"), ("list", "--all"), ("check", "--strict")]


def age(project: Path) -> None:
    """Put every issue file a minute in the past: older than the caches' racy window."""
    moment = time.time_ns() - 60_000_000_000
    for path in (project / "issues").iterdir():
        os.utime(path, ns=(moment, moment))


def output(cli: Invoke, *args: str) -> str:
    """What the command prints, on stdout and stderr (`check` reports on stderr)."""
    result = cli(*args)
    return f"{result.stdout}\n---\n{result.stderr}"


def fresh_output(project: Path, cli: Invoke, *args: str) -> str:
    """What the command prints with no cache at all."""
    shutil.rmtree(project / ".issuelog" / "cache", ignore_errors=True)
    return output(cli, *args)


@pytest.fixture
def two_issues(project: Path) -> Path:
    make_tree(project, {
        "issues/ISSUE-001-first.md": issue_text("ISSUE-001", "First", extra="component: api"),
        "issues/ISSUE-002-second.md": issue_text(
            "ISSUE-002", "Second", status="resolved", severity="low",
            extra="resolved: 2026-01-12\ncomponent: cli"),
    })
    age(project)
    return project


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_an_output_is_kept_reused_and_made_again_when_a_file_changes(
        two_issues: Path, cli: Invoke, args: tuple[str, ...]) -> None:
    first = fresh_output(two_issues, cli, *args)
    kept = two_issues / ".issuelog" / "cache" / kept_file_name(args[0])
    assert kept.is_file()
    assert output(cli, *args) == first
    # A new issue and an edited one, both older than the racy window: the output follows them.
    make_tree(two_issues, {"issues/ISSUE-003-third.md": issue_text(
        "ISSUE-003", "Third", severity="critical", extra="component: api\noccurrences: 4")})
    edited = two_issues / "issues" / "ISSUE-001-first.md"
    edited.write_text(edited.read_text().replace("severity: high", "severity: medium"))
    age(two_issues)
    changed = output(cli, *args)
    assert changed != first
    assert changed == fresh_output(two_issues, cli, *args)


def test_files_changed_within_the_racy_window_are_never_kept(project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-001-first.md": issue_text()})
    cli("analyze")
    assert not (project / ".issuelog" / "cache" / kept_file_name("analyze")).exists()


def test_problems_found_are_kept_and_still_fail(project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-001-first.md": issue_text(status="opened"),
                        "issues/ISSUE-002-second.md": issue_text("ISSUE-002", extra="sevrity: x")})
    age(project)
    first = cli("check", "--strict", code=1)
    again = cli("check", "--strict", code=1)
    assert (again.stdout, again.stderr) == (first.stdout, first.stderr)
    assert "ISSUE-001-first.md:4:" in again.stdout


def test_the_key_holds_the_arguments_and_the_configuration(two_issues: Path, config: Config) -> None:
    day_one = kept_output(config, "metrics", "2026-01-01").stamps_key
    assert kept_output(config, "metrics", "2026-01-01").stamps_key == day_one
    assert kept_output(config, "metrics", "2026-01-02").stamps_key != day_one
    assert kept_output(config, "analyze", "2026-01-01").stamps_key != day_one
    other = dataclasses.replace(config, log_rows=config.log_rows + 1)
    assert kept_output(other, "metrics", "2026-01-01").stamps_key != day_one


def test_kept_check_shows_paths_from_where_it_runs(two_issues: Path, cli: Invoke,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    bad = two_issues / "issues" / "ISSUE-001-first.md"
    bad.write_text(bad.read_text().replace("severity: high", "severity: lowx"))
    age(two_issues)
    monkeypatch.chdir(two_issues / "issues")
    assert "ISSUE-001-first.md:" in cli("check", code=1).stdout
    monkeypatch.chdir(two_issues)
    assert "issues/ISSUE-001-first.md:" in cli("check", code=1).stdout
