"""`issuelog analyze`: error groups, the most affected components, the daily trend and the
improvement suggestions, built on the same `Summary` as ISSUES.md.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from issuelog.core.config import Config, Severity, format_duration
from issuelog.core.model import Issue, as_date
from issuelog.log.stats import REGRESSION_TAG, in_id_order, is_open, is_resolved, sla_breached, tracked
from issuelog.log.summary import Summary, summarize
from issuelog.log.timings import TimingRow, timing_rows

#: An error type in one component is "frequent" from this many issues or this many occurrences.
FREQUENT_ERROR_ISSUES = 3
FREQUENT_ERROR_OCCURRENCES = 10

#: A component is a hot spot from this many issues that are at least this share of all issues.
HOT_COMPONENT_ISSUES = 3
HOT_COMPONENT_SHARE = 25.0

PRIORITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class ErrorGroup:
    """Issues recording one error type in one component, with their occurrences."""

    error_type: str
    component: str
    issue_ids: list[str]
    open: int
    occurrences: int


@dataclass(frozen=True)
class ComponentRow:
    """A most-affected component: its issue count and share (as in ISSUES.md), open, occurrences."""

    component: str
    issues: int
    share: float
    open: int
    occurrences: int


@dataclass(frozen=True)
class DayTrend:
    """Issues reported and resolved on one day."""

    day: date
    created: int
    resolved: int


@dataclass(frozen=True)
class Suggestion:
    """An improvement suggested by one of the documented rules."""

    priority: str
    rule: str
    subject: str
    message: str
    issue_ids: list[str]


@dataclass
class Analysis:
    """Every figure of `issuelog analyze`, built on the same Summary as ISSUES.md."""

    summary: Summary
    today: date | None
    days: int
    open_by_severity: list[tuple[Severity, int]]
    total_occurrences: int
    errors: list[ErrorGroup]
    components: list[ComponentRow]
    trend: list[DayTrend]
    suggestions: list[Suggestion]
    #: Every interval's percentiles by severity, time to resolve included even without a
    #: timeline (ISSUES.md shows them only with one; see `Summary.timings`).
    timings: list[TimingRow] = field(default_factory=list)


def error_groups(issues: list[Issue], config: Config) -> list[ErrorGroup]:
    """Issues with an error type grouped by (type, component), most occurrences first."""
    groups: dict[tuple[str, str], list[Issue]] = {}
    for issue in in_id_order(issues):
        if issue.error_type:
            groups.setdefault((issue.error_type, issue.component), []).append(issue)
    rows = [
        ErrorGroup(error_type, component, [i.id for i in members],
                   sum(1 for i in members if is_open(i, config)),
                   sum(i.occurrences for i in members))
        for (error_type, component), members in groups.items()
    ]
    return sorted(rows, key=lambda g: (-g.occurrences, -len(g.issue_ids), g.error_type,
                                       g.component))


def component_rows(summary: Summary) -> list[ComponentRow]:
    """The most affected components of ISSUES.md, with their open issues and occurrences."""
    rows = []
    for count in summary.components:
        members = [i for i in summary.tracked if i.component == count.name]
        rows.append(ComponentRow(count.name, count.count, count.share,
                                 sum(1 for i in members if is_open(i, summary.config)),
                                 sum(i.occurrences for i in members)))
    return rows


def daily_trend(
    issues: list[Issue], config: Config, days: int, today: date | None
) -> list[DayTrend]:
    """Issues reported and resolved on each of the `days` days ending with `today`, oldest first."""
    if today is None or days < 1:
        return []
    issues = tracked(issues)
    created = Counter(as_date(i.reported) for i in issues if i.reported is not None)
    resolved = Counter(as_date(i.resolved) for i in issues
                       if i.resolved is not None and is_resolved(i, config))
    first = today - timedelta(days=days - 1)
    window = [first + timedelta(days=offset) for offset in range(days)]
    return [DayTrend(day, created[day], resolved[day]) for day in window]


def suggest(summary: Summary, errors: list[ErrorGroup]) -> list[Suggestion]:
    """Improvement suggestions from four rules, most urgent first (see the README)."""
    found: list[Suggestion] = []
    regressions = [i.id for i in summary.tracked
                   if REGRESSION_TAG in i.tags and is_open(i, summary.config)]
    if regressions:
        found.append(Suggestion(
            "high", "regression", ", ".join(regressions),
            f"{len(regressions)} open regression(s): errors that came back after being resolved; "
            "add a test that reproduces each before fixing it again", regressions))
    for row in summary.resolution_rows:
        if row.breaches:
            priority = "high" if row.breaches * 2 > row.resolved else "medium"
            target = format_duration(row.severity.sla) if row.severity.sla else "no"
            found.append(Suggestion(
                priority, "sla_breaches", row.severity.name,
                f"{row.breaches} of {row.resolved} resolved {row.severity.label.lower()} issue(s) "
                f"took longer than the {target} SLA: review triage and on-call for this severity",
                [i.id for i in summary.tracked if is_resolved(i, summary.config)
                 and i.severity == row.severity.name and sla_breached(i, row.severity)]))
    for group in errors:
        if (len(group.issue_ids) >= FREQUENT_ERROR_ISSUES
                or group.occurrences >= FREQUENT_ERROR_OCCURRENCES):
            where = " in ".join(part for part in (group.error_type, group.component) if part)
            found.append(Suggestion(
                "high" if group.open else "medium", "frequent_error", where,
                f"{where}: {len(group.issue_ids)} issue(s), {group.occurrences} occurrence(s); "
                "look for a common root cause and guard against it", group.issue_ids))
    for count in summary.components:
        if count.count >= HOT_COMPONENT_ISSUES and count.share >= HOT_COMPONENT_SHARE:
            found.append(Suggestion(
                "medium", "hot_component", count.name,
                f"{count.name} has {count.count} of {summary.total} issues ({count.share:.1f}%): "
                "review its design and its tests",
                [i.id for i in summary.tracked if i.component == count.name]))
    rules = ("regression", "sla_breaches", "frequent_error", "hot_component")
    return sorted(found, key=lambda s: (PRIORITIES.index(s.priority), rules.index(s.rule)))


def analyze(
    issues: list[Issue], config: Config, days: int = 7, today: date | None = None
) -> Analysis:
    """All figures of `issuelog analyze`; `today` defaults to the newest date in the data."""
    summary = summarize(issues, config)
    errors = error_groups(summary.tracked, config)
    end = today or summary.last_updated
    return Analysis(
        summary=summary,
        today=end,
        days=days,
        open_by_severity=[(severity, len(members))
                          for severity, members in summary.open_by_severity],
        total_occurrences=sum(issue.occurrences for issue in summary.tracked),
        errors=errors,
        components=component_rows(summary),
        trend=daily_trend(summary.tracked, config, days, end),
        suggestions=suggest(summary, errors),
        timings=summary.timings or timing_rows(summary.tracked, config),
    )
