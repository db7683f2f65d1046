"""A hand-kept log as a tree of headings, each with its top-level blocks (read via core.markdown)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from issuelog.core import markdown
from issuelog.core.markdown import Token


@dataclass
class Block:
    """A top-level block of the document (paragraph, list, table, fence...) and its lines."""

    kind: str
    start: int
    stop: int
    tokens: list[Token]


@dataclass
class Node:
    """A heading with its direct content blocks and its sub-headings."""

    level: int
    title: str
    line: int
    stop: int = 0
    blocks: list[Block] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    parent: Node | None = None

    def ancestors(self) -> Iterator[Node]:
        """Headings above this one, nearest first."""
        node = self.parent
        while node is not None and node.level > 0:
            yield node
            node = node.parent


def _blocks(tokens: list[Token]) -> Iterator[tuple[Block, str | None, int]]:
    """Top-level blocks; headings come with their title and level."""
    for group, kind, start, stop in markdown.top_level_blocks(tokens):
        if kind == "heading":
            yield Block(kind, start, stop, group), group[1].content.strip(), int(group[0].tag[1])
        else:
            yield Block(kind, start, stop, group), None, 0


def markdown_tree(text: str) -> tuple[Node, list[str]]:
    """The document as a tree of headings, and its lines (numbered as markdown-it-py does)."""
    lines = text.split("\n")  # not splitlines(): form feeds and U+2028 do not end a line here
    root = Node(0, "", 0, len(lines))
    current = root
    for block, title, level in _blocks(markdown.parse(text, tables=True)):
        if title is None:
            current.blocks.append(block)
            continue
        while current.level >= level:
            current.stop = block.start
            current = current.parent or root
        node = Node(level, title, block.start, len(lines), parent=current)
        current.children.append(node)
        current = node
    return root, lines


def list_items(block: Block) -> list[tuple[int, int]]:
    """Line ranges of the items of a top-level list."""
    return [(token.map[0], min(token.map[1], block.stop)) for token in block.tokens
            if token.type == "list_item_open" and token.level == 1 and token.map
            and token.map[0] < block.stop]


def table_rows(block: Block) -> list[tuple[int, list[str]]]:
    """(0-based line, cell sources) of each row of a table, the header first."""
    return markdown.table_rows(block.tokens)
