"""The weekly series of ISSUES.md and the HTML page: opened and resolved issues in each week
(Monday to Sunday) of the calendar quarter of the newest date in the data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from issuelog.core.config import Config
from issuelog.core.model import Issue, as_date
from issuelog.log.stats import newest_date, tracked


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
