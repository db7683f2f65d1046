"""The labelled parts of one entry: `**Status:** Open`, `- **Root Cause**: ...`, `### Fix`.

A label is known when `fields` maps it to a frontmatter field or a body section; lines before
the first label are the entry's lead text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from issuelog.importer.fields import (
    FIELD_LABELS,
    field_of,
    is_missing,
    normalize_label,
    section_of,
    strip_list_marker,
)
from issuelog.importer.tree import Block, Node, list_items, table_rows

_PLACEHOLDER_LINE = re.compile(r"^\s*(?:[*_]+\s*(?:none|none yet|n/?a|tbd|empty)\s*[*_.]*|"
                               r"[*_]*\((?:placeholder|fill|tbd|todo|to be|add|none)[^)]*\)[*_.]*|"
                               r"<!--.*-->)\s*$", re.I)
BOLD_KEY = re.compile(
    r"^\s*(?:\*\*|__)(?P<label>[^*_\n]+?)\s*(?P<inner>:?)\s*(?:\*\*|__)\s*(?P<outer>:?)\s*(?P<value>.*)$"
)
_PLAIN_KEY = re.compile(r"^\s*(?P<label>[A-Za-z][A-Za-z /&'-]{0,30}?)\s*:\s+(?P<value>\S.*)$")
# A list item `Status — open` or `Severity - minor`: a dash between spaces instead of a colon.
_DASH_KEY = re.compile(r"^\s*(?P<label>[A-Za-z][A-Za-z /&']{0,30}?)\s+[—–-]\s+(?P<value>\S.*)$")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")


@dataclass
class Field:
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
        """The frontmatter field the label names (`Date Found` -> reported), or None."""
        return field_of(self.label)

    @property
    def section(self) -> str | None:
        """The body section the label names (`Fix` -> Resolution), or None."""
        return section_of(self.label)


def _key_line(line: str, *, starts_paragraph: bool = False,
              in_list: bool = False) -> tuple[str, str] | None:
    """`**Key:** value`, `**Key**: value` or `Key: value` (known keys only) -> (label, value).

    A plain `Problem: ...` names a section only where it starts a paragraph, so that prose
    such as "the error: ..." inside a description is not split.
    """
    match = BOLD_KEY.match(line)
    if match:
        label, value = match.group("label").strip(), match.group("value").strip()
        known = is_known_label(label)
        if match.group("inner") or match.group("outer") or (known and not value):
            return label, _strip_break(value)
        return None
    match = _PLAIN_KEY.match(line)
    plain = normalize_label(match.group("label")) if match else ""
    if match and (plain in FIELD_LABELS or ((starts_paragraph or in_list) and section_of(plain))):
        return match.group("label").strip(), _strip_break(match.group("value").strip())
    match = _DASH_KEY.match(line) if in_list else None
    if match and is_known_label(match.group("label")):  # `- Status — open`: known labels only
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


def _has_known_key(line: str) -> bool:
    """Whether a line is `**Status:** ...` or another field of a known name."""
    key = _key_line(line)
    return bool(key and is_known_label(key[0]))


def is_known_label(text: str) -> bool:
    """Whether a label names a known field or section."""
    return field_of(text) is not None or section_of(text) is not None


def _split_lazy_keys(blocks: list[Block], lines: list[str]) -> Iterator[Block]:
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
                if key and is_known_label(key[0]):
                    yield Block(block.kind, block.start, index, block.tokens)
                    yield Block("paragraph", index, block.stop, [])
                    break
            else:
                yield block
        else:
            yield block


class _FieldCollector:
    """Collects the labelled parts of one entry, block by block."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.found: list[Field] = []
        self.lead: list[int] = []  # lines before the first label: the entry's description

    def add_lines(self, start: int, stop: int) -> None:
        """Unlabelled lines belong to the field above them, if it takes blocks."""
        owner = self.found[-1] if self.found else None
        # Blocks after `**Status:** Open` or a key/value list item are not that field's content.
        takes_blocks = owner is not None and not owner.listed and (
            owner.section is not None or not owner.value)
        target = owner.content if owner is not None and takes_blocks else self.lead
        target.extend(range(start, stop))

    def paragraph(self, block: Block) -> None:
        after_key = False
        for index in range(block.start, block.stop):
            # `Symptom: ...` / `Cause: ...` / `Fix: ...` on consecutive lines: each starts a field.
            key = _key_line(self.lines[index], starts_paragraph=index == block.start or after_key)
            if key is None and after_key:
                key = _own_label_line(self.lines[index])  # `Workaround: ...` among them
            after_key = key is not None
            last = self.found[-1] if self.found else None
            if key and last and last.adopts_labels() and not is_known_label(key[0]):
                last.content.append(index)
                last.sublabelled = True
            elif key:
                self.found.append(Field(key[0], index, key[1], value_end=index))
            elif (last and last.value and last.value_end == index - 1 and not last.content
                  and last.meta is None):
                last.value += "\n" + self.lines[index].strip()
                last.value_end = index
            else:
                self.add_lines(index, index + 1)

    def table(self, block: Block) -> bool:
        """`| Field | Value |` tables: one field per row whose first cell names one."""
        rows = [(line, cells) for line, cells in table_rows(block) if len(cells) >= 2]
        keyed = [(line, cells) for line, cells in rows if is_known_label(cells[0])]
        if not keyed or len(keyed) * 2 <= len(rows) - 1:
            return False
        for line, cells in rows[1:] if rows and not is_known_label(rows[0][1][0]) else rows:
            # Rows of other names (`| Resolved in | v2.3.1 |`) are fields of their own name.
            if any(cell and not is_missing(cell) for cell in cells[1:]):
                self.found.append(Field(cells[0], line, " | ".join(cells[1:]), listed=True))
        return True

    def key_list(self, block: Block) -> bool:
        """`- **Status**: Open` lists: one field per item, when most items are labelled."""
        items = list_items(block)
        keys = [_key_line(strip_list_marker(self.lines[start]), in_list=True)
                for start, _ in items]
        if not items or sum(1 for key in keys if key) * 2 <= len(items):
            return False
        owner = self.found[-1] if self.found else None
        if owner and owner.adopts_labels() and not any(
                key and is_known_label(key[0]) for key in keys):
            # `1. **Retry Handler:**` items under an empty `**Solution:**`: its content, in order.
            owner.content.extend(range(block.start, block.stop))
            owner.sublabelled = True
            return True
        for (start, stop), key in zip(items, keys, strict=True):
            if key:
                self.found.append(Field(key[0], start, key[1], list(range(start + 1, stop)),
                                         listed=True))
            else:
                self.add_lines(start, stop)
        return True


def trailing_start(node: Node, lines: list[str]) -> int | None:
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


def entry_fields(node: Node, lines: list[str]) -> tuple[list[Field], list[int]]:
    """The labelled parts of an entry, and the lines before the first label (its lead text)."""
    collector = _FieldCollector(lines)
    trailing = trailing_start(node, lines)
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
            collector.found.append(Field(child.title, child.line, "", []))
            if collector.key_list(keyed):
                content = [index for index in content if not keyed.start <= index < keyed.stop]
            collector.found.append(Field(child.title, child.line, "", content))
            continue
        collector.found.append(Field(child.title, child.line, "", content))
    return collector.found, collector.lead


def _leading_key_list(node: Node, lines: list[str]) -> Block | None:
    """The list that opens a sub-heading's content, when each of its items is a known field."""
    if node.children or not node.blocks or node.blocks[0].kind not in ("bullet_list",
                                                                     "ordered_list"):
        return None
    block = node.blocks[0]
    items = list_items(block)
    keys = [_key_line(strip_list_marker(lines[start]), in_list=True) for start, _ in items]
    if items and all(key and is_known_label(key[0]) for key in keys) and any(
            key and field_of(key[0]) for key in keys):
        return block
    return None


def text_of(indexes: list[int], lines: list[str]) -> str:
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


def dedent_items(text: str) -> str:
    """Nested lines of a list item lose the item's indentation."""
    rows = text.splitlines()
    indent = min((len(r) - len(r.lstrip()) for r in rows if r.strip()), default=0)
    return "\n".join(r[indent:] for r in rows)


@dataclass(frozen=True)
class Given:
    """One field as the log gives it: its value on the label's line, the blocks under it."""

    item: Field
    value: str
    content: str
    text: str  # value and content together
    line: int  # 1-based
