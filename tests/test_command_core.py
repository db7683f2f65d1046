"""The core functions the commands call, tested without the command line."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from issuelog.core.config import Config
from issuelog.core.edits import shown_value
from issuelog.core.model import Problem
from issuelog.errors import UsageError
from issuelog.importer.reader import Draft
from issuelog.importer.report import DRAFT_COLUMNS, draft_record, draft_row
from issuelog.log.listing import Filters, list_issues
from issuelog.ops.events import read_event_lines
from issuelog.ops.record import RecordResult, RecordTally
from issuelog.project.scaffold import new_issue_fields, require_fields
from tests.conftest import issue_text, make_tree


def test_require_fields_names_the_title_then_each_missing_field_with_its_choices(config: Config) -> None:
    with pytest.raises(UsageError, match=r"missing argument TITLE"):
        require_fields({"title": "  "}, config)
    with pytest.raises(UsageError) as raised:
        require_fields({"title": "Crash"}, config)
    assert str(raised.value) == "missing required field(s): --severity (critical|high|medium|low)"
    require_fields({"title": "Crash", "severity": "low"}, config)  # nothing missing: no error


def test_new_issue_fields_fill_the_defaults_new_documents(config: Config) -> None:
    fields = new_issue_fields(config, title="Crash", related=["7"], reported=date(2026, 1, 2))
    assert fields["reporter"] == "Ada Tester"  # git config user.name of the project fixture
    assert (fields["related"], fields["tags"], fields["files"]) == (["ISSUE-007"], [], [])
    assert fields["severity"] is None and fields["reported"] == date(2026, 1, 2)
    reference = new_issue_fields(config, title="Port refused", reporter="", reference=True)
    assert (reference["severity"], reference["reporter"]) == ("low", "")  # the least severe


def test_shown_value_writes_values_as_yaml_does() -> None:
    assert [shown_value(value) for value in (None, "", [], True, date(2026, 1, 2), ["a", "b"], 3)] \
        == ["(empty)", "(empty)", "(empty)", "true", "2026-01-02", "[a, b]", "3"]


def test_read_event_lines_from_a_file_or_stdin_and_a_clear_error(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_bytes(b'{"error": "a"}\r\n{"error": "b"}\n')
    assert read_event_lines(str(events), io.StringIO()) == (['{"error": "a"}', '{"error": "b"}'],
                                                            str(events))
    assert read_event_lines("-", io.StringIO('{"error": "c"}\n')) == (['{"error": "c"}'], "<stdin>")
    missing = str(tmp_path / "missing.jsonl")
    with pytest.raises(UsageError, match=r"missing\.jsonl: cannot read: No such file"):
        read_event_lines(missing, io.StringIO())


def test_record_tally_counts_each_action_and_the_bad_lines(tmp_path: Path) -> None:
    tally = RecordTally()
    for action in ("created", "counted", "counted"):
        tally.add(RecordResult(action, "ISSUE-001", tmp_path / "x.md", 1))
    tally.add(Problem("events.jsonl", 4, "not JSON"))
    assert tally.summary() == ("recorded 3 event(s): 1 created, 2 counted, 0 reopened; "
                               "1 bad line(s)")
    assert tally.problems == [Problem("events.jsonl", 4, "not JSON")]


def test_draft_record_and_row_show_what_the_file_will_hold() -> None:
    draft = Draft(line=12, title="Login fails", legacy_id="BUG-3", planned_id="ISSUE-003",
                  fields={"severity": "high", "reported": date(2026, 1, 2), "tags": ["auth"]},
                  extra={"legacy_priority": "P1", "imported_from": "ERRORS.md"},
                  body="## Description\n\nIt fails.\n")
    record = draft_record(draft)
    assert (record["id"], record["severity"], record["reported"], record["status"]) == (
        "ISSUE-003", "high", "2026-01-02", None)
    assert (record["tags"], record["component"], record["kept"]) == (
        ["auth"], None, {"legacy_priority": "P1"})
    assert record["sections"] == ["Description"]
    assert draft_row(draft) == ["12", "ISSUE-003", "BUG-3", "high", "", "", "2026-01-02",
                                "Login fails"]
    assert len(draft_row(draft)) == len(DRAFT_COLUMNS)


def test_list_issues_selects_sorts_and_reports_problems(project: Path, config: Config) -> None:
    make_tree(project, {
        "issues/ISSUE-001-a.md": issue_text("ISSUE-001", "Low one", severity="low"),
        "issues/ISSUE-002-b.md": issue_text("ISSUE-002", "High one", severity="high"),
        "issues/ISSUE-003-c.md": issue_text("ISSUE-003", "Closed", status="resolved",
                                            extra="resolved: 2026-01-11"),
        "issues/ISSUE-004-d.md": "no frontmatter\n",
    })
    issues, problems = list_issues(config, Filters(), None)
    assert [issue.id for issue in issues] == ["ISSUE-002", "ISSUE-001"]  # open, most severe first
    assert [problem.path for problem in problems] == ["issues/ISSUE-004-d.md"]
    issues, _ = list_issues(config, Filters(grep="closed", include_closed=True), "id")
    assert [issue.id for issue in issues] == ["ISSUE-003"]
    with pytest.raises(UsageError):
        list_issues(config, Filters(severity=("blocker",)), None)
