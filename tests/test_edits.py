"""The edit core: finding an issue's file, status changes and `set` that touch nothing else."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from issuelog.core import edits
from issuelog.core.cache import load_issues
from issuelog.core.config import Config, load_config
from issuelog.core.edits import (
    apply_edit,
    change_status,
    parse_assignments,
    reopened_status,
    resolved_status,
    status_changes,
    update_issue,
)
from issuelog.core.frontmatter_edit import EMPTY, edit_frontmatter, parse_value
from issuelog.core.model import parse_issue
from issuelog.core.store import find_issue_file
from issuelog.errors import IssueFileError, UsageError
from tests.conftest import issue_text, make_tree

RICH_ISSUE = """\
---
id: ISSUE-001   # never renumbered
title: "Pool: exhausted under load"
status: open          # open | in_progress | resolved
severity: 'high'
# a comment between keys stays where it is
reported: 2026-01-10
resolved:
custom_key: {nested: [1, 2]}   # unknown keys are user data
tags: [db,  pool]
reference:
  area: Database
  cause: pool too small
  solution: "raise `max_size`"
---

## Description

Trailing spaces stay.   \n
## Resolution

<!-- Fill in when resolved. -->

## Prevention

Alert on pool usage.
"""


@pytest.fixture
def rich_issue(project: Path) -> Path:
    path = project / "issues" / "ISSUE-001-pool-exhausted.md"
    path.write_bytes(RICH_ISSUE.encode("utf-8"))
    return path


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    """Pairs of differing lines, for files whose line count did not change."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def test_find_issue_file_accepts_every_spelling(project: Path, config: Config) -> None:
    make_tree(
        project,
        {
            "issues/ISSUE-007-thing.md": issue_text("ISSUE-007"),
            "issues/ISSUE-070-other.md": issue_text("ISSUE-070"),
        },
    )
    expected = project / "issues" / "ISSUE-007-thing.md"
    for spelling in ("ISSUE-007", "issue-7", "7", "007", " 7 "):
        assert find_issue_file(config, spelling) == expected


def test_find_issue_file_refuses_unknown_ambiguous_and_malformed_ids(
    project: Path, config: Config
) -> None:
    make_tree(
        project, {"issues/ISSUE-001-a.md": issue_text(), "issues/ISSUE-001-b.md": issue_text()}
    )
    with pytest.raises(UsageError, match=r"no issue ISSUE-002 in issues/"):
        find_issue_file(config, "2")
    with pytest.raises(UsageError, match="more than one file: ISSUE-001-a.md, ISSUE-001-b.md"):
        find_issue_file(config, "1")
    with pytest.raises(UsageError, match="not an issue ID"):
        find_issue_file(config, "BUG-1")


def test_resolve_changes_only_status_and_resolved(rich_issue: Path, config: Config) -> None:
    edit = change_status(config, "1", "resolved", on=date(2026, 1, 12))
    after = rich_issue.read_text()
    assert changed_lines(RICH_ISSUE, after) == [
        (
            "status: open          # open | in_progress | resolved\n",
            "status: resolved      # open | in_progress | resolved\n",  # the comment keeps its column
        ),
        ("resolved:\n", "resolved: 2026-01-12\n"),
    ]
    assert edit.changed == {"status": ("open", "resolved"), "resolved": (None, date(2026, 1, 12))}
    assert not load_issues(config).problems


def test_reopen_after_resolve_gives_back_the_same_bytes(rich_issue: Path, config: Config) -> None:
    change_status(config, "1", "in_progress")
    before = rich_issue.read_bytes()
    change_status(config, "1", "resolved", on=date(2026, 1, 12))
    change_status(config, "1", "in_progress")
    assert rich_issue.read_bytes() == before


def test_resolution_replaces_only_its_section(rich_issue: Path, config: Config) -> None:
    edit = change_status(
        config, "1", "resolved", on=date(2026, 1, 12), resolution="Raised `max_size` to 50."
    )
    after = rich_issue.read_text()
    assert edit.resolution_changed
    assert (
        "## Resolution\n\nRaised `max_size` to 50.\n\n## Prevention\n\nAlert on pool usage.\n"
        in after
    )
    assert "Trailing spaces stay.   \n" in after
    assert "<!-- Fill in when resolved. -->" not in after


def test_closed_to_closed_keeps_the_resolved_date(project: Path, config: Config) -> None:
    make_tree(
        project,
        {"issues/ISSUE-001.md": issue_text(status="resolved", extra="resolved: 2026-01-15")},
    )
    edit = change_status(config, "1", "wont_fix")
    assert edit.changed == {"status": ("resolved", "wont_fix")}
    assert "resolved: 2026-01-15\n" in (project / "issues/ISSUE-001.md").read_text()


def test_asking_for_what_is_already_there_writes_nothing(rich_issue: Path, config: Config) -> None:
    edit = update_issue(config, "1", {"severity": "high", "tags": ["db", "pool"]})
    assert edit.unchanged
    assert rich_issue.read_text() == RICH_ISSUE


def test_unknown_status_is_refused_before_reading(rich_issue: Path, config: Config) -> None:
    with pytest.raises(UsageError, match=r"unknown status 'done' \(allowed: open, in_progress, "):
        change_status(config, "1", "done")
    assert rich_issue.read_text() == RICH_ISSUE


def test_values_the_config_refuses_leave_the_file_untouched(
    rich_issue: Path, config: Config
) -> None:
    cases = {
        "severity": ("urgent", r"issues/ISSUE-001-pool-exhausted.md:5: unknown severity 'urgent'"),
        "occurrences": (0, r"'occurrences' must be a whole number of at least 1"),
        "related": (["ISSUE-099"], r"related issue 'ISSUE-099' does not exist"),
        "reported": ("2026-13-01", r"'reported' must be a date"),
        "id": ("ISSUE-002", r"does not match the file name"),
    }
    for key, (value, message) in cases.items():
        with pytest.raises(IssueFileError, match=message):
            update_issue(config, "1", {key: value})
        assert rich_issue.read_text() == RICH_ISSUE
    assert sorted(p.name for p in rich_issue.parent.iterdir()) == [rich_issue.name]


def test_resolving_before_the_report_date_is_refused(rich_issue: Path, config: Config) -> None:
    with pytest.raises(IssueFileError, match="resolved 2026-01-01 is before reported 2026-01-10"):
        change_status(config, "1", "resolved", on=date(2026, 1, 1))
    assert rich_issue.read_text() == RICH_ISSUE


def test_date_with_an_open_status_is_a_usage_error(rich_issue: Path, config: Config) -> None:
    with pytest.raises(UsageError, match="--date is the date an issue was closed"):
        change_status(config, "1", "open", on=date(2026, 1, 12))


def test_a_file_that_is_already_invalid_is_named_with_every_problem(
    project: Path, config: Config
) -> None:
    path = project / "issues" / "ISSUE-001.md"
    path.write_text("---\nid: ISSUE-001\ntitle: t\nstatus: open\nreported: 2026-01-10\n---\n")
    with pytest.raises(
        IssueFileError, match=r"ISSUE-001 not changed.*\n.*:1: missing required field 'severity'"
    ):
        update_issue(config, "1", {"assignee": "grace"})
    # Naming the missing field in the same edit repairs the file.
    update_issue(config, "1", {"assignee": "grace", "severity": "low"})
    assert not load_issues(config).problems


def test_unparseable_frontmatter_is_reported_with_its_line(project: Path, config: Config) -> None:
    path = project / "issues" / "ISSUE-001.md"
    path.write_text("---\nid: ISSUE-001\ntitle: [unclosed\n---\n")
    with pytest.raises(IssueFileError, match=r"issues/ISSUE-001.md:\d+: invalid YAML"):
        update_issue(config, "1", {"assignee": "grace"})
    assert path.read_text() == "---\nid: ISSUE-001\ntitle: [unclosed\n---\n"


def test_crlf_and_bom_survive_an_edit(project: Path, config: Config) -> None:
    path = project / "issues" / "ISSUE-001.md"
    original = "\ufeff" + issue_text(extra="resolved:").replace("\n", "\r\n")
    path.write_bytes(original.encode("utf-8"))
    change_status(config, "1", "resolved", on=date(2026, 1, 11), resolution="Fixed.")
    data = path.read_bytes().decode("utf-8")
    assert data.startswith("\ufeff---\r\n")
    assert "\n" not in data.replace("\r\n", "")
    assert "resolved: 2026-01-11\r\n" in data
    assert "## Resolution\r\n\r\nFixed.\r\n" in data


def test_status_changes_follow_the_configured_statuses(project: Path) -> None:
    (project / "issuelog.toml").write_text(
        'default_status = "new"\nstatuses_replace = true\n'
        '[[statuses]]\nname = "new"\n'
        '[[statuses]]\nname = "done"\nopen = false\nresolved = true\n'
        '[[statuses]]\nname = "dropped"\nopen = false\n'
    )
    config = load_config(project)
    assert resolved_status(config) == "done"
    assert reopened_status(config) == "new"
    issue, _ = parse_issue(Path("x.md"), issue_text(status="done", extra="resolved: 2026-01-11"))
    assert issue is not None
    assert status_changes(issue, "new", config) == {"status": "new", "resolved": EMPTY}
    assert status_changes(issue, "dropped", config) == {
        "status": "dropped",
        "resolved": date(2026, 1, 11),
    }


def test_no_resolved_status_configured_is_a_clear_error(project: Path) -> None:
    (project / "issuelog.toml").write_text('statuses_replace = true\n[[statuses]]\nname = "open"\n')
    with pytest.raises(UsageError, match="no configured status counts as resolved"):
        resolved_status(load_config(project))


def test_parse_assignments_reads_yaml_values() -> None:
    changes = parse_assignments(
        [
            "tags=[a, b]",
            "occurrences=3",
            "reported=2026-01-10",
            "assignee=",
            "title=Crash: on start",
            "owner_team='core'",
        ]
    )
    assert list(changes["tags"]) == ["a", "b"]
    assert changes["occurrences"] == 3
    assert changes["reported"] == date(2026, 1, 10)
    assert changes["assignee"] is EMPTY
    assert changes["title"] == "Crash: on start"
    assert changes["owner_team"] == "core"


@pytest.mark.parametrize("word", ["severity", "=high", "bad key=1", "tags=[a, b"])
def test_parse_assignments_refuses_malformed_words(word: str) -> None:
    with pytest.raises(UsageError):
        parse_assignments([word])


def test_set_writes_flow_lists_new_keys_and_empty_values(rich_issue: Path, config: Config) -> None:
    update_issue(
        config,
        "1",
        parse_assignments(["tags=[db, pool, ops]", "custom_key=", "occurrences=3", "team=core"]),
    )
    after = rich_issue.read_text()
    assert "tags: [db, pool, ops]\n" in after
    column = len("custom_key: {nested: [1, 2]}   ")  # the comment keeps its column
    assert "custom_key:".ljust(column) + "# unknown keys are user data\n" in after
    assert after.index("occurrences: 3\n") < after.index("team: core\n") < after.index("\n---\n")
    issue = load_issues(config).by_id()["ISSUE-001"]
    assert issue.occurrences == 3
    assert issue.extra == {"custom_key": None, "team": "core"}


@pytest.mark.parametrize(
    "text", ["yes", "No", "on", "10:30", "1_000", "2026-01-10 10:00:00", "null"]
)
def test_text_that_yaml_1_1_reads_otherwise_is_quoted(text: str) -> None:
    source = issue_text()
    edited = edit_frontmatter(source, {"title": text, "tags": [text]})
    issue, problems = parse_issue(Path("ISSUE-001.md"), edited)
    assert not problems and issue is not None
    assert issue.title == text
    assert issue.tags == [text]


def test_parse_value_keeps_the_quoting_typed() -> None:
    edited = edit_frontmatter(issue_text(), {"title": parse_value('"quoted"')})
    assert 'title: "quoted"\n' in edited


def test_apply_edit_refuses_an_empty_resolution() -> None:
    with pytest.raises(UsageError, match="--resolution needs some text"):
        apply_edit(issue_text(), {}, resolution="  ")


def test_read_and_write_happen_under_the_project_lock(
    rich_issue: Path, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []

    @contextlib.contextmanager
    def recording_lock(_: Config) -> Iterator[None]:
        events.append("lock")
        yield
        events.append("unlock")

    def recording(name: str, function: Any) -> Any:
        def wrapper(*args: Any) -> Any:
            events.append(name)
            return function(*args)

        return wrapper

    monkeypatch.setattr(edits, "write_lock", recording_lock)
    monkeypatch.setattr(edits, "load_issue", recording("read", edits.load_issue))
    monkeypatch.setattr(edits, "write_bytes_atomic", recording("write", edits.write_bytes_atomic))
    update_issue(config, "1", {"assignee": "grace"})
    assert events == ["lock", "read", "write", "unlock"]
    assert "assignee: grace\n" in rich_issue.read_text()
