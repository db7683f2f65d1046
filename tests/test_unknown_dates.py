"""Dates a log never stated: `resolved_unknown` / `reported_unknown`, checked and left out."""

from __future__ import annotations

import json
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest

from issuelog.core.cache import load_issues
from issuelog.core.config import Config, load_config
from issuelog.core.model import Issue, parse_issue, validate_issue
from issuelog.importer import read_log
from issuelog.log.error_analysis import analyze
from issuelog.log.stats import time_to_resolve
from issuelog.log.summary import summarize
from tests.conftest import Invoke, issue_text, make_tree

SHOWN = "issues/ISSUE-002-lost-date.md"
CONFIG = Config(root=Path("/nonexistent"))

UNKNOWN_FIX = """\
---
id: ISSUE-002
title: Lost date
status: resolved
severity: critical
reported: 2026-01-05
resolved:
resolved_unknown: true
---

## Resolution

Fixed at some point.
"""


def parsed(text: str) -> list[str]:
    """The problems `check` reports for one file under the default configuration."""
    issue, problems = parse_issue(Path(SHOWN), text, SHOWN)
    assert issue is not None
    return [str(p) for p in problems + validate_issue(issue, CONFIG, SHOWN)]


def test_a_closed_issue_may_declare_its_resolution_date_unknown() -> None:
    assert parsed(UNKNOWN_FIX) == []
    # Without the flag, "closed needs a resolved date" still holds.
    assert parsed(UNKNOWN_FIX.replace("resolved_unknown: true\n", "")) == [
        f"{SHOWN}:4: status 'resolved' needs a 'resolved' date"]


@pytest.mark.parametrize(("change", "expected"), [
    (("resolved:\n", "resolved: 2026-01-09\n"),
     f"{SHOWN}:8: 'resolved_unknown' is true but 'resolved' has a date: empty one of them"),
    (("resolved_unknown: true", "resolved_unknown: maybe"),
     f"{SHOWN}:8: 'resolved_unknown' must be true or false, got 'maybe'"),
    (("status: resolved", "status: open"),
     f"{SHOWN}:8: 'resolved_unknown' is true but status 'open' is open: an open issue has no "
     "resolution date to be unknown"),
    (("reported: 2026-01-05\n", ""), f"{SHOWN}:1: missing required field 'reported'"),
])
def test_the_rules_of_unknown_dates(change: tuple[str, str], expected: str) -> None:
    assert expected in parsed(UNKNOWN_FIX.replace(*change))


def test_an_unknown_reported_date_satisfies_the_required_field() -> None:
    text = UNKNOWN_FIX.replace("reported: 2026-01-05\n", "reported_unknown: true\n")
    assert parsed(text) == []


def _issues(tmp_path: Path) -> list[Issue]:
    """A critical issue fixed in ten days (an SLA breach) and one closed on an unknown date."""
    make_tree(tmp_path, {
        "issues/ISSUE-001-slow.md": issue_text("ISSUE-001", "Slow", "resolved", "critical",
                                               "2026-01-10", extra="resolved: 2026-01-20\n"),
        SHOWN: UNKNOWN_FIX,
        "issues/ISSUE-003-found-late.md": issue_text(
            "ISSUE-003", "Found late", "resolved", "critical", "",
            extra="reported_unknown: true\nresolved: 2026-01-11\n").replace("reported: \n", ""),
    })
    result = load_issues(Config(root=tmp_path))
    assert [str(p) for p in result.problems] == []
    return result.issues


def test_unknown_dates_are_left_out_of_resolution_time_sla_and_trend(tmp_path: Path) -> None:
    issues = _issues(tmp_path)
    summary = summarize(issues, CONFIG)
    # Counted as issues, and as resolved ones...
    assert summary.total == 3
    assert {c.name: c.count for c in summary.status_counts}["resolved"] == 3
    # ... but Resolution Time and SLA breaches hold only the one with both dates known.
    critical = summary.resolution_rows[0]
    assert (critical.resolved, critical.average, critical.breaches) == (2, timedelta(days=10), 1)
    assert [time_to_resolve(i) for i in issues] == [timedelta(days=10), None, None]
    assert summary.unknown_resolution_date == 1
    # The weekly chart counts only known dates: two fixes, two reports.
    assert sum(w.resolved for w in summary.weekly) == 2
    assert sum(w.opened for w in summary.weekly) == 2
    trend = analyze(issues, CONFIG, days=30, today=date(2026, 1, 25)).trend
    assert sum(day.resolved for day in trend) == 2 and sum(day.created for day in trend) == 2


def test_resolution_rows_leave_out_the_unknown_one(tmp_path: Path) -> None:
    issues = _issues(tmp_path)
    only_unknown = [i for i in issues if i.id == "ISSUE-002"]
    critical = summarize(only_unknown, CONFIG).resolution_rows[0]
    assert (critical.resolved, critical.average, critical.breaches) == (0, None, 0)


def test_rendered_log_says_how_many_closed_issues_have_no_known_date(project: Path,
                                                                   cli: Invoke) -> None:
    make_tree(project, {SHOWN: UNKNOWN_FIX})
    cli("check")
    cli("render")
    log = (project / "ISSUES.md").read_text(encoding="utf-8")
    assert ("*Closed issues with no known resolution date: 1 (left out of Resolution Time, the "
            "SLA breaches and the trend).*") in log
    assert "same day" not in log
    analysis = json.loads(cli("analyze", "--format", "json").stdout)
    assert analysis["statistics"]["closed_without_resolution_date"] == 1
    assert all(row["resolved"] == 0 for row in analysis["resolution"])
    assert "(not counted: 1 closed issue(s) with no known resolution date)" in cli(
        "analyze").stdout


def test_reopen_and_resolve_keep_the_flag_consistent(project: Path, cli: Invoke) -> None:
    make_tree(project, {SHOWN: UNKNOWN_FIX})
    cli("status", "2", "wont_fix")  # closed to closed: the date stays unknown
    issue = load_issues(load_config(project)).issues[0]
    assert issue.resolved is None and issue.date_unknown("resolved")
    cli("reopen", "2")
    issue = load_issues(load_config(project)).issues[0]
    assert issue.status == "open" and "resolved_unknown" not in issue.extra
    cli("resolve", "2", "--date", "2026-02-01")
    issue = load_issues(load_config(project)).issues[0]
    assert issue.resolved == date(2026, 2, 1) and "resolved_unknown" not in issue.extra
    cli("check")
    cli("set", "2", "status=wont_fix", "resolved=", "resolved_unknown=true")
    cli("set", "2", "resolved=2026-02-02", "resolved_unknown=")  # as the README says
    cli("check")


def test_import_writes_flags_and_check_accepts_them(project: Path, cli: Invoke) -> None:
    (project / "log.md").write_text(textwrap.dedent("""\
        # Bugs

        ## BUG-1: Crash on save

        **Status:** Fixed
        **Date:** 2026-01-05

        ## BUG-2: Slow start

        **Status:** Resolved
        **Fixed on:** 2026-01-09
        """), encoding="utf-8")
    drafts = json.loads(cli("import", "log.md", "--dry-run", "--format", "json").stdout)
    assert [(d["reported"], d["resolved"]) for d in drafts] == [
        ("2026-01-05", None), (None, "2026-01-09")]
    cli("import", "log.md")
    cli("check")
    crash = (project / "issues" / "ISSUE-001-crash-on-save.md").read_text(encoding="utf-8")
    assert "resolved_unknown: true" in crash and "reported: 2026-01-05" in crash
    slow = (project / "issues" / "ISSUE-002-slow-start.md").read_text(encoding="utf-8")
    assert "reported_unknown: true" in slow and "resolved: 2026-01-09" in slow
    assert str(date.today()) not in crash + slow


def test_read_log_never_uses_today_or_the_log_date_for_an_entry() -> None:
    text = "*Last Updated: 2026-03-01*\n\n## BUG-1: Crash\n\n**Status:** Fixed\n"
    crash = read_log(text, CONFIG).drafts[0]
    assert crash.value("reported") is None and crash.value("resolved") is None
    assert crash.extra["reported_unknown"] is True and crash.extra["resolved_unknown"] is True
