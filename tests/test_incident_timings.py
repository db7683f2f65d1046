"""Incident timelines: their order (`check`), `ack` and `mitigate`, and the figures of 30 incidents.

The figures are checked against a table computed by hand (below, with the arithmetic). The
percentiles use the nearest-rank method: the p-th percentile of n sorted durations is the one at
rank ceil(p * n / 100), counting from 1.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from issuelog.core.cache import load_issues
from issuelog.core.config import load_config
from issuelog.log.error_analysis import analyze
from issuelog.log.metric_counts import metric_counts
from issuelog.log.render import render_log
from issuelog.log.summary import summarize
from issuelog.log.timings import nearest_rank
from tests.conftest import Invoke, issue_text

# Each incident: (id, severity, status, reported, resolved, started, detected, acknowledged,
# mitigated); "" is a key the file leaves out. Critical incidents are all on 2026-03-10.
C, H = "2026-03-10", "2026-03-11"
INCIDENTS = [
    ("ISSUE-001", "critical", "resolved", f"{C} 10:05", f"{C} 11:00",
     f"{C} 10:00", f"{C} 10:05", f"{C} 10:10", f"{C} 10:30"),
    ("ISSUE-002", "critical", "resolved", f"{C} 10:10", f"{C} 13:00",
     f"{C} 10:00", f"{C} 10:10", f"{C} 10:30", f"{C} 11:00"),
    ("ISSUE-003", "critical", "resolved", f"{C} 10:00", f"{C} 15:00",
     "", f"{C} 10:00", f"{C} 10:02", f"{C} 10:20"),
    ("ISSUE-004", "critical", "resolved", f"{C} 10:20", f"{C} 12:00",
     f"{C} 10:00", f"{C} 10:20", "", f"{C} 10:40"),
    ("ISSUE-005", "critical", "open", f"{C} 10:03", "",
     f"{C} 10:00", f"{C} 10:03", f"{C} 10:08", ""),
    ("ISSUE-006", "critical", "resolved", f"{C} 10:30", f"{C} 16:30",
     f"{C} 10:00", f"{C} 10:30", f"{C} 10:50", f"{C} 11:30"),
    ("ISSUE-007", "critical", "resolved", f"{C} 10:01", f"{C} 10:31",
     f"{C} 10:00", f"{C} 10:01", f"{C} 10:04", f"{C} 10:10"),
    ("ISSUE-008", "critical", "resolved", f"{C} 10:00", f"{C} 11:00", "", "", "", ""),
    ("ISSUE-009", "critical", "resolved", f"{C} 10:15", f"{C} 12:15",
     f"{C} 10:00", f"{C} 10:15", f"{C} 10:16", f"{C} 10:45"),
    ("ISSUE-010", "critical", "resolved", f"{C} 10:08", f"{C} 13:08",
     f"{C} 10:00", f"{C} 10:08", f"{C} 10:40", f"{C} 11:10"),
    ("ISSUE-011", "high", "resolved", f"{H} 10:00", f"{H} 18:00",
     f"{H} 09:00", f"{H} 10:00", f"{H} 11:00", f"{H} 12:00"),
    ("ISSUE-012", "high", "resolved", f"{H} 09:00", "2026-03-12 12:00",
     "", f"{H} 09:00", f"{H} 09:30", ""),
    ("ISSUE-013", "high", "in_progress", f"{H} 08:30", "", f"{H} 08:00", f"{H} 08:30", "", ""),
    ("ISSUE-014", "high", "resolved", f"{H} 14:00", f"{H} 22:00",
     f"{H} 10:00", f"{H} 14:00", f"{H} 16:00", f"{H} 20:00"),
    ("ISSUE-015", "high", "open", f"{H} 10:00", "", "", "", "", ""),
    ("ISSUE-016", "high", "resolved", f"{H} 07:45", "2026-03-13 07:45",
     f"{H} 07:00", f"{H} 07:45", "2026-03-12 09:45", "2026-03-12 10:00"),
    ("ISSUE-017", "high", "resolved", f"{H} 12:00", f"{H} 13:00", "", f"{H} 12:00", f"{H} 12:10", ""),
    # Won't fix: closed with a date, but not fixed, so not in time to resolve.
    ("ISSUE-018", "high", "wont_fix", f"{H} 11:20", f"{H} 12:00", f"{H} 11:00", f"{H} 11:20", "", ""),
    ("ISSUE-019", "high", "resolved", f"{H} 09:00", f"{H} 15:00",
     f"{H} 06:00", f"{H} 09:00", f"{H} 09:05", f"{H} 09:50"),
    ("ISSUE-020", "high", "resolved", f"{H} 10:30", f"{H} 20:30",
     f"{H} 10:00", f"{H} 10:30", f"{H} 10:45", f"{H} 11:30"),
    # Medium: plain days for reported and resolved, so time to resolve is in whole days.
    ("ISSUE-021", "medium", "resolved", "2026-03-02", "2026-03-05", "", "", "", ""),
    ("ISSUE-022", "medium", "resolved", "2026-03-02", "2026-03-12", "", "", "", ""),
    ("ISSUE-023", "medium", "resolved", "2026-03-02", "2026-03-06",
     "", "2026-03-02 09:00", "2026-03-04 09:00", ""),
    ("ISSUE-024", "medium", "open", "2026-03-03", "", "", "2026-03-03 10:00", "2026-03-07 10:00", ""),
    ("ISSUE-025", "medium", "resolved", "2026-03-03", "2026-03-03",
     "2026-03-01 08:00", "2026-03-03 08:00", "", ""),
    ("ISSUE-026", "medium", "open", "2026-03-04", "", "", "", "", ""),
    ("ISSUE-027", "medium", "resolved", "2026-03-05", "2026-03-08",
     "", "2026-03-05 12:00", "2026-03-05 18:00", "2026-03-06 12:00"),
    ("ISSUE-028", "medium", "resolved", "2026-03-06", "2026-03-06", "", "", "", ""),
    ("ISSUE-029", "medium", "resolved", "2026-03-01", "2026-03-09", "", "", "", ""),
    # A duplicate: closed, not fixed.
    ("ISSUE-030", "medium", "duplicate", "2026-03-07", "2026-03-08", "", "", "", ""),
]
KEYS = ("resolved", "started", "detected", "acknowledged", "mitigated")


def _minutes(count: float) -> timedelta:
    return timedelta(minutes=count)


HOUR, DAY = 60, 24 * 60
# The hand-computed table: (severity, interval) -> (n, median, p90, breaches). Breaches count
# durations longer than the target: acknowledge against the Response Time (critical 15m,
# high 24h, medium 3 days), resolve against the Target SLA (critical 4h, high 24h, medium 1w).
EXPECTED = {
    # Critical. detect = detected - started, for the 8 with both (003 and 008 have no start):
    # 5, 10, 20, 3, 30, 1, 15, 8 -> sorted 1 3 5 8 10 15 20 30.
    # median rank ceil(0.5 * 8) = 4 -> 8m; p90 rank ceil(0.9 * 8) = ceil(7.2) = 8 -> 30m.
    ("critical", "detect"): (8, _minutes(8), _minutes(30), 0),
    # acknowledge = acknowledged - detected (004 and 008 have none): 5, 20, 2, 5, 20, 3, 1, 32
    # -> 1 2 3 5 5 20 20 32; rank 4 -> 5m, rank 8 -> 32m; over 15m: 20, 20, 32 = 3 of 8.
    ("critical", "acknowledge"): (8, _minutes(5), _minutes(32), 3),
    # mitigate = mitigated - detected (005 and 008 have none): 25, 50, 20, 20, 60, 9, 30, 62
    # -> 9 20 20 25 30 50 60 62; rank 4 -> 25m, rank 8 -> 62m.
    ("critical", "mitigate"): (8, _minutes(25), _minutes(62), 0),
    # resolve = resolved - reported, the 9 resolved (005 is open): 55, 170, 300, 100, 360, 30,
    # 60, 120, 180 -> 30 55 60 100 120 170 180 300 360; rank ceil(4.5) = 5 -> 120m;
    # rank ceil(8.1) = 9 -> 360m; over 4h (240m): 300, 360 = 2 of 9.
    ("critical", "resolve"): (9, _minutes(120), _minutes(360), 2),
    # High. detect: 011 60, 013 30, 014 240, 016 45, 018 20, 019 180, 020 30 (n 7)
    # -> 20 30 30 45 60 180 240; rank ceil(3.5) = 4 -> 45m; rank ceil(6.3) = 7 -> 240m.
    ("high", "detect"): (7, _minutes(45), _minutes(240), 0),
    # acknowledge: 011 60, 012 30, 014 120, 016 26h = 1560, 017 10, 019 5, 020 15 (n 7)
    # -> 5 10 15 30 60 120 1560; rank 4 -> 30m; rank 7 -> 1560m; over 24h: 1560 = 1 of 7.
    ("high", "acknowledge"): (7, _minutes(30), _minutes(1560), 1),
    # mitigate: 011 120, 014 360, 016 07:45 to next day 10:00 = 26h15m = 1575, 019 50, 020 60
    # (n 5) -> 50 60 120 360 1575; rank ceil(2.5) = 3 -> 120m; rank ceil(4.5) = 5 -> 1575m.
    ("high", "mitigate"): (5, _minutes(120), _minutes(1575), 0),
    # resolve, the 7 resolved (013, 015 open; 018 won't fix): 011 8h, 012 27h, 014 8h,
    # 016 48h, 017 1h, 019 6h, 020 10h -> 1 6 8 8 10 27 48 hours; rank 4 -> 8h; rank 7 -> 48h;
    # over 24h: 27h, 48h = 2 of 7.
    ("high", "resolve"): (7, _minutes(8 * HOUR), _minutes(48 * HOUR), 2),
    # Medium. detect: only 025 (2026-03-01 08:00 to 2026-03-03 08:00) = 2 days.
    ("medium", "detect"): (1, _minutes(2 * DAY), _minutes(2 * DAY), 0),
    # acknowledge: 023 2 days, 024 4 days, 027 6h -> 6h 2d 4d; rank ceil(1.5) = 2 -> 2 days;
    # rank ceil(2.7) = 3 -> 4 days; over 3 days: 4 days = 1 of 3.
    ("medium", "acknowledge"): (3, _minutes(2 * DAY), _minutes(4 * DAY), 1),
    # mitigate: only 027, 2026-03-05 12:00 to 2026-03-06 12:00 = 1 day.
    ("medium", "mitigate"): (1, _minutes(DAY), _minutes(DAY), 0),
    # resolve in whole days, the 7 resolved (030 is a duplicate, 024 and 026 open):
    # 021 3, 022 10, 023 4, 025 0, 027 3, 028 0, 029 8 -> 0 0 3 3 4 8 10; rank 4 -> 3 days;
    # rank 7 -> 10 days; over 1 week: 8, 10 = 2 of 7.
    ("medium", "resolve"): (7, _minutes(3 * DAY), _minutes(10 * DAY), 2),
}
# Breach rates in percent, to one decimal: 3/8 = 37.5, 2/9 = 22.2, 1/7 = 14.3, 2/7 = 28.6,
# 1/3 = 33.3, 2/7 = 28.6; an interval without a target (detect, mitigate) has none.
EXPECTED_RATES = {
    ("critical", "acknowledge"): 37.5, ("critical", "resolve"): 22.2,
    ("high", "acknowledge"): 14.3, ("high", "resolve"): 28.6,
    ("medium", "acknowledge"): 33.3, ("medium", "resolve"): 28.6,
}


def _incident_file(row: tuple[str, ...]) -> str:
    issue_id, severity, status, reported, *moments = row
    extra = "\n".join(f'{key}: "{value}"' if " " in value else f"{key}: {value}"
                      for key, value in zip(KEYS, moments, strict=True) if value)
    return issue_text(issue_id, f"Incident {issue_id[-3:]}", status, severity,
                      f'"{reported}"' if " " in reported else reported, extra)


@pytest.fixture
def incidents(project: Path) -> Path:
    """The project fixture with the 30 incidents."""
    for row in INCIDENTS:
        (project / "issues" / f"{row[0]}.md").write_text(_incident_file(row), encoding="utf-8")
    return project


def test_nearest_rank_by_hand() -> None:
    values = [_minutes(m) for m in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)]
    # n = 10: median rank ceil(5) = 5, p90 rank ceil(9) = 9, p100 rank 10, p1 rank ceil(0.1) = 1.
    assert nearest_rank(values, 50) == _minutes(5)
    assert nearest_rank(values, 90) == _minutes(9)
    assert nearest_rank(values, 100) == _minutes(10)
    assert nearest_rank(values, 1) == _minutes(1)


def test_thirty_incidents_match_the_hand_computed_table(incidents: Path, cli: Invoke) -> None:
    cli("check")
    config = load_config(incidents)
    result = load_issues(config)
    assert not result.problems and len(result.issues) == 30
    rows = summarize(result.issues, config).timings
    got = {(r.severity.name, r.interval.name): (r.count, r.median, r.p90, r.breaches) for r in rows}
    assert got == EXPECTED
    rates = {(r.severity.name, r.interval.name): r.breach_rate for r in rows
             if r.breach_rate is not None}
    assert rates == EXPECTED_RATES
    # Low has no incidents: no row at all, rather than a row of dashes.
    assert all(r.severity.name != "low" for r in rows)


def test_the_log_shows_the_table_and_analyze_agrees(incidents: Path, cli: Invoke) -> None:
    config = load_config(incidents)
    text = render_log(load_issues(config).issues, config)
    section = text.split("### Incident Timings")[1].split("\n---\n")[0]
    assert "| 🔴 Critical | Time to acknowledge | 8 | 5m | 32m | 3 of 8 (37.5%) over 15 minutes |" in section
    assert "| 🟠 High | Time to resolve | 7 | 8h | 2 days | 2 of 7 (28.6%) over 24 hours |" in section
    assert "| 🟡 Medium | Time to detect | 1 | 2 days | 2 days | — |" in section
    data = json.loads(cli("analyze", "--format", "json").stdout)
    by_key = {(t["severity"], t["interval"]): t for t in data["timings"]}
    assert {key: (t["count"], t["median_seconds"], t["p90_seconds"], t["breaches"])
            for key, t in by_key.items()} == {
        key: (n, int(median.total_seconds()), int(p90.total_seconds()), breaches)
        for key, (n, median, p90, breaches) in EXPECTED.items()}
    assert by_key[("critical", "resolve")]["breach_rate"] == 22.2
    assert "Time to mitigate" in cli("analyze").stdout


def test_metrics_give_a_histogram_per_interval(incidents: Path, cli: Invoke) -> None:
    config = load_config(incidents)
    counts = metric_counts(load_issues(config).issues, config)
    # 8 + 7 + 1 detect durations (critical, high, medium), and so on.
    assert {name: len(values) for name, values in counts.intervals.items()} == {
        "detect": 16, "acknowledge": 18, "mitigate": 14, "resolve": 23}
    text = cli("metrics").stdout
    # Critical detect 1, 3, 5 and high none: three detect durations are at most 5 minutes.
    assert 'issuelog_incident_interval_seconds_bucket{interval="detect",le="300.0"} 3.0' in text
    assert 'issuelog_incident_interval_seconds_count{interval="acknowledge"} 18.0' in text


def test_a_log_without_timelines_has_no_timings_section(project: Path) -> None:
    (project / "issues" / "ISSUE-001.md").write_text(
        issue_text(status="resolved", extra="resolved: 2026-01-12"), encoding="utf-8")
    config = load_config(project)
    issues = load_issues(config).issues
    assert "Incident Timings" not in render_log(issues, config)
    # analyze still gives the resolve percentiles: 2 days, n 1.
    rows = analyze(issues, config).timings
    assert [(r.interval.name, r.count, r.median) for r in rows] == [("resolve", 1, _minutes(2 * DAY))]


@pytest.mark.parametrize(("extra", "line", "message"), [
    ('started: "2026-01-10 10:00"\ndetected: "2026-01-10 09:00"', 8,
     "'detected' 2026-01-10 09:00 is before 'started' 2026-01-10 10:00"),
    ('detected: "2026-01-10 10:00"\nacknowledged: "2026-01-10 11:00"\nmitigated: "2026-01-10 10:30"',
     9, "'mitigated' 2026-01-10 10:30 is before 'acknowledged' 2026-01-10 11:00"),
    # A missing moment is skipped: mitigated is compared with detected.
    ('detected: "2026-01-10 10:00"\nmitigated: "2026-01-10 09:59"', 8,
     "'mitigated' 2026-01-10 09:59 is before 'detected' 2026-01-10 10:00"),
    ('started: "2026-01-11 10:00"', 6, "'reported' 2026-01-10 is before 'started' 2026-01-11 10:00"),
])
def test_check_enforces_the_timeline_order(project: Path, cli: Invoke, extra: str, line: int,
                                           message: str) -> None:
    (project / "issues" / "ISSUE-001.md").write_text(issue_text(extra=extra), encoding="utf-8")
    out = cli("check", code=1).stdout
    assert f"issues/ISSUE-001.md:{line}: {message}" in out


def test_ack_and_mitigate_write_files_that_pass_check(project: Path, cli: Invoke) -> None:
    path = project / "issues" / "ISSUE-001.md"
    path.write_text(issue_text(extra='detected: "2026-01-10 09:00"'), encoding="utf-8")
    cli("ack", "1", "--at", "2026-01-10 09:07")
    cli("mitigate", "1", "--at", "2026-01-10T09:30")
    text = path.read_text(encoding="utf-8")
    assert "acknowledged: 2026-01-10 09:07\n" in text and "mitigated: 2026-01-10 09:30\n" in text
    cli("check")
    # Without --at a recorded moment stays; a moment before detection is refused, file kept.
    assert "unchanged" in cli("ack", "1").stderr
    refused = cli("mitigate", "1", "--at", "2026-01-10 08:00", code=1).stderr
    assert "ISSUE-001.md:9: 'mitigated' 2026-01-10 08:00 is before 'acknowledged'" in refused
    assert path.read_text(encoding="utf-8") == text
    assert "--at must be a time" in cli("ack", "1", "--at", "yesterday", code=2).stderr


def test_ack_without_at_uses_the_clock_to_the_minute(project: Path, cli: Invoke) -> None:
    path = project / "issues" / "ISSUE-001.md"
    path.write_text(issue_text(reported="2026-01-10"), encoding="utf-8")
    cli("ack", "1")
    line = next(li for li in path.read_text(encoding="utf-8").splitlines()
                if li.startswith("acknowledged: "))
    assert len(line) == len("acknowledged: 2026-01-10 09:07")
    cli("check")


def test_the_html_export_shows_each_timeline_and_the_timings(incidents: Path, cli: Invoke) -> None:
    page = cli("export", "--format", "html").stdout
    assert "<h3>Incident Timings</h3>" in page
    assert "<td>Time to acknowledge</td><td class=\"number\">8</td><td>5m</td><td>32m</td>" in page
    article = page.split('id="ISSUE-016"')[1].split("</article>")[0]
    assert ('<li>Started <span class="date">2026-03-11 07:00</span></li>'
            '<li>Detected <span class="date">2026-03-11 07:45</span></li>') in article
    assert '<li>Mitigated <span class="date">2026-03-12 10:00</span></li>' in article
    # No timeline, no list.
    assert "Timeline" not in page.split('id="ISSUE-021"')[1].split("</article>")[0]


def test_patterns_give_occurrences_by_fingerprint_and_the_reopen_rate(project: Path,
                                                                        cli: Invoke) -> None:
    files = {
        "ISSUE-001": issue_text("ISSUE-001", status="resolved",
                                extra="resolved: 2026-01-11\nfingerprint: abc\noccurrences: 3"),
        "ISSUE-002": issue_text("ISSUE-002", extra="fingerprint: abc\noccurrences: 2\n"
                                                   "tags: [regression]"),
        "ISSUE-003": issue_text("ISSUE-003", extra="fingerprint: def\noccurrences: 7"),
        "ISSUE-004": issue_text("ISSUE-004", status="wont_fix", extra="resolved: 2026-01-12"),
    }
    for name, text in files.items():
        (project / "issues" / f"{name}.md").write_text(text, encoding="utf-8")
    config = load_config(project)
    text = render_log(load_issues(config).issues, config)
    # def: 7 occurrences in one issue; abc: 3 + 2 = 5 in two. Reopened: ISSUE-002 (tagged
    # regression, open again) of the issues ever closed: ISSUE-001 and ISSUE-004 (closed) and
    # ISSUE-002 = 3, so 1 of 3 = 33.3%.
    assert ("| `def` | ISSUE-003 | 7 |\n| `abc` | ISSUE-001, ISSUE-002 | 5 |\n") in text
    assert "1 of 3 issues ever closed (33.3%)" in text
    data = json.loads(cli("analyze", "--format", "json").stdout)
    assert data["reopened"] == {"issues": 1, "ever_closed": 3, "rate": 33.3}
    assert data["fingerprints"][1] == {"fingerprint": "abc", "ids": ["ISSUE-001", "ISSUE-002"],
                                       "occurrences": 5}
