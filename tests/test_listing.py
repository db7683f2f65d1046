"""Choosing, ordering and laying out issues for `list` and `show`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from issuelog.core.cache import load_issues
from issuelog.core.config import Config
from issuelog.core.model import Issue
from issuelog.core.store import sort_key
from issuelog.errors import UsageError
from issuelog.log.formatting import plain_table
from issuelog.log.listing import (
    CSV_COLUMNS,
    Filters,
    check_filters,
    issue_record,
    select_issues,
    sort_issues,
    to_csv,
    to_json,
)
from tests.conftest import Invoke, issue_text, make_tree


@pytest.fixture
def issues(project: Path, config: Config) -> list[Issue]:
    """Six issues covering every filter: statuses, severities, phases, tags, assignees, bodies."""
    make_tree(
        project,
        {
            "issues/ISSUE-001-a.md": issue_text(
                "ISSUE-001",
                "Login fails",
                severity="low",
                extra="phase: Phase 1\ntags: [auth]\nassignee: ada",
            ),
            "issues/ISSUE-002-b.md": issue_text(
                "ISSUE-002",
                "Pool exhausted",
                severity="critical",
                reported="2026-01-12",
                extra="phase: Phase 2\ntags: [db, perf]\ncomponent: db",
                body="## Description\n\nThe CONNECTION pool runs dry.\n",
            ),
            "issues/ISSUE-003-c.md": issue_text(
                "ISSUE-003",
                "Slow page",
                severity="critical",
                status="in_progress",
                reported="2026-01-11",
                extra="phase: Phase 10\ncategory: performance",
            ),
            "issues/ISSUE-004-d.md": issue_text(
                "ISSUE-004",
                "Old crash",
                severity="high",
                status="resolved",
                extra="resolved: 2026-01-20\nassignee: grace",
            ),
            "issues/ISSUE-005-e.md": issue_text(
                "ISSUE-005",
                "Won't do",
                severity="medium",
                status="wont_fix",
                extra="resolved: 2026-01-21",
            ),
            "issues/ISSUE-010-f.md": issue_text(
                "ISSUE-010",
                "Typo",
                severity="low",
                reported="2026-01-12 09:30",
                extra="tags: [docs]\nassignee: ada\nsprint: 2026-02-01",
            ),
        },
    )
    result = load_issues(config)
    assert not result.problems
    return result.issues


def ids(found: list[Issue]) -> list[str]:
    return [issue.id for issue in found]


def chosen(issues: list[Issue], config: Config, **filters: object) -> list[str]:
    return ids(sort_issues(select_issues(issues, config, Filters(**filters)), config))  # type: ignore[arg-type]


def test_default_is_open_issues_most_severe_first_then_by_id(
    issues: list[Issue], config: Config
) -> None:
    assert chosen(issues, config) == ["ISSUE-002", "ISSUE-003", "ISSUE-001", "ISSUE-010"]


def test_all_and_explicit_status_include_closed_issues(issues: list[Issue], config: Config) -> None:
    assert chosen(issues, config, include_closed=True) == [
        "ISSUE-002",
        "ISSUE-003",
        "ISSUE-004",
        "ISSUE-005",
        "ISSUE-001",
        "ISSUE-010",
    ]
    assert chosen(issues, config, status=("resolved", "wont_fix")) == ["ISSUE-004", "ISSUE-005"]


def test_or_within_a_field_and_across_fields(issues: list[Issue], config: Config) -> None:
    assert chosen(issues, config, severity=("low", "critical"), tag=("db", "docs")) == [
        "ISSUE-002",
        "ISSUE-010",
    ]
    assert chosen(issues, config, assignee=("ada",), tag=("auth",)) == ["ISSUE-001"]
    assert chosen(issues, config, phase=("Phase 2", "Phase 10"), component=("db",)) == ["ISSUE-002"]
    assert chosen(issues, config, category=("performance",)) == ["ISSUE-003"]
    assert chosen(issues, config, assignee=("grace",)) == []
    assert chosen(issues, config, assignee=("grace",), include_closed=True) == ["ISSUE-004"]


def test_grep_searches_title_and_body_ignoring_case(issues: list[Issue], config: Config) -> None:
    assert chosen(issues, config, grep="connection") == ["ISSUE-002"]
    assert chosen(issues, config, grep="SLOW") == ["ISSUE-003"]
    assert chosen(issues, config, grep="nowhere") == []


def test_sort_by_field_reversed_with_ties_by_id_and_missing_last(
    issues: list[Issue], config: Config
) -> None:
    everything = select_issues(issues, config, Filters(include_closed=True))
    assert ids(sort_issues(everything, config, "reported")) == [
        "ISSUE-001",
        "ISSUE-004",
        "ISSUE-005",
        "ISSUE-003",
        "ISSUE-002",
        "ISSUE-010",
    ]
    assert ids(sort_issues(everything, config, "-reported")) == [
        "ISSUE-010",
        "ISSUE-002",
        "ISSUE-003",
        "ISSUE-001",
        "ISSUE-004",
        "ISSUE-005",
    ]
    assert ids(sort_issues(everything, config, "phase")) == [
        "ISSUE-001",
        "ISSUE-002",
        "ISSUE-003",
        "ISSUE-004",
        "ISSUE-005",
        "ISSUE-010",
    ]
    assert ids(sort_issues(everything, config, "-assignee")) == [
        "ISSUE-004",
        "ISSUE-001",
        "ISSUE-010",
        "ISSUE-002",
        "ISSUE-003",
        "ISSUE-005",
    ]
    assert ids(sort_issues(everything, config, "status")) == [
        "ISSUE-001",
        "ISSUE-002",
        "ISSUE-010",
        "ISSUE-003",
        "ISSUE-004",
        "ISSUE-005",
    ]


def test_sorting_by_a_key_of_the_projects_own(issues: list[Issue], config: Config) -> None:
    issues[0].extra["customer_ref"] = "C-10"
    issues[2].extra["customer_ref"] = "C-9"
    issues[3].extra["customer_ref"] = 7
    ids = [issue.id for issue in sort_issues(issues, config, "customer_ref")]
    assert ids[:3] == [issues[3].id, issues[2].id, issues[0].id]  # numbers, then natural text
    assert ids[3:] == sorted((i.id for i in issues if "customer_ref" not in i.extra), key=sort_key)
    reverse = [issue.id for issue in sort_issues(issues, config, "-customer_ref")]
    assert reverse[:3] == [issues[0].id, issues[2].id, issues[3].id]


def test_unknown_sort_field_and_filter_values_are_refused(issues: list[Issue], config: Config) -> None:
    with pytest.raises(UsageError, match="no issue has a key 'priority' to sort by"):
        sort_issues(issues, config, "priority")
    with pytest.raises(UsageError, match=r"unknown severity 'hihg' \(allowed: critical, high"):
        check_filters(Filters(severity=("hihg",)), config)
    # Without configured phases any phase is allowed.
    check_filters(Filters(phase=("Anything",)), config)


def test_issue_record_has_every_field_iso_dates_unknown_keys_and_path(
    issues: list[Issue], config: Config
) -> None:
    record = issue_record({i.id: i for i in issues}["ISSUE-010"], config)
    assert record["reported"] == "2026-01-12T09:30:00"
    assert record["resolved"] is None
    assert record["tags"] == ["docs"] and record["related"] == []
    assert record["occurrences"] == 1
    assert record["extra"] == {"sprint": "2026-02-01"}
    assert record["time_to_resolve_hours"] is None
    assert record["path"] == "issues/ISSUE-010-f.md"
    assert list(record)[:3] == ["id", "title", "status"]
    assert json.loads(to_json([record])) == [record]


def test_csv_has_a_header_and_one_parsable_row_per_issue(
    issues: list[Issue], config: Config
) -> None:
    rows = list(csv.reader(io.StringIO(to_csv(sorted(issues, key=lambda i: i.id), config))))
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == 7
    second = dict(zip(rows[0], rows[2], strict=True))
    assert second["tags"] == "db; perf"
    assert second["path"] == "issues/ISSUE-002-b.md"
    assert second["resolved"] == ""


def test_plain_table_aligns_columns_without_trailing_blanks() -> None:
    text = plain_table(
        ["ID", "TITLE", "OWNER"], [["ISSUE-1", "A", ""], ["ISSUE-10", "Longer", "ada"]]
    )
    assert text == ("ID        TITLE   OWNER\nISSUE-1   A\nISSUE-10  Longer  ada\n")


def test_severity_sorts_like_a_number_most_severe_last_unless_reversed(
    project: Path, issues: list[Issue], config: Config, cli: Invoke
) -> None:
    make_tree(project, {"issues/ISSUE-011-g.md": issue_text("ISSUE-011", severity="blocker")})
    everything = select_issues(load_issues(config).issues, config, Filters(include_closed=True))
    assert ids(sort_issues(everything, config, "-severity")) == [
        "ISSUE-002", "ISSUE-003", "ISSUE-004", "ISSUE-005", "ISSUE-001", "ISSUE-010", "ISSUE-011",
    ]
    assert ids(sort_issues(everything, config, "severity")) == [
        "ISSUE-001", "ISSUE-010", "ISSUE-005", "ISSUE-004", "ISSUE-002", "ISSUE-003", "ISSUE-011",
    ]
    assert ids(sort_issues(everything, config)) == ids(sort_issues(everything, config, "-severity"))
    assert ids(sort_issues(everything, config, "-status"))[:2] == ["ISSUE-005", "ISSUE-004"]
    listed = cli("list", "--sort", "-severity", "--format", "csv").stdout.splitlines()
    assert [line.split(",")[0] for line in listed[1:]] == ["ISSUE-002", "ISSUE-003", "ISSUE-001",
                                                           "ISSUE-010", "ISSUE-011"]
