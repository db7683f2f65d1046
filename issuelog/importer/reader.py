"""Reading hand-kept Markdown logs (ERRORS.md, ISSUES.md, ...) into issue drafts, then files.

The log is read with markdown-it-py. Headings form a tree; a heading introduces an entry when
its title carries an ID, or when what is under it reads like an issue (key/value lines such as
`**Status:** Open` or `- **Root Cause**: ...`, sub-headings such as `### Solution`), or when it
has the same shape as sibling headings that do. Tables whose header names an issue column and a
cause or fix column give one entry per row. Everything an entry says is kept: known fields go to
the frontmatter, sections to the body verbatim, values that cannot be mapped to `legacy_*` keys.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from issuelog.core.cache import load_issues
from issuelog.core.config import Config, Status
from issuelog.core.edits import update_issue
from issuelog.core.frontmatter_edit import EMPTY
from issuelog.core.model import SECTIONS, Issue, as_date
from issuelog.core.store import display_path, read_text, slugify, write_atomic
from issuelog.errors import IssueFileError, UsageError
from issuelog.importer.fields import (
    FIELD_LABELS,
    SECTION_LABELS,
    field_of,
    is_missing,
    label_qualifies,
    map_category,
    map_phase,
    map_severity,
    map_status,
    month_only,
    named_exactly,
    normalize_label,
    parse_date,
    parse_date_and_rest,
    section_of,
    split_files,
    split_list,
    strip_links,
    strip_list_marker,
)
from issuelog.project.scaffold import (
    create_issue,
    existing_ids,
    file_problems,
    issue_file_text,
    values_and_problems,
)
from issuelog.project.scaffold import (
    default_severity as configured_default_severity,
)

_MARKDOWN = MarkdownIt("commonmark").enable("table")
#: Hand-kept logs grow past the 1 MiB allowed for one issue file; this still bounds the work.
MAX_LOG_BYTES = 64 * 1024 * 1024
#: The most digits a legacy ID may have to become the issue's own ID.
MAX_ID_DIGITS = 9

_TEMPLATE_TITLE = re.compile(
    r"\b(?:issue|entry|error|bug|report|log|incident)s?\s+(?:template|format)\b|^templates?$", re.I
)
_NON_ENTRY_TITLES = {
    "notes", "note", "summary", "overview", "contents", "table of contents", "toc", "index",
    "statistics", "stats", "quick stats", "legend", "purpose", "introduction", "about",
    "changelog", "references", "checklist", "see also", "appendix",
}
_PLACEHOLDER_LINE = re.compile(r"^\s*(?:[*_]+\s*(?:none|none yet|n/?a|tbd|empty)\s*[*_.]*|"
                               r"[*_]*\((?:placeholder|fill|tbd|todo|to be|add|none)[^)]*\)[*_.]*|"
                               r"<!--.*-->)\s*$", re.I)
_PREFIXED_ID = re.compile(r"(?P<id>\b[A-Z][A-Z0-9]*(?:[-_][A-Z0-9]*[A-Z][A-Z0-9]*)*[-_]\d+)\b")
_CODE = r"[A-Z][A-Z0-9]*(?:[-_][A-Z0-9]*[A-Z][A-Z0-9]*)*[-_]\d+"
# `BUG-004/009`, `BUG-010, BUG-011`, `BUG-012/BUG-013`: one entry under several IDs.
_MORE_CODES = rf"(?:\s*/\s*(?:{_CODE}|\d+)(?![\w-])|\s*[,&]\s*{_CODE})*"
_ID_TITLE = re.compile(
    rf"^\s*(?P<open>[\[(])?\s*(?P<id>(?P<code>{_CODE}){_MORE_CODES}|"
    r"(?i:issue|bug|error|incident|defect|ticket|problem|case|ki)\s*#?\s*\d+|#\d+)"
    r"\s*[\])]?\s*(?P<sep>[:.|)\-–—·•]+\s*|\s+|$)(?P<title>.*)$"
)
_TRAILING_ID = re.compile(
    r"^(?P<title>\S.*?)\s*[\[(](?P<id>[A-Z][A-Z0-9]*(?:[-_][A-Z0-9]*[A-Z][A-Z0-9]*)*[-_]\d+)[\])]$")
_LEADING_SYMBOLS = re.compile(r"^[^\w\[(#`]+")
_NUMBERED_TITLE = re.compile(r"^\s*(?P<number>\d+)[.)]\s+(?P<title>\S.*)$")
_DATED_TITLE = re.compile(
    r"^\s*\[?(?P<date>\d{4}-\d{2}-\d{2})\]?\s*[:|\-–—]+\s*(?P<title>\S.*)$")
_PREFIXED_TITLE = re.compile(
    r"^\s*(?:error|bug|issue|problem|incident|defect|known issue)\s*[:\-–—]\s*(?P<title>\S.*)$",
    re.I,
)
_BOLD_KEY = re.compile(
    r"^\s*(?:\*\*|__)(?P<label>[^*_\n]+?)\s*(?P<inner>:?)\s*(?:\*\*|__)\s*(?P<outer>:?)\s*(?P<value>.*)$"
)
_PLAIN_KEY = re.compile(r"^\s*(?P<label>[A-Za-z][A-Za-z /&'-]{0,30}?)\s*:\s+(?P<value>\S.*)$")
# A list item `Status — open` or `Severity - minor`: a dash between spaces instead of a colon.
_DASH_KEY = re.compile(r"^\s*(?P<label>[A-Za-z][A-Za-z /&']{0,30}?)\s+[—–-]\s+(?P<value>\S.*)$")
_DATE_ANYWHERE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_ID_COLUMNS = ("id", "ref", "key", "issue id", "no", "nr", "number", "num", "bug id", "ticket")
_PLACEHOLDER_TITLE = re.compile(
    r"^(?:<[^>]*>|\[[^\]]*\]|x{2,}|\.{3}|…|(?:issue |bug |error )?title|tbd|todo|untitled)$", re.I)
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_LAST_UPDATED = re.compile(r"\blast[ -]?(?:updated|modified|reviewed)\b[*_\s]*:?[*_\s]*(?P<rest>.*)$",
                           re.I)


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


# --- reading the Markdown --------------------------------------------------------------------


@dataclass
class _Block:
    """A top-level block of the document (paragraph, list, table, fence...) and its lines."""

    kind: str
    start: int
    stop: int
    tokens: list[Token]


@dataclass
class _Node:
    """A heading with its direct content blocks and its sub-headings."""

    level: int
    title: str
    line: int
    stop: int = 0
    blocks: list[_Block] = field(default_factory=list)
    children: list[_Node] = field(default_factory=list)
    parent: _Node | None = None

    def ancestors(self) -> Iterator[_Node]:
        """Headings above this one, nearest first."""
        node = self.parent
        while node is not None and node.level > 0:
            yield node
            node = node.parent


def _blocks(tokens: list[Token]) -> Iterator[tuple[_Block, str | None, int]]:
    """Top-level blocks; headings come with their title and level."""
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.nesting == 1:
            depth, end = 0, index
            for end in range(index, len(tokens)):
                depth += tokens[end].nesting
                if depth == 0:
                    break
            group = tokens[index:end + 1]
        else:
            end, group = index, [token]
        start, stop = token.map if token.map else (0, 0)
        kind = token.type.removesuffix("_open")
        if kind == "heading":
            title = tokens[index + 1].content.strip()
            yield _Block(kind, start, stop, group), title, int(token.tag[1])
        else:
            yield _Block(kind, start, stop, group), None, 0
        index = end + 1


def _tree(text: str) -> tuple[_Node, list[str]]:
    """The document as a tree of headings, and its lines (numbered as markdown-it-py does)."""
    lines = text.split("\n")  # not splitlines(): form feeds and U+2028 do not end a line here
    root = _Node(0, "", 0, len(lines))
    current = root
    for block, title, level in _blocks(_MARKDOWN.parse(text)):
        if title is None:
            current.blocks.append(block)
            continue
        while current.level >= level:
            current.stop = block.start
            current = current.parent or root
        node = _Node(level, title, block.start, len(lines), parent=current)
        current.children.append(node)
        current = node
    return root, lines


# --- entries and their fields ----------------------------------------------------------------


@dataclass
class _Field:
    """One labelled part of an entry: `**Root Cause**: ...`, `- **Status**: Open`, `### Fix`."""

    label: str
    line: int
    value: str = ""
    content: list[int] = field(default_factory=list)  # source line indexes, in order
    listed: bool = False  # an item of a key/value list: owns only its nested lines
    value_end: int = -1  # last line of a value that goes on over several lines
    sublabelled: bool = False  # holds bold sub-labels (`**Backend (api.py):**`) of its own

    def adopts_labels(self) -> bool:
        """Whether unknown bold labels that follow are parts of this field, not fields.

        `**Solution:**` with nothing after it, then `**Backend:** ...` and `**Frontend:** ...`,
        or `**Impact:**` then `- **Old behaviour**: ...`: the labels structure its value.
        """
        return not self.listed and not self.value and (not self.content or self.sublabelled)

    @property
    def meta(self) -> str | None:
        return field_of(self.label)

    @property
    def section(self) -> str | None:
        return section_of(self.label)


def _key_line(line: str, *, starts_paragraph: bool = False,
              in_list: bool = False) -> tuple[str, str] | None:
    """`**Key:** value`, `**Key**: value` or `Key: value` (known keys only) -> (label, value).

    A plain `Problem: ...` names a section only where it starts a paragraph, so that prose
    such as "the error: ..." inside a description is not split.
    """
    match = _BOLD_KEY.match(line)
    if match:
        label, value = match.group("label").strip(), match.group("value").strip()
        known = _is_known_label(label)
        if match.group("inner") or match.group("outer") or (known and not value):
            return label, _strip_break(value)
        return None
    match = _PLAIN_KEY.match(line)
    plain = normalize_label(match.group("label")) if match else ""
    if match and (plain in FIELD_LABELS or ((starts_paragraph or in_list) and section_of(plain))):
        return match.group("label").strip(), _strip_break(match.group("value").strip())
    match = _DASH_KEY.match(line) if in_list else None
    if match and _is_known_label(match.group("label")):  # `- Status — open`: known labels only
        return match.group("label").strip(), _strip_break(match.group("value").strip())
    return None


def _own_label_line(line: str) -> tuple[str, str] | None:
    """`Workaround: resize first`: a capitalised label of up to three words, among key lines."""
    match = _PLAIN_KEY.match(line)
    label = match.group("label").strip() if match else ""
    # Not `ValueError: invalid literal`: a CamelCase word is a name from code, not a label.
    camel = any(re.search(r"[a-z][A-Z]", word) for word in label.split())
    if match and label[:1].isupper() and len(label.split()) <= 3 and not camel:
        return label, _strip_break(match.group("value").strip())
    return None


def _strip_break(value: str) -> str:
    return value.removesuffix("\\").rstrip()


def _list_items(block: _Block) -> list[tuple[int, int]]:
    """Line ranges of the items of a top-level list."""
    return [(token.map[0], min(token.map[1], block.stop)) for token in block.tokens
            if token.type == "list_item_open" and token.level == 1 and token.map
            and token.map[0] < block.stop]


def _table_rows(block: _Block) -> list[tuple[int, list[str]]]:
    """(0-based line, cell sources) of each row of a table, the header first."""
    rows: list[tuple[int, list[str]]] = []
    for index, token in enumerate(block.tokens):
        if token.type == "tr_open" and token.map:
            cells = []
            for inner in block.tokens[index + 1:]:
                if inner.type == "tr_close":
                    break
                if inner.type == "inline":
                    cells.append(inner.content.strip())
            rows.append((token.map[0], cells))
    return rows


def _has_known_key(line: str) -> bool:
    """Whether a line is `**Status:** ...` or another field of a known name."""
    key = _key_line(line)
    return bool(key and _is_known_label(key[0]))


def _is_known_label(text: str) -> bool:
    return field_of(text) is not None or section_of(text) is not None


def _split_lazy_keys(blocks: list[_Block], lines: list[str]) -> Iterator[_Block]:
    """Split a list where a `**Key**:` line follows it without a blank line.

    CommonMark reads such a line as a lazy continuation of the last item; in a log it starts
    the next field.
    """
    for block in blocks:
        if block.kind in ("bullet_list", "ordered_list"):
            for index in range(block.start + 1, block.stop):
                line = lines[index]
                if line.startswith((" ", "\t")) or strip_list_marker(line) != line:
                    continue
                key = _key_line(line)
                if key and _is_known_label(key[0]):
                    yield _Block(block.kind, block.start, index, block.tokens)
                    yield _Block("paragraph", index, block.stop, [])
                    break
            else:
                yield block
        else:
            yield block


class _FieldCollector:
    """Collects the labelled parts of one entry, block by block."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.found: list[_Field] = []
        self.lead: list[int] = []  # lines before the first label: the entry's description

    def add_lines(self, start: int, stop: int) -> None:
        """Unlabelled lines belong to the field above them, if it takes blocks."""
        owner = self.found[-1] if self.found else None
        # Blocks after `**Status:** Open` or a key/value list item are not that field's content.
        takes_blocks = owner is not None and not owner.listed and (
            owner.section is not None or not owner.value)
        target = owner.content if owner is not None and takes_blocks else self.lead
        target.extend(range(start, stop))

    def paragraph(self, block: _Block) -> None:
        after_key = False
        for index in range(block.start, block.stop):
            # `Symptom: ...` / `Cause: ...` / `Fix: ...` on consecutive lines: each starts a field.
            key = _key_line(self.lines[index], starts_paragraph=index == block.start or after_key)
            if key is None and after_key:
                key = _own_label_line(self.lines[index])  # `Workaround: ...` among them
            after_key = key is not None
            last = self.found[-1] if self.found else None
            if key and last and last.adopts_labels() and not _is_known_label(key[0]):
                last.content.append(index)
                last.sublabelled = True
            elif key:
                self.found.append(_Field(key[0], index, key[1], value_end=index))
            elif (last and last.value and last.value_end == index - 1 and not last.content
                  and last.meta is None):
                last.value += "\n" + self.lines[index].strip()
                last.value_end = index
            else:
                self.add_lines(index, index + 1)

    def table(self, block: _Block) -> bool:
        """`| Field | Value |` tables: one field per row whose first cell names one."""
        rows = [(line, cells) for line, cells in _table_rows(block) if len(cells) >= 2]
        keyed = [(line, cells) for line, cells in rows if _is_known_label(cells[0])]
        if not keyed or len(keyed) * 2 <= len(rows) - 1:
            return False
        for line, cells in rows[1:] if rows and not _is_known_label(rows[0][1][0]) else rows:
            # Rows of other names (`| Resolved in | v2.3.1 |`) are fields of their own name.
            if any(cell and not is_missing(cell) for cell in cells[1:]):
                self.found.append(_Field(cells[0], line, " | ".join(cells[1:]), listed=True))
        return True

    def key_list(self, block: _Block) -> bool:
        """`- **Status**: Open` lists: one field per item, when most items are labelled."""
        items = _list_items(block)
        keys = [_key_line(strip_list_marker(self.lines[start]), in_list=True)
                for start, _ in items]
        if not items or sum(1 for key in keys if key) * 2 <= len(items):
            return False
        owner = self.found[-1] if self.found else None
        if owner and owner.adopts_labels() and not any(
                key and _is_known_label(key[0]) for key in keys):
            # `1. **Retry Handler:**` items under an empty `**Solution:**`: its content, in order.
            owner.content.extend(range(block.start, block.stop))
            owner.sublabelled = True
            return True
        for (start, stop), key in zip(items, keys, strict=True):
            if key:
                self.found.append(_Field(key[0], start, key[1], list(range(start + 1, stop)),
                                         listed=True))
            else:
                self.add_lines(start, stop)
        return True


def _trailing_start(node: _Node, lines: list[str]) -> int | None:
    """The first line after a `---` that closes the log's last entry, when text follows it.

    What follows the rule below the last heading of the log (a dependency table, a `**Key:**`
    legend, rules for editors) is the document's, not the entry's: unless it holds fields.
    """
    if node.children or node.stop < len(lines) or not node.blocks:
        return None
    rules = [index for index, block in enumerate(node.blocks) if block.kind == "hr"]
    if not rules or rules[-1] in (0, len(node.blocks) - 1):
        return None
    after = node.blocks[rules[-1] + 1:]
    if any(_has_known_key(lines[index]) for block in after
           for index in range(block.start, block.stop)):
        return None
    return after[0].start


def _fields(node: _Node, lines: list[str]) -> tuple[list[_Field], list[int]]:
    """The labelled parts of an entry, and the lines before the first label (its lead text)."""
    collector = _FieldCollector(lines)
    trailing = _trailing_start(node, lines)
    for block in _split_lazy_keys(node.blocks, lines):
        if trailing is not None and block.start >= trailing:
            break
        if block.kind == "hr":
            continue
        if block.kind == "paragraph":
            collector.paragraph(block)
        elif not (block.kind == "table" and collector.table(block)) and not (
                block.kind in ("bullet_list", "ordered_list") and collector.key_list(block)):
            collector.add_lines(block.start, block.stop)
    for child in node.children:
        content = list(range(child.line + 1, child.stop))
        keyed = _leading_key_list(child, lines)
        if keyed is not None:
            # `#### Details` over `- Found: 2024-04-18`, `- Reported by: QA`: fields, not text.
            collector.found.append(_Field(child.title, child.line, "", []))
            if collector.key_list(keyed):
                content = [index for index in content if not keyed.start <= index < keyed.stop]
            collector.found.append(_Field(child.title, child.line, "", content))
            continue
        collector.found.append(_Field(child.title, child.line, "", content))
    return collector.found, collector.lead


def _leading_key_list(node: _Node, lines: list[str]) -> _Block | None:
    """The list that opens a sub-heading's content, when each of its items is a known field."""
    if node.children or not node.blocks or node.blocks[0].kind not in ("bullet_list",
                                                                     "ordered_list"):
        return None
    block = node.blocks[0]
    items = _list_items(block)
    keys = [_key_line(strip_list_marker(lines[start]), in_list=True) for start, _ in items]
    if items and all(key and _is_known_label(key[0]) for key in keys) and any(
            key and field_of(key[0]) for key in keys):
        return block
    return None


def _text_of(indexes: list[int], lines: list[str]) -> str:
    """The source lines at these indexes, verbatim, with the blank lines between them."""
    if not indexes:
        return ""
    wanted = set(indexes)
    out = [lines[i] for i in range(min(wanted), max(wanted) + 1)
           if i in wanted or not lines[i].strip()]
    while out and (not out[-1].strip() or _RULE.match(out[-1])):
        out.pop()
    text = "\n".join(out).strip("\n")
    return "" if all(_PLACEHOLDER_LINE.match(line) or not line.strip() for line in out) else text


def _dedent_items(text: str) -> str:
    """Nested lines of a list item lose the item's indentation."""
    rows = text.splitlines()
    indent = min((len(r) - len(r.lstrip()) for r in rows if r.strip()), default=0)
    return "\n".join(r[indent:] for r in rows)


@dataclass(frozen=True)
class KnownIds:
    """IDs the log itself shows to be IDs: in tables, links and clearly marked headings.

    `UTF-8 decoding fails` does not start with an ID, `BUG-101 Upload timeouts` does when the
    log lists BUG-101 in an index, or marks other BUG headings as IDs (`BUG-7: ...`).
    """

    ids: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()

    def confirm(self, code: str) -> bool:
        """Whether an ID followed by a plain space is an ID rather than a word like UTF-8."""
        return code.upper() in self.ids or _id_prefix(code) in self.prefixes


def _id_prefix(code: str) -> str:
    return re.sub(r"[-_]\d+$", "", code).upper()


def _title_parts(title: str, known: KnownIds = KnownIds()) -> tuple[str, str, str]:
    """(shape, legacy id, title) of a heading; shapes: id, numbered, dated, prefixed, plain."""
    # Emoji and emphasis before an ID (`🐛 BUG-12: ...`, `**BUG-12**: ...`) do not hide it.
    core = _LEADING_SYMBOLS.sub("", title).replace("**", "")
    match = _ID_TITLE.match(core)
    weak = bool(match and match.group("code") and not match.group("open")
                and match.group("sep").strip() == "" and match.group("title"))
    if match and (not weak or known.confirm(match.group("code"))):
        return "id", match.group("id").strip(), match.group("title").strip()
    match = _TRAILING_ID.match(title)
    if match:
        return "id", match.group("id"), match.group("title").strip()
    match = _NUMBERED_TITLE.match(core)
    if match:
        return "numbered", match.group("number"), match.group("title").strip()
    match = _DATED_TITLE.match(core)
    if match:
        return "dated", "", match.group("title").strip()
    match = _PREFIXED_TITLE.match(core)
    if match:
        return "prefixed", "", match.group("title").strip()
    return "plain", "", title.strip()


def _heading_shape(title: str, known: KnownIds = KnownIds()) -> str:
    """What kind of entry heading a title is: 'id', 'numbered', 'dated', 'prefixed' or 'plain'."""
    return _title_parts(title, known)[0]


def split_title(title: str, known: KnownIds = KnownIds()) -> tuple[str, str]:
    """'[ISSUE-012] Title', 'KI-004 – Title', 'Title (BUG-7)', '3. Title' -> (legacy id, title)."""
    _, legacy_id, rest = _title_parts(title, known)
    return legacy_id, rest


def known_ids(root: _Node, text: str, config: Config) -> KnownIds:
    """The IDs a log shows as IDs: table cells, link texts, headings with an ID and a separator."""
    ids = {match.group("id").upper() for link in re.finditer(r"\[([^\]]+)\]\(", text)
           for match in _PREFIXED_ID.finditer(link.group(1))}
    prefixes = {config.id_prefix.upper()}
    leading: dict[str, set[str]] = {}  # prefix -> distinct IDs that start headings
    nodes = [root]
    while nodes:
        node = nodes.pop()
        nodes.extend(node.children)
        for block in node.blocks:
            if block.kind == "table":
                ids |= {match.group("id").upper() for _, cells in _table_rows(block)
                        for cell in cells for match in _PREFIXED_ID.finditer(cell)}
        match = _ID_TITLE.match(_LEADING_SYMBOLS.sub("", node.title)) if node.level else None
        if match and match.group("code"):
            leading.setdefault(_id_prefix(match.group("code")), set()).add(match.group("code"))
        shape, legacy_id, _ = _title_parts(node.title) if node.level else ("", "", "")
        if shape == "id" and _PREFIXED_ID.fullmatch(legacy_id):
            prefixes.add(_id_prefix(legacy_id))
    # Several headings numbered with one prefix (PROJ-17, PROJ-21) are a series of IDs.
    prefixes |= {prefix for prefix, codes in leading.items() if len(codes) >= 2}
    return KnownIds(frozenset(ids), frozenset(prefixes))


def log_date(lines: list[str]) -> date | None:
    """The log's own date: the newest `Last Updated: 2026-01-10` (or modified, reviewed) line."""
    found = []
    for line in lines:
        match = _LAST_UPDATED.search(line)
        day = parse_date_and_rest(match.group("rest"))[0] if match else None
        if day is not None:
            found.append(as_date(day))
    return max(found, default=None)


def fitting_id(legacy_id: str, config: Config) -> str | None:
    """The configured form of a legacy ID that fits the ID pattern (`issue 7` -> `ISSUE-007`)."""
    # More digits than an ID can sensibly hold (a 300-digit "ID" makes a file name no file
    # system accepts) keep the legacy ID as text and take the next free ID instead.
    match = re.fullmatch(rf"{re.escape(config.id_prefix)}[-_ ]?#?\s*0*(\d{{1,{MAX_ID_DIGITS}}})",
                         legacy_id.strip(), re.I)
    return config.format_id(int(match.group(1))) if match else None


# --- judging headings ------------------------------------------------------------------------


@dataclass
class _Reading:
    """How much a heading looks like an entry."""

    fields: list[_Field]
    lead: list[int]
    known: int  # labels that name a known field or section
    evidence: bool  # a real date, status or severity among them
    content: bool  # anything under it at all


def _read(node: _Node, lines: list[str], config: Config) -> _Reading:
    fields, lead = _fields(node, lines)
    known = sum(1 for f in fields if f.meta or f.section)
    evidence = any(
        (item.meta in ("reported", "resolved") and parse_date(item.value)[0] is not None)
        or (item.meta == "status" and map_status(item.value, config))
        or (item.meta == "severity" and map_severity(item.value, config))
        for item in fields)
    content = bool(_text_of(lead, lines)) or any(
        (f.value and not is_missing(f.value)) or _text_of(f.content, lines) for f in fields)
    return _Reading(fields, lead, known, evidence, content)


def _is_template(node: _Node, known: KnownIds) -> bool:
    named = bool(_TEMPLATE_TITLE.search(normalize_label(node.title)))
    return named and _heading_shape(node.title, known) != "id"


def _looks_like_entry(node: _Node, reading: _Reading, known: KnownIds) -> bool:
    """Judged by the heading alone: an ID, or issue-like fields under it."""
    if _is_template(node, known):
        return False
    if _heading_shape(node.title, known) == "id":
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


def _is_document_title(node: _Node) -> bool:
    """The log's single top heading (`# Known Problems`) names the document, not a group."""
    parent = node.parent
    return parent is not None and parent.level == 0 and node.level == 1 and sum(
        1 for sibling in parent.children if sibling.level == 1) == 1


def _records(fields: list[_Field]) -> list[list[_Field]]:
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


def _is_planned_work(node: _Node) -> bool:
    """`## Roadmap`, `## Ongoing Work`: what is under it is planned work, not issues."""
    return bool(_PLANNED_WORK.fullmatch(normalize_label(node.title)))


def _holds_entries(node: _Node, lines: list[str], config: Config, known: KnownIds) -> bool:
    """Whether headings under this one are entries: then it groups them, and is none itself.

    A sub-heading named like a field (`### Solution`, `### ✅ Fix applied`) is part of an entry;
    one with an ID, a number or a date, or with fields of its own, is an entry of its own.
    """
    if _heading_shape(node.title, known) == "id":
        return False  # `## BUG-7: ...` is an entry, whatever its sub-headings look like
    for child in node.children:
        if not (section_of(child.title) or field_of(child.title)) and (
                _heading_shape(child.title, known) in ("id", "dated", "prefixed")
                or _looks_like_entry(child, _read(child, lines, config), known)):
            return True
        if _holds_entries(child, lines, config, known):
            return True
    return False


@dataclass(frozen=True)
class _Given:
    """One field as the log gives it: its value on the label's line, the blocks under it."""

    item: _Field
    value: str
    content: str
    text: str  # value and content together
    line: int  # 1-based


def _take_title(draft: Draft, given: _Given) -> None:
    draft.extra.setdefault("legacy_title", given.value)


def _take_id(draft: Draft, given: _Given) -> None:
    if not draft.legacy_id and not is_missing(given.value):
        draft.legacy_id = given.value.strip("`[]")


def _take_tags(draft: Draft, given: _Given) -> None:
    draft.fields["tags"] = split_list(given.value, given.content)


def _take_files(draft: Draft, given: _Given) -> None:
    paths, noted = split_files(given.value, given.content)
    draft.fields["files"] = paths
    if noted:  # `path` - what changed there: the notes stay readable in the body
        draft.sections.append(("Files", given.text))


def _take_related(draft: Draft, given: _Given) -> None:
    text = given.text
    draft.related_legacy += [m.group("id") for m in _PREFIXED_ID.finditer(text)]
    # Words beside the IDs ("same root cause", "Issue 7") stay readable in the body.
    if re.search(r"[A-Za-z]{2}", _PREFIXED_ID.sub("", text)) and not is_missing(text):
        draft.sections.append(("Related Issues", text))


#: Fields taken as they are written, whatever else the entry says (the rest are mapped or dated).
_DIRECT_FIELDS = {"title": _take_title, "id": _take_id, "tags": _take_tags, "files": _take_files,
                  "related": _take_related}
_MAPPERS = {"status": map_status, "severity": map_severity, "phase": map_phase,
            "category": map_category}


# --- the plan --------------------------------------------------------------------------------


class _Reader:
    """Walks the heading tree of one log and collects drafts and notices."""

    def __init__(self, lines: list[str], config: Config, default_severity: str,
                 default_status: str) -> None:
        self.lines = lines
        self.log_day = log_date(lines)
        self.config = config
        self.known = KnownIds()
        self.default_severity = default_severity
        self.default_status = default_status
        self.drafts: list[Draft] = []
        self.table_drafts: list[Draft] = []
        self.index_rows: list[Draft] = []
        self.unreadable: list[Notice] = []
        self.warnings: list[Notice] = []

    def visit(self, node: _Node) -> None:
        self.read_tables(node)
        # Records written straight under a heading that groups others (or under no heading).
        own, lead = _fields(_Node(node.level, node.title, node.line, node.stop, node.blocks,
                                  parent=node.parent), self.lines)
        self.records(node, _records(own), lead, {})
        readings = [_read(child, self.lines, self.config) for child in node.children]
        holders = [_holds_entries(child, self.lines, self.config, self.known)
                   for child in node.children]
        entries = [_looks_like_entry(child, reading, self.known) and not holds
                   for child, reading, holds in zip(node.children, readings, holders, strict=True)]
        entry_shapes = {_heading_shape(child.title, self.known)
                        for child, is_entry in zip(node.children, entries, strict=True) if is_entry}
        labels: dict[str, str] = {}  # from sibling headings such as `### High 🟠` above entries
        for child, reading, is_entry, holds in zip(node.children, readings, entries, holders,
                                                   strict=True):
            if _is_template(child, self.known):
                continue
            shape = _heading_shape(child.title, self.known)
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
            given = self.heading_values(child.title)
            if given:
                labels = {**{k: v for k, v in labels.items() if k not in given}, **given}
            if peer:
                self.unreadable.append(Notice(child.line + 1, f"heading '{child.title}' looks like "
                                              "an entry but has nothing under it; not imported"))
            else:
                self.visit(child)

    def heading_values(self, title: str) -> dict[str, str]:
        """Status, severity or phase named by a heading such as 'Resolved Issues', 'Critical 🔴'."""
        found: dict[str, str] = {}
        for part in re.split(r"\s*(?:/|&|\||,|\band\b)\s*", title):
            text = re.sub(r"\b(?:issues?|bugs?|errors?|problems?|items?|tickets?|priority|"
                          r"severity|entries)\b", " ", normalize_label(part))
            text = " ".join(text.split())
            if not text:
                continue
            for key in ("status", "severity"):
                mapped = named_exactly(text, self.config, key)
                if mapped:
                    found.setdefault(key, mapped)
        stripped = " ".join(re.sub(r"[^\w .:-]", "", title).split())
        if re.match(r"^phase\b", normalize_label(title)) or stripped in self.config.phases:
            phase = map_phase(stripped, self.config)
            if phase:
                found.setdefault("phase", phase)
        return found

    def context(self, node: _Node, labels: dict[str, str] | None = None) -> dict[str, str]:
        """Status, severity and phase given by sibling labels and the headings above an entry."""
        found = dict(labels or {})
        for ancestor in node.ancestors():
            for key, value in self.heading_values(ancestor.title).items():
                found.setdefault(key, value)
        return found

    def entry(self, node: _Node, reading: _Reading, labels: dict[str, str]) -> None:
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
        if records and _heading_shape(node.title, self.known) != "id":
            self.records(node, records, reading.lead, labels)
            return
        draft = Draft(node.line + 1, title, legacy_id)
        trailing = _trailing_start(node, self.lines)
        if trailing is not None:
            self.unreadable.append(Notice(trailing + 1, f"lines {trailing + 1}-{node.stop} follow "
                                          f"the rule that closes '{title}', the last entry: they "
                                          "belong to the log, not to it; not imported"))
        lead = _text_of(reading.lead, self.lines)
        if lead:
            draft.sections.append(("Description", lead))
        for item in reading.fields:
            self.apply(draft, item, _text_of(item.content, self.lines))
        dated = _DATED_TITLE.match(node.title)
        day = parse_date(dated.group("date"))[0] if dated else None
        if day is not None:
            draft.fields.setdefault("reported", day)
        self.heading_date(draft, node)
        self.group(draft, node)
        draft.context = self.context(node, labels)
        self.drafts.append(draft)

    def records(self, node: _Node, records: list[list[_Field]], lead: list[int],
                labels: dict[str, str]) -> None:
        """Each record an entry; text before the first one is reported, being no entry's."""
        for fields in records:
            self.record(node, fields, labels)
        if records and _text_of(lead, self.lines):
            where = f"under '{node.title}'" if node.level else "at the top of the log"
            self.unreadable.append(Notice(min(lead) + 1, f"text {where} before its first "
                                          "record belongs to no entry; not imported"))

    def record(self, node: _Node, fields: list[_Field], labels: dict[str, str]) -> None:
        """One record of a heading that holds several (`**Issue:** ...` `**Solution:** ...` twice).

        Its first field names it: a one-line value is the title; a longer one is the
        description, and its first line (shortened) the title.
        """
        first = fields[0]
        text = (first.value or _text_of(first.content, self.lines)).strip()
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
            self.apply(draft, item, _text_of(item.content, self.lines))
        own = _DATE_ANYWHERE.search(node.title)  # `## 2024-03-11` over its records
        day = parse_date(own.group(0))[0] if own else None
        if day is not None:
            draft.fields.setdefault("reported", day)
        self.heading_date(draft, node)
        draft.context = self.context(node, labels)
        self.drafts.append(draft)

    def heading_date(self, draft: Draft, node: _Node) -> None:
        """`## Session: 2024-03-11`, `## 2024-03-12 (continued)`: the date of the entries under it."""
        if "reported" in draft.fields:
            return
        for ancestor in node.ancestors():
            found = _DATE_ANYWHERE.search(ancestor.title)
            day = parse_date(found.group(0))[0] if found else None
            if day is not None:
                draft.fields["reported"] = day
                return

    def group(self, draft: Draft, node: _Node) -> None:
        """The heading an entry is grouped under (`## Networking Problems`) is kept.

        It is the entry's category when it names a configured one (`Performance Issues`), else
        `legacy_group`; headings that say a status, severity, phase or date, and generic ones
        (`Details`, `Bugs`, the document's own title) say nothing of the kind.
        """
        for ancestor in node.ancestors():
            if _is_document_title(ancestor) or _DATE_ANYWHERE.search(ancestor.title):
                continue
            if self.heading_values(ancestor.title):
                continue
            words = re.sub(_GROUP_WORDS, " ", normalize_label(ancestor.title)).split()
            if not words or " ".join(words) in _GENERIC_GROUPS:
                continue
            category = map_category(" ".join(words), self.config) if self.config.categories \
                else None
            if category and "category" not in draft.fields:
                draft.fields["category"] = category
            elif not category:
                _keep(draft, "legacy_group", ancestor.title.strip())
            return

    def apply(self, draft: Draft, item: _Field, content: str) -> None:
        """Put one field where it belongs: the frontmatter, a legacy key or a body section."""
        meta, value = item.meta, item.value
        content = _dedent_items(content) if content else ""
        if meta and not value and content and "\n" not in content.strip():
            value, content = content.strip(), ""  # `### Status` with `Resolved` under it
        given = _Given(item, value, content, "\n\n".join(p for p in (value, content) if p),
                       item.line + 1)
        if meta is None or (meta in ("title", "id") and not value):
            self.apply_section(draft, given)
        elif meta in _DIRECT_FIELDS:
            _DIRECT_FIELDS[meta](draft, given)
        elif is_missing(value) and not content:
            return
        elif meta in ("reported", "resolved"):
            self.apply_date(draft, given, meta)
        elif meta != "severity" or self.take_severity(draft, item.label, value):
            self.apply_value(draft, given, meta)

    def apply_section(self, draft: Draft, given: _Given) -> None:
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
            when = _DATE_ANYWHERE.search(item.label)  # `### ✅ FIX APPLIED (2024-05-02)`
            day = parse_date(when.group(0))[0] if when else None
            if day is not None:
                draft.fields["resolved"] = day

    def apply_date(self, draft: Draft, given: _Given, meta: str) -> None:
        """`reported` or `resolved`: a date read as written, or kept and reported when unclear."""
        written = given.value or given.content
        if not re.search(r"\d", written):
            # `**Fixed:** by switching to theme tokens` is a resolution, not a date.
            draft.sections.append((given.item.section or "Resolution" if meta == "resolved"
                                   else given.item.label.strip(), given.text))
            return
        parsed, problem, rest = parse_date_and_rest(written)
        if parsed is not None:
            draft.fields[meta] = parsed
            by = re.fullmatch(r"by\s+(.+)", rest, re.I)
            if by and meta == "reported":
                draft.fields.setdefault("reporter", by.group(1).strip())
            elif rest:  # words after the date are kept with it
                _keep(draft, f"legacy_{meta}", written)
            return
        if month_only(written):
            problem = f"date '{written}' gives the month only; the day is unknown"
        if problem:
            self.warnings.append(Notice(given.line, f"{problem}; kept as legacy_{meta}"))
            _keep(draft, f"legacy_{meta}", written)

    def apply_value(self, draft: Draft, given: _Given, meta: str) -> None:
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
            _keep(draft, f"legacy_{meta}", given.text)
            self.warnings.append(Notice(given.line, f"{meta} '{value or content}' is not a "
                                        f"configured {meta}; kept as legacy_{meta}"))
            return
        draft.fields[meta] = mapped
        if meta in ("status", "severity") and named_exactly(normalize_label(value), self.config,
                                                             meta, heading=False) != mapped:
            _keep(draft, f"legacy_{meta}", value)  # `Fixed (2025-04-04)`: keep every word
        closing = self.config.status(mapped) if meta == "status" else None
        when = _DATE_ANYWHERE.search(value)
        closed_on = parse_date(when.group(0))[0] if when else None
        if closing is not None and not closing.open and closed_on is not None:
            draft.fields.setdefault("resolved", closed_on)
        if content:
            draft.sections.append((label, content))

    def nested_files(self, draft: Draft, text: str, line: int) -> str:
        """`**Files:** a.py` inside a `### Solution` sub-section goes to `files`; the rest stays."""
        kept = []
        for row in text.split("\n"):
            match = _BOLD_KEY.match(row)
            if match and field_of(match.group("label")) == "files" and match.group("value"):
                self.apply(draft, _Field(match.group("label"), line - 1, match.group("value")), "")
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
                _keep(draft, "legacy_priority", value)
                return False
            _keep(draft, "legacy_priority", earlier_text)  # the Severity line, later, wins
            draft.fields.pop("severity", None)
        draft.severity_source = (kind, value)
        return True

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
        self.settle_dates(draft, status, knowledge)
        if draft.legacy_id:
            draft.extra = {"legacy_id": draft.legacy_id, **draft.extra}

    def settle_dates(self, draft: Draft, status: Status | None, knowledge: bool) -> None:
        """Dates that contradict the status are kept aside; those the log never gave, flagged."""
        if draft.event_date and status is not None and not status.open and \
                "resolved" not in draft.fields and "reported" in draft.fields:
            draft.fields["resolved"] = draft.fields.pop("reported")
        if knowledge and self.log_day is not None:
            draft.fields.setdefault("reported", draft.fields.get("resolved", self.log_day))
        if status is not None and status.open and "resolved" in draft.fields:
            _keep(draft, "legacy_resolved", _date_text(draft.fields.pop("resolved")))
            self.warnings.append(Notice(draft.line, f"'{draft.title}' is {status.label} but has a "
                                        "resolved date; kept as legacy_resolved"))
        reported, resolved = draft.fields.get("reported"), draft.fields.get("resolved")
        if reported is not None and resolved is not None and as_date(resolved) < as_date(reported):
            _keep(draft, "legacy_resolved", _date_text(draft.fields.pop("resolved")))
            self.warnings.append(Notice(draft.line, f"'{draft.title}' was resolved before it was "
                                        "reported; kept the date as legacy_resolved"))
        # A date the log does not state is unknown: never today, never the other date.
        if not knowledge:
            if "reported" not in draft.fields:
                draft.extra["reported_unknown"] = True
            if status is not None and not status.open and "resolved" not in draft.fields:
                draft.extra["resolved_unknown"] = True

    def read_tables(self, node: _Node) -> None:
        """Log tables (an issue column and a cause or fix column) right under a heading."""
        for block in node.blocks:
            if block.kind == "table":
                self.read_table(node, block)

    def read_table(self, node: _Node, block: _Block) -> None:
        rows = _table_rows(block)
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
                    self.apply(draft, _Field(label, line, cell), "")
            legacy_id, title = split_title(values["issue"], self.known)
            if not title.strip() or is_missing(title):
                self.unreadable.append(
                    Notice(line + 1, "table row has no issue text; not imported"))
                continue
            draft.title = strip_links(title)
            if not draft.legacy_id and _heading_shape(values["issue"], self.known) == "id":
                draft.legacy_id = legacy_id
            reference = {key: value for key, value in (("area", area), ("cause", values["cause"]),
                                                       ("solution", values["solution"])) if value}
            if not dated:
                draft.extra["reference"] = reference
            for name, role in (("Root Cause", "cause"), ("Resolution", "solution")):
                if values[role]:
                    draft.sections.append((name, values[role]))
            draft.context = self.context(node) if node.level else {}
            self.table_drafts.append(draft)

    def read_index(self, node: _Node, rows: list[tuple[int, list[str]]], roles: list[str]) -> None:
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
                    self.apply(draft, _Field(label, line, cell), "")
                elif cell and not is_missing(cell) and label.strip():
                    draft.sections.append((label.strip(), cell))  # `Notes`: kept, never lost
            draft.context = self.context(node) if node.level else {}
            self.index_rows.append(draft)


def _column_role(name: str) -> str:
    """A log table column: the issue itself, its cause, its solution, or something else."""
    if name in ("issue", "problem", "error", "symptom", "symptoms", "bug", "title", "issue title",
                "error message", "what", "problem description", "summary", "finding", "name",
                "short title", "short description"):
        return "issue"
    section = SECTION_LABELS.get(name) or SECTION_LABELS.get(name.removeprefix("likely ")
                                                         .removeprefix("probable "))
    return {"Root Cause": "cause", "Resolution": "solution"}.get(section or "", "other")


def _keep(draft: Draft, key: str, text: str) -> None:
    """Keep a value the frontmatter cannot hold under a `legacy_*` key, beside earlier ones."""
    earlier = draft.extra.get(key)
    if earlier is None:
        draft.extra[key] = text
    elif text not in str(earlier):
        draft.extra[key] = f"{earlier}; {text}"


def _date_text(value: date) -> str:
    return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()


def _body(sections: list[tuple[str, str]]) -> str:
    """The issue body: each section under a `##` heading, known ones in the usual order first."""
    merged: dict[str, list[str]] = {}
    for name, text in sections:
        merged.setdefault(name, []).append(text)
    order = [name for name in SECTIONS if name in merged] + [n for n in merged if n not in SECTIONS]
    return "\n\n".join(f"## {name}\n\n" + "\n\n".join(merged[name]) for name in order)


def _entry_key(text: str) -> str:
    return normalize_label(strip_links(text))


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
    severity = default_severity or configured_default_severity(config)
    status = default_status or config.default_status
    if config.severity(severity) is None:
        raise UsageError(f"unknown severity '{severity}' "
                         f"(allowed: {', '.join(s.name for s in config.severities)})")
    if config.status(status) is None:
        raise UsageError(f"unknown status '{status}' "
                         f"(allowed: {', '.join(s.name for s in config.statuses)})")
    # markdown-it ends lines at CR, LF and CRLF alike; the line list must agree with its map.
    root, lines = _tree(text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n"))
    reader = _Reader(lines, config, severity, status)
    reader.known = known_ids(root, text, config)
    reader.visit(root)
    plan = ImportPlan(source, unreadable=reader.unreadable, warnings=reader.warnings)
    _merge_table_rows(reader)
    for draft in reader.drafts:
        reader.finish(draft)
        draft.body = _body(draft.sections)
    plan.drafts = sorted(reader.drafts, key=lambda d: d.line)
    plan.unreadable.sort(key=lambda n: n.line)
    plan.warnings.sort(key=lambda n: n.line)
    return plan


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


def _merge_table_rows(reader: _Reader) -> None:
    """Rows of index and log tables join the entry they name; the rest are entries of their own.

    A row names an entry by its legacy ID, by the number of that ID (`01` for `Bug #01`, when
    only one entry has that number), by its title, or by a shortened title that fits exactly
    one entry. What only the row says (status, notes, a different summary) is added to it.
    """
    index = _EntryIndex(list(reader.drafts))
    for row in reader.table_drafts + reader.index_rows:
        same = index.find(row)
        if same is not None:
            _merge_row(same, row)
        elif row.title:  # listed only in a table: an entry of its own
            reader.drafts.append(row)
            # Reference rows may share a title across areas; only an ID names one entry.
            if row.legacy_id:
                index.by_key.setdefault(_entry_key(row.legacy_id), row)
        else:
            reader.unreadable.append(Notice(row.line, f"index row '{row.legacy_id}' names no "
                                            "entry of this log and has no title; not imported"))


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


def plan_ids(plan: ImportPlan, config: Config) -> None:
    """Give each draft its ID: its legacy ID when it fits and is free, else the next free one.

    Entries imported before from the same log (an issue with the same `imported_from` and the
    same legacy_id, or the same title) are skipped, so that importing twice creates nothing new.
    """
    existing = load_issues(config).issues
    by_id = {issue.id: issue for issue in existing}
    earlier: dict[tuple[str, str], str] = {}
    for issue in existing:
        origin = str(issue.extra.get("imported_from", ""))
        if origin:
            earlier.setdefault((origin, "id:" + str(issue.extra.get("legacy_id", ""))), issue.id)
            area = (issue.reference or {}).get("area", "")
            earlier.setdefault((origin, _title_key(issue.title, area)), issue.id)
    taken = {i.id for i in existing} | existing_ids(config)
    kept: list[Draft] = []
    for draft in plan.drafts:
        draft.extra["imported_from"] = plan.source
        twin = earlier.get((plan.source, "id:" + draft.legacy_id)) if draft.legacy_id else None
        area = draft.extra.get("reference", {}).get("area", "")
        twin = twin or earlier.get((plan.source, _title_key(draft.title, area)))
        if twin:
            plan.skipped.append((draft, twin))
            if draft.extra.get("reference_only") and _dated_reference_row(by_id.get(twin)):
                plan.upgrades.append((draft, twin))
        else:
            kept.append(draft)
    plan.drafts = kept
    for draft in plan.drafts:
        wanted = fitting_id(draft.legacy_id, config) if draft.legacy_id else None
        if wanted and wanted not in taken:
            draft.planned_id = wanted
            taken.add(wanted)
    highest = max((int(m.group(1)) for m in map(config.id_pattern.match, taken) if m), default=0)
    for draft in plan.drafts:
        if not draft.planned_id:
            highest += 1
            draft.planned_id = config.format_id(highest)
            taken.add(draft.planned_id)


def _dated_reference_row(issue: Issue | None) -> bool:
    """Whether an issue is a reference row as imports wrote them before `reference_only`:
    a reference, not marked, resolved on the day it was reported (the day of the import)."""
    return (issue is not None and issue.reference is not None and not issue.reference_only
            and issue.reported is not None and issue.reported == issue.resolved)


def upgrade_reference_entries(plan: ImportPlan, config: Config) -> list[str]:
    """Make the planned upgrades: `reference_only: true`, and the invented dates emptied.

    Each goes through the same checked, atomic edit as `issuelog set`; returns the IDs changed.
    """
    changed = []
    for _, issue_id in plan.upgrades:
        edit = update_issue(config, issue_id,
                            {"reference_only": True, "reported": EMPTY, "resolved": EMPTY})
        if edit.changed:
            changed.append(edit.issue_id)
    return changed


def _title_key(title: str, area: str) -> str:
    """Rows of reference tables may share a title across areas (`Connection refused`)."""
    return f"{normalize_label(title)}|{normalize_label(area)}"


def plan_import(
    path: Path,
    config: Config,
    *,
    default_severity: str | None = None,
    default_status: str | None = None,
) -> ImportPlan:
    """Read the log at `path` and decide the ID of each entry; nothing is written."""
    shown = display_path(path.resolve(), config)
    if path.is_dir():
        raise UsageError(f"{shown}: is a directory; give the Markdown log to import")
    if not path.is_file():
        raise UsageError(f"{shown}: no such file")
    text, problem = read_text(path, shown, max_bytes=MAX_LOG_BYTES)
    if problem is not None or text is None:
        raise IssueFileError(str(problem))
    plan = read_log(text, config, source=_source_name(path, config),
                    default_severity=default_severity, default_status=default_status)
    plan_ids(plan, config)
    return plan


def _source_name(path: Path, config: Config) -> str:
    """The log's path relative to the project root (as recorded in `imported_from`)."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(config.root.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def refusals(plan: ImportPlan, config: Config) -> list[str]:
    """`SOURCE:LINE: message` for each draft the import would refuse; empty when all are fine.

    The one check both `import --dry-run` and the import run: each draft's file is built exactly
    as it would be written, with its planned ID, and judged as `issuelog check` judges a file.
    """
    errors: list[str] = []
    for draft in plan.drafts:
        values, problems = values_and_problems(config, {"title": draft.title, **draft.fields},
                                               extra=draft.extra)
        errors += [f"{plan.source}:{draft.line}: {message}" for message in problems]
        if problems:
            continue
        issue_id = draft.planned_id or config.format_id(1)
        path = config.issues_path / f"{issue_id}-{slugify(values['title'])}.md"
        text = issue_file_text(config, values, issue_id, extra=draft.extra, body=draft.body)
        errors += [f"{plan.source}:{draft.line}: {problem.message}"
                   for problem in file_problems(path, text, config)]
    return errors


def import_drafts(plan: ImportPlan, config: Config) -> list[tuple[Draft, str, Path]]:
    """Create one issue file per draft (never overwriting one), then link related entries.

    Safe to run again after an interruption: entries already imported are skipped, and their
    `related` links are completed from the log (see `link_related`).
    """
    errors = refusals(plan, config)
    if errors:
        raise UsageError("nothing imported:\n" + "\n".join(errors))
    created: list[tuple[Draft, str, Path]] = []
    for draft in plan.drafts:
        issue_id, path = create_issue(config, {"title": draft.title, **draft.fields},
                                      extra=draft.extra, body=draft.body,
                                      preferred_id=draft.planned_id)
        created.append((draft, issue_id, path))
    created_ids = [(draft, issue_id) for draft, issue_id, _ in created]
    fresh = {issue_id for _, issue_id in created_ids}
    plan.relinked = [issue_id for issue_id in link_related(plan, created_ids, config)
                     if issue_id not in fresh]
    return created


def link_related(plan: ImportPlan, created: list[tuple[Draft, str]], config: Config) -> list[str]:
    """Give `related` the new IDs of imported entries; other references go to legacy_related.

    Run over the entries created now and those an earlier, interrupted import of the same log
    created (the plan's skipped ones): a link the log names and the file lacks is added, so
    that a kill between writing the files and linking them loses nothing for good. Links are
    only added, never removed. Returns the IDs of the issues changed.
    """
    pairs = created + plan.skipped
    by_legacy = {name: issue_id for draft, issue_id in pairs
                 for name in _legacy_names(draft.legacy_id)}
    wanted = [(draft, issue_id) for draft, issue_id in pairs if draft.related_legacy]
    if not wanted:
        return []
    known = existing_ids(config)
    current = {issue.id: issue for issue in load_issues(config).issues}
    changed = []
    for draft, issue_id in wanted:
        issue = current.get(issue_id)
        if issue is None:
            continue
        related, unknown = list(issue.related), _as_list(issue.extra.get("legacy_related"))
        for name in draft.related_legacy:
            target = by_legacy.get(name.upper()) or (name if name in known else None)
            if target and target != issue_id and target not in related:
                related.append(target)
            elif not target and name not in unknown:
                unknown.append(name)
        changes: dict[str, Any] = {}
        if related != issue.related:
            changes["related"] = related
        if unknown != _as_list(issue.extra.get("legacy_related")):
            changes["legacy_related"] = unknown
        if changes:
            update_issue(config, issue_id, changes)
            changed.append(issue_id)
    return changed


def _legacy_names(legacy_id: str) -> list[str]:
    """The IDs an entry goes by: `BUG-004/009` -> BUG-004/009, BUG-004, BUG-009 (upper case)."""
    names = [legacy_id.upper()] if legacy_id else []
    codes = [match.group("id").upper() for match in _PREFIXED_ID.finditer(legacy_id)]
    if codes:
        prefix = re.sub(r"\d+$", "", codes[0])
        codes += [prefix + number for number in re.findall(r"/\s*(\d+)\b", legacy_id)]
    return list(dict.fromkeys(names + codes))


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)] if value not in (None, "") else []


#: What `import --old-log` does with the log once its entries are files.
OLD_LOG_CHOICES = ("keep", "delete", "link")


def retire_log(path: Path, plan: ImportPlan, config: Config, how: str, *,
               check_only: bool = False) -> str:
    """Keep, delete or replace with a link the log just imported; returns what was done.

    Deleting or linking would lose what the import could not read, so both are refused while a
    heading is unreadable; the log that `render` writes is never touched. With `check_only`,
    nothing is changed: the refusal comes before anything is imported.
    """
    if how not in OLD_LOG_CHOICES:
        raise UsageError(f"--old-log must be one of {', '.join(OLD_LOG_CHOICES)}, got '{how}'")
    shown = display_path(path.resolve(), config)
    if how == "keep":
        return f"kept {shown} as it was"
    if path.resolve() == config.output_path.resolve():
        raise UsageError(f"{shown} is the log `issuelog render` writes; it was kept (the next "
                         "render replaces it)")
    if plan.unreadable:
        raise UsageError(f"{shown}: kept, not {'deleted' if how == 'delete' else 'linked'}: "
                         f"{len(plan.unreadable)} heading(s) could not be imported (see above)")
    if check_only:
        return ""
    if how == "delete":
        path.unlink()
        return f"deleted {shown} (its entries are issue files now)"
    text = read_text(path, shown, max_bytes=MAX_LOG_BYTES)[0] or ""
    title = next((line.lstrip("#").strip() for line in text.splitlines()
                  if line.startswith("# ")), path.stem)
    target = Path(os.path.relpath(config.output_path.resolve(), path.resolve().parent)).as_posix()
    issues = Path(os.path.relpath(config.issues_path.resolve(), path.resolve().parent)).as_posix()
    write_atomic(path, f"# {title}\n\nThis log has moved: each entry is now an issue file under "
                       f"[{issues}/]({issues}/), and all of them are listed in "
                       f"[{config.output}]({target}). The old text is in the version history.\n")
    return f"replaced {shown} with a link to {config.output}"
