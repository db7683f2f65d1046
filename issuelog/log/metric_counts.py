"""The figures behind `issuelog metrics`: issues by label, occurrences, the resolution-time
histogram, the oldest open issue of each severity and the timeline intervals.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from issuelog.core.config import Config
from issuelog.core.model import Issue
from issuelog.log.stats import days_open, is_open, is_resolved, time_to_resolve, tracked
from issuelog.log.timings import interval_seconds

#: Upper bounds (seconds) of the resolution-time histogram: 1h, 4h, 1d, 3d, 1w, 2w, 30d.
RESOLUTION_BUCKETS = (3600.0, 14400.0, 86400.0, 259200.0, 604800.0, 1209600.0, 2592000.0)


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
