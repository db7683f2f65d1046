"""Tables of a log: log tables (an issue column and a cause or fix column: one entry per row),
and index or summary tables (`| ID | Title | Status |`), whose rows join the entry they name.
"""

from __future__ import annotations

import re

from issuelog.core.config import Config
from issuelog.importer.drafts import Draft, Notice
from issuelog.importer.fields import SECTION_LABELS, field_of, is_missing, normalize_label, strip_links
from issuelog.importer.headings import KnownIds, heading_context, heading_shape, split_title
from issuelog.importer.labels import Field
from issuelog.importer.mapping import FieldMapper
from issuelog.importer.tree import Block, Node, table_rows

_ID_COLUMNS = ("id", "ref", "key", "issue id", "no", "nr", "number", "num", "bug id", "ticket")


class LogTables:
    """Reads the tables under each heading; their rows are merged into the entries at the end."""

    def __init__(self, config: Config, mapper: FieldMapper, known: KnownIds,
                 unreadable: list[Notice]) -> None:
        self.config = config
        self.mapper = mapper
        self.known = known
        self.table_drafts: list[Draft] = []
        self.index_rows: list[Draft] = []
        self.unreadable = unreadable  # the reader's: notices stay in the order they were found

    def read_tables(self, node: Node) -> None:
        """Log tables (an issue column and a cause or fix column) right under a heading."""
        for block in node.blocks:
            if block.kind == "table":
                self.read_table(node, block)

    def read_table(self, node: Node, block: Block) -> None:
        """One table: a log table gives entries, any other may be an index of them."""
        rows = table_rows(block)
        if len(rows) < 2:
            return
        header = [normalize_label(cell) for cell in rows[0][1]]
        roles = [_column_role(name) for name in header]
        if "issue" not in roles or not ({"cause", "solution"} & set(roles)):
            self.read_index(node, rows, roles)
            return
        area = node.title.strip() if node.level else ""
        # A dated table (`| Date | Bug | Cause | Fix |`) is a history of events, not knowledge.
        dated = any(field_of(cell) in ("reported", "resolved") for cell in rows[0][1])
        for line, cells in rows[1:]:
            values = dict.fromkeys(("issue", "cause", "solution"), "")
            draft = Draft(line + 1, "", reference_row=not dated,
                          event_date=any(name in ("date", "when", "day") for name in header))
            for role, label, cell in zip(roles, rows[0][1], cells, strict=False):
                if role in values and not values[role]:
                    values[role] = cell
                elif cell and not is_missing(cell):
                    self.mapper.apply(draft, Field(label, line, cell), "")
            legacy_id, title = split_title(values["issue"], self.known)
            if not title.strip() or is_missing(title):
                self.unreadable.append(
                    Notice(line + 1, "table row has no issue text; not imported"))
                continue
            draft.title = strip_links(title)
            if not draft.legacy_id and heading_shape(values["issue"], self.known) == "id":
                draft.legacy_id = legacy_id
            reference = {key: value for key, value in (("area", area), ("cause", values["cause"]),
                                                       ("solution", values["solution"])) if value}
            if not dated:
                draft.extra["reference"] = reference
            for name, role in (("Root Cause", "cause"), ("Resolution", "solution")):
                if values[role]:
                    draft.sections.append((name, values[role]))
            draft.context = heading_context(node, self.config) if node.level else {}
            self.table_drafts.append(draft)

    def read_index(self, node: Node, rows: list[tuple[int, list[str]]], roles: list[str]) -> None:
        """An index or summary table (`| ID | Title | Status |`): rows that may name entries."""
        id_column = next((i for i, cell in enumerate(rows[0][1])
                          if normalize_label(cell) in _ID_COLUMNS or cell.strip() in ("#", "№")),
                         None)
        if id_column is None and "issue" not in roles:
            return
        for line, cells in rows[1:]:
            draft = Draft(line + 1, "")
            columns = zip(roles, rows[0][1], cells, strict=False)
            for column, (role, label, cell) in enumerate(columns):
                if column == id_column:
                    draft.legacy_id = strip_links(cell).strip("`* ")
                elif role == "issue":
                    draft.title = strip_links(split_title(cell, self.known)[1])
                elif cell and not is_missing(cell) and field_of(label):
                    self.mapper.apply(draft, Field(label, line, cell), "")
                elif cell and not is_missing(cell) and label.strip():
                    draft.sections.append((label.strip(), cell))  # `Notes`: kept, never lost
            draft.context = heading_context(node, self.config) if node.level else {}
            self.index_rows.append(draft)

    def merge(self, drafts: list[Draft]) -> None:
        """Rows of index and log tables join the entry they name; the rest are entries of their own.

        A row names an entry by its legacy ID, by the number of that ID (`01` for `Bug #01`, when
        only one entry has that number), by its title, or by a shortened title that fits exactly
        one entry. What only the row says (status, notes, a different summary) is added to it.
        """
        index = _EntryIndex(list(drafts))
        for row in self.table_drafts + self.index_rows:
            same = index.find(row)
            if same is not None:
                _merge_row(same, row)
            elif row.title:  # listed only in a table: an entry of its own
                drafts.append(row)
                # Reference rows may share a title across areas; only an ID names one entry.
                if row.legacy_id:
                    index.by_key.setdefault(_entry_key(row.legacy_id), row)
            else:
                self.unreadable.append(Notice(row.line, f"index row '{row.legacy_id}' names no "
                                              "entry of this log and has no title; not imported"))


def _column_role(name: str) -> str:
    """A log table column: the issue itself, its cause, its solution, or something else."""
    if name in ("issue", "problem", "error", "symptom", "symptoms", "bug", "title", "issue title",
                "error message", "what", "problem description", "summary", "finding", "name",
                "short title", "short description"):
        return "issue"
    section = SECTION_LABELS.get(name) or SECTION_LABELS.get(name.removeprefix("likely ")
                                                         .removeprefix("probable "))
    return {"Root Cause": "cause", "Resolution": "solution"}.get(section or "", "other")


def _entry_key(text: str) -> str:
    return normalize_label(strip_links(text))


def _number_key(legacy_id: str) -> str:
    """`Bug #01`, `01`, `#1` -> `#1`: the number a log's bare-number index rows refer to."""
    match = re.search(r"(\d{1,9})\s*$", legacy_id)
    return f"#{int(match.group(1))}" if match else ""


def _words(text: str) -> list[str]:
    """Normalized words, a plural `s` dropped (`IDs` -> `id`)."""
    return [word[:-1] if len(word) > 2 and word.endswith("s") and not word.endswith("ss")
            else word for word in normalize_label(strip_links(text)).split()]


def _shortened(row: str, title: str) -> bool:
    """Whether a table row's text is a shortened form of an entry's title.

    Each word of the row, in order, is a word of the title or the start of one ("Missing TLS"
    for "Missing TLS on internal endpoints", "Weak session IDs" for "Weak session
    identifiers"); the row has two words at least, so that one common word matches nothing.
    """
    wanted, words = _words(row), _words(title)
    if len(wanted) < 2:
        return False
    position = 0
    for word in wanted:
        while position < len(words) and not (words[position] == word or (
                len(word) >= 2 and words[position].startswith(word))):
            position += 1
        if position == len(words):
            return False
        position += 1
    return True


class _EntryIndex:
    """The entries written out under headings, found by ID, number or (shortened) title."""

    def __init__(self, entries: list[Draft]) -> None:
        self.entries = entries
        self.by_key: dict[str, Draft] = {}
        self.numbers: dict[str, list[Draft]] = {}
        for draft in entries:
            self.by_key.setdefault(_entry_key(draft.title), draft)
            if draft.legacy_id:
                self.by_key.setdefault(_entry_key(draft.legacy_id), draft)
                self.numbers.setdefault(_number_key(draft.legacy_id), []).append(draft)

    def find(self, row: Draft) -> Draft | None:
        """The entry a table row names, or None."""
        if row.legacy_id:
            same = self.by_key.get(_entry_key(row.legacy_id))
            numbered = self.numbers.get(_number_key(row.legacy_id), [])
            if same or len(numbered) == 1:
                return same or numbered[0]
        if not row.title:
            return None
        same = self.by_key.get(_entry_key(row.title))
        if same is None and not row.reference_row:
            fits = [entry for entry in self.entries if _shortened(row.title, entry.title)]
            same = fits[0] if len(fits) == 1 else None
        return same


def _merge_row(same: Draft, row: Draft) -> None:
    """A summary row of an entry written out elsewhere: keep what only the row says."""
    have = {name for name, _ in same.sections}
    same.sections += [(name, text) for name, text in row.sections if name not in have]
    if row.title and not (set(_words(row.title)) <= set(_words(same.title))
                          or _shortened(row.title, same.title)):
        same.sections.append(("Summary", row.title))  # a summary other than the title
    for key, value in row.fields.items():
        same.fields.setdefault(key, value)
    for key, value in row.extra.items():
        if key != "reference":
            same.extra.setdefault(key, value)
