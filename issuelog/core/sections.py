"""An issue body as named Markdown sections (read through `core.markdown`): read one, replace one."""

from __future__ import annotations

import re
from dataclasses import dataclass

from issuelog.core.markdown import heading_levels, parse

# `log.render` shows bodies as HTML through this name; the renderer lives with the parsers.
from issuelog.core.markdown import markdown_to_html as markdown_to_html

# markdown-it reads a lone carriage return as a line break; the section rule reads only "\n".
_LONE_CARRIAGE_RETURN = re.compile(r"\r(?!\n)")
#: An HTML comment, such as the placeholders `issuelog new` writes in each section: no reader sees it.
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


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
    headings = list(heading_levels(parse(_LONE_CARRIAGE_RETURN.sub(" ", text))))
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


def without_comments(text: str) -> str:
    """Text as a reader sees it: HTML comments (the template's placeholders) become a space."""
    return _COMMENT.sub(" ", text) if "<!--" in text else text


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
