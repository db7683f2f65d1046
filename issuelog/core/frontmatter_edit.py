"""Round-trip edits of an issue file's frontmatter with ruamel.yaml.

Only the lines of the keys that change are rewritten; every other byte of the file (comments,
key order, quoting, unknown keys, the body, the BOM and the line endings) stays as it was.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import PlainScalarString, SingleQuotedScalarString

from issuelog.core.frontmatter_read import (
    fence_hint,
    frontmatter_fences,
    load_frontmatter,
    split_frontmatter,
)
from issuelog.core.yaml_loader import alias_line, short_tag
from issuelog.errors import IssueFileError, UsageError

_BOM = "\ufeff"


class _Empty:
    """The type of EMPTY."""

    def __repr__(self) -> str:
        return "EMPTY"


#: A value for `edit_frontmatter` that keeps a key with no value (`resolved:`), as `new` writes it.
EMPTY = _Empty()


class _Constructor(RoundTripConstructor):
    """ruamel.yaml's round-trip constructor, with a value its tag cannot hold (`!!bool maybe`,
    2026-02-30) reported as a YAML error at its line instead of a Python error."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, KeyError, AttributeError, IndexError, TypeError, OverflowError) as error:
            what = ("date" if node.tag == "tag:yaml.org,2002:timestamp"
                    else f"{short_tag(node.tag)} value")
            detail = f" ({error})" if isinstance(error, ValueError) else ""
            raise ConstructorError(None, None, f"'{node.value}' is not a valid {what}{detail}",
                                   node.start_mark) from None


class _FileConstructor(_Constructor):
    """For issue files: a date that does not exist stays text, as `issuelog check` keeps it among
    unknown keys' values (and reports it in known fields), so other keys can still be edited."""

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:
            return node.value


_FileConstructor.add_constructor("tag:yaml.org,2002:timestamp",
                                 _FileConstructor.construct_yaml_timestamp)


def _yaml(constructor: type[_Constructor] = _FileConstructor) -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = constructor
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


class _Document:
    """An issue file split into lines, with the frontmatter block located and parsed."""

    def __init__(self, text: str, name: str) -> None:
        self.bom = _BOM if text.startswith(_BOM) else ""
        self.lines = text[len(self.bom):].splitlines(keepends=True)
        first = self.lines[0] if self.lines else ""
        self.newline = "\r\n" if first.endswith("\r\n") else "\n"
        self.end = _closing_line(text[len(self.bom):], self.lines, name)
        source = "".join(line.rstrip("\r\n") + "\n" for line in self.lines[1:self.end])
        alias = alias_line(source)
        if alias is not None:  # as `check` refuses them; ruamel.yaml would follow them
            raise IssueFileError(f"{name}:{alias + 2}: YAML aliases (*name) are not allowed in issue files")
        try:
            data = _yaml().load(source) if source.strip() else CommentedMap()
        except YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 2 if mark is not None else 1
            raise IssueFileError(f"{name}:{line}: invalid YAML: {getattr(error, 'problem', error)}") from None
        if not isinstance(data, CommentedMap):
            raise IssueFileError(f"{name}:2: frontmatter must be a mapping of keys to values")
        self.data = data

    def own_keys(self) -> list[str]:
        """The keys written in this mapping, not those a merge key (`<<`) brings in."""
        return [key for key in self.data if key in self.data.lc.data]

    def key_span(self, key: str) -> tuple[int, int]:
        """File line range [start, stop) of a top-level key, without trailing comments or blanks."""
        start = self.data.lc.key(key)[0] + 1
        # The next key's line, a merge key (`<<:`) included, which ruamel.yaml does not place.
        starts = [self.data.lc.key(other)[0] + 1 for other in self.own_keys()]
        starts += [index for index in range(start + 1, self.end)
                   if re.match(r"<<\s*:", self.lines[index])]
        stop = min((line for line in starts if line > start), default=self.end)
        while stop - 1 > start and _is_blank_or_comment(self.lines[stop - 1]):
            stop -= 1
        return start, stop

    def render(self) -> str:
        return self.bom + "".join(self.lines)


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


# Issue files are read with PyYAML, which follows YAML 1.1: there `yes`, `on`, `10:30` or
# `1_000` written without quotes are not text. ruamel.yaml writes YAML 1.2, so such text is quoted.
_YAML_1_1 = VersionedResolver(version=(1, 1))
_TEXT_TAG = "tag:yaml.org,2002:str"


def _text_stays_text(value: Any) -> Any:
    """Quote plain text that a YAML 1.1 reader would take for a boolean, number, date or null."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = _text_stays_text(item)
        return value
    if type(value) in (str, PlainScalarString) and str(
        _YAML_1_1.resolve(ScalarNode, value, (True, False))
    ) != _TEXT_TAG:
        return SingleQuotedScalarString(value)
    return value


def _styled_like(old: Any, new: Any) -> Any:
    """A list in flow style (`[a, b]`, as `new` writes lists) unless it replaces a block list."""
    if isinstance(new, list) and not isinstance(new, CommentedSeq):
        seq = CommentedSeq(new)
        # ruamel.yaml says False only for a list written as `- item` lines; `[]` and a key
        # without a value say nothing, and the file's own style for lists is then flow.
        if not (isinstance(old, CommentedSeq) and old.fa.flow_style() is False):
            seq.fa.set_flow_style()
        return _text_stays_text(seq)
    return _text_stays_text(new)


def _dump_entry(key: str, value: Any, newline: str, comment: str = "", old_line: str = "") -> list[str]:
    if value is EMPTY:
        lines = [f"{key}:"]
    else:
        mapping = CommentedMap()
        mapping[key] = value
        stream = io.StringIO()
        _yaml().dump(mapping, stream)
        lines = stream.getvalue().splitlines()
    if comment and len(lines) == 1:
        lines[0] += _comment_gap(lines[0], comment, old_line) + comment
    return [line + newline for line in lines]


def _comment_gap(new_line: str, comment: str, old_line: str) -> str:
    """The spaces before an end-of-line comment: a comment padded to a column (`status: open    # c`)
    stays in it while the new value leaves room; otherwise its gap, at most two spaces, stays."""
    old_line = old_line.rstrip("\r\n")
    column = old_line.rfind(comment) if comment else -1
    if column < 0:
        return "  "
    gap = column - len(old_line[:column].rstrip())
    if gap > 2 and len(new_line) + 2 <= column:  # padded to a column on purpose: keep it there
        return " " * (column - len(new_line))
    return " " * min(gap, 2)


def _appended_items(document: _Document, start: int, stop: int, old: Any, new: Any) -> list[str] | None:
    """The lines of a block list (`- item`) with `new`'s extra items added after its own lines,
    so that comments on its items stay; None unless `new` is the old list with items added."""
    if not (isinstance(old, CommentedSeq) and old.fa.flow_style() is False
            and isinstance(new, list) and len(new) > len(old) and list(new[:len(old)]) == list(old)):
        return None
    lines = document.lines[start:stop]
    indents = [match.group(1) for line in lines[1:] if (match := re.match(r"(\s*)- ", line))]
    if not indents:
        return None
    added = []
    for item in new[len(old):]:
        seq = CommentedSeq([_text_stays_text(item)])
        stream = io.StringIO()
        _yaml().dump(seq, stream)
        text = stream.getvalue().splitlines()
        if len(text) != 1:
            return None  # an item of several lines: the whole list is written again
        added.append(indents[-1] + text[0].lstrip() + document.newline)
    return [*lines, *added]


def _eol_comment(data: CommentedMap, key: str) -> str:
    item = data.ca.items.get(key)
    token = item[2] if item and len(item) > 2 else None
    text = getattr(token, "value", "") or ""
    return text.split("\n", 1)[0].strip() if text.startswith("#") else ""


def edit_frontmatter(
    text: str,
    changes: Mapping[str, Any],
    remove: Iterable[str] = (),
    name: str = "<issue>",
) -> str:
    """Return `text` with frontmatter keys set (`changes`) or deleted (`remove`), nothing else touched.

    A value of None in `changes` deletes the key as well; EMPTY empties a key that is there. New
    keys are appended at the end of the frontmatter in the order given.
    """
    document = _Document(text, name)
    data = document.data
    deletions = {key for key in remove} | {key for key, value in changes.items() if value is None}
    updates = {key: value for key, value in changes.items() if value is not None}
    # Work from the bottom up so that earlier line numbers stay valid.
    existing = sorted(
        (key for key in document.own_keys() if key in updates or key in deletions),
        key=lambda key: data.lc.key(key)[0],
        reverse=True,
    )
    for key in existing:
        start, stop = document.key_span(key)
        if key in deletions:
            replacement: list[str] = []
        else:
            extended = _appended_items(document, start, stop, data[key], updates[key])
            value = _styled_like(data[key], updates[key])
            replacement = extended if extended is not None else _dump_entry(
                key, value, document.newline, _eol_comment(data, key), document.lines[start])
        document.lines[start:stop] = replacement
    appended: list[str] = []
    written = set(document.own_keys())  # a key only a merge key gives is written out as its own
    for key, value in updates.items():
        if key not in written and value is not EMPTY:
            appended.extend(_dump_entry(key, _styled_like(None, value), document.newline))
    end = _closing_line("".join(document.lines), document.lines, name)
    document.lines[end:end] = appended
    return document.render()


def add_frontmatter_keys(text: str, values: Mapping[str, Any], name: str = "<issue>") -> str:
    """`edit_frontmatter(text, values)` for a file that has none of these keys yet, such as one
    just rendered from the issue template: the new keys' lines go before the closing fence.

    Reading the frontmatter with PyYAML to learn its keys costs a fraction of ruamel.yaml's
    round-trip load, which an import of thousands of entries paid once a file. Anything else (a
    key that is there, a merge key, a value to delete) takes the full `edit_frontmatter`.
    """
    parts = None if text.startswith(_BOM) else split_frontmatter(text)
    loaded: Any = None
    if parts is not None and "<<" not in parts[0]:
        with contextlib.suppress(Exception):  # unreadable: edit_frontmatter reports it
            loaded = load_frontmatter(parts[0])[0]
    if (not isinstance(loaded, dict) or any(key in loaded for key in values)
            or any(value is None or value is EMPTY for value in values.values())):
        return edit_frontmatter(text, values, name=name)
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    end = _closing_line(text, lines, name)
    lines[end:end] = [line for key, value in values.items()
                      for line in _dump_entry(key, _styled_like(None, value), newline)]
    return "".join(lines)


def _closing_line(text: str, lines: list[str], name: str) -> int:
    """The index in `lines` (`text` split) of the fence that closes the frontmatter, as
    `model.frontmatter_fences` finds it for every reader."""
    fences = frontmatter_fences(text)
    if fences is None:
        hint = fence_hint(text)
        raise IssueFileError(f"{name}:1: " + ("no YAML frontmatter to edit" if hint.startswith("no YAML")
                                               else hint))
    offset = fences[1].start()
    for index, line in enumerate(lines):
        if offset <= 0:
            return index
        offset -= len(line)
    raise IssueFileError(f"{name}:1: frontmatter is not closed")


def split_document(text: str, name: str = "<issue>") -> tuple[str, str]:
    """Split a file into its frontmatter block (both `---` lines included) and its body, exactly."""
    document = _Document(text, name)
    head = document.bom + "".join(document.lines[:document.end + 1])
    return head, text[len(head):]


def parse_value(text: str) -> Any:
    """A value typed on the command line, read as YAML 1.2: `3`, `2026-01-10`, `[a, b]`, `"x: y"`.

    Empty text or `null` give EMPTY; text that reads as a `key: value` mapping stays text, so that
    `title=Crash: on start` means what it says.
    """
    if not text.strip():
        return EMPTY
    if "#" in text and text.strip()[0] not in "'\"[{":
        # YAML would read ` # on start` as a comment and drop it: `title=Crash # on start`.
        return text.strip()
    try:
        value = _yaml(_Constructor).load(text)
    except ConstructorError as error:  # 2026-02-30, !!bool maybe
        raise UsageError(str(error.problem)) from None
    except YAMLError as error:
        raise UsageError(f"'{text}' is not a valid value ({getattr(error, 'problem', error)}); "
                         "quote it") from None
    if value is None:
        return EMPTY
    if isinstance(value, (CommentedMap, CommentedSeq)) and not value.fa.flow_style():
        return text
    return value


def read_frontmatter(text: str, name: str = "<issue>") -> CommentedMap:
    """The frontmatter as ruamel.yaml round-trip data (for reading values before an edit)."""
    return _Document(text, name).data
