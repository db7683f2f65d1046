"""Reading a hand-kept Markdown log (ERRORS.md, ISSUES.md, ...) into issue drafts.

The log is a tree of headings (`tree`). A heading introduces an entry when its title carries an
ID, or when what is under it reads like an issue (key/value lines such as `**Status:** Open` or
`- **Root Cause**: ...`, sub-headings such as `### Solution`), or when it has the same shape as
sibling headings that do. Tables whose header names an issue column and a cause or fix column
give one entry per row (`tables`). Everything an entry says is kept: known fields go to the
frontmatter, sections to the body verbatim, values that cannot be mapped to `legacy_*` keys
(`mapping`). Nothing is written here: `plan` decides IDs and writes files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from issuelog.core.config import Config
from issuelog.core.model import SECTIONS, unknown_value
from issuelog.errors import UsageError
from issuelog.importer.dates import DATE_ANYWHERE, date_in, heading_date, log_date, settle_dates
from issuelog.importer.drafts import Draft, ImportPlan, Notice, keep
from issuelog.importer.fields import (
    field_of,
    is_missing,
    map_category,
    map_severity,
    map_status,
    normalize_label,
    parse_date,
    section_of,
    strip_links,
)
from issuelog.importer.headings import (
    DATED_TITLE,
    KnownIds,
    heading_context,
    heading_shape,
    heading_values,
    known_ids,
    split_title,
)
from issuelog.importer.labels import Field, entry_fields, text_of, trailing_start
from issuelog.importer.mapping import FieldMapper
from issuelog.importer.tables import LogTables
from issuelog.importer.tree import Node, markdown_tree
from issuelog.project import scaffold

_TEMPLATE_TITLE = re.compile(
    r"\b(?:issue|entry|error|bug|report|log|incident)s?\s+(?:template|format)\b|^templates?$", re.I
)
_NON_ENTRY_TITLES = {
    "notes", "note", "summary", "overview", "contents", "table of contents", "toc", "index",
    "statistics", "stats", "quick stats", "legend", "purpose", "introduction", "about",
    "changelog", "references", "checklist", "see also", "appendix",
}
_PLACEHOLDER_TITLE = re.compile(
    r"^(?:<[^>]*>|\[[^\]]*\]|x{2,}|\.{3}|…|(?:issue |bug |error )?title|tbd|todo|untitled)$", re.I)


@dataclass
class _Reading:
    """How much a heading looks like an entry."""

    fields: list[Field]
    lead: list[int]
    known: int  # labels that name a known field or section
    evidence: bool  # a real date, status or severity among them
    content: bool  # anything under it at all


def _read(node: Node, lines: list[str], config: Config) -> _Reading:
    fields, lead = entry_fields(node, lines)
    known = sum(1 for f in fields if f.meta or f.section)
    evidence = any(
        (item.meta in ("reported", "resolved") and parse_date(item.value)[0] is not None)
        or (item.meta == "status" and map_status(item.value, config))
        or (item.meta == "severity" and map_severity(item.value, config))
        for item in fields)
    content = bool(text_of(lead, lines)) or any(
        (f.value and not is_missing(f.value)) or text_of(f.content, lines) for f in fields)
    return _Reading(fields, lead, known, evidence, content)


def _is_template(node: Node, known: KnownIds) -> bool:
    named = bool(_TEMPLATE_TITLE.search(normalize_label(node.title)))
    return named and heading_shape(node.title, known) != "id"


def _looks_like_entry(node: Node, reading: _Reading, known: KnownIds) -> bool:
    """Judged by the heading alone: an ID, or issue-like fields under it."""
    if _is_template(node, known):
        return False
    if heading_shape(node.title, known) == "id":
        return True
    if normalize_label(node.title) in _NON_ENTRY_TITLES:
        return False
    return reading.known >= 2 and (reading.evidence or reading.content)


_GROUP_WORDS = r"\b(?:issues?|problems?|bugs?|errors?|entries|incidents?|items?|known|log)\b"


_GENERIC_GROUPS = {"details", "detail", "detailed", "list", "all", "current", "active", "other",
                   "misc", "miscellaneous", "general", "history", "archive", "archived", "recent",
                   "open", "new", "the", "full", "main", "description", "descriptions"}


_PLANNED_WORK = re.compile(
    r"(?:\d+ )?(?:the )?(?:roadmap|ongoing work|work in progress|planned(?: work| features)?|"
    r"future(?: work| plans| ideas)?|ideas|backlog|wish ?list|feature requests?|next steps|"
    r"milestones|todo|to do|upcoming(?: work)?)")


def _is_document_title(node: Node) -> bool:
    """The log's single top heading (`# Known Problems`) names the document, not a group."""
    parent = node.parent
    return parent is not None and parent.level == 0 and node.level == 1 and sum(
        1 for sibling in parent.children if sibling.level == 1) == 1


def _records(fields: list[Field]) -> list[list[Field]]:
    """Fields split into records where the first label comes again; [] when it does not.

    A log with no heading per entry repeats its labels instead: `**Issue:** ...`,
    `**Cause:** ...`, `**Solution:** ...`, then `**Issue:** ...` again.
    """
    if not fields or fields[0].listed and fields[0].content:
        return []
    starter = normalize_label(fields[0].label)
    starts = [i for i, item in enumerate(fields) if normalize_label(item.label) == starter]
    if len(starts) < 2 or not (fields[0].section or fields[0].meta == "title"):
        return []
    return [fields[start:stop] for start, stop in zip(starts, [*starts[1:], len(fields)],
                                                      strict=True)]


def _reads_like_a_fault(reading: _Reading) -> bool:
    """A cause, an error, steps or a severity: a bug, even under `## Backlog` or `## Roadmap`."""
    return any(item.section in _FAULT_SECTIONS or normalize_label(item.label) == "severity"
               for item in reading.fields)


_FAULT_SECTIONS = ("Root Cause", "Error Message / Stack Trace", "Steps to Reproduce",
                   "Actual Behavior", "Expected Behavior")


def _is_planned_work(node: Node) -> bool:
    """`## Roadmap`, `## Ongoing Work`: what is under it is planned work, not issues."""
    return bool(_PLANNED_WORK.fullmatch(normalize_label(node.title)))


def _holds_entries(node: Node, lines: list[str], config: Config, known: KnownIds) -> bool:
    """Whether headings under this one are entries: then it groups them, and is none itself.

    A sub-heading named like a field (`### Solution`, `### ✅ Fix applied`) is part of an entry;
    one with an ID, a number or a date, or with fields of its own, is an entry of its own.
    """
    if heading_shape(node.title, known) == "id":
        return False  # `## BUG-7: ...` is an entry, whatever its sub-headings look like
    for child in node.children:
        if not (section_of(child.title) or field_of(child.title)) and (
                heading_shape(child.title, known) in ("id", "dated", "prefixed")
                or _looks_like_entry(child, _read(child, lines, config), known)):
            return True
        if _holds_entries(child, lines, config, known):
            return True
    return False


class _Reader:
    """Walks the heading tree of one log and collects drafts and notices."""

    def __init__(self, lines: list[str], config: Config, known: KnownIds, default_severity: str,
                 default_status: str) -> None:
        self.lines = lines
        self.log_day = log_date(lines)
        self.config = config
        self.known = known
        self.default_severity = default_severity
        self.default_status = default_status
        self.drafts: list[Draft] = []
        self.unreadable: list[Notice] = []
        self.mapper = FieldMapper(config)
        self.warnings = self.mapper.warnings  # one list, in the order things were found
        self.tables = LogTables(config, self.mapper, known, self.unreadable)

    def visit(self, node: Node) -> None:
        self.tables.read_tables(node)
        # Records written straight under a heading that groups others (or under no heading).
        own, lead = entry_fields(Node(node.level, node.title, node.line, node.stop, node.blocks,
                                  parent=node.parent), self.lines)
        self.records(node, _records(own), lead, {})
        readings = [_read(child, self.lines, self.config) for child in node.children]
        holders = [_holds_entries(child, self.lines, self.config, self.known)
                   for child in node.children]
        entries = [_looks_like_entry(child, reading, self.known) and not holds
                   for child, reading, holds in zip(node.children, readings, holders, strict=True)]
        entry_shapes = {heading_shape(child.title, self.known)
                        for child, is_entry in zip(node.children, entries, strict=True) if is_entry}
        labels: dict[str, str] = {}  # from sibling headings such as `### High 🟠` above entries
        for child, reading, is_entry, holds in zip(node.children, readings, entries, holders,
                                                   strict=True):
            if _is_template(child, self.known):
                continue
            shape = heading_shape(child.title, self.known)
            peer = (shape in entry_shapes and shape != "plain" and not holds and
                    normalize_label(child.title) not in _NON_ENTRY_TITLES)
            if (is_entry or (peer and reading.content)) and _is_planned_work(node) and \
                    shape != "id" and not _reads_like_a_fault(reading):
                self.unreadable.append(Notice(child.line + 1, f"'{child.title}' is planned work "
                                            f"under '{node.title}', not an issue; not imported"))
                continue
            if is_entry or (peer and reading.content):
                self.entry(child, reading, labels)
                continue
            given = heading_values(child.title, self.config)
            if given:
                labels = {**{k: v for k, v in labels.items() if k not in given}, **given}
            if peer:
                self.unreadable.append(Notice(child.line + 1, f"heading '{child.title}' looks like "
                                              "an entry but has nothing under it; not imported"))
            else:
                self.visit(child)

    def entry(self, node: Node, reading: _Reading, labels: dict[str, str]) -> None:
        legacy_id, title = split_title(node.title, self.known)
        if not title:
            self.unreadable.append(Notice(node.line + 1, f"entry '{node.title}' has no title; "
                                          "not imported"))
            return
        if _PLACEHOLDER_TITLE.match(title.strip()):
            self.unreadable.append(Notice(node.line + 1, f"entry '{node.title}' has a placeholder "
                                          "title; not imported"))
            return
        records = _records(reading.fields)
        if records and heading_shape(node.title, self.known) != "id":
            self.records(node, records, reading.lead, labels)
            return
        draft = Draft(node.line + 1, title, legacy_id)
        trailing = trailing_start(node, self.lines)
        if trailing is not None:
            self.unreadable.append(Notice(trailing + 1, f"lines {trailing + 1}-{node.stop} follow "
                                          f"the rule that closes '{title}', the last entry: they "
                                          "belong to the log, not to it; not imported"))
        lead = text_of(reading.lead, self.lines)
        if lead:
            draft.sections.append(("Description", lead))
        for item in reading.fields:
            self.mapper.apply(draft, item, text_of(item.content, self.lines))
        dated = DATED_TITLE.match(node.title)
        day = parse_date(dated.group("date"))[0] if dated else None
        if day is not None:
            draft.fields.setdefault("reported", day)
        heading_date(draft, node)
        self.group(draft, node)
        draft.context = heading_context(node, self.config, labels)
        self.drafts.append(draft)

    def records(self, node: Node, records: list[list[Field]], lead: list[int],
                labels: dict[str, str]) -> None:
        """Each record an entry; text before the first one is reported, being no entry's."""
        for fields in records:
            self.record(node, fields, labels)
        if records and text_of(lead, self.lines):
            where = f"under '{node.title}'" if node.level else "at the top of the log"
            self.unreadable.append(Notice(min(lead) + 1, f"text {where} before its first "
                                          "record belongs to no entry; not imported"))

    def record(self, node: Node, fields: list[Field], labels: dict[str, str]) -> None:
        """One record of a heading that holds several (`**Issue:** ...` `**Solution:** ...` twice).

        Its first field names it: a one-line value is the title; a longer one is the
        description, and its first line (shortened) the title.
        """
        first = fields[0]
        text = (first.value or text_of(first.content, self.lines)).strip()
        headline = text.split("\n")[0].strip()
        title = headline if len(headline) <= 120 else headline[:117].rsplit(" ", 1)[0] + "..."
        title = strip_links(title).strip("*_` ")
        if not title or is_missing(title) or _PLACEHOLDER_TITLE.match(title):
            self.unreadable.append(Notice(first.line + 1, f"record '{first.label}' has no text "
                                          "to name it; not imported"))
            return
        draft = Draft(first.line + 1, title)
        if title != text and first.meta != "title":
            draft.sections.append((first.section or first.label.strip(), text))
        for item in fields[1:]:
            self.mapper.apply(draft, item, text_of(item.content, self.lines))
        day = date_in(node.title)  # `## 2024-03-11` over its records
        if day is not None:
            draft.fields.setdefault("reported", day)
        heading_date(draft, node)
        draft.context = heading_context(node, self.config, labels)
        self.drafts.append(draft)

    def group(self, draft: Draft, node: Node) -> None:
        """The heading an entry is grouped under (`## Networking Problems`) is kept.

        It is the entry's category when it names a configured one (`Performance Issues`), else
        `legacy_group`; headings that say a status, severity, phase or date, and generic ones
        (`Details`, `Bugs`, the document's own title) say nothing of the kind.
        """
        for ancestor in node.ancestors():
            if _is_document_title(ancestor) or DATE_ANYWHERE.search(ancestor.title):
                continue
            if heading_values(ancestor.title, self.config):
                continue
            words = re.sub(_GROUP_WORDS, " ", normalize_label(ancestor.title)).split()
            if not words or " ".join(words) in _GENERIC_GROUPS:
                continue
            category = map_category(" ".join(words), self.config) if self.config.categories \
                else None
            if category and "category" not in draft.fields:
                draft.fields["category"] = category
            elif not category:
                keep(draft, "legacy_group", ancestor.title.strip())
            return

    def finish(self, draft: Draft) -> None:
        """Fill in what the entry did not say: from the headings above it, then the defaults."""
        config = self.config
        for key in ("status", "severity", "phase"):
            if key not in draft.fields and key in draft.context:
                draft.fields[key] = draft.context[key]
        has_fix = any(name == "Resolution" for name, _ in draft.sections) or bool(
            draft.extra.get("reference", {}).get("solution"))
        if "status" not in draft.fields:
            resolved = next((s.name for s in config.statuses if s.resolved), None)
            draft.fields["status"] = resolved if has_fix and resolved else self.default_status
        draft.fields.setdefault("severity", self.default_severity)
        status = config.status(draft.fields["status"])
        # A closed row of a reference table is knowledge (symptom, cause, solution), not an event:
        # it gets only the dates the log gives, and no place in the figures of the rendered log.
        knowledge = draft.reference_row and status is not None and not status.open
        if knowledge:
            draft.extra["reference_only"] = True
        self.warnings += settle_dates(draft, status, knowledge, self.log_day)
        if draft.legacy_id:
            draft.extra = {"legacy_id": draft.legacy_id, **draft.extra}


def _body(sections: list[tuple[str, str]]) -> str:
    """The issue body: each section under a `##` heading, known ones in the usual order first."""
    merged: dict[str, list[str]] = {}
    for name, text in sections:
        merged.setdefault(name, []).append(text)
    order = [name for name in SECTIONS if name in merged] + [n for n in merged if n not in SECTIONS]
    return "\n\n".join(f"## {name}\n\n" + "\n\n".join(merged[name]) for name in order)


def read_log(
    text: str,
    config: Config,
    *,
    source: str = "<log>",
    default_severity: str | None = None,
    default_status: str | None = None,
) -> ImportPlan:
    """Read a hand-kept log into drafts; nothing is written. The defaults must be configured.

    No date comes from anywhere but the log: a date an entry (or a heading above it) does not
    state is left empty and flagged `reported_unknown` / `resolved_unknown`. Closed rows of
    reference tables are reference-only entries, dated by the log's Last Updated line at most.
    """
    severity = default_severity or scaffold.default_severity(config)
    status = default_status or config.default_status
    if config.severity(severity) is None:
        raise UsageError(unknown_value("severity", severity, [s.name for s in config.severities]))
    if config.status(status) is None:
        raise UsageError(unknown_value("status", status, [s.name for s in config.statuses]))
    # markdown-it ends lines at CR, LF and CRLF alike; the line list must agree with its map.
    root, lines = markdown_tree(text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n"))
    reader = _Reader(lines, config, known_ids(root, text, config), severity, status)
    reader.visit(root)
    plan = ImportPlan(source, unreadable=reader.unreadable, warnings=reader.warnings)
    reader.tables.merge(reader.drafts)
    for draft in reader.drafts:
        reader.finish(draft)
        draft.body = _body(draft.sections)
    plan.drafts = sorted(reader.drafts, key=lambda d: d.line)
    plan.unreadable.sort(key=lambda n: n.line)
    plan.warnings.sort(key=lambda n: n.line)
    return plan
