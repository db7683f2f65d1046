"""End-to-end tests of list, show, status, resolve, reopen, assign, set and edit."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from issuelog.cli import daily as cli_module
from issuelog.core.clock import today
from tests.conftest import Invoke, files_snapshot, issue_text, make_tree

ISSUELOG = Path(sys.executable).with_name("issuelog")


@pytest.fixture
def three(project: Path, cli: Invoke) -> Path:
    """Three issues made with `new`: critical open, low open (assigned), medium resolved."""
    cli(
        "new",
        "Database refuses connections",
        "-s",
        "critical",
        "--date",
        "2026-01-10",
        "-t",
        "db",
        "--component",
        "database",
    )
    cli("new", "Typo in help", "-s", "low", "--date", "2026-01-11", "-a", "grace")
    cli("new", "Slow listing", "-s", "medium", "--status", "resolved", "--date", "2026-01-12")
    return project


def test_list_prints_open_issues_as_plain_columns_when_piped(
        three: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    # The age counts to today, unlike ISSUES.md: fix the day the list is asked on.
    monkeypatch.setattr("issuelog.log.listing.clock_today", lambda: date(2026, 1, 31))
    result = cli("list")
    assert result.stdout.splitlines() == [
        "ID         SEVERITY  STATUS  TITLE                         PHASE  COMPONENT  ASSIGNEE"
        "  REPORTED    AGE",
        "ISSUE-001  critical  open    Database refuses connections         database           "
        "  2026-01-10  21d",
        "ISSUE-002  low       open    Typo in help                                    grace   "
        "  2026-01-11  20d",
    ]
    assert "\x1b[" not in result.stdout


def test_list_filters_sort_and_all(three: Path, cli: Invoke) -> None:
    assert _ids(cli("list", "--all", "--sort", "-reported").stdout) == [
        "ISSUE-003",
        "ISSUE-002",
        "ISSUE-001",
    ]
    assert _ids(cli("list", "--status", "resolved").stdout) == ["ISSUE-003"]
    assert _ids(cli("list", "-s", "low", "-s", "critical", "-t", "db").stdout) == ["ISSUE-001"]
    assert _ids(cli("list", "--grep", "TYPO").stdout) == ["ISSUE-002"]
    path = next((three / "issues").glob("ISSUE-001-*.md"))
    path.write_text(path.read_text(encoding="utf-8") + "\nSeen after the pgbouncer upgrade.\n",
                    encoding="utf-8")
    assert _ids(cli("list", "--grep", "PGBOUNCER").stdout) == ["ISSUE-001"]  # in the body only
    empty = cli("list", "--assignee", "nobody")
    assert empty.stdout == "" and "no matching issues" in empty.stderr


def test_list_refuses_unknown_values_and_fields(three: Path, cli: Invoke) -> None:
    assert "unknown severity 'hihg'" in cli("list", "-s", "hihg", code=2).stderr
    assert "no issue has a key 'priority'" in cli("list", "--sort", "priority", code=2).stderr
    assert "Invalid value" in cli("list", "--format", "xml", code=2).stderr


def test_list_json_and_csv(three: Path, cli: Invoke) -> None:
    records = json.loads(cli("list", "--all", "--format", "json").stdout)
    assert [r["id"] for r in records] == ["ISSUE-001", "ISSUE-003", "ISSUE-002"]
    first = records[0]
    assert first["reported"] == "2026-01-10" and first["tags"] == ["db"]
    assert first["path"] == "issues/ISSUE-001-database-refuses-connections.md"
    assert records[1]["resolved"] == "2026-01-12"
    assert records[1]["time_to_resolve_hours"] == 0
    rows = list(csv.DictReader(io.StringIO(cli("list", "--format", "csv").stdout)))
    assert [(r["id"], r["assignee"]) for r in rows] == [("ISSUE-001", ""), ("ISSUE-002", "grace")]
    assert json.loads(cli("list", "--grep", "nothing", "--format", "json").stdout) == []


def test_list_warns_about_invalid_files_but_still_lists(three: Path, cli: Invoke) -> None:
    make_tree(three, {"issues/ISSUE-004-bad.md": issue_text("ISSUE-004", severity="urgent")})
    result = cli("list")
    assert "ISSUE-004" in result.stdout
    assert "1 problem(s) in the issue files" in result.stderr


def test_list_on_a_terminal_is_a_table_without_empty_columns_or_colour(
    three: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_module, "stdout_is_terminal", lambda: True)
    result = cli("list")
    assert "🔴 critical" in result.stdout and "🟢 low" in result.stdout
    assert "Database refuses connections" in result.stdout
    assert "Component" in result.stdout and "Phase" not in result.stdout  # no issue has a phase
    assert "\x1b[" not in result.stdout


def test_show_accepts_each_id_spelling_and_prints_the_file(three: Path, cli: Invoke) -> None:
    text = (three / "issues/ISSUE-002-typo-in-help.md").read_text()
    for spelling in ("ISSUE-002", "2", "002", "issue-2"):
        assert cli("show", spelling).stdout == text


def test_show_json_has_fields_path_and_body(three: Path, cli: Invoke) -> None:
    record = json.loads(cli("show", "1", "--format", "json").stdout)
    assert record["id"] == "ISSUE-001" and record["component"] == "database"
    assert record["path"] == "issues/ISSUE-001-database-refuses-connections.md"
    assert record["body"].startswith("## Description\n")


def test_show_refuses_missing_and_malformed_ids(three: Path, cli: Invoke) -> None:
    assert cli("show", "42", code=2).stderr == "issuelog: no issue ISSUE-042 in issues/\n"
    assert "is not an issue ID" in cli("show", "BUG-1", code=2).stderr


def test_show_json_of_a_broken_file_names_the_line(project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-001.md": "---\nid: ISSUE-001\ntitle: [x\n---\n"})
    assert "issues/ISSUE-001.md:" in cli("show", "1", "--format", "json", code=1).stderr
    assert "title: [x" in cli("show", "1").stdout


def test_resolve_and_reopen_keep_the_file_valid(three: Path, cli: Invoke) -> None:
    path = three / "issues/ISSUE-001-database-refuses-connections.md"
    original = path.read_bytes()
    result = cli("resolve", "1", "--date", "2026-01-11", "--resolution", "Started the DB first.")
    assert result.stdout.splitlines() == [
        "ISSUE-001 status: open -> resolved",
        "ISSUE-001 resolved: (empty) -> 2026-01-11",
        "ISSUE-001 Resolution section updated",
    ]
    cli("check")
    assert "## Resolution\n\nStarted the DB first.\n" in path.read_text()
    assert cli("reopen", "ISSUE-001").stdout.splitlines() == [
        "ISSUE-001 status: resolved -> open",
        "ISSUE-001 resolved: 2026-01-11 -> (empty)",
    ]
    cli("check")
    reopened = path.read_text()
    assert (
        reopened.replace("Started the DB first.", "<!-- Fill in when resolved. -->")
        == original.decode()
    )


def test_resolve_without_date_uses_today(three: Path, cli: Invoke) -> None:
    cli("resolve", "2")
    assert (
        f"resolved: {today().isoformat()}\n"
        in (three / "issues/ISSUE-002-typo-in-help.md").read_text()
    )
    cli("check")


def test_status_change_and_unchanged_notice(three: Path, cli: Invoke) -> None:
    assert cli("status", "2", "in_progress").stdout == "ISSUE-002 status: open -> in_progress\n"
    again = cli("status", "2", "in_progress")
    assert again.stdout == "" and "ISSUE-002 unchanged" in again.stderr
    cli("status", "3", "wont_fix")
    assert "resolved: 2026-01-12\n" in (three / "issues/ISSUE-003-slow-listing.md").read_text()
    cli("check")


def test_refused_status_changes_touch_nothing(three: Path, cli: Invoke) -> None:
    before = files_snapshot(three)
    assert "unknown status 'done'" in cli("status", "1", "done", code=2).stderr
    assert "--date must be a date" in cli("resolve", "1", "--date", "yesterday", code=2).stderr
    assert "is before reported" in cli("resolve", "1", "--date", "2025-12-31", code=1).stderr
    assert (
        "--date is the date an issue was closed"
        in cli("status", "1", "open", "--date", "2026-01-12", code=2).stderr
    )
    assert "no issue ISSUE-009" in cli("resolve", "9", code=2).stderr
    assert files_snapshot(three) == before


def test_assign_and_unassign(three: Path, cli: Invoke) -> None:
    assert cli("assign", "1", "ada").stdout == "ISSUE-001 assignee: (empty) -> ada\n"
    assert cli("assign", "2", "").stdout == "ISSUE-002 assignee: grace -> (empty)\n"
    assert "assignee:\n" in (three / "issues/ISSUE-002-typo-in-help.md").read_text()
    cli("check")


def test_set_several_keys_with_yaml_values(three: Path, cli: Invoke) -> None:
    result = cli(
        "set",
        "2",
        "tags=[docs, cli]",
        "occurrences=3",
        "phase=Phase 2",
        "reported=2026-01-09",
        "team=core",
    )
    assert result.stdout.splitlines() == [
        "ISSUE-002 tags: (empty) -> [docs, cli]",
        "ISSUE-002 occurrences: (empty) -> 3",
        "ISSUE-002 phase: (empty) -> Phase 2",
        "ISSUE-002 reported: 2026-01-11 -> 2026-01-09",
        "ISSUE-002 team: (empty) -> core",
    ]
    text = (three / "issues/ISSUE-002-typo-in-help.md").read_text()
    assert "tags: [docs, cli]\n" in text and "phase: Phase 2\n" in text
    cli("check")
    record = json.loads(cli("show", "2", "--format", "json").stdout)
    assert record["reported"] == "2026-01-09" and record["extra"] == {"team": "core"}


def test_set_refusals_name_the_file_and_line_and_touch_nothing(three: Path, cli: Invoke) -> None:
    before = files_snapshot(three)
    refused = cli("set", "1", "severity=urgent", code=1).stderr
    assert refused.startswith(
        "issuelog: ISSUE-001 not changed, the result would not pass `issuelog check`:\n"
    )
    assert (
        "issues/ISSUE-001-database-refuses-connections.md:5: unknown severity 'urgent'" in refused
    )
    assert "is not key=value" in cli("set", "1", "severity", code=2).stderr
    assert (
        "related issue 'ISSUE-077' does not exist"
        in cli("set", "1", "related=[ISSUE-077]", code=1).stderr
    )
    assert "needs a 'resolved' date" in cli("set", "1", "status=resolved", code=1).stderr
    assert files_snapshot(three) == before


def test_set_unset_deletes_a_misspelt_key_and_nothing_else(three: Path, cli: Invoke) -> None:
    path = three / "issues/ISSUE-002-typo-in-help.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("severity: low\n", "severity: low\nsevrity: high  # oops\n"),
                    encoding="utf-8")
    assert "did you mean 'severity'" in cli("check").stderr
    result = cli("set", "2", "--unset", "sevrity")
    assert result.stdout == "ISSUE-002 sevrity: high -> (removed)\n"
    assert path.read_text(encoding="utf-8") == text  # every other byte as it was
    assert "warning" not in cli("check").stderr
    again = cli("set", "2", "--unset", "sevrity").stderr
    assert "unchanged" in again and "has no key 'sevrity' to unset" in again
    before = files_snapshot(three)
    assert "missing required field 'title'" in cli("set", "2", "--unset", "title", code=1).stderr
    assert "KEY=VALUE, or --unset KEY" in cli("set", "2", code=2).stderr
    assert "is both set and unset" in cli("set", "2", "severity=high", "--unset", "severity",
                                          code=2).stderr
    assert files_snapshot(three) == before


def test_related_ids_written_another_way(three: Path, cli: Invoke) -> None:
    """`related: [1]` names no issue, and `check` says which ID it likely means; `set` writes
    `related=1` as ISSUE-001, as `new --related 1` does."""
    path = three / "issues/ISSUE-002-typo-in-help.md"
    path.write_text(re.sub(r"(?m)^related:.*$", "related: [1]", path.read_text(encoding="utf-8")),
                    encoding="utf-8")
    assert "related issue '1' does not exist; write it as 'ISSUE-001'" in cli("check", code=1).stdout
    assert cli("set", "2", "related=1").stdout.endswith("-> [ISSUE-001]\n")
    assert "related: [ISSUE-001]" in path.read_text(encoding="utf-8")
    cli("check")


def test_a_mistyped_value_gets_the_value_it_likely_means(three: Path, cli: Invoke) -> None:
    """Two letters swapped, or one left out, in `new`, `set` and `status`: the message names the
    allowed value meant."""
    assert "did you mean 'high'?" in cli("new", "x", "-s", "hihg", code=2).stderr
    assert "did you mean 'high'?" in cli("set", "1", "severity=hihg", code=1).stderr
    assert "did you mean 'in_progress'?" in cli("status", "1", "in_progres", code=2).stderr


def test_a_day_in_the_future_is_refused(three: Path, cli: Invoke) -> None:
    """2062 typed for 2026: `new`, `resolve` and `record` refuse a day after tomorrow, and
    write nothing."""
    before = files_snapshot(three)
    later = (date.today() + timedelta(days=3)).isoformat()
    for command in (["new", "Later", "-s", "low"], ["resolve", "1"], ["record", "--error", "E: x"]):
        refused = cli(*command, "--date", later, code=2).stderr
        assert f"--date {later} is in the future" in refused
    assert files_snapshot(three) == before
    tomorrow = (date.today() + timedelta(days=1)).isoformat()  # a clock a time zone ahead
    cli("new", "Tomorrow somewhere", "-s", "low", "--date", tomorrow)


def test_edited_files_render(three: Path, cli: Invoke) -> None:
    cli("resolve", "1", "--date", "2026-01-11")
    cli("render")
    cli("render", "--check")
    assert "| 🟢 Resolved | 2 |" in (three / "ISSUES.md").read_text()


def _editor(tmp_path: Path, new_text: str) -> str:
    """A stand-in for $EDITOR that replaces the file it is given with new_text."""
    script = tmp_path / "fake_editor.py"
    script.write_text(f"import sys, pathlib\npathlib.Path(sys.argv[1]).write_text({new_text!r})\n")
    return f"{sys.executable} {script}"


def test_edit_accepts_a_valid_edit(
    three: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited = issue_text("ISSUE-002", "Typo in the help", severity="low", reported="2026-01-11")
    monkeypatch.setenv("EDITOR", _editor(three, edited))
    cli("edit", "2")
    assert (three / "issues/ISSUE-002-typo-in-help.md").read_text() == edited
    cli("check")


def test_edit_keeps_an_invalid_edit_and_says_what_is_wrong(
    three: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited = issue_text("ISSUE-002", severity="urgent", extra="related: [ISSUE-099]")
    monkeypatch.setenv("VISUAL", _editor(three, edited))
    result = cli("edit", "ISSUE-002", code=1)
    assert "issues/ISSUE-002-typo-in-help.md:5: unknown severity 'urgent'" in result.stderr
    assert "related issue 'ISSUE-099' does not exist" in result.stderr
    assert "your edit is kept in issues/ISSUE-002-typo-in-help.md" in result.stderr
    assert (three / "issues/ISSUE-002-typo-in-help.md").read_text() == edited


def test_edit_without_an_editor_is_a_usage_error(three: Path, cli: Invoke,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(three / "no-editors-here"))
    assert "set $VISUAL or $EDITOR" in cli("edit", "1", code=2).stderr


def test_edit_falls_back_to_editor_then_vi_as_git_does(three: Path, cli: Invoke,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    tools = three / "bin"
    tools.mkdir()
    for name in ("vi", "editor"):
        (tools / name).write_text(f'#!/bin/sh\necho "{name} opened $1" >> "{three}/opened"\n')
        (tools / name).chmod(0o755)
    monkeypatch.setenv("PATH", str(tools))  # not the machine's own `editor` or `vi`
    cli("edit", "1")
    (tools / "editor").unlink()
    cli("edit", "1")
    opened = (three / "opened").read_text().splitlines()
    assert [line.split()[0] for line in opened] == ["editor", "vi"]
    assert "/ISSUE-001-" in opened[0]  # a copy of the file: edit puts the result in place


def test_help_shows_value_names_not_types(cli: Invoke) -> None:
    for command in ("new", "list", "status", "resolve"):
        text = cli(command, "--help").stdout
        assert "<str>" not in text.split("Options")[1], command
    assert "SEVERITY" in cli("new", "--help").stdout


def _complete(project: Path, words: str) -> list[str]:
    """Ask the installed `issuelog` for bash completions of the last word of `words`."""
    env = {
        **os.environ,
        "_ISSUELOG_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
    }
    result = subprocess.run(
        [str(ISSUELOG)], cwd=project, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.split()


def test_tab_completion_of_commands_ids_and_values(three: Path) -> None:
    assert {"resolve", "reopen"} <= set(_complete(three, "issuelog re"))
    assert _complete(three, "issuelog show ") == ["ISSUE-001", "ISSUE-002", "ISSUE-003"]
    assert _complete(three, "issuelog status 1 in") == ["in_progress"]
    assert _complete(three, "issuelog list --severity c") == ["critical"]
    assert _complete(three, "issuelog set 1 sev") == ["severity="]


def _ids(table: str) -> list[str]:
    return [line.split()[0] for line in table.splitlines()[1:]]


def test_edits_of_a_file_with_a_date_that_does_not_exist(three: Path, cli: Invoke) -> None:
    path = next((three / "issues").glob("ISSUE-002-*.md"))
    text = path.read_text(encoding="utf-8")
    # In a known field: check reports it, so edits refuse with its line and change nothing.
    path.write_text(text.replace("reported: 2026-01-11", "reported: 2026-02-30"), encoding="utf-8")
    before = files_snapshot(three)
    for command in (["set", "2", "assignee=bob"], ["assign", "2", "bob"],
                    ["status", "2", "in_progress"], ["resolve", "2"]):
        result = cli(*command, code=1)
        assert "invalid date '2026-02-30' in 'reported'" in result.stderr
        assert "ISSUE-002-typo-in-help.md:" in result.stderr and "internal error" not in result.stderr
    assert files_snapshot(three) == before
    # Among unknown keys it is the user's text, as check keeps it: other keys can be edited.
    path.write_text(text.replace("assignee: grace", "assignee: grace\ncustom: !!timestamp 2026-02-30"),
                    encoding="utf-8")
    assert "no problems" in cli("check").stderr
    cli("set", "2", "assignee=bob")
    assert "custom: !!timestamp 2026-02-30" in path.read_text(encoding="utf-8")


def test_set_values_their_tag_cannot_hold_are_usage_errors(three: Path, cli: Invoke) -> None:
    before = files_snapshot(three)
    assert "'maybe' is not a valid !!bool value" in cli("set", "2", "custom=!!bool maybe", code=2).stderr
    message = cli("set", "2", "custom=!!int abc", code=2).stderr
    assert "'abc' is not a valid !!int value" in message and "date" not in message
    assert files_snapshot(three) == before


def test_new_takes_the_error_type_from_the_message_as_record_does(project: Path, cli: Invoke) -> None:
    path = Path(cli("new", "Slow query", "-s", "low",
                    "--error", "TimeoutError: query took 31s").stdout.strip())
    text = path.read_text(encoding="utf-8")
    assert "error_type: TimeoutError\n" in text and "query took 31s" in text
    given = Path(cli("new", "Other", "-s", "low", "--error", "TimeoutError: x",
                     "--error-type", "DbTimeout").stdout.strip())
    assert "error_type: DbTimeout\n" in given.read_text(encoding="utf-8")
    assert "no problems" in cli("check").stderr


def test_an_error_filed_with_new_is_the_issue_record_counts_it_on(project: Path, cli: Invoke) -> None:
    """`new --error` writes the fingerprint `record` writes: the same error recorded later is
    counted on that issue, not filed twice; a knowledge entry is never counted on."""
    path = Path(cli("new", "Slow query", "-s", "low", "--component", "db",
                    "--error", "TimeoutError: query took 31s").stdout.strip())
    assert "fingerprint: " in path.read_text(encoding="utf-8")
    assert "no problems" in cli("check").stderr
    counted = cli("record", "--error", "TimeoutError: query took 45s", "--component", "db")
    assert path.name.split("-slow")[0] in counted.stdout + counted.stderr
    assert "occurrences: 2\n" in path.read_text(encoding="utf-8")
    assert len(list((project / "issues").glob("*.md"))) == 1
    entry = Path(cli("new", "Pool exhausted", "--reference", "--error", "PoolError: no slots",
                     "--component", "db").stdout.strip())
    assert "fingerprint" not in entry.read_text(encoding="utf-8")


def test_list_sorts_by_a_key_of_the_projects_own(three: Path, cli: Invoke) -> None:
    path = next((three / "issues").glob("ISSUE-002-*.md"))
    path.write_text(path.read_text(encoding="utf-8").replace(
        "assignee: grace", "assignee: grace\ncustomer_ref: C-1"), encoding="utf-8")
    assert _ids(cli("list", "--sort", "customer_ref").stdout) == ["ISSUE-002", "ISSUE-001"]
