"""The weekly series and severity shares in stats.py, and the Mermaid charts of ISSUES.md."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest

from issuelog.config import Config, Severity, load_config
from issuelog.errors import ConfigError
from issuelog.model import Issue
from issuelog.render import render_log
from issuelog.stats import open_severity_counts, summarize, weekly_activity
from tests.conftest import Invoke, issue_text, make_tree


def _issue(number: int, reported: date, status: str = "open", resolved: date | None = None,
           severity: str = "high") -> Issue:
    return Issue(path=Path(f"issues/ISSUE-{number:03d}.md"), id=f"ISSUE-{number:03d}",
                 title=f"Issue {number}", status=status, severity=severity,
                 reported=reported, resolved=resolved)


def test_weeks_count_back_from_the_newest_date_not_today() -> None:
    issues = [
        _issue(1, date(2026, 3, 1)),  # 2026-03-01 is in the first of three weeks ending 03-20
        _issue(2, date(2026, 3, 7), "resolved", date(2026, 3, 13)),
        _issue(3, date(2026, 3, 14), "wont_fix", date(2026, 3, 20)),
        _issue(4, date(2026, 2, 27)),  # before the window: not counted
    ]
    weeks = weekly_activity(issues, Config(), weeks=3)
    assert [(w.start, w.end) for w in weeks] == [
        (date(2026, 2, 28), date(2026, 3, 6)),
        (date(2026, 3, 7), date(2026, 3, 13)),
        (date(2026, 3, 14), date(2026, 3, 20)),
    ]
    assert [w.opened for w in weeks] == [1, 1, 1]
    # Only statuses that count as resolved: the won't-fix closure on 03-20 is not a resolution.
    assert [w.resolved for w in weeks] == [0, 1, 0]


def test_datetimes_count_by_their_day_and_default_is_twelve_weeks() -> None:
    issues = [_issue(1, datetime(2026, 1, 5, 23, 59), "resolved", datetime(2026, 1, 6, 0, 1))]
    weeks = weekly_activity(issues, Config())
    assert len(weeks) == 12
    assert weeks[-1].end == date(2026, 1, 6)
    assert (weeks[-1].opened, weeks[-1].resolved) == (1, 1)
    assert sum(w.opened + w.resolved for w in weeks[:-1]) == 0


def test_no_dated_issue_gives_no_weeks() -> None:
    assert weekly_activity([], Config()) == []


def test_open_severity_counts_add_other_for_unknown_severities() -> None:
    issues = [_issue(1, date(2026, 1, 1), severity="critical"),
              _issue(2, date(2026, 1, 1), severity="critical"),
              _issue(3, date(2026, 1, 1), severity="blocker")]
    rows = open_severity_counts(issues, Config())
    assert [(r.label, r.count) for r in rows] == [
        ("Critical", 2), ("High", 0), ("Medium", 0), ("Low", 0), ("Other", 1)]
    assert rows[0].share == pytest.approx(66.7)


def test_charts_use_the_summary_figures() -> None:
    issues = [_issue(1, date(2026, 1, 1), severity="critical"),
              _issue(2, date(2026, 1, 2), severity="low"),
              _issue(3, date(2026, 1, 3), "resolved", date(2026, 1, 9), severity="low")]
    text = render_log(issues, Config())
    pie = re.search(r"```mermaid\npie showData title Open issues by severity\n(.*?)```", text, re.S)
    assert pie is not None
    assert pie.group(1) == '    "🔴 Critical" : 1\n    "🟢 Low" : 1\n'  # no empty slices
    summary = summarize(issues, Config())
    assert f"    bar [{', '.join(str(w.opened) for w in summary.weekly)}]" in text
    assert "    bar [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1]" in text
    assert "    line [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]" in text
    assert '"12-20", "12-27", "01-03"]' in text
    assert 'y-axis "Issues" 0 --> 2' in text


def test_empty_log_has_no_broken_chart() -> None:
    text = render_log([], Config())
    assert "```mermaid" not in text
    assert "*No open issues*" in text
    assert "*No dated issues yet*" in text


def test_all_zero_weeks_still_have_a_scale() -> None:
    # The newest date is a won't-fix closure: no week has an opened or resolved issue.
    issues = [_issue(1, date(2025, 1, 1), "wont_fix", date(2026, 1, 1))]
    text = render_log(issues, Config())
    assert "    bar [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]" in text
    assert 'y-axis "Issues" 0 --> 1' in text
    assert "*No open issues*" in text


def test_config_switch_turns_charts_off(project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-001-x.md": issue_text()})
    cli("render")
    assert "## Charts" in (project / "ISSUES.md").read_text()
    (project / "issuelog.toml").write_text('project = "Demo"\ncharts = false\n')
    assert load_config(project).charts is False
    stale = cli("render", "--check", code=1)
    assert "-## Charts" in stale.stdout
    cli("render")
    text = (project / "ISSUES.md").read_text()
    assert "## Charts" not in text and "mermaid" not in text
    cli("check")
    cli("render", "--check")


def test_charts_switch_must_be_a_boolean(project: Path, cli: Invoke) -> None:
    (project / "issuelog.toml").write_text('charts = "no"\n')
    with pytest.raises(ConfigError, match="'charts' must be true or false"):
        load_config(project)
    result = cli("render", code=2)
    assert "issuelog.toml: 'charts' must be true or false" in result.stderr


def test_mermaid_labels_cannot_break_out_of_their_quotes() -> None:
    config = Config(severities=(Severity("odd", 'Say "hi"\nthere', "⛔"),))
    issues = [_issue(1, date(2026, 1, 1), severity="odd")]
    text = render_log(issues, config)
    assert "    \"⛔ Say 'hi' there\" : 1\n" in text
