"""`issuelog analyze`: every figure checked on a fixture, and the same numbers as ISSUES.md."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from issuelog.core.cache import load_issues
from issuelog.core.config import load_config
from issuelog.log.error_analysis import analyze, daily_trend
from tests.conftest import Invoke, issue_text, make_tree

FIXTURE = {
    "issues/ISSUE-001-db-timeouts.md": issue_text(
        "ISSUE-001", "DB timeouts", "resolved", "critical", "2026-01-10", extra="""\
        resolved: 2026-01-12
        category: reliability
        component: db
        error_type: TimeoutError
        occurrences: 12
        """),
    "issues/ISSUE-002-db-timeouts-again.md": issue_text(
        "ISSUE-002", "DB timeouts again", "open", "high", "2026-01-14", extra="""\
        category: reliability
        component: db
        error_type: TimeoutError
        occurrences: 3
        tags: [regression]
        """),
    "issues/ISSUE-003-missing-key.md": issue_text(
        "ISSUE-003", "Missing key", "open", "critical", "2026-01-15", extra="""\
        category: validation
        component: api
        error_type: KeyError
        """),
    "issues/ISSUE-004-slow-index.md": issue_text(
        "ISSUE-004", "Slow index", "resolved", "high", "2026-01-13", extra="""\
        resolved: 2026-01-13
        category: performance
        component: db
        """),
    "issues/ISSUE-005-button-colour.md": issue_text(
        "ISSUE-005", "Button colour", "wont_fix", "low", "2026-01-11", extra="""\
        resolved: 2026-01-16
        component: ui
        """),
    "issues/ISSUE-006-pool-timeouts.md": issue_text(
        "ISSUE-006", "Pool timeouts", "in_progress", "medium", "2026-01-16", extra="""\
        component: db
        error_type: TimeoutError
        occurrences: 2
        """),
}


@pytest.fixture
def fixture_project(project: Path) -> Path:
    make_tree(project, FIXTURE)
    return project


def test_analyze_json_field_by_field(fixture_project: Path, cli: Invoke) -> None:
    data = json.loads(cli("analyze", "--format", "json").stdout)
    assert list(data) == ["today", "days", "statistics", "most_common_errors", "components",
                          "categories", "trend", "resolution", "timings", "reopened",
                          "fingerprints", "suggestions"]
    assert data["today"] == "2026-01-16"
    assert data["days"] == 7
    assert data["statistics"] == {
        "total": 6, "open": 3,
        "open_by_severity": {"critical": 1, "high": 1, "medium": 1, "low": 0},
        "total_occurrences": 20, "closed_without_resolution_date": 0,
    }
    assert data["most_common_errors"] == [
        {"error_type": "TimeoutError", "component": "db", "issues": 3, "open": 2, "occurrences": 17,
         "ids": ["ISSUE-001", "ISSUE-002", "ISSUE-006"]},
        {"error_type": "KeyError", "component": "api", "issues": 1, "open": 1, "occurrences": 1,
         "ids": ["ISSUE-003"]},
    ]
    assert data["components"] == [
        {"component": "db", "issues": 4, "share": 66.7, "open": 2, "occurrences": 18},
        {"component": "api", "issues": 1, "share": 16.7, "open": 1, "occurrences": 1},
        {"component": "ui", "issues": 1, "share": 16.7, "open": 0, "occurrences": 1},
    ]
    assert data["categories"] == [
        {"category": "reliability", "issues": 2, "share": 33.3},
        {"category": "performance", "issues": 1, "share": 16.7},
        {"category": "validation", "issues": 1, "share": 16.7},
    ]
    assert data["trend"] == [
        {"date": "2026-01-10", "created": 1, "resolved": 0},
        {"date": "2026-01-11", "created": 1, "resolved": 0},
        {"date": "2026-01-12", "created": 0, "resolved": 1},
        {"date": "2026-01-13", "created": 1, "resolved": 1},
        {"date": "2026-01-14", "created": 1, "resolved": 0},
        {"date": "2026-01-15", "created": 1, "resolved": 0},
        {"date": "2026-01-16", "created": 1, "resolved": 0},
    ]
    assert data["resolution"] == [
        {"severity": "critical", "resolved": 1, "mean_seconds": 172800, "sla_seconds": 14400, "breaches": 1},
        {"severity": "high", "resolved": 1, "mean_seconds": 0, "sla_seconds": 86400, "breaches": 0},
        {"severity": "medium", "resolved": 0, "mean_seconds": None, "sla_seconds": 604800, "breaches": 0},
        {"severity": "low", "resolved": 0, "mean_seconds": None, "sla_seconds": 1209600, "breaches": 0},
    ]
    assert [(s["priority"], s["rule"], s["subject"], s["ids"]) for s in data["suggestions"]] == [
        ("high", "regression", "ISSUE-002", ["ISSUE-002"]),
        ("high", "sla_breaches", "critical", ["ISSUE-001"]),
        ("high", "frequent_error", "TimeoutError in db", ["ISSUE-001", "ISSUE-002", "ISSUE-006"]),
        ("medium", "hot_component", "db", ["ISSUE-001", "ISSUE-002", "ISSUE-004", "ISSUE-006"]),
    ]
    assert data["suggestions"][1]["message"] == (
        "1 of 1 resolved critical issue(s) took longer than the 4 hours SLA: "
        "review triage and on-call for this severity")


def test_today_and_days_choose_the_trend_window(fixture_project: Path, cli: Invoke) -> None:
    data = json.loads(cli("analyze", "--format", "json", "--days", "3", "--today", "2026-01-13").stdout)
    assert data["today"] == "2026-01-13"
    assert data["trend"] == [
        {"date": "2026-01-11", "created": 1, "resolved": 0},
        {"date": "2026-01-12", "created": 0, "resolved": 1},
        {"date": "2026-01-13", "created": 1, "resolved": 1},
    ]
    assert "--today must be a date" in cli("analyze", "--today", "soon", code=2).stderr
    cli("analyze", "--days", "0", code=2)


def test_analyze_and_issues_md_show_the_same_numbers(fixture_project: Path, cli: Invoke) -> None:
    cli("render")
    log = (fixture_project / "ISSUES.md").read_text()
    assert "| db | 4 |" in log  # ISSUES.md shows no share: it would move with every new issue
    assert "| Reliability | 2 |" in log
    assert "| 🔴 Critical | 1 | 2 days | 4 hours | 1 |" in log
    text = cli("analyze").stdout
    assert "  db         4       66.7%  2     18" in text
    assert "  Reliability  2       33.3%" in text
    assert "  Critical  1         2 days    4 hours   1" in text


def test_analyze_text_output(fixture_project: Path, cli: Invoke) -> None:
    text = cli("analyze").stdout
    assert text.startswith("Statistics\n  Total issues: 6\n  Open (any open status): 3\n"
                           "  Open critical: 1\n  Open high: 1\n")
    assert "  Total occurrences: 20\n" in text
    assert "  TimeoutError in db  3       2     17\n" in text
    assert "Trend over 7 day(s) to 2026-01-16\n" in text
    assert "  [high] 1 open regression(s)" in text
    assert "  [medium] db has 4 of 6 issues (66.7%): review its design and its tests" in text


def test_analyze_an_empty_project(project: Path, cli: Invoke) -> None:
    data = json.loads(cli("analyze", "--format", "json").stdout)
    assert data["today"] is None
    assert data["trend"] == []
    assert data["suggestions"] == []
    assert "no dated issues" in cli("analyze").stdout


def test_analyze_refuses_invalid_files(project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-001-bad.md": issue_text(severity="urgent")})
    result = cli("analyze", code=1)
    assert "issues/ISSUE-001-bad.md:5: unknown severity 'urgent'" in result.stderr
    assert "not analysing: 1 problem(s)" in result.stderr


def test_rules_stay_quiet_below_their_thresholds(project: Path) -> None:
    make_tree(project, {
        "issues/ISSUE-001-a.md": issue_text(
            "ISSUE-001", extra="component: db\nerror_type: OSError\noccurrences: 9\n"),
        "issues/ISSUE-002-b.md": issue_text("ISSUE-002", extra="component: db\nerror_type: OSError\n"),
        "issues/ISSUE-003-c.md": issue_text("ISSUE-003", status="resolved",
                                            extra="resolved: 2026-01-10\ntags: [regression]\n"),
    })
    config = load_config(project)
    analysis = analyze(load_issues(config).issues, config)
    # OSError in db: 2 issues and 10 occurrences (the occurrence rule fires, the issue rule alone would not);
    # db: 2 issues (under 3); the regression is resolved.
    assert [(s.rule, s.subject) for s in analysis.suggestions] == [("frequent_error", "OSError in db")]


def test_daily_trend_without_a_date_is_empty(project: Path) -> None:
    config = load_config(project)
    assert daily_trend([], config, 7, None) == []
    window = daily_trend([], config, 2, date(2026, 3, 1))
    assert [t.day for t in window] == [date(2026, 2, 28), date(2026, 3, 1)]
