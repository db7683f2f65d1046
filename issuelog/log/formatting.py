"""Pure formatters: Markdown table cells and code, values, durations, YAML scalars, diffs.

No Jinja2 and no files: render.py and the commands call them.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from issuelog.core.config import (
    format_duration,
)

if TYPE_CHECKING:
    pass


URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
NEWLINES = re.compile(r"\r\n|\r|\n")
#: What `table_cell` escapes or replaces.
_CELL_SPECIAL = re.compile(r"[&<>\\|\r\n]")
BLANK_RUNS = re.compile(r"\n{3,}")
_BACKTICKS = re.compile(r"`+")
#: What `urllib.parse.quote` leaves as it is: ASCII letters and digits, `_.-~` and `/`.
URL_SAFE = re.compile(r"[A-Za-z0-9_.~/-]*")


def table_cell(value: Any) -> str:
    """Make any value safe inside a Markdown table cell: no pipes, newlines or raw HTML."""
    if value is None:
        return ""
    if type(value) is str and not _CELL_SPECIAL.search(value):
        return value.strip()  # most values: nothing to escape
    text = format_value(value).strip()
    if "`" in text:
        return "".join(_escape_code(part).replace("|", "\\|") if code else _escape_cell(part)
                       for code, part in code_spans(text))
    return _escape_cell(text)


def _escape_cell(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return NEWLINES.sub("<br>", text)


def _escape_code(span: str) -> str:
    """A code span as it is: Markdown shows `<` and `&` in code literally, so they stay raw.

    Escaping them would show `&lt;` on GitHub. Only line breaks, which a cell cannot hold and a
    code span shows as spaces anyway, become spaces.
    """
    return NEWLINES.sub(" ", span)


def code_spans(text: str) -> list[tuple[bool, str]]:
    """`text` cut into (is_code, part): a code span is a backtick run up to the next run of the
    same length (CommonMark); an unmatched run is plain text."""
    parts: list[tuple[bool, str]] = []
    runs = list(_BACKTICKS.finditer(text))
    plain_start = index = 0
    while index < len(runs):
        opening = runs[index]
        closing = next((later for later in runs[index + 1:]
                        if len(later.group()) == len(opening.group())), None)
        if closing is None:
            index += 1
            continue
        if opening.start() > plain_start:
            parts.append((False, text[plain_start:opening.start()]))
        parts.append((True, text[opening.start():closing.end()]))
        plain_start = closing.end()
        index = runs.index(closing) + 1
    if plain_start < len(text):
        parts.append((False, text[plain_start:]))
    return parts


def inline_text(value: Any) -> str:
    """One line of text for headings and list items: newlines folded, HTML escaped."""
    text = " ".join(format_value(value).split())
    if "`" in text:
        return "".join(part if code else _escape_html(part) for code, part in code_spans(text))
    return _escape_html(text)


def _escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def format_value(value: Any) -> str:
    """Dates as ISO, lists joined with commas, everything else as text."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(item) for item in value)
    return "" if value is None else str(value)


def format_elapsed(delta: timedelta | None) -> str:
    """A time to resolve for readers: `same day`, `3 days`, `5h`, `2d 4h`."""
    if delta is None:
        return "—"
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        days = seconds // 86400
        return "same day" if days == 0 else f"{days} day{'s' if days != 1 else ''}"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"


def format_sla(delta: timedelta | None) -> str:
    """An SLA target for readers, or a dash when none is set."""
    return format_duration(delta) if delta is not None else "—"


def code_fence(text: Any) -> str:
    """`text` in a fenced code block whose fence is longer than any backtick run inside it."""
    body = format_value(text)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{body}\n{fence}"


def mermaid_string(value: Any) -> str:
    """A double-quoted Mermaid label on one line: inner quotes become single quotes."""
    text = " ".join(format_value(value).split()).replace('"', "'")
    return f'"{text}"'


#: What a template may read of a path: text, never the file system behind it.
_YAML_UNPRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def yaml_scalar(value: Any, *, in_list: bool = False) -> str:
    """A YAML flow value for a frontmatter line: dates bare, text quoted when it has to be.

    Inside a flow list (`[a, b]`) a comma would split an item, so such items are quoted too.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(yaml_scalar(item, in_list=True) for item in value) + "]"
    text = str(value)
    plain = r"[A-Za-z_][\w ./()+-]*" if in_list else r"[A-Za-z_][\w .,/()+-]*"
    if re.fullmatch(plain, text) and not re.match(
        r"^(true|false|yes|no|on|off|null|~)$", text, re.IGNORECASE
    ) and not text.endswith(" "):
        return text
    # JSON's escapes are YAML's too; characters YAML may not hold raw are escaped as \uXXXX.
    quoted = json.dumps(text, ensure_ascii=False)
    return _YAML_UNPRINTABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", quoted)



def unified_diff(old: str, new: str, name: str) -> str:
    """A unified diff from the file on disk to what it should be."""
    return "".join(difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True),
        fromfile=f"{name} (on disk)", tofile=f"{name} (rendered)",
    ))


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded with spaces and two spaces apart, for pipes and files; no trailing blanks:
    the one plain-text table of `list`, `analyze` and `import --dry-run`."""
    widths = [
        max([display_width(header), *(display_width(row[index]) for row in rows)])
        for index, header in enumerate(headers)
    ]
    lines = []
    for cells in [list(headers), *rows]:
        padded = [cell + " " * (width - display_width(cell))
                  for cell, width in zip(cells, widths, strict=True)]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines) + "\n"


def display_width(text: str) -> int:
    """The columns `text` takes in a terminal: wide (CJK) characters take two, combining marks none."""
    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(char) else
               2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
