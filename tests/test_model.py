"""Parsing one issue file and validating it against the configuration."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from issuelog.core.config import Config
from issuelog.core.model import parse_issue, validate_issue
from tests.conftest import issue_text

PATH = Path("issues/ISSUE-001-something-broke.md")


def problems_of(text: str, config: Config | None = None, path: Path = PATH) -> list[str]:
    issue, problems = parse_issue(path, text, str(path))
    if issue is not None:
        problems += validate_issue(issue, config or Config(), str(path))
    return [str(problem) for problem in problems]


def test_valid_issue_parses_every_field() -> None:
    text = issue_text(extra="""
        phase: Phase 2
        category: reliability
        component: api
        reporter: Ada
        tags: [db, startup]
        related: [ISSUE-002]
        files:
          - app/db.py
        occurrences: 3
        last_seen: 2026-01-12
        reference: {area: Database, cause: DB not running, solution: make up}
        custom_key: kept
    """)
    issue, problems = parse_issue(PATH, text)
    assert problems == []
    assert issue is not None
    assert issue.id == "ISSUE-001"
    assert issue.reported == date(2026, 1, 10)
    assert issue.tags == ["db", "startup"]
    assert issue.files == ["app/db.py"]
    assert issue.occurrences == 3
    assert issue.reference == {"area": "Database", "cause": "DB not running", "solution": "make up"}
    assert issue.extra == {"custom_key": "kept"}
    assert issue.body == "## Description\n\nIt broke.\n"
    assert list(issue.to_dict())[-1] == "custom_key"


def test_datetime_values_are_kept() -> None:
    issue, problems = parse_issue(PATH, issue_text(reported="2026-01-10 14:30:00"))
    assert problems == [] and issue is not None
    assert issue.reported == datetime(2026, 1, 10, 14, 30)


def test_bom_and_crlf_are_accepted() -> None:
    text = "\ufeff" + issue_text().replace("\n", "\r\n")
    assert problems_of(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "issues/ISSUE-001-something-broke.md:1: file is empty"),
        ("# Just a heading\n", "issues/ISSUE-001-something-broke.md:1: no YAML frontmatter"),
        ("---\nid: ISSUE-001\ntitle: x\n",
         "issues/ISSUE-001-something-broke.md:1: frontmatter is not closed"),
        ("---\nid: ISSUE-001\ntitle: [unclosed\n---\n", ":3: invalid YAML"),
        ("---\nid: ISSUE-001\n\ttitle: x\n---\n", ":3: invalid YAML"),
        ("---\n- a\n- b\n---\n", ":2: frontmatter must be a mapping"),
        ("---\nid: ISSUE-001\nid: ISSUE-002\n---\n", ":3: invalid YAML: duplicate key 'id'"),
        ("---\nid: !!python/object:os.system x\n---\n", ":2: invalid YAML"),
        ("---\na: &x [1]\nb: *x\n---\n", ":3: invalid YAML: YAML aliases"),
    ],
)
def test_unreadable_files_give_one_problem_with_a_line(text: str, expected: str) -> None:
    found = problems_of(text)
    assert len(found) == 1
    assert expected in found[0]


def test_a_closed_list_wrong_inside_is_not_called_unclosed() -> None:
    """`is it closed?` is for a bracket or quote noticed lines later, not one closed on its line."""
    found = problems_of("---\nid: ISSUE-001\ntags: [a, b: c: d]\n---\n")
    assert len(found) == 1
    assert ":3: invalid YAML: did not find expected ',' or ']'" in found[0]
    assert "is it closed?" not in found[0]


def test_missing_required_fields_are_each_reported() -> None:
    found = problems_of("---\nid: ISSUE-001\n---\nbody\n")
    assert f"{PATH}:1: missing required field 'title'" in found
    assert f"{PATH}:1: missing required field 'status'" in found
    assert f"{PATH}:1: missing required field 'severity'" in found
    assert f"{PATH}:1: missing required field 'reported'" in found


def test_unknown_values_name_the_line_and_the_allowed_ones() -> None:
    text = issue_text(status="stuck", severity="urgent", extra="category: weather\n")
    found = problems_of(text)
    assert (f"{PATH}:4: unknown status 'stuck' (allowed: open, in_progress, resolved, wont_fix, duplicate)"
            in found)
    assert any(p.startswith(f"{PATH}:5: unknown severity 'urgent'") for p in found)
    assert any(p.startswith(f"{PATH}:7: unknown category 'weather'") for p in found)


def test_unknown_phase_only_when_phases_are_configured() -> None:
    text = issue_text(extra="phase: Phase 9\n")
    assert problems_of(text) == []
    found = problems_of(text, Config(phases=("Phase 1", "Phase 2")))
    assert found == [f"{PATH}:7: unknown phase 'Phase 9' (allowed: Phase 1, Phase 2)"]


@pytest.mark.parametrize(
    ("reported", "message"),
    [
        ("2026-02-30", ":6: invalid date '2026-02-30' in 'reported': day is out of range for month"),
        ("'2026-13-01'", ":6: 'reported' must be a date like 2026-01-10"),
        ("yesterday", ":6: 'reported' must be a date like 2026-01-10"),
    ],
)
def test_malformed_dates(reported: str, message: str) -> None:
    found = problems_of(issue_text(reported=reported))
    assert any(message in problem for problem in found), found


def test_an_invalid_date_does_not_hide_other_problems() -> None:
    found = problems_of(issue_text(reported="2026-02-30", severity="urgent"))
    assert len(found) == 2
    assert found[0].startswith(f"{PATH}:6: invalid date '2026-02-30' in 'reported'")
    assert found[1].startswith(f"{PATH}:5: unknown severity 'urgent'")


def test_resolved_before_reported() -> None:
    text = issue_text(status="resolved", extra="resolved: 2026-01-01\n")
    assert problems_of(text) == [f"{PATH}:7: resolved 2026-01-01 is before reported 2026-01-10"]


def test_closed_status_needs_resolved_date_and_open_status_must_not_have_one() -> None:
    assert problems_of(issue_text(status="resolved")) == [
        f"{PATH}:4: status 'resolved' needs a 'resolved' date"
    ]
    assert problems_of(issue_text(status="open", extra="resolved: 2026-01-11\n")) == [
        f"{PATH}:7: 'resolved' is set but status 'open' is open"
    ]


def test_id_must_match_the_file_name_and_pattern() -> None:
    found = problems_of(issue_text(issue_id="ISSUE-002"))
    assert found == [f"{PATH}:2: id 'ISSUE-002' does not match the file name 'ISSUE-001-something-broke.md'"]
    found = problems_of(issue_text(issue_id="BUG-1"), path=Path("issues/BUG-1.md"))
    assert found == ["issues/BUG-1.md:2: id 'BUG-1' does not match the pattern ISSUE-NNN"]


def test_a_list_where_a_single_value_belongs() -> None:
    found = problems_of(issue_text(title="[a, b]"))
    assert found == [f"{PATH}:3: 'title' must be a single value, not a list"]


def test_occurrences_must_be_a_positive_whole_number() -> None:
    found = problems_of(issue_text(extra="occurrences: -2\n"))
    assert found == [f"{PATH}:7: 'occurrences' must be a whole number of at least 1, got -2"]
