"""Frontmatter: the fences around it, the split from the body, and reading its values.

python-frontmatter's home (only its boundary regex, see docs/architecture.md). A block is read by
`flat_yaml`'s fast reader when it is flat, else by PyYAML through `yaml_loader`, within the
bounds of SECURITY.md.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from issuelog.core.flat_yaml import read_flat
from issuelog.core.yaml_loader import MAX_FLOW_NESTING, load_yaml, too_deep_at, yaml_refusal
from issuelog.core.yaml_values import YamlRefusal

MAX_FRONTMATTER_CHARS = 256 * 1024
#: The frontmatter fence, opening and closing: a line of exactly three dashes (trailing blanks
#: allowed). `----` is no fence and `...` closes nothing: `check`, `set`, `status` and every other
#: reader or editor split a file here, through `frontmatter_fences`.
FENCE = re.compile(r"^---\s*$", re.MULTILINE)


class _FencedYAMLHandler(YAMLHandler):
    """python-frontmatter's YAML handler with the one fence issuelog accepts."""

    FM_BOUNDARY = FENCE


_YAML_HANDLER = _FencedYAMLHandler()


def frontmatter_fences(text: str) -> tuple[re.Match[str], re.Match[str]] | None:
    """The opening and closing fences of the frontmatter block, or None when it has none or it
    is not closed."""
    opening = FENCE.match(text)
    closing = FENCE.search(text, opening.end()) if opening is not None else None
    return None if opening is None or closing is None else (opening, closing)


def fence_hint(text: str) -> str:
    """Why `text` has no usable frontmatter block, for an error message."""
    first = text.split("\n", 1)[0].rstrip()
    if FENCE.match(text) is None:
        if first.startswith("---"):
            return f"the frontmatter must open with a line of exactly '---', not '{first[:20]}'"
        return "no YAML frontmatter: the file must start with a '---' line"
    line, closer = _near_closer(text)
    if closer == "...":
        return "frontmatter is not closed: '...' does not close it; write '---' instead"
    if closer:
        return f"frontmatter is not closed: the closing line must be exactly '---', not '{closer[:20]}'"
    if line > 1:
        return "frontmatter is not closed: add a '---' line above this heading"
    return "frontmatter is not closed: add a '---' line after it"


def fence_line(text: str) -> int:
    """The line `fence_hint` speaks of: the almost-closing line, or where the block should end."""
    return 1 if FENCE.match(text) is None else _near_closer(text)[0]


def _near_closer(text: str) -> tuple[int, str]:
    """After the opening fence: the first line that nearly closes the block (`...`, `----`,
    `--- x`) with its text, else the first Markdown heading's line with no text, else (1, "")."""
    lines = text.split("\n")
    for number, raw in enumerate(lines[1:], start=2):
        line = raw.rstrip()
        if line == "..." or (line.startswith("---") and line != "---"):
            return number, line
    heading = next((n for n, raw in enumerate(lines[1:], start=2) if raw.startswith("#")
                    and raw.lstrip("#").startswith(" ")), 0)
    return (heading, "") if heading else (1, "")


def split_frontmatter(text: str) -> tuple[str, str] | None:
    """Return (frontmatter, body) or None when the text has no closed frontmatter block."""
    if not _YAML_HANDLER.detect(text):
        return None
    try:
        fm, body = _YAML_HANDLER.split(text)
    except ValueError:
        return None
    return fm, body


def load_frontmatter(fm: str) -> tuple[Any, dict[str, int]]:
    """The frontmatter's value, and the 1-based file line of each top-level key.

    `fm` is the text between the `---` lines, from the end of the first one: its line N (from 0)
    is line N + 1 of the file. A flat block is read by `flat_yaml.read_flat`, any other by
    `yaml_loader.load_yaml`, whose errors this raises.
    """
    flat = read_flat(fm)
    return flat if flat is not None else load_yaml(fm)


def read_values(fm: str) -> tuple[Any, dict[str, int]] | YamlRefusal:
    """`load_frontmatter` within the bounds, with an error as the line and message `check` reports."""
    if len(fm) > MAX_FRONTMATTER_CHARS:
        return YamlRefusal(1, f"frontmatter is {len(fm)} characters long; the limit is "
                              f"{MAX_FRONTMATTER_CHARS} (move long text into the body)")
    flat = read_flat(fm)  # flat: nested two levels at most, and no aliases
    if flat is not None:
        return flat
    deep_line = too_deep_at(fm)
    if deep_line is not None:
        return YamlRefusal(deep_line + 1, "invalid YAML: lists or mappings nested more than "
                                          f"{MAX_FLOW_NESTING} deep")
    try:
        return load_yaml(fm)
    except (yaml.YAMLError, RecursionError) as error:
        return yaml_refusal(fm, error)
