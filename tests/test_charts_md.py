"""The weekly series and severity shares (log/weeks.py, log/summary.py); the Mermaid charts of ISSUES.md."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest

from issuelog.core.config import Config, Severity, load_config
from issuelog.core.model import Issue
from issuelog.errors import ConfigError
from issuelog.log.render import render_log
from issuelog.log.summary import open_severity_counts, summarize
from issuelog.log.weeks import weekly_activity
from tests.conftest import Invoke, issue_text, make_tree


def _issue(number: int, reported: date, status: str = "open", resolved: date | None = None,
           severity: str = "high") -> Issue:
    return Issue(path=Path(f"issues/ISSUE-{number:03d}.md"), id=f"ISSUE-{number:03d}",
                 title=f"Issue {number}", status=status, severity=severity,
                 reported=reported, resolved=resolved)


def test_weeks_are_the_mondays_of_the_newest_dates_quarter_not_todays() -> None:
    issues = [
        _issue(1, date(2026, 3, 1)),  # a Sunday: the week of Monday 02-23
        _issue(2, date(2026, 3, 2), "resolved", date(2026, 3, 13)),
        _issue(3, date(2026, 3, 14), "wont_fix", date(2026, 3, 20)),
        _issue(4, date(2025, 12, 28)),  # the quarter before: not counted
    ]
    weeks = weekly_activity(issues, Config())
    # 2026 Q1 runs from Thursday 01-01 to Tuesday 03-31: the weeks of 2025-12-29 to 2026-03-30.
    assert (weeks[0].start, weeks[-1].end) == (date(2025, 12, 29), date(2026, 4, 5))
    assert len(weeks) == 14 and all(w.start.weekday() == 0 for w in weeks)
    opened = {w.start: w.opened for w in weeks if w.opened}
    assert opened == {date(2026, 2, 23): 1, date(2026, 3, 2): 1, date(2026, 3, 9): 1}
    # Only statuses that count as resolved: the won't-fix closure on 03-20 is not a resolution.
    assert {w.start: w.resolved for w in weeks if w.resolved} == {date(2026, 3, 9): 1}


def test_a_new_issue_changes_only_its_own_week() -> None:
    issues = [_issue(1, date(2026, 1, 5)), _issue(2, date(2026, 2, 10))]
    before = weekly_activity(issues, Config())
    after = weekly_activity([*issues, _issue(3, date(2026, 2, 20))], Config())
    assert [w.start for w in after] == [w.start for w in before]
    changed = [w.start for w, old in zip(after, before, strict=True) if w != old]
    assert changed == [date(2026, 2, 16)]


def test_datetimes_count_by_their_day() -> None:
    issues = [_issue(1, datetime(2026, 1, 4, 23, 59), "resolved", datetime(2026, 1, 5, 0, 1))]
    weeks = weekly_activity(issues, Config())
    assert [(w.start, w.opened, w.resolved) for w in weeks[:2]] == [
        (date(2025, 12, 29), 1, 0), (date(2026, 1, 5), 0, 1)]
    assert sum(w.opened + w.resolved for w in weeks[2:]) == 0


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
    pie = re.search(r"```mermaid\n%%\{init: .*?\}%%\npie showData title Open issues by severity\n"
                    r"(.*?)```", text, re.S)
    assert pie is not None
    assert pie.group(1) == '    "🔴 Critical" : 1\n    "🟢 Low" : 1\n'  # no empty slices
    summary = summarize(issues, Config())
    assert f"    bar [{', '.join(str(w.opened) for w in summary.weekly)}]" in text
    assert "    bar [3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]" in text
    assert "    line [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]" in text
    assert 'x-axis ["12-29", "01-05", "01-12", ' in text and '"03-30"]' in text
    assert 'title "Opened and resolved per week, 2026 Q1"' in text
    # At least ten, in tens: Mermaid's ten ticks are whole numbers, and the scale seldom moves.
    assert 'y-axis "Issues" 0 --> 10' in text


def test_pie_colours_follow_the_severity_emoji_largest_slice_first() -> None:
    issues = [_issue(1, date(2026, 1, 1), severity="critical"),
              *(_issue(n, date(2026, 1, 1), severity="low") for n in (2, 3)),
              _issue(4, date(2026, 1, 1), severity="medium")]
    text = render_log(issues, Config())
    init, *slices = text.split("```mermaid\n", 1)[1].split("```", 1)[0].splitlines()[:4]
    # Mermaid draws the largest slice first and gives it pie1: the lines come in that order.
    assert init == ('%%{init: {"theme": "base", "themeVariables": {"pie1": "#2da44e", '
                    '"pie2": "#d1242f", "pie3": "#d4a72c"}}}%%')
    assert slices[1:] == ['    "🟢 Low" : 2', '    "🔴 Critical" : 1']
    assert '"plotColorPalette": "#0969da, #2da44e"' in text  # blue bars, green line
    assert "Blue bars: issues opened; green line: issues resolved." in text


def test_empty_log_has_no_broken_chart() -> None:
    text = render_log([], Config())
    assert "```mermaid" not in text
    assert "*No open issues*" in text
    assert "*No dated issues yet*" in text


def test_all_zero_weeks_still_have_a_scale() -> None:
    # The newest date is a won't-fix closure: no week has an opened or resolved issue.
    issues = [_issue(1, date(2025, 1, 1), "wont_fix", date(2026, 1, 1))]
    text = render_log(issues, Config())
    assert "    bar [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]" in text
    assert 'y-axis "Issues" 0 --> 10' in text
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
