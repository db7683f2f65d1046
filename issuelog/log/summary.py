"""`summarize`: every figure of ISSUES.md, from the issues and the configuration, as one `Summary`.

render (ISSUES.md), the HTML page, the charts and analyze all read it, so they never disagree.
Reference-only entries are listed in the reference and counted in none (`stats.tracked`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from issuelog.core.config import Config, Severity
from issuelog.core.model import Issue, as_date
from issuelog.log.log_tables import Capped, log_tables
from issuelog.log.stats import (
    NO_PHASE,
    REGRESSION_TAG,
    in_id_order,
    natural_key,
    newest_date,
    over_sla,
    percent,
    time_to_resolve,
    tracked,
)
from issuelog.log.timings import TimingRow, has_timeline, timing_rows
from issuelog.log.weeks import WeekCount, quarter_label, weekly_activity

OTHER_SEVERITY = "Other"
TOP_COMPONENTS = 10


@dataclass(frozen=True)
class Count:
    """A labelled count, with its share of a total in percent."""

    name: str
    label: str
    emoji: str
    count: int
    share: float = 0.0


def open_severity_counts(open_issues: list[Issue], config: Config) -> list[Count]:
    """Open issues per configured severity (then `Other` for unknown ones), with their share."""
    counter = Counter(issue.severity for issue in open_issues)
    total = len(open_issues)
    rows = [Count(s.name, s.label, s.emoji, counter[s.name], percent(counter[s.name], total))
            for s in config.severities]
    unknown = total - sum(row.count for row in rows)
    if unknown:
        share = percent(unknown, total)
        rows.append(Count(OTHER_SEVERITY.lower(), OTHER_SEVERITY, "", unknown, share))
    return rows


@dataclass(frozen=True)
class PhaseRow:
    """One row of Issue Statistics by Phase."""

    phase: str
    total: int
    by_severity: dict[str, int]
    resolved: int


@dataclass(frozen=True)
class ResolutionRow:
    """One row of Resolution Time: how fast issues of a severity were resolved against the SLA."""

    severity: Severity
    resolved: int
    average: timedelta | None
    breaches: int


@dataclass(frozen=True)
class FingerprintRow:
    """One error fingerprint: the issues that carry it and their occurrences together."""

    fingerprint: str
    issue_ids: list[str]
    occurrences: int


def fingerprint_rows(issues: list[Issue]) -> list[FingerprintRow]:
    """Occurrences per fingerprint, most first (ties by fingerprint); issues in ID order."""
    groups: dict[str, list[Issue]] = {}
    for issue in in_id_order([issue for issue in issues if issue.fingerprint]):
        groups.setdefault(issue.fingerprint, []).append(issue)
    rows = [FingerprintRow(name, [i.id for i in members], sum(i.occurrences for i in members))
            for name, members in groups.items()]
    return sorted(rows, key=lambda row: (-row.occurrences, row.fingerprint))


@dataclass
class Summary:
    """Everything the master log and the analysis show, grouped for templates."""

    config: Config
    issues: list[Issue]
    last_updated: date | None
    status_counts: list[Count]
    total: int
    open_by_severity: list[tuple[Severity, list[Issue]]]
    resolved_by_phase: list[tuple[str, list[Issue]]]
    closed_unresolved: list[Issue]
    reference: list[tuple[str, list[Issue]]]
    phase_rows: list[PhaseRow]
    phase_total: PhaseRow
    resolution_rows: list[ResolutionRow]
    categories: list[Count]
    components: list[Count]
    open_count: int = 0
    unknown_severity_open: list[Issue] = field(default_factory=list)
    open_severity_counts: list[Count] = field(default_factory=list)
    weekly: list[WeekCount] = field(default_factory=list)
    # `issues` holds every issue; `tracked` those counted, without the reference-only entries.
    tracked: list[Issue] = field(default_factory=list)
    reference_only: int = 0
    # The tables of ISSUES.md, each at most `config.log_rows` long (see `capped`).
    open_shown: dict[str, Capped] = field(default_factory=dict)  # by severity name
    resolved_shown: dict[str, Capped] = field(default_factory=dict)  # by phase
    closed_shown: Capped = field(default_factory=lambda: Capped([], 0, ""))
    reference_shown: dict[str, Capped] = field(default_factory=dict)  # by area
    #: Closed issues with no known resolution date (`resolved_unknown: true`), left out of
    #: Resolution Time, the SLA figures and the trend.
    unknown_resolution_date: int = 0
    #: Incident Timings (`log.timings`): empty unless some issue has a timeline beyond
    #: `reported` and `resolved`, so that a log without one keeps its usual look.
    timings: list[TimingRow] = field(default_factory=list)
    #: Issues reopened because their error came back (tagged `regression`), and the issues
    #: that were ever closed: the closed ones and the reopened ones open again.
    reopened: int = 0
    ever_closed: int = 0
    #: Occurrences per fingerprint, most first: (fingerprint, issue IDs, occurrences).
    fingerprints: list[FingerprintRow] = field(default_factory=list)

    @property
    def reopen_rate(self) -> float:
        """Reopened issues in percent of the issues ever closed, to one decimal."""
        return percent(self.reopened, self.ever_closed)

    @property
    def weekly_scale(self) -> int:
        """The top of a weekly chart's scale: the largest weekly count rounded up to tens, >= 10.

        Rounded so that the scale seldom moves with one issue, and at least 10 so that a chart
        drawing ten ticks gives them whole numbers.
        """
        largest = max((max(week.opened, week.resolved) for week in self.weekly), default=0)
        return max(10, -(-largest // 10) * 10)

    @property
    def weekly_quarter(self) -> str:
        """The calendar quarter the weekly chart shows (`2026 Q1`), or "" without dated issues."""
        return quarter_label(self.last_updated) if self.last_updated else ""

    @property
    def pie_slices(self) -> list[Count]:
        """Open severities with issues, largest first (ties in configured order), as a pie draws."""
        return sorted((row for row in self.open_severity_counts if row.count),
                      key=lambda row: -row.count)

    def age_days(self, issue: Issue, today: date | None = None) -> int | None:
        """Days from an issue's report to `today` (default: the newest date in the data)."""
        end = today or self.last_updated
        if issue.reported is None or end is None:
            return None
        return max((end - as_date(issue.reported)).days, 0)


def phase_order(issues: list[Issue], config: Config) -> list[str]:
    """Configured phases in their order, then any other phase found, naturally sorted."""
    seen = {issue.phase for issue in issues if issue.phase}
    extra = sorted(seen - set(config.phases), key=lambda phase: (natural_key(phase), phase))
    order = [*config.phases, *extra]
    if any(not issue.phase for issue in issues):
        order.append(NO_PHASE)
    return order


def summarize(issues: list[Issue], config: Config) -> Summary:
    """Compute every section's figures from the issues.

    Reference-only entries are listed in the Common Issues Reference and nowhere else: no count,
    phase, chart or time includes them.
    """
    every = in_id_order(issues)
    issues = tracked(every)
    # is_open and is_resolved, for each of thousands of issues, as set lookups.
    closed_names = {s.name for s in config.statuses if not s.open}
    resolved_names = {s.name for s in config.statuses if s.resolved}
    open_issues = [i for i in issues if i.status not in closed_names]
    resolved_issues = [i for i in issues if i.status in resolved_names]
    closed_unresolved = [i for i in issues
                         if i.status in closed_names and i.status not in resolved_names]
    status_counter = Counter(issue.status for issue in issues)
    status_counts = [Count(s.name, s.label, s.emoji, status_counter[s.name]) for s in config.statuses]

    severity_names = [s.name for s in config.severities]
    open_groups = _grouped(open_issues, "severity")
    open_by_severity = [(s, open_groups.get(s.name, [])) for s in config.severities]

    phases = phase_order(issues, config)
    resolved_groups: dict[str, list[Issue]] = {}
    for issue in resolved_issues:
        resolved_groups.setdefault(issue.phase or NO_PHASE, []).append(issue)
    resolved_by_phase = [(phase, resolved_groups.get(phase, [])) for phase in phases]

    areas: dict[str, list[Issue]] = {}
    for issue in every:
        if issue.reference:
            areas.setdefault(issue.reference.get("area") or "General", []).append(issue)
    reference = [(area, areas[area]) for area in sorted(areas, key=natural_key)]

    by_phase: dict[str, list[Issue]] = {}
    for issue in issues:
        by_phase.setdefault(issue.phase or NO_PHASE, []).append(issue)
    phase_rows = []
    for phase in phases:
        members = by_phase.get(phase, [])
        severity_counter = Counter(i.severity for i in members)
        phase_rows.append(PhaseRow(
            phase, len(members), {name: severity_counter[name] for name in severity_names},
            sum(1 for i in members if i.status in resolved_names),
        ))
    all_severities = Counter(i.severity for i in issues)
    phase_total = PhaseRow("Total", len(issues),
                           {name: all_severities[name] for name in severity_names},
                           len(resolved_issues))

    resolution_rows = []
    resolved_groups_by_severity = _grouped(resolved_issues, "severity")
    for severity in config.severities:
        # An issue closed on an unknown date (`resolved_unknown`) has no place in these figures.
        members = [i for i in resolved_groups_by_severity.get(severity.name, [])
                   if i.resolved is not None]
        durations = [d for d in (time_to_resolve(i) for i in members) if d is not None]
        average = sum(durations, timedelta(0)) / len(durations) if durations else None
        breaches = sum(1 for duration in durations if over_sla(duration, severity))
        resolution_rows.append(ResolutionRow(severity, len(members), average, breaches))

    total = len(issues)
    category_counter = Counter(i.category for i in issues if i.category)
    categories = [
        Count(name, name.replace("_", " ").title(), "", count, percent(count, total))
        for name, count in sorted(category_counter.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    component_counter = Counter(i.component for i in issues if i.component)
    components = [
        Count(name, name, "", count, percent(count, total))
        for name, count in sorted(component_counter.items(), key=lambda kv: (-kv[1], kv[0]))
    ][:TOP_COMPONENTS]

    last_updated = newest_date(issues)
    # A reopened issue is counted once whether it is open again or closed once more.
    regressions = [i for i in issues if REGRESSION_TAG in i.tags]
    open_regressions = [i for i in regressions if i.status not in closed_names]
    return Summary(
        config=config,
        issues=every,
        last_updated=last_updated,
        status_counts=status_counts,
        total=total,
        open_by_severity=open_by_severity,
        resolved_by_phase=resolved_by_phase,
        closed_unresolved=closed_unresolved,
        reference=reference,
        phase_rows=phase_rows,
        phase_total=phase_total,
        resolution_rows=resolution_rows,
        categories=categories,
        components=components,
        open_count=len(open_issues),
        unknown_severity_open=[i for i in open_issues if i.severity not in severity_names],
        open_severity_counts=open_severity_counts(open_issues, config),
        weekly=weekly_activity(issues, config, newest=last_updated),
        tracked=issues,
        reference_only=len(every) - len(issues),
        **log_tables(open_by_severity, resolved_by_phase, closed_unresolved, reference, config),
        unknown_resolution_date=sum(1 for i in issues if i.status in closed_names
                                    and i.resolved is None and i.date_unknown("resolved")),
        timings=timing_rows(issues, config) if has_timeline(issues) else [],
        reopened=len(regressions),
        ever_closed=len(issues) - len(open_issues) + len(open_regressions),
        fingerprints=fingerprint_rows(issues),
    )


def _grouped(issues: list[Issue], attribute: str) -> dict[str, list[Issue]]:
    """Issues grouped by the value of one attribute, each group in the given order."""
    groups: dict[str, list[Issue]] = {}
    for issue in issues:
        groups.setdefault(getattr(issue, attribute), []).append(issue)
    return groups
