"""Choosing, ordering and laying out issues: `list` and `show`, and the records `export` builds on."""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from issuelog.core.cache import load_issues
from issuelog.core.clock import today as clock_today
from issuelog.core.config import Config
from issuelog.core.model import FIELD_ORDER, LIST_FIELDS, REFERENCE_KEYS, Issue, Problem
from issuelog.core.store import IssueSet, sort_key
from issuelog.errors import UsageError
from issuelog.log.stats import days_open, natural_key, time_to_resolve_hours

#: Fields `--sort` accepts; `-field` sorts in reverse.
SORT_FIELDS = tuple(name for name in FIELD_ORDER if name not in ("reference", "reference_only"))
#: Columns of the table view, in order.
TABLE_COLUMNS = ("id", "severity", "status", "title", "phase", "component", "assignee", "reported",
                 "age")
#: Columns of the CSV views (`list --format csv`, `export --format csv`).
CSV_COLUMNS = (
    "id", "title", "status", "severity", "phase", "category", "component", "reported", "resolved",
    "time_to_resolve_hours", "reporter", "assignee", "tags", "related", "files", "error_type",
    "error_message", "occurrences", "last_seen", "reference_area", "reference_cause",
    "reference_solution", "reference_only", "path",
)
LIST_SEPARATOR = "; "
# A spreadsheet runs a cell that starts with one of these as a formula; a leading quote stops it.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NEWLINES = re.compile(r"\r\n|\r")


@dataclass(frozen=True)
class Filters:
    """What `list` shows: OR between the values of one field, AND between fields."""

    status: tuple[str, ...] = ()
    severity: tuple[str, ...] = ()
    phase: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    component: tuple[str, ...] = ()
    tag: tuple[str, ...] = ()
    assignee: tuple[str, ...] = ()
    include_closed: bool = False
    grep: str | None = None


def check_filters(filters: Filters, config: Config) -> None:
    """Refuse filter values the configuration does not know: a typo must not just show nothing."""
    allowed = {
        "status": [s.name for s in config.statuses],
        "severity": [s.name for s in config.severities],
        "phase": list(config.phases),
        "category": list(config.categories),
    }
    for field_name, names in allowed.items():
        for value in getattr(filters, field_name):
            if field_name == "phase" and value == "":
                continue  # `--phase=`: issues without a phase, as ISSUES.md's "No phase"
            if names and value not in names:
                raise UsageError(f"unknown {field_name} '{value}' (allowed: {', '.join(names)})")


def select_issues(issues: Iterable[Issue], config: Config, filters: Filters) -> list[Issue]:
    """The issues that pass every filter; without `--status` or `--all`, only open ones."""
    open_names = set(config.open_statuses)
    known = {s.name for s in config.statuses}
    needle = filters.grep.casefold() if filters.grep else None
    chosen = []
    for issue in issues:
        if filters.status:
            if issue.status not in filters.status:
                continue
        elif (
            not filters.include_closed and issue.status in known and issue.status not in open_names
        ):
            continue
        if not all(
            _matches(getattr(issue, name), getattr(filters, name))
            for name in ("severity", "phase", "category", "component", "assignee")
        ):
            continue
        if filters.tag and not set(filters.tag) & set(issue.tags):
            continue
        if needle and needle not in issue.title.casefold() and needle not in _visible(issue.body):
            continue
        chosen.append(issue)
    return chosen


def _visible(body: str) -> str:
    """A body as `--grep` searches it: case-folded, without HTML comments."""
    from issuelog.core.sections import without_comments

    return without_comments(body).casefold()


def _matches(value: str, wanted: tuple[str, ...]) -> bool:
    return not wanted or value in wanted


def sort_issues(
    issues: Iterable[Issue], config: Config, field_name: str | None = None
) -> list[Issue]:
    """Most severe first, then by ID; or by a field (`-field`: reversed), always then by ID.

    Severity goes from the least to the most severe, like a number, so `-severity` (the default)
    puts the most severe first; status and phase go in their configured order. Values the
    configuration does not list come after the configured ones, and issues without a value for
    the field come last, either way.
    """
    by_id = sorted(issues, key=lambda issue: sort_key(issue.id))
    name = (field_name or "-severity").strip()
    descending = name.startswith("-")
    name = name.lstrip("-")
    if name not in SORT_FIELDS:
        return _sorted_by_own_key(by_id, name, descending)
    present = [issue for issue in by_id if name in issue.present]
    absent = [issue for issue in by_id if name not in issue.present]
    rank = _configured_rank(name, config)
    if rank is None:
        # sorted() is stable, also with reverse=True: equal values stay in ID order.
        return [*sorted(present, key=_sort_key_for(name), reverse=descending), *absent]
    configured = [issue for issue in present if getattr(issue, name) in rank]
    unlisted = [issue for issue in present if getattr(issue, name) not in rank]
    return [
        *sorted(configured, key=lambda issue: rank[getattr(issue, name)], reverse=descending),
        *sorted(unlisted, key=lambda issue: natural_key(getattr(issue, name)), reverse=descending),
        *absent,
    ]


def _configured_rank(name: str, config: Config) -> dict[str, int] | None:
    """Each configured value of a field in ascending order, for the fields the config orders."""
    if name == "severity":
        # The configuration lists the most severe first; ascending severity starts at the least.
        names = [severity.name for severity in reversed(config.severities)]
    elif name == "status":
        names = [status.name for status in config.statuses]
    elif name == "phase":
        names = list(config.phases)
    else:
        return None
    return {value: index for index, value in enumerate(names)}


def _sorted_by_own_key(by_id: list[Issue], name: str, descending: bool) -> list[Issue]:
    """Issues sorted by a key of the project's own (`customer_ref`), those without it last."""
    present = [issue for issue in by_id if name in issue.extra]
    if by_id and not present:
        raise UsageError(f"no issue has a key '{name}' to sort by "
                         f"(issuelog's fields: {', '.join(SORT_FIELDS)})")
    absent = [issue for issue in by_id if name not in issue.extra]
    return [*sorted(present, key=lambda issue: _comparable(issue.extra[name]), reverse=descending),
            *absent]


def _sort_key_for(name: str) -> Callable[[Issue], Any]:
    if name == "id":
        return lambda issue: sort_key(issue.id)
    if name in LIST_FIELDS:
        return lambda issue: [natural_key(item) for item in getattr(issue, name)]
    return lambda issue: _comparable(getattr(issue, name))


def _comparable(value: Any) -> Any:
    if isinstance(value, date):
        return (1, value.isoformat())
    if isinstance(value, int):
        return (0, value)
    return (2, natural_key(str(value)))


def iso(value: date | None) -> str | None:
    """A date as `2026-01-10`, a date-time as `2026-01-05T09:00:00`."""
    return value.isoformat() if value is not None else None


def issue_record(issue: Issue, config: Config) -> dict[str, Any]:
    """One issue's frontmatter for JSON: every known field in a fixed order (absent ones null,
    `[]` for lists, 1 for occurrences, false for reference_only), `time_to_resolve_hours`,
    unknown keys under `extra`, and the file's path from the project root."""
    record: dict[str, Any] = {}
    for name in FIELD_ORDER:
        value = getattr(issue, name)
        if name in LIST_FIELDS:
            record[name] = list(value)
        elif name == "reference":
            record[name] = {key: value.get(key) for key in REFERENCE_KEYS} if value else None
        elif name in ("occurrences", "reference_only"):
            record[name] = value  # 1 and false when the file does not say
        elif name not in issue.present:
            record[name] = None
        elif isinstance(value, date):
            record[name] = iso(value)
        else:
            record[name] = value
    record["time_to_resolve_hours"] = time_to_resolve_hours(issue)
    record["extra"] = {str(key): _jsonable(value) for key, value in issue.extra.items()}
    record["path"] = relative_path(issue, config)
    return record


def relative_path(issue: Issue, config: Config) -> str:
    """The issue file's path from the project root, with `/` separators on every system."""
    if issue.path.is_relative_to(config.root):
        return issue.path.relative_to(config.root).as_posix()
    return issue.path.as_posix()


def _jsonable(value: Any) -> Any:
    """Unknown frontmatter values as JSON: dates ISO, mappings with text keys, bytes base64."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(iso(key) if isinstance(key, date) else key): _jsonable(item)
                for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(item) for item in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN or infinity
    return value


def to_json(records: Sequence[dict[str, Any]] | dict[str, Any]) -> str:
    """Stable, readable JSON: key order kept, unicode as is, no NaN; every `--format json` and
    export goes through here, so all of them print non-ASCII text as UTF-8, unescaped."""
    return json.dumps(records, indent=2, ensure_ascii=False, allow_nan=False)


def to_csv(issues: Iterable[Issue], config: Config) -> str:
    """A header row (CSV_COLUMNS), then one row per issue in the order given; LF line endings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for issue in issues:
        record = issue_record(issue, config)
        reference = record["reference"] or {}
        row = {**record, **{f"reference_{key}": reference.get(key) for key in REFERENCE_KEYS}}
        writer.writerow([_csv_cell(row[column]) for column in CSV_COLUMNS])
    return buffer.getvalue()


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = LIST_SEPARATOR.join(str(item) for item in value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    # The csv module quotes a cell with "\n" but not one with a lone "\r": make every newline LF.
    text = _NEWLINES.sub("\n", str(value))
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def table_rows(issues: Iterable[Issue], today: date | None = None) -> list[list[str]]:
    """The cells of the table view, one list per issue, in TABLE_COLUMNS order.

    `age` is the days an issue has been open (`stats.days_open`), up to `today` (default: the
    clock's today) while it is open: `12d`.
    """
    end = today or clock_today()
    rows = []
    for issue in issues:
        cells = []
        for name in TABLE_COLUMNS:
            if name == "age":
                days = days_open(issue, end)
                cells.append("" if days is None else f"{days}d")
                continue
            value = getattr(issue, name)
            cells.append(
                value.isoformat()[:10]
                if isinstance(value, date)
                else " ".join(str(value or "").split())
            )
        rows.append(cells)
    return rows


#: Free-text columns of the table view, as they give up room on a narrow terminal, and the width
#: each keeps at least; the others (ID, severity, status, date) always stay whole.
_NARROWING = (("assignee", 8), ("component", 8), ("phase", 8), ("title", 24))
#: Columns left out, first to last, when narrowing is not enough (the age first: `show` has it).
_OPTIONAL_COLUMNS = ("age", "assignee", "component", "phase")
_NARROWEST_TITLE = 8


def fit_column_widths(natural: dict[str, int], width: int) -> dict[str, int]:
    """The columns that fit a terminal `width` wide, one space apart, and their widths.

    From each column's natural width the free-text columns give up what is too much, the title
    last and keeping 24 characters; if that is not enough, age, assignee, component and phase are
    left out in that order, the title gets back what they free, and gives up more (down to 8)
    only when nothing else can.
    """
    widths = dict(natural)

    def narrow(name: str, least: int) -> None:
        excess = sum(widths.values()) + len(widths) - 1 - width
        if name in widths and excess > 0:
            widths[name] -= min(excess, max(widths[name] - least, 0))

    for name, least in _NARROWING:
        narrow(name, least)
    for name in _OPTIONAL_COLUMNS:
        if name in widths and sum(widths.values()) + len(widths) - 1 > width:
            del widths[name]
    if "title" in widths:
        widths["title"] = natural["title"]  # what is left of the room, up to its whole length
        narrow("title", _NARROWEST_TITLE)
    return widths


def list_issues(config: Config, filters: Filters, sort: str | None,
                load: Callable[[bool], IssueSet] | None = None) -> tuple[list[Issue], list[Problem]]:
    """What `list` shows: the issues `filters` selects in `sort` order, and the files' problems.

    A bad filter or sort key is a usage error, found before any issue is read. The issues come
    from `load(bodies)` when given (`list --database`), else from the project's files. Only
    `--grep` reads the bodies: reading ten thousand of them costs more than the rest.
    """
    check_filters(filters, config)
    bodies = bool(filters.grep)
    result = load(bodies) if load is not None else load_issues(config, bodies=bodies)
    return sort_issues(select_issues(result.issues, config, filters), config, sort), result.problems
