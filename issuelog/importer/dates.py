"""Dates as the log gives them: read as written, never invented; unclear ones kept and reported.

A date an entry (or a heading above it) does not state is unknown: it is left empty and flagged
`reported_unknown` / `resolved_unknown`, never filled with the day of the import.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from issuelog.core.config import Status
from issuelog.core.model import as_date
from issuelog.importer.drafts import Draft, Notice, keep
from issuelog.importer.fields import month_only, parse_date, parse_date_and_rest
from issuelog.importer.labels import Given
from issuelog.importer.tree import Node

DATE_ANYWHERE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_LAST_UPDATED = re.compile(r"\blast[ -]?(?:updated|modified|reviewed)\b[*_\s]*:?[*_\s]*(?P<rest>.*)$",
                           re.I)


def date_in(text: str) -> date | None:
    """The first ISO date written anywhere in a text (`### Fix applied (2024-05-02)`), or None."""
    found = DATE_ANYWHERE.search(text)
    return parse_date(found.group(0))[0] if found else None


def log_date(lines: list[str]) -> date | None:
    """The log's own date: the newest `Last Updated: 2026-01-10` (or modified, reviewed) line."""
    found = []
    for line in lines:
        match = _LAST_UPDATED.search(line)
        day = parse_date_and_rest(match.group("rest"))[0] if match else None
        if day is not None:
            found.append(as_date(day))
    return max(found, default=None)


def date_text(value: date) -> str:
    """A date (or date and time) as the log would write it back."""
    return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()


def read_date(draft: Draft, given: Given, meta: str) -> Notice | None:
    """`reported` or `resolved`: a date read as written, or kept (and a notice) when unclear."""
    written = given.value or given.content
    if not re.search(r"\d", written):
        # `**Fixed:** by switching to theme tokens` is a resolution, not a date.
        draft.sections.append((given.item.section or "Resolution" if meta == "resolved"
                               else given.item.label.strip(), given.text))
        return None
    parsed, problem, rest = parse_date_and_rest(written)
    if parsed is not None:
        draft.fields[meta] = parsed
        by = re.fullmatch(r"by\s+(.+)", rest, re.I)
        if by and meta == "reported":
            draft.fields.setdefault("reporter", by.group(1).strip())
        elif rest:  # words after the date are kept with it
            keep(draft, f"legacy_{meta}", written)
        return None
    if month_only(written):
        problem = f"date '{written}' gives the month only; the day is unknown"
    if not problem:
        return None
    keep(draft, f"legacy_{meta}", written)
    return Notice(given.line, f"{problem}; kept as legacy_{meta}")


def heading_date(draft: Draft, node: Node) -> None:
    """`## Session: 2024-03-11`, `## 2024-03-12 (continued)`: the date of the entries under it."""
    if "reported" in draft.fields:
        return
    for ancestor in node.ancestors():
        day = date_in(ancestor.title)
        if day is not None:
            draft.fields["reported"] = day
            return


def settle_dates(draft: Draft, status: Status | None, knowledge: bool,
                 log_day: date | None) -> list[Notice]:
    """Dates that contradict the status are kept aside; those the log never gave, flagged."""
    notices: list[Notice] = []
    if draft.event_date and status is not None and not status.open and \
            "resolved" not in draft.fields and "reported" in draft.fields:
        draft.fields["resolved"] = draft.fields.pop("reported")
    if knowledge and log_day is not None:
        draft.fields.setdefault("reported", draft.fields.get("resolved", log_day))
    if status is not None and status.open and "resolved" in draft.fields:
        keep(draft, "legacy_resolved", date_text(draft.fields.pop("resolved")))
        notices.append(Notice(draft.line, f"'{draft.title}' is {status.label} but has a "
                              "resolved date; kept as legacy_resolved"))
    reported, resolved = draft.fields.get("reported"), draft.fields.get("resolved")
    if reported is not None and resolved is not None and as_date(resolved) < as_date(reported):
        keep(draft, "legacy_resolved", date_text(draft.fields.pop("resolved")))
        notices.append(Notice(draft.line, f"'{draft.title}' was resolved before it was "
                              "reported; kept the date as legacy_resolved"))
    # A date the log does not state is unknown: never today, never the other date.
    if not knowledge:
        if "reported" not in draft.fields:
            draft.extra["reported_unknown"] = True
        if status is not None and not status.open and "resolved" not in draft.fields:
            draft.extra["resolved_unknown"] = True
    return notices
