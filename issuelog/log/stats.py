"""The figures of one issue and the rules of counting that every summary builds on.

Which issues count (`tracked`), which are open or resolved, how long one took against its SLA,
how old one is (`days_open`), and the ID and natural orders. `log.summary` (ISSUES.md),
`log.error_analysis` (analyze), `log.metric_counts` (metrics), `log.weeks` and `log.changes`
(diff) take them from here, so that they never disagree.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from issuelog.core.config import Config, Severity
from issuelog.core.model import Issue, as_date
from issuelog.core.store import sort_key
from issuelog.log.timings import elapsed

#: The tag `issuelog record` puts on an issue it reopens because the error came back.
REGRESSION_TAG = "regression"
#: The group of issues without a phase, in the tables by phase.
NO_PHASE = "No phase"


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


def is_open(issue: Issue, config: Config) -> bool:
    """Whether an issue counts as open (an unknown status does, so that it is not overlooked)."""
    status = config.status(issue.status)
    return status is None or status.open


def is_resolved(issue: Issue, config: Config) -> bool:
    """Whether an issue's status counts as fixed."""
    status = config.status(issue.status)
    return status is not None and status.resolved


def in_id_order(issues: list[Issue]) -> list[Issue]:
    """Issues sorted by ID number (`ISSUE-99` before `ISSUE-100`)."""
    return sorted(issues, key=lambda issue: sort_key(issue.id))


def percent(count: int, total: int) -> float:
    """`count` in percent of `total`, to one decimal; 0 when the total is 0."""
    return round(100.0 * count / total, 1) if total else 0.0
