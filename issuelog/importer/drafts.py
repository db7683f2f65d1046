"""What the importer makes of a log: a draft per entry, notices, and the plan of an import."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Notice:
    """Something the importer wants its user to know about one line of the log."""

    line: int
    message: str


@dataclass
class Draft:
    """One entry of the log, ready to become an issue file."""

    line: int
    title: str
    legacy_id: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    related_legacy: list[str] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)
    context: dict[str, str] = field(default_factory=dict)  # given by the headings above it
    planned_id: str = ""
    reference_row: bool = False  # a row of a reference table (Issue | Cause | Solution)
    #: A row of a dated history table: its plain `Date` is when a closed row was fixed.
    event_date: bool = False
    #: Which label gave the severity ("severity" or "priority") and its text as written.
    severity_source: tuple[str, str] = ("", "")

    def value(self, name: str) -> Any:
        """A frontmatter value of the draft (None when it has none)."""
        return self.fields.get(name)


@dataclass
class ImportPlan:
    """What an import would create, and what it could not read."""

    source: str
    drafts: list[Draft] = field(default_factory=list)
    unreadable: list[Notice] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    skipped: list[tuple[Draft, str]] = field(default_factory=list)
    #: Reference rows imported before reference entries existed, as resolved issues dated the day
    #: of that import: the draft and the ID of the issue that `upgrade_reference_entries` fixes.
    upgrades: list[tuple[Draft, str]] = field(default_factory=list)
    #: Issues of an earlier, interrupted import of this log whose `related` links were completed.
    relinked: list[str] = field(default_factory=list)


def keep(draft: Draft, key: str, text: str) -> None:
    """Keep a value the frontmatter cannot hold under a `legacy_*` key, beside earlier ones."""
    earlier = draft.extra.get(key)
    if earlier is None:
        draft.extra[key] = text
    elif text not in str(earlier):
        draft.extra[key] = f"{earlier}; {text}"
