"""Every number issuelog shows, computed in one place from the issues and the configuration.

render (ISSUES.md), analyze and metrics all read their figures from here, so they never disagree.
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from issuelog.core.config import Config, Severity, format_duration
from issuelog.core.model import Issue, as_date
from issuelog.core.store import sort_key
from issuelog.log.timings import TimingRow, elapsed, has_timeline, interval_seconds, timing_rows

NO_PHASE = "No phase"
OTHER_SEVERITY = "Other"
TOP_COMPONENTS = 10


def natural_key(text: str) -> tuple[tuple[int, object], ...]:
    """Sort "Phase 2" before "Phase 10"."""
    return tuple((0, int(part)) if part.isdigit() else (1, part.lower())
                 for part in re.split(r"(\d+)", text) if part)


def tracked(issues: list[Issue]) -> list[Issue]:
    """The issues that figures count: all but reference-only entries (knowledge, not events)."""
    return [issue for issue in issues if not issue.reference_only]


def time_to_resolve(issue: Issue) -> timedelta | None:
    """Resolved minus reported: whole days for plain dates, exact for date-times.

    None while unresolved, and for a reference-only entry: its dates, if any, are not history.
    """
    if issue.reported is None or issue.resolved is None or issue.reference_only:
        return None
    return elapsed(issue.reported, issue.resolved)


def days_open(issue: Issue, today: date) -> int | None:
    """Whole days from an issue's report to its resolution or, while it has none, to `today`.

    For `list`, `show`, the HTML page and the metrics, which count to the day they run on;
    ISSUES.md never shows it (it would change every day). None without a report date.
    """
    if issue.reported is None or issue.reference_only:
        return None
    end = as_date(issue.resolved) if issue.resolved is not None else today
    return max((end - as_date(issue.reported)).days, 0)


def time_to_resolve_hours(issue: Issue) -> float | None:
    """Time to resolve in hours, to two decimals, for exports; None while unresolved."""
    duration = time_to_resolve(issue)
    return round(duration.total_seconds() / 3600, 2) if duration is not None else None


def newest_date(issues: list[Issue]) -> date | None:
    """The newest date found in the data: the log's 'Last Updated', and the day ages count to."""
    days = [as_date(value) for issue in tracked(issues)
            for value in (issue.reported, issue.resolved, issue.last_seen) if value is not None]
    return max(days) if days else None


def sla_breached(issue: Issue, severity: Severity | None) -> bool:
    """Whether a resolved issue took longer than its severity's SLA target."""
    return over_sla(time_to_resolve(issue), severity)


def over_sla(duration: timedelta | None, severity: Severity | None) -> bool:
    """Whether a time to resolve is longer than a severity's SLA target."""
    return bool(severity and severity.sla and duration is not None and duration > severity.sla)


@dataclass(frozen=True)
class Count:
    """A labelled count, with its share of a total in percent."""

    name: str
    label: str
    emoji: str
    count: int
    share: float = 0.0


@dataclass(frozen=True)
class WeekCount:
    """Issues opened and resolved in one week (seven days, `start` to `end` inclusive)."""

    start: date
    end: date
    opened: int
    resolved: int


def quarter_weeks(day: date) -> tuple[date, date]:
    """The Monday of the first week and the Sunday of the last week of `day`'s calendar quarter.

    Weeks run Monday to Sunday; a week belongs to a quarter when its Monday or its Sunday does, so
    the weeks at a quarter's edges show in both charts.
    """
    first_month = 3 * ((day.month - 1) // 3) + 1
    first = date(day.year, first_month, 1)
    after = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    last = after - timedelta(days=1)
    return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())


def quarter_label(day: date) -> str:
    """A calendar quarter as readers name it: `2026 Q1`."""
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def weekly_activity(
    issues: list[Issue], config: Config, newest: date | None = None
) -> list[WeekCount]:
    """Opened and resolved counts for each week (Monday to Sunday) of a calendar quarter.

    The quarter is the one of the newest date in the data (`newest_date`, unless the caller has it
    already), never today's: the weeks are fixed calendar periods, so filing or resolving one
    issue changes only the counts of the week it falls in, and the chart moves to the next
    quarter only when the data does. No dated issue: no weeks.
    """
    issues = tracked(issues)
    newest = newest or newest_date(issues)
    if newest is None:
        return []
    first, last = quarter_weeks(newest)
    resolved_names = {s.name for s in config.statuses if s.resolved}

    def week_of(value: date) -> int | None:
        day = as_date(value)
        return (day - first).days // 7 if first <= day <= last else None

    opened = Counter(week_of(i.reported) for i in issues if i.reported is not None)
    resolved = Counter(week_of(i.resolved) for i in issues
                       if i.resolved is not None and i.status in resolved_names)
    weeks = ((last - first).days + 1) // 7
    return [
        WeekCount(first + timedelta(days=7 * week), first + timedelta(days=7 * week + 6),
                  opened[week], resolved[week])
        for week in range(weeks)
    ]


def open_severity_counts(open_issues: list[Issue], config: Config) -> list[Count]:
    """Open issues per configured severity (then `Other` for unknown ones), with their share."""
    counter = Counter(issue.severity for issue in open_issues)
    total = len(open_issues)
    rows = [Count(s.name, s.label, s.emoji, counter[s.name], _share(counter[s.name], total))
            for s in config.severities]
    unknown = total - sum(row.count for row in rows)
    if unknown:
        share = _share(unknown, total)
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
class Capped:
    """The rows one table of ISSUES.md shows (at most `log_rows`), of `total`, and where the rest are.

    `command` is the `issuelog` command that lists all `total` in the table's order.
    """

    rows: list[Issue]
    total: int
    command: str

    @property
    def more(self) -> int:
        """How many issues the table leaves out."""
        return self.total - len(self.rows)


def capped(members: list[Issue], limit: int, newest_by: str | None, command: str) -> Capped:
    """The first `limit` of `members` (0: all), newest first by the date field `newest_by`.

    Ordered as `issuelog list --sort=-FIELD` orders them, so that the "more" line's command
    continues the table: by the value's ISO text, ties in ID order, issues without it last.
    Without `newest_by` the members keep their order (by ID).
    """
    if newest_by is not None:
        dated = [issue for issue in members if getattr(issue, newest_by) is not None]
        undated = [issue for issue in members if getattr(issue, newest_by) is None]
        dated.sort(key=lambda issue: getattr(issue, newest_by).isoformat(), reverse=True)
        members = [*dated, *undated]
    shown = members[:limit] if limit > 0 else members
    return Capped(shown, len(members), command)


def list_command(*arguments: str) -> str:
    """An `issuelog list` command line with its arguments quoted for a POSIX shell."""
    return " ".join(["issuelog list", *(shlex.quote(argument) for argument in arguments)])


@dataclass(frozen=True)
class FingerprintRow:
    """One error fingerprint: the issues that carry it and their occurrences together."""

    fingerprint: str
    issue_ids: list[str]
    occurrences: int


def fingerprint_rows(issues: list[Issue]) -> list[FingerprintRow]:
    """Occurrences per fingerprint, most first (ties by fingerprint); issues in ID order."""
    groups: dict[str, list[Issue]] = {}
    for issue in _by_id(issues):
        if issue.fingerprint:
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
        return _share(self.reopened, self.ever_closed)

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


def is_open(issue: Issue, config: Config) -> bool:
    """Whether an issue counts as open (an unknown status does, so that it is not overlooked)."""
    status = config.status(issue.status)
    return status is None or status.open


def is_resolved(issue: Issue, config: Config) -> bool:
    """Whether an issue's status counts as fixed."""
    status = config.status(issue.status)
    return status is not None and status.resolved


def _by_id(issues: list[Issue]) -> list[Issue]:
    return sorted(issues, key=lambda issue: sort_key(issue.id))


def summarize(issues: list[Issue], config: Config) -> Summary:
    """Compute every section's figures from the issues.

    Reference-only entries are listed in the Common Issues Reference and nowhere else: no count,
    phase, chart or time includes them.
    """
    every = _by_id(issues)
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
        Count(name, name.replace("_", " ").title(), "", count, _share(count, total))
        for name, count in sorted(category_counter.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    component_counter = Counter(i.component for i in issues if i.component)
    components = [
        Count(name, name, "", count, _share(count, total))
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
        **_log_tables(open_by_severity, resolved_by_phase, closed_unresolved, reference, config),
        unknown_resolution_date=sum(1 for i in issues if i.status in closed_names
                                    and i.resolved is None and i.date_unknown("resolved")),
        timings=timing_rows(issues, config) if has_timeline(issues) else [],
        reopened=len(regressions),
        ever_closed=len(issues) - len(open_issues) + len(open_regressions),
        fingerprints=fingerprint_rows(issues),
    )


def _log_tables(
    open_by_severity: list[tuple[Severity, list[Issue]]],
    resolved_by_phase: list[tuple[str, list[Issue]]],
    closed_unresolved: list[Issue],
    reference: list[tuple[str, list[Issue]]],
    config: Config,
) -> dict[str, Any]:
    """The capped tables of ISSUES.md: the newest open, recently closed, first reference rows.

    Newest first so that a reader sees what is current; a new or closed issue then adds or takes
    one row and moves the last shown one in or out, and the "more" line's count changes.
    """
    limit = config.log_rows
    resolved_options = [f"--status={s.name}" for s in config.statuses if s.resolved]
    closed_options = [f"--status={s.name}" for s in config.statuses
                      if not s.open and not s.resolved]
    return {
        "open_shown": {
            severity.name: capped(members, limit, "reported", list_command(
                f"--severity={severity.name}", "--sort=-reported"))
            for severity, members in open_by_severity},
        "resolved_shown": {
            phase: capped(members, limit, "resolved", list_command(
                *resolved_options, f"--phase={'' if phase == NO_PHASE else phase}",
                "--sort=-resolved"))
            for phase, members in resolved_by_phase},
        "closed_shown": capped(closed_unresolved, limit, "resolved",
                               list_command(*closed_options, "--sort=-resolved")),
        "reference_shown": {area: capped(members, limit, None, "issuelog export --format html")
                            for area, members in reference},
    }


def _grouped(issues: list[Issue], attribute: str) -> dict[str, list[Issue]]:
    """Issues grouped by the value of one attribute, each group in the given order."""
    groups: dict[str, list[Issue]] = {}
    for issue in issues:
        groups.setdefault(getattr(issue, attribute), []).append(issue)
    return groups


def _share(count: int, total: int) -> float:
    return round(100.0 * count / total, 1) if total else 0.0


# --- changes between two versions of the issues (`issuelog diff`) -------------------------------

#: `added`: new in this change but not open (filed already resolved, or a reference entry).
CHANGE_KINDS = ("opened", "added", "resolved", "reopened", "renumbered", "changed", "removed")


@dataclass(frozen=True)
class FieldChange:
    """One watched field of an issue that has a new value."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class IssueChange:
    """How one issue differs between two versions: `kind` is one of CHANGE_KINDS."""

    kind: str
    issue: Issue  # the newer version (the older one for `removed`)
    fields: tuple[FieldChange, ...] = ()


@dataclass
class IssueDiff:
    """Every issue that changed in a watched way, grouped by kind, with their counts."""

    changes: list[IssueChange]

    def of_kind(self, kind: str) -> list[IssueChange]:
        """The changes of one kind, in ID order."""
        return [change for change in self.changes if change.kind == kind]

    @property
    def counts(self) -> dict[str, int]:
        """How many issues changed in each way (every kind, zeros included)."""
        counter = Counter(change.kind for change in self.changes)
        return {kind: counter[kind] for kind in CHANGE_KINDS}


#: The fields `diff` compares, in the order it reports them (`id` first: a renumbered issue).
DIFF_FIELDS = ("id", "title", "status", "severity", "phase", "category", "component", "assignee",
               "reporter", "reported", "resolved", "tags", "related", "files", "reference",
               "reference_only", "error_type", "error_message", "occurrences", "last_seen",
               "started", "detected", "acknowledged", "mitigated", "fixed_in")


def shown_value(value: object) -> str:
    """A field's value as one short line of text for a diff."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {item}" for key, item in value.items())
    return str(value)


def _identity(issue: Issue) -> tuple[str, str, str]:
    """What stays when an issue is renumbered: its title, when it was reported and by whom."""
    return (issue.title, str(issue.reported or ""), issue.reporter)


def match_issues(before: list[Issue], after: list[Issue]) -> tuple[
        list[tuple[Issue, Issue]], list[Issue], list[Issue]]:
    """Pair the versions of each issue by file, not by ID alone; return the pairs, the issues
    only before and the issues only after.

    The same file name is the same issue (unless its title and its reported date both differ:
    two people filed the same name); then the same ID with the same title, reported date and
    reporter (a file renamed); then a different ID with those three, when exactly one issue on
    each side has them (a renumbered issue).
    """
    pairs: list[tuple[Issue, Issue]] = []
    old_left = {issue.path.name: issue for issue in before if issue.id}
    new_left = {issue.path.name: issue for issue in after if issue.id}
    for name in sorted(old_left.keys() & new_left.keys()):
        was, now = old_left[name], new_left[name]
        if was.title == now.title or was.reported == now.reported:
            pairs.append((old_left.pop(name), new_left.pop(name)))
    for rule in (lambda issue: (issue.id, *_identity(issue)), _identity):
        old_keys = Counter(rule(issue) for issue in old_left.values())
        new_keys = Counter(rule(issue) for issue in new_left.values())
        by_key = {rule(issue): name for name, issue in new_left.items() if new_keys[rule(issue)] == 1}
        for name, issue in sorted(old_left.items()):
            key = rule(issue)
            if old_keys[key] == 1 and key in by_key and by_key[key] in new_left:
                pairs.append((old_left.pop(name), new_left.pop(by_key[key])))
    return pairs, list(old_left.values()), list(new_left.values())


def compare_issues(before: list[Issue], after: list[Issue], config: Config) -> IssueDiff:
    """Issues opened, added closed, resolved (or otherwise closed), reopened, renumbered, changed
    in any field, removed; the versions of an issue are matched by file (`match_issues`)."""
    pairs, gone, new = match_issues(before, after)
    changes: list[IssueChange] = []
    for added in new:
        kind = "opened" if is_open(added, config) else "added"  # reference entries are closed
        changes.append(IssueChange(kind, added))
    changes.extend(IssueChange("removed", issue) for issue in gone)
    for was, now in pairs:
        fields = tuple(FieldChange(name, shown_value(getattr(was, name)), shown_value(getattr(now, name)))
                       for name in DIFF_FIELDS if getattr(was, name) != getattr(now, name))
        if not fields:
            continue
        was_open, now_open = is_open(was, config), is_open(now, config)
        kind = ("renumbered" if was.id != now.id
                else "resolved" if was_open and not now_open
                else "reopened" if now_open and not was_open else "changed")
        changes.append(IssueChange(kind, now, fields))
    changes.sort(key=lambda change: (sort_key(change.issue.id), change.issue.path.name))
    return IssueDiff(changes)


# --- error analysis: `issuelog analyze` and `issuelog metrics` ---------------------------------

#: An error type in one component is "frequent" from this many issues or this many occurrences.
FREQUENT_ERROR_ISSUES = 3
FREQUENT_ERROR_OCCURRENCES = 10
#: A component is a hot spot from this many issues that are at least this share of all issues.
HOT_COMPONENT_ISSUES = 3
HOT_COMPONENT_SHARE = 25.0
#: The tag `issuelog record` puts on an issue it reopens because the error came back.
REGRESSION_TAG = "regression"
PRIORITIES = ("high", "medium", "low")
#: Upper bounds (seconds) of the resolution-time histogram: 1h, 4h, 1d, 3d, 1w, 2w, 30d.
RESOLUTION_BUCKETS = (3600.0, 14400.0, 86400.0, 259200.0, 604800.0, 1209600.0, 2592000.0)


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
    for issue in _by_id(issues):
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


@dataclass
class MetricCounts:
    """The figures behind `issuelog metrics`, keyed by their label values."""

    active: Counter[tuple[str, str]]
    created: Counter[tuple[str, str, str]]
    resolved: Counter[tuple[str, str]]
    occurrences: Counter[tuple[str, str]]
    resolution_buckets: list[tuple[float, int]]
    resolution_count: int
    resolution_sum: float
    oldest_open: dict[str, int] = field(default_factory=dict)  # days, by severity
    #: Each timeline interval's durations in seconds, sorted, by interval name (`log.timings`).
    intervals: dict[str, list[float]] = field(default_factory=dict)


def metric_counts(issues: list[Issue], config: Config, today: date | None = None) -> MetricCounts:
    """Open, created and resolved issues by label, occurrences, and the resolution histogram.

    Reference-only entries are not counted: they record knowledge, not issues that happened.
    """
    issues = tracked(issues)
    occurrences: Counter[tuple[str, str]] = Counter()
    for issue in issues:
        occurrences[(issue.component, issue.error_type)] += issue.occurrences
    durations = sorted(
        d.total_seconds() for d in (time_to_resolve(i) for i in issues if is_resolved(i, config))
        if d is not None
    )
    return MetricCounts(
        active=Counter((i.severity, i.category) for i in issues if is_open(i, config)),
        created=Counter((i.severity, i.category, i.component) for i in issues),
        resolved=Counter((i.severity, i.category) for i in issues if is_resolved(i, config)),
        occurrences=occurrences,
        resolution_buckets=[(bound, sum(1 for d in durations if d <= bound))
                            for bound in RESOLUTION_BUCKETS],
        resolution_count=len(durations),
        resolution_sum=sum(durations),
        oldest_open=_oldest_open(issues, config, today) if today is not None else {},
        intervals=interval_seconds(issues, config),
    )


def _oldest_open(issues: list[Issue], config: Config, today: date) -> dict[str, int]:
    """The days the longest-open issue of each severity has been open, on `today`."""
    oldest: dict[str, int] = {}
    for issue in issues:
        days = days_open(issue, today) if is_open(issue, config) else None
        if days is not None and days >= oldest.get(issue.severity, -1):
            oldest[issue.severity] = days
    return oldest

