"""Incident timings: the intervals of each issue's timeline, their percentiles and SLA breaches.

An interval runs between two timestamps of an issue's frontmatter (see `INTERVALS`). An issue
missing either timestamp is left out of that interval only. Percentiles use the nearest-rank
method: the p-th percentile of n sorted values is the value at rank ceil(p / 100 * n), counting
from 1, so every figure is a duration that one issue really took (no interpolation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from issuelog.core.config import Config, Severity
from issuelog.core.model import Issue, as_date


@dataclass(frozen=True)
class Interval:
    """One measured interval: from the timestamp `start` to the timestamp `end`."""

    name: str  # the key in JSON and the metric name's stem
    label: str
    start: str
    end: str
    #: The Severity attribute holding this interval's target, or "" when it has none.
    target: str = ""


#: The intervals issuelog measures, in the order they happen. Time to resolve runs from
#: `reported`, like the Average Time to Resolve beside it, so that the two figures agree.
INTERVALS = (
    Interval("detect", "Time to detect", "started", "detected"),
    Interval("acknowledge", "Time to acknowledge", "detected", "acknowledged", "response_sla"),
    Interval("mitigate", "Time to mitigate", "detected", "mitigated"),
    Interval("resolve", "Time to resolve", "reported", "resolved", "sla"),
)
#: The keys only an incident timeline has: without any of them a log keeps its usual look.
INCIDENT_KEYS = ("started", "detected", "acknowledged", "mitigated")


def elapsed(start: date, end: date) -> timedelta:
    """End minus start: exact for two date-times, else whole calendar days; never negative."""
    if isinstance(start, datetime) and isinstance(end, datetime):
        if (start.tzinfo is None) != (end.tzinfo is None):
            start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
        return max(end - start, timedelta(0))
    return max(as_date(end) - as_date(start), timedelta(0))


def interval_of(issue: Issue, interval: Interval, config: Config) -> timedelta | None:
    """How long one issue took for one interval, or None when a timestamp is missing.

    Time to resolve counts only issues whose status counts as fixed (as Resolution Time does);
    reference-only entries have no history and count nowhere.
    """
    if issue.reference_only:
        return None
    start, end = getattr(issue, interval.start), getattr(issue, interval.end)
    if start is None or end is None:
        return None
    if interval.end == "resolved":
        status = config.status(issue.status)
        if status is None or not status.resolved:
            return None
    return elapsed(start, end)


def nearest_rank(ordered: list[timedelta], percent: int) -> timedelta:
    """The `percent`-th percentile of sorted durations by the nearest-rank method."""
    rank = max(1, math.ceil(percent * len(ordered) / 100))
    return ordered[rank - 1]


@dataclass(frozen=True)
class TimingRow:
    """One interval's figures for one severity: count, median, p90 and SLA breaches."""

    severity: Severity
    interval: Interval
    count: int
    median: timedelta
    p90: timedelta
    target: timedelta | None
    breaches: int

    @property
    def breach_rate(self) -> float | None:
        """Breaches in percent of `count`, to one decimal; None without a target."""
        if self.target is None:
            return None
        return round(100.0 * self.breaches / self.count, 1)


def has_timeline(issues: list[Issue]) -> bool:
    """Whether any counted issue records an incident timestamp beyond reported and resolved."""
    return any(getattr(issue, key) is not None for issue in issues if not issue.reference_only
               for key in INCIDENT_KEYS)


def timing_rows(issues: list[Issue], config: Config) -> list[TimingRow]:
    """The figures of every (severity, interval) with data: severities in configured order,
    intervals in the order they happen. Issues of an unconfigured severity are not counted."""
    rows: list[TimingRow] = []
    for severity in config.severities:
        members = [issue for issue in issues if issue.severity == severity.name]
        for interval in INTERVALS:
            durations = sorted(d for d in (interval_of(i, interval, config) for i in members)
                               if d is not None)
            if not durations:
                continue
            target: timedelta | None = getattr(severity, interval.target) if interval.target else None
            breaches = sum(1 for d in durations if d > target) if target is not None else 0
            rows.append(TimingRow(severity, interval, len(durations), nearest_rank(durations, 50),
                                  nearest_rank(durations, 90), target, breaches))
    return rows


def interval_seconds(issues: list[Issue], config: Config) -> dict[str, list[float]]:
    """Every measured duration in seconds, by interval name, sorted: for histograms."""
    return {interval.name: sorted(d.total_seconds() for d in
                                  (interval_of(i, interval, config) for i in issues)
                                  if d is not None)
            for interval in INTERVALS}
