"""Reference-only entries: knowledge (symptom, cause, solution) listed in the log, counted nowhere."""

from __future__ import annotations

import json
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest

from issuelog.core.cache import load_issues
from issuelog.core.config import Config, load_config
from issuelog.core.model import Issue, parse_issue, validate_issue
from issuelog.importer import log_date, read_log
from issuelog.log.error_analysis import analyze
from issuelog.log.stats import time_to_resolve
from issuelog.log.summary import summarize
from issuelog.ops.metrics import metrics_text
from issuelog.project.scaffold import create_issue
from tests.conftest import Invoke, issue_text, make_tree
from tests.test_metrics import samples

FIXTURES = Path(__file__).parent / "fixtures" / "import"
SHOWN = "issues/ISSUE-002-connection-refused.md"
CONFIG = Config(root=Path("/nonexistent"))

REFERENCE_ENTRY = """\
---
id: ISSUE-002
title: Connection refused
status: resolved
severity: medium
reported:
resolved:
reference:
  area: Database Issues
  cause: DB not running
  solution: make up
reference_only: true
---

## Resolution

make up
"""


def parsed(text: str, name: str = SHOWN) -> tuple[Issue, list[str]]:
    """An issue parsed and validated under the default configuration, with its problems."""
    issue, problems = parse_issue(Path(name), text, name)
    assert issue is not None
    return issue, [str(p) for p in problems + validate_issue(issue, CONFIG, name)]


# --- the field and its rules ----------------------------------------------------------------------

def test_a_reference_entry_needs_no_dates() -> None:
    issue, problems = parsed(REFERENCE_ENTRY)
    assert problems == []
    assert issue.reference_only is True and issue.reported is None and issue.resolved is None


@pytest.mark.parametrize(("change", "expected"), [
    (("reference_only: true", "reference_only: yes please"),
     f"{SHOWN}:12: 'reference_only' must be true or false, got 'yes please'"),
    (("status: resolved", "status: open"),
     f"{SHOWN}:4: a reference-only entry cannot be open: to track it as an issue, remove "
     "'reference_only' and give it a 'reported' date"),
    (("reference:\n  area: Database Issues\n  cause: DB not running\n  solution: make up\n", ""),
     f"{SHOWN}:8: 'reference_only' is set but there is no 'reference' (area, cause, solution) to "
     "list the entry in"),
    (("reference_only: true", "reference_only: false"),
     f"{SHOWN}:6: missing required field 'reported'"),
])
def test_the_rules_of_reference_entries(change: tuple[str, str], expected: str) -> None:
    _, problems = parsed(REFERENCE_ENTRY.replace(*change))
    assert expected in problems


def test_dates_a_reference_entry_has_are_still_checked() -> None:
    text = REFERENCE_ENTRY.replace("reported:\n", "reported: 2026-01-10\n").replace(
        "resolved:\n", "resolved: 2026-01-02\n")
    _, problems = parsed(text)
    assert problems == [f"{SHOWN}:7: resolved 2026-01-02 is before reported 2026-01-10"]


# --- figures ------------------------------------------------------------------------------------

def _issues(tmp_path: Path) -> list[Issue]:
    """One real issue fixed in two days, and a dated reference entry (both resolved)."""
    make_tree(tmp_path, {
        "issues/ISSUE-001-slow.md": issue_text("ISSUE-001", "Slow", "resolved", "critical",
                                               "2026-01-10", extra="resolved: 2026-01-12\n"
                                               "phase: Phase 1\ncomponent: api\n"),
        f"{SHOWN}": REFERENCE_ENTRY.replace("reported:\n", "reported: 2026-03-01\n").replace(
            "resolved:\n", "resolved: 2026-03-01\ncomponent: db\nphase: Phase 1\n"),
    })
    result = load_issues(Config(root=tmp_path))
    assert result.problems == []
    return result.issues


def test_summary_lists_reference_entries_and_counts_only_real_issues(tmp_path: Path) -> None:
    issues = _issues(tmp_path)
    summary = summarize(issues, CONFIG)
    assert [i.id for i in summary.issues] == ["ISSUE-001", "ISSUE-002"]
    assert [i.id for i in summary.tracked] == ["ISSUE-001"]
    assert summary.reference_only == 1
    assert [(area, [i.id for i in members]) for area, members in summary.reference] == [
        ("Database Issues", ["ISSUE-002"])]
    assert summary.total == 1
    assert {c.name: c.count for c in summary.status_counts}["resolved"] == 1
    assert [(p, [i.id for i in m]) for p, m in summary.resolved_by_phase] == [
        ("Phase 1", ["ISSUE-001"])]
    assert [(row.phase, row.total, row.resolved) for row in summary.phase_rows] == [
        ("Phase 1", 1, 1)]
    assert [c.name for c in summary.components] == ["api"]
    critical, _, medium, _ = summary.resolution_rows
    assert (critical.resolved, critical.average) == (1, timedelta(days=2))
    assert (medium.resolved, medium.average) == (0, None)
    # Its March date neither moves Last Updated nor shows in the weekly chart.
    assert summary.last_updated == date(2026, 1, 12)
    assert sum(w.opened for w in summary.weekly) == sum(w.resolved for w in summary.weekly) == 1
    assert time_to_resolve(issues[1]) is None


def test_analysis_and_metrics_leave_reference_entries_out(tmp_path: Path) -> None:
    issues = _issues(tmp_path)
    analysis = analyze(issues, CONFIG, days=60, today=date(2026, 3, 1))
    assert analysis.summary.total == 1 and analysis.total_occurrences == 1
    assert [c.component for c in analysis.components] == ["api"]
    # ISSUE-001 counts on its days; the reference entry's date (the last day) counts nothing.
    assert sum(day.created for day in analysis.trend) == sum(d.resolved for d in analysis.trend) == 1
    assert (analysis.trend[-1].day, analysis.trend[-1].created) == (date(2026, 3, 1), 0)
    figures = samples(metrics_text(issues, CONFIG))
    assert figures[("issuelog_issues_created_total", (("category", "none"), ("component", "api"),
                                                     ("severity", "critical")))] == 1
    assert not any(labels and ("component", "db") in labels for _, labels in figures)
    assert figures[("issuelog_issue_resolution_seconds_count", ())] == 1


def test_scaffold_invents_no_date_for_a_reference_entry(project: Path, config: Config) -> None:
    create_issue(config, {"title": "Connection refused", "status": "resolved", "severity": "low"},
               extra={"reference": {"area": "Database", "solution": "make up"},
                      "reference_only": True})
    issue = load_issues(config).issues[0]
    assert issue.reported is None and issue.resolved is None and issue.reference_only


# --- the importer -------------------------------------------------------------------------------

def test_master_log_reference_rows_are_dated_by_the_log_not_the_import() -> None:
    text = (FIXTURES / "master-log-template.md").read_text(encoding="utf-8")
    plan = read_log(text, CONFIG)
    assert len(plan.drafts) == 10
    for draft in plan.drafts:
        assert draft.extra["reference_only"] is True
        assert draft.value("status") == "resolved"
        assert draft.value("reported") == date(2026, 1, 10)  # *Last Updated: 2026-01-10*
        assert draft.value("resolved") is None


def test_without_a_log_date_reference_rows_stay_undated_and_entries_get_no_invented_date() -> None:
    text = textwrap.dedent("""\
        # Log

        ## BUG-1: Crash on save

        **Status:** Open

        ## Troubleshooting

        | Issue | Cause | Solution | Status |
        |-------|-------|----------|--------|
        | Port in use | Old server | Kill it | |
        | Disk full | Logs | | Open |
        """)
    crash, port, disk = read_log(text, CONFIG).drafts
    assert crash.value("reported") is None and crash.extra["reported_unknown"] is True
    assert port.extra["reference_only"] is True
    assert port.value("reported") is None and port.value("resolved") is None
    # A row that says it is open is work to do: an issue like any other, not knowledge.
    assert disk.value("status") == "open" and "reference_only" not in disk.extra
    assert disk.value("reported") is None and disk.extra["reported_unknown"] is True


@pytest.mark.parametrize(("lines", "expected"), [
    (["*Last Updated: 2026-01-10*"], date(2026, 1, 10)),
    (["**Last Updated**: 2024-01-24  ", "**Next Review**: 2024-02-01"], date(2024, 1, 24)),
    (["Last updated: Jan 5, 2025", "last-modified: 2025-03-02"], date(2025, 3, 2)),
    (["The table was last updated by hand.", "Updated: 2026-01-01"], None),
])
def test_the_log_date_comes_from_its_last_updated_lines(lines: list[str], expected: date) -> None:
    assert log_date(lines) == expected


# --- end to end ---------------------------------------------------------------------------------

def test_import_then_render_and_analyze_shows_no_invented_history(project: Path,
                                                                  cli: Invoke) -> None:
    (project / "master-log.md").write_bytes((FIXTURES / "master-log-template.md").read_bytes())
    dry = json.loads(cli("import", "master-log.md", "--dry-run", "--format", "json").stdout)
    assert {(row["reported"], row["resolved"], row["reference_only"]) for row in dry} == {
        ("2026-01-10", None, True)}
    cli("import", "master-log.md")
    assert "10 issue(s) checked, no problems" in cli("check").stderr  # every file written
    cli("render")
    log = (project / "ISSUES.md").read_text(encoding="utf-8")
    assert "| **Total** | **0** |" in log
    assert ("*Not counted in any figure: 10 reference-only entries (knowledge without dates), "
            "listed in the [Common Issues Reference](#common-issues-reference).*") in log
    assert "## Resolved Issues\n\n*None yet*\n" in log
    assert "*No dated issues yet*" in log and "same day" not in log
    assert "| Connection refused ([ISSUE-001](issues/ISSUE-001-connection-refused.md)) | " \
           "DB not running | `make up` to start Docker |" in log
    analysis = json.loads(cli("analyze", "--format", "json").stdout)
    assert analysis["statistics"]["total"] == 0
    assert all(row["resolved"] == 0 for row in analysis["resolution"])
    assert all(day["created"] == day["resolved"] == 0 for day in analysis["trend"])
    listed = json.loads(cli("list", "--all", "--format", "json").stdout)
    assert len(listed) == 10 and all(row["reference_only"] for row in listed)
    assert all(row["time_to_resolve_hours"] is None for row in listed)
    assert "reference_only: true" in cli("show", "1").stdout
    page = cli("export", "--format", "html").stdout
    assert "0 issues · 0 open · 10 reference-only (not counted)" in page


def test_status_edits_keep_reference_entries_undated(project: Path, cli: Invoke) -> None:
    make_tree(project, {SHOWN: REFERENCE_ENTRY})
    cli("status", "2", "wont_fix")
    issue = load_issues(load_config(project)).issues[0]
    assert issue.status == "wont_fix" and issue.resolved is None and issue.reference_only
    before = (project / SHOWN).read_bytes()
    refused = cli("reopen", "2", code=1)
    assert "a reference-only entry cannot be open" in refused.stdout + refused.stderr
    assert (project / SHOWN).read_bytes() == before
    changed = cli("set", "2", "reference_only=", "status=open", "reported=2026-02-01").stdout
    assert "ISSUE-002 reference_only: true -> (empty)" in changed
    cli("check")


def test_importing_again_upgrades_reference_rows_of_an_earlier_import(project: Path,
                                                                      cli: Invoke) -> None:
    (project / "master-log.md").write_bytes((FIXTURES / "master-log-template.md").read_bytes())
    cli("import", "master-log.md")
    # As an import before reference entries wrote them: resolved on the day of the import.
    old_style = next((project / "issues").glob("ISSUE-001-*.md"))
    text = old_style.read_text(encoding="utf-8").replace("reference_only: true\n", "")
    text = text.replace("reported: 2026-01-10\nresolved:\n",
                        "reported: 2026-11-01\nresolved: 2026-11-01\n")
    old_style.write_text(text, encoding="utf-8")
    assert "reference_only" not in text and "resolved: 2026-11-01" in text
    dry = cli("import", "master-log.md", "--dry-run")
    assert "already imported as ISSUE-001; skipped (would be made a reference entry" in dry.stderr
    result = cli("import", "master-log.md")
    assert "imported 0 issue(s)" in result.stderr and "1 earlier one(s) made reference" in result.stderr
    upgraded = old_style.read_text(encoding="utf-8")
    assert "reference_only: true" in upgraded and "2026-11-01" not in upgraded
    assert "10 issue(s) checked, no problems" in cli("check").stderr
    again = cli("import", "master-log.md")
    assert "made reference" not in again.stderr  # nothing left to upgrade
