"""markdown-it-py's one home: the parsers issuelog reads Markdown with, and their token helpers.

Issue bodies are read as CommonMark (`parse`), hand-kept logs as CommonMark with tables
(`parse(text, tables=True)`), and bodies shown on an HTML page go through `markdown_to_html`,
which escapes raw HTML. Every other module reads Markdown through these functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["Token", "heading_levels", "markdown_to_html", "parse", "table_rows", "top_level_blocks"]

_COMMONMARK = MarkdownIt("commonmark")
_WITH_TABLES = MarkdownIt("commonmark").enable("table")
# Raw HTML in an issue body is shown as text, never passed through: bodies are untrusted.
_HTML_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def parse(text: str, *, tables: bool = False) -> list[Token]:
    """The block tokens of a Markdown text (CommonMark; with `tables`, GitHub tables too)."""
    return (_WITH_TABLES if tables else _COMMONMARK).parse(text)


def heading_levels(tokens: list[Token]) -> Iterator[tuple[int, int, str]]:
    """(0-based line, level, title) of each ATX or setext heading, in document order."""
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map is not None:
            yield token.map[0], int(token.tag[1]), tokens[index + 1].content.strip()


def top_level_blocks(tokens: list[Token]) -> Iterator[tuple[list[Token], str, int, int]]:
    """Each top-level block as (its tokens, kind, first line, line after it).

    The kind is the token type without `_open`: paragraph, heading, bullet_list, table, hr...
    """
    index = 0
    while index < len(tokens):
        token = tokens[index]
        end = index
        if token.nesting == 1:
            depth = 0
            for end in range(index, len(tokens)):
                depth += tokens[end].nesting
                if depth == 0:
                    break
        start, stop = token.map if token.map else (0, 0)
        yield tokens[index:end + 1], token.type.removesuffix("_open"), start, stop
        index = end + 1


def table_rows(tokens: list[Token]) -> list[tuple[int, list[str]]]:
    """(0-based line, cell sources) of each row of a table's tokens, the header first."""
    rows: list[tuple[int, list[str]]] = []
    for index, token in enumerate(tokens):
        if token.type == "tr_open" and token.map:
            cells = []
            for inner in tokens[index + 1:]:
                if inner.type == "tr_close":
                    break
                if inner.type == "inline":
                    cells.append(inner.content.strip())
            rows.append((token.map[0], cells))
    return rows


def markdown_to_html(
    text: str, *, heading_offset: int = 0, rewrite_href: Callable[[str], str] | None = None
) -> str:
    """Markdown as an HTML fragment: raw HTML escaped, images turned into links, headings shifted.

    Images become plain links so that a page built from issue bodies loads nothing from
    elsewhere; `rewrite_href` lets links to issue files point at their place in the page.
    """
    tokens = _without_empty_sections(_without_comments(_HTML_MARKDOWN.parse(text)))
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + heading_offset, 6)}"
        if token.children:
            token.children = _links_instead_of_images(token.children)
            if rewrite_href is not None:
                for child in token.children:
                    href = child.attrGet("href") if child.type == "link_open" else None
                    if isinstance(href, str):
                        child.attrSet("href", rewrite_href(href))
    return str(_HTML_MARKDOWN.renderer.render(tokens, _HTML_MARKDOWN.options, {}))


def _without_comments(tokens: list[Token]) -> list[Token]:
    """The tokens with HTML comments (`<!-- Fill in when resolved. -->`) taken out of the text.

    Markdown viewers hide them, and the sections `issuelog new` writes hold such placeholders;
    raw HTML is not parsed here, so a comment would show as text. A paragraph left empty goes.
    """
    for token in tokens:
        for child in token.children or ():
            if child.type == "text" and "<!--" in child.content:
                child.content = _HTML_COMMENT.sub("", child.content)
    kept: list[Token] = []
    skip_next = False
    for index, token in enumerate(tokens):
        if skip_next:
            skip_next = False
            continue
        blank = token.type == "inline" and all(
            child.type in ("text", "softbreak") and not child.content.strip()
            for child in token.children or [])
        if blank and kept and kept[-1].type == "paragraph_open" \
                and index + 1 < len(tokens) and tokens[index + 1].type == "paragraph_close":
            kept.pop()
            skip_next = True
            continue
        kept.append(token)
    return kept


def _without_empty_sections(tokens: list[Token]) -> list[Token]:
    """The tokens without headings that head nothing (a template's unfilled sections).

    A heading is empty when the next heading of the same or a higher level, or the end, follows
    it directly; its subsections count as content, unless they are empty too.
    """
    while True:
        drop: set[int] = set()
        for index, token in enumerate(tokens):
            if token.type != "heading_open":
                continue
            after = index + 3  # heading_open, inline, heading_close
            following = tokens[after] if after < len(tokens) else None
            if following is None or (following.type == "heading_open"
                                     and following.tag <= token.tag):
                drop.update(range(index, after))
        if not drop:
            return tokens
        tokens = [token for index, token in enumerate(tokens) if index not in drop]


def _links_instead_of_images(children: list[Token]) -> list[Token]:
    result: list[Token] = []
    for child in children:
        if child.type != "image":
            result.append(child)
            continue
        opening = Token("link_open", "a", 1, attrs={"href": str(child.attrGet("src") or "")})
        result.extend([opening, *(child.children or []), Token("link_close", "a", -1)])
    return result
