"""Where each field of an entry goes: the frontmatter, a `legacy_*` key or a body section.

Table-driven: `_DIRECT_FIELDS` takes title, ID, tags, files and related as written; `_BY_FIELD`
routes dates and severity; `_MAPPERS` maps status, severity, phase and category to configured
names; any other field is free text (component, reporter, assignee), any unknown label a section.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from issuelog.core.config import Config
from issuelog.importer.dates import date_in, read_date
from issuelog.importer.drafts import Draft, Notice, keep
from issuelog.importer.fields import (
    field_of,
    is_missing,
    label_qualifies,
    map_category,
    map_phase,
    map_severity,
    map_status,
    named_exactly,
    normalize_label,
    split_files,
    split_list,
    strip_links,
)
from issuelog.importer.headings import PREFIXED_ID
from issuelog.importer.labels import BOLD_KEY, Field, Given, dedent_items


def _take_title(draft: Draft, given: Given) -> None:
    draft.extra.setdefault("legacy_title", given.value)


def _take_id(draft: Draft, given: Given) -> None:
    if not draft.legacy_id and not is_missing(given.value):
        draft.legacy_id = given.value.strip("`[]")


def _take_tags(draft: Draft, given: Given) -> None:
    draft.fields["tags"] = split_list(given.value, given.content)


def _take_files(draft: Draft, given: Given) -> None:
    paths, noted = split_files(given.value, given.content)
    draft.fields["files"] = paths
    if noted:  # `path` - what changed there: the notes stay readable in the body
        draft.sections.append(("Files", given.text))


def _take_related(draft: Draft, given: Given) -> None:
    text = given.text
    draft.related_legacy += [m.group("id") for m in PREFIXED_ID.finditer(text)]
    # Words beside the IDs ("same root cause", "Issue 7") stay readable in the body.
    if re.search(r"[A-Za-z]{2}", PREFIXED_ID.sub("", text)) and not is_missing(text):
        draft.sections.append(("Related Issues", text))


#: Fields taken as they are written, whatever else the entry says (the rest are mapped or dated).
_DIRECT_FIELDS = {"title": _take_title, "id": _take_id, "tags": _take_tags, "files": _take_files,
                  "related": _take_related}


_MAPPERS = {"status": map_status, "severity": map_severity, "phase": map_phase,
            "category": map_category}


class FieldMapper:
    """Puts the fields of entries into drafts under one configuration; collects its warnings."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.warnings: list[Notice] = []

    def apply(self, draft: Draft, item: Field, content: str) -> None:
        """Put one field where it belongs: the frontmatter, a legacy key or a body section."""
        meta, value = item.meta, item.value
        content = dedent_items(content) if content else ""
        if meta and not value and content and "\n" not in content.strip():
            value, content = content.strip(), ""  # `### Status` with `Resolved` under it
        given = Given(item, value, content, "\n\n".join(p for p in (value, content) if p),
                       item.line + 1)
        if meta is None or (meta in ("title", "id") and not value):
            self.apply_section(draft, given)
        elif meta in _DIRECT_FIELDS:
            _DIRECT_FIELDS[meta](draft, given)
        elif not is_missing(value) or content:
            _BY_FIELD.get(meta, FieldMapper.apply_value)(self, draft, given, meta)

    def apply_section(self, draft: Draft, given: Given) -> None:
        """A body section: a standard one under its name, any other under the log's label."""
        item, text = given.item, given.text
        name = item.section or item.label.strip().rstrip(":").strip()
        if item.section:
            text = self.nested_files(draft, text, given.line)
        if text and not is_missing(text):
            if item.section and label_qualifies(item.label):
                # "Day 3 fix", "Fix (after release)": the words of the label say something.
                text = f"**{item.label.strip().rstrip(':')}:**" + (
                    " " if "\n" not in text else "\n\n") + text
            draft.sections.append((name, text))
        if item.section == "Resolution" and "resolved" not in draft.fields:
            day = date_in(item.label)  # `### ✅ FIX APPLIED (2024-05-02)`
            if day is not None:
                draft.fields["resolved"] = day

    def apply_date(self, draft: Draft, given: Given, meta: str) -> None:
        """`reported` or `resolved`: a date read as written, or kept and reported when unclear."""
        notice = read_date(draft, given, meta)
        if notice is not None:
            self.warnings.append(notice)

    def apply_severity(self, draft: Draft, given: Given, meta: str) -> None:
        """Severity or priority: only one becomes the severity (see `take_severity`)."""
        if self.take_severity(draft, given.item.label, given.value):
            self.apply_value(draft, given, meta)

    def apply_value(self, draft: Draft, given: Given, meta: str) -> None:
        """Status, severity, phase, category (mapped to configured names) or free text."""
        value, content, label = given.value, given.content, given.item.label.strip()
        mapper = _MAPPERS.get(meta)
        if mapper is None:  # component, reporter, assignee: free text
            draft.fields[meta] = " ".join(strip_links(value or content).split()).strip("`")
            if value and content:
                draft.sections.append((label, content))
            return
        mapped = mapper(value, self.config) if value else None
        if not mapped:
            keep(draft, f"legacy_{meta}", given.text)
            self.warnings.append(Notice(given.line, f"{meta} '{value or content}' is not a "
                                        f"configured {meta}; kept as legacy_{meta}"))
            return
        draft.fields[meta] = mapped
        if meta in ("status", "severity") and named_exactly(normalize_label(value), self.config,
                                                             meta, heading=False) != mapped:
            keep(draft, f"legacy_{meta}", value)  # `Fixed (2025-04-04)`: keep every word
        closing = self.config.status(mapped) if meta == "status" else None
        closed_on = date_in(value)
        if closing is not None and not closing.open and closed_on is not None:
            draft.fields.setdefault("resolved", closed_on)
        if content:
            draft.sections.append((label, content))

    def nested_files(self, draft: Draft, text: str, line: int) -> str:
        """`**Files:** a.py` inside a `### Solution` sub-section goes to `files`; the rest stays."""
        kept = []
        for row in text.split("\n"):
            match = BOLD_KEY.match(row)
            if match and field_of(match.group("label")) == "files" and match.group("value"):
                self.apply(draft, Field(match.group("label"), line - 1, match.group("value")), "")
            else:
                kept.append(row)
        return "\n".join(kept).strip("\n")

    def take_severity(self, draft: Draft, label: str, value: str) -> bool:
        """Severity and Priority are both kept: severity wins, priority goes to legacy_priority.

        Returns whether this value should become the severity.
        """
        kind = "priority" if "priority" in normalize_label(label) else "severity"
        earlier_kind, earlier_text = draft.severity_source
        if earlier_kind and earlier_kind != kind:
            if kind == "priority":
                keep(draft, "legacy_priority", value)
                return False
            keep(draft, "legacy_priority", earlier_text)  # the Severity line, later, wins
            draft.fields.pop("severity", None)
        draft.severity_source = (kind, value)
        return True


#: Fields that are neither taken as written nor free text: dates, and severity (or priority).
_BY_FIELD: dict[str, Callable[[FieldMapper, Draft, Given, str], None]] = {
    "reported": FieldMapper.apply_date,
    "resolved": FieldMapper.apply_date,
    "severity": FieldMapper.apply_severity,
}
