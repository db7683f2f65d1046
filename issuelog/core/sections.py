"""An issue body as named Markdown sections (read with markdown-it-py): read one, replace one."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

_MARKDOWN = MarkdownIt("commonmark")
# Raw HTML in an issue body is shown as text, never passed through: bodies are untrusted.
_HTML_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# markdown-it reads a lone carriage return as a line break; the section rule reads only "\n".
_LONE_CARRIAGE_RETURN = re.compile(r"\r(?!\n)")


@dataclass(frozen=True)
class Section:
    """A heading and the lines under it up to the next heading of the same or a higher level."""

    title: str
    level: int
    heading_line: int  # 0-based line of the heading within the text given
    start: int  # first content line
    stop: int  # one past the last content line


def normalize_title(title: str) -> str:
    """Compare headings loosely: case, punctuation and spacing do not matter."""
    return re.sub(r"[^a-z0-9]+", " ", title.lower()).strip()


def split_lines(text: str) -> list[str]:
    """The lines of a body, each with its ending: split on "\n" only.

    `str.splitlines` also splits on form feeds, U+2028 and other characters that pasted logs
    hold, which markdown-it does not; line numbers from the one would then cut lines of the other.
    """
    lines = text.split("\n")
    ended = [line + "\n" for line in lines[:-1]]
    return [*ended, lines[-1]] if lines[-1] else ended


def _line_texts(text: str) -> list[str]:
    return [line.removesuffix("\n").removesuffix("\r") for line in split_lines(text)]


def find_sections(text: str) -> list[Section]:
    """Every ATX or setext heading of the text with the line range of its content."""
    # Line numbers must count what `split_lines` counts: no other character ends a line.
    tokens = _MARKDOWN.parse(_LONE_CARRIAGE_RETURN.sub(" ", text))
    headings: list[tuple[int, int, str]] = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map is not None:
            inline = tokens[index + 1]
            headings.append((token.map[0], int(token.tag[1]), inline.content.strip()))
    lines = _line_texts(text)
    total = len(lines)
    sections: list[Section] = []
    for position, (line, level, title) in enumerate(headings):
        stop = total
        for later_line, later_level, _ in headings[position + 1:]:
            if later_level <= level:
                stop = later_line
                break
        sections.append(Section(title, level, line, _content_start(lines, line), stop))
    return sections


def _content_start(lines: list[str], heading_line: int) -> int:
    if heading_line + 1 < len(lines) and re.fullmatch(r"\s*(=+|-+)\s*", lines[heading_line + 1]):
        return heading_line + 2
    return heading_line + 1


def read_sections(text: str) -> dict[str, str]:
    """Section title -> its content (stripped), in document order; the first of a title wins."""
    lines = _line_texts(text)
    found: dict[str, str] = {}
    for section in find_sections(text):
        found.setdefault(section.title, "\n".join(lines[section.start:section.stop]).strip())
    return found


def read_section(text: str, title: str) -> str | None:
    """The content of the section with that title (matched loosely), or None."""
    wanted = normalize_title(title)
    lines = _line_texts(text)
    for section in find_sections(text):
        if normalize_title(section.title) == wanted:
            return "\n".join(lines[section.start:section.stop]).strip()
    return None


def replace_section(text: str, title: str, content: str, *, append: bool = False) -> str:
    """Set (or with `append`, extend) a section's content; add the section at the end if missing.

    Every line outside that section keeps its bytes, including its line endings.
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = split_lines(text)
    wanted = normalize_title(title)
    block = [line + newline for line in content.strip("\n").split("\n")]
    for section in find_sections(text):
        if normalize_title(section.title) != wanted:
            continue
        existing = lines[section.start:section.stop]
        while existing and not existing[-1].strip():
            existing.pop()
        if append and any(line.strip() for line in existing):
            new = [*existing, newline, *block]
        else:
            new = [newline, *block]
        if section.stop < len(lines):
            new.append(newline)
        lines[section.start:section.stop] = new
        return "".join(lines)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += newline
    prefix = [newline] if lines and lines[-1].strip() else []
    return "".join([*lines, *prefix, f"## {title}{newline}", newline, *block])


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
