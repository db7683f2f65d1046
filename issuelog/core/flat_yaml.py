"""A strict, exact reader for flat frontmatter: the `key: value` lines most issue files hold.

It reads a small part of YAML and nothing else: top-level `key: value` lines whose values are
plain scalars, quoted scalars on one line (double-quoted ones with JSON's escapes only), or flow
lists (`[a, b]`) and flow mappings (`{area: x, cause: "y"}`) of such scalars on one line; under
a key with no value, a block list (`- item`) or a one-level block mapping (`  area: x`) of such
scalars; blank lines and full-line comments. Scalars are typed by IssueLoader's own resolver
and constructors (`yaml_loader.plain_scalar`), so `yes`, `010`, `1:20`, `~` and
`2026-01-10 09:30:00` come out exactly as a full load gives them. At the first thing it does
not fully understand it gives up, and the full loader reads the block: every error, and its
line, comes from there. `tests/test_flat_yaml.py` holds it to that on generated and hostile
documents.
"""

from __future__ import annotations

import json
import re
from typing import Any

from issuelog.core.yaml_loader import NOT_SCALAR, plain_scalar

#: False reads every block with the full loader (the tests compare the two readings).
ENABLED = True

#: Characters left to the full loader wherever they are: tabs, everything YAML refuses, the
#: characters libyaml takes for line breaks (NEL, LS, PS), the byte order mark and surrogates.
_REFUSED = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
#: A key: ASCII, not quoted, at most 128 characters (libyaml's simple keys end at 1024).
_KEY = r"[A-Za-z_][A-Za-z0-9_-]{0,127}"
#: Double-quoted, with JSON's escapes only (YAML's too, same meaning): what `yaml_scalar` writes.
_DOUBLE = r'"(?:[^"\\\n]|\\["\\/bfnrt]|\\u[0-9A-Fa-f]{4})*"'
#: An escaped UTF-16 surrogate, which JSON pairs and libyaml refuses.
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_SINGLE = r"'(?:[^'\n]|'')*'"
#: A plain scalar on one line in block context: no indicator first (`-` only before text), no
#: `: ` or `:` at the end (a mapping), no ` #` (a comment), no blanks at either end. Possessive
#: (`++`, `*+`): a line that fails is given up in linear time, never by trying every split.
_BLOCK_PLAIN = (r"(?:[^ \n\-?:,\[\]{}#&*!|>'\"%@`]|-(?=[^ \n]))"
                r"(?:[^ \n:#]++|:(?=[^ \n])|#| +(?=[^ \n#]))*+")
#: One whole line: a key (indented: in a block mapping) or a list item, with the value written
#: on the line if any; or a blank line or a comment. Groups, empty when absent: the key's
#: indent, the key, the item's indent and dash, then the value: double-quoted, single-quoted
#: (both with their quotes), flow list, flow mapping (with their brackets), plain.
_LINE = re.compile(
    rf"^(?:(?:( *)({_KEY}):|( *-)(?= ))"
    rf"(?: +(?:({_DOUBLE})|({_SINGLE})|(\[[^\n]*\])|(\{{[^\n]*\}})|({_BLOCK_PLAIN})))?"
    r"| *(?:#[^\n]*)?) *\n", re.MULTILINE)
#: A plain scalar inside a flow collection, stripped: no flow indicator and no `:` at all.
_FLOW_PLAIN = re.compile(r"(?:[^ \-?:,\[\]{}#&*!|>'\"%@`]|-(?=[^ ,\[\]{}]))"
                         r"(?:[^ :,\[\]{}#]|#| +(?=[^ #]))*")
_FLOW_SCALAR = rf"(?:({_DOUBLE})|({_SINGLE})|([^ ,](?:[^,]*[^ ,])?)) *(?:(,)|$)"
#: One item of a flow list up to its comma (or the end), and one `key: value` entry of a mapping.
_FLOW_ITEM = re.compile(" *" + _FLOW_SCALAR)
_FLOW_ENTRY = re.compile(rf" *({_KEY}): +" + _FLOW_SCALAR)
#: Values of short plain scalars met so far (`open`, `high`, `2026-01-10`), up to a bound: all
#: immutable (text, numbers, booleans, None, dates, `InvalidDate`), so they can be shared.
_VALUES: dict[str, Any] = {}
_MAX_REMEMBERED = 20_000
_MAX_REMEMBERED_LENGTH = 64
_EMPTY = object()


class _Unflat(Exception):
    """Something the fast reader leaves to the full loader."""


def read_flat(fm: str) -> tuple[dict[str, Any] | None, dict[str, int]] | None:
    """`yaml_loader.load_yaml(fm)`'s answer for a flat block, or None to let it read the block."""
    if not ENABLED:
        return None
    if "\r" in fm:
        fm = fm.replace("\r\n", "\n")  # one line break to libyaml too: lines keep their numbers
        if "\r" in fm:
            return None
    if _REFUSED.search(fm):
        return None
    try:
        return _read(fm if fm.endswith("\n") else fm + "\n")
    except _Unflat:
        return None


def _read(fm: str) -> tuple[dict[str, Any] | None, dict[str, int]]:
    """The mapping of top-level keys and each key's 1-based line, or `_Unflat`."""
    rows = _LINE.findall(fm)
    if len(rows) != fm.count("\n"):  # a line `_LINE` does not take whole
        raise _Unflat
    data: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    open_key = ""  # a top-level key with no value on its line
    block: list[Any] | dict[str, Any] | None = None  # the list or mapping under it, once begun
    indent = ""
    for line, (key_indent, key, item, double, single, flow_list, flow_map, plain) in enumerate(rows, 1):
        if not key and not item:
            continue  # blank or comment
        top = not key_indent and key != ""
        if plain:
            value = _VALUES.get(plain, _EMPTY)
            if value is _EMPTY:
                value = _plain(plain)
        elif double:
            value = double[1:-1] if "\\" not in double else _unescaped(double)
        else:
            value = _other_value(top, single, flow_list, flow_map)
        if top:  # a top-level key
            if key in data:
                raise _Unflat
            if type(_VALUES.get(key)) is not str:
                _text_key(key)
            key_lines[key] = line
            if value is _EMPTY:
                data[key], open_key, block = None, key, None
            else:
                data[key], open_key = value, ""
        elif not open_key or value is _EMPTY:  # indented, not under an empty key; or empty
            raise _Unflat
        elif block is None:  # the first line of a block list or mapping
            indent = key_indent or item
            block = data[open_key] = {_text_key(key): value} if key else [value]
        else:
            _add(block, indent, key_indent, key, item, value)
    return (data or None), key_lines


def _other_value(top_level: bool, single: str, flow_list: str, flow_map: str) -> Any:
    """A value that is neither plain nor double-quoted; `_EMPTY` when the line has none.

    Flow collections are read as top-level values only.
    """
    if single:
        return single[1:-1].replace("''", "'")
    if (flow_list or flow_map) and not top_level:
        raise _Unflat
    if flow_list:
        return _flow_list(flow_list[1:-1])
    if flow_map:
        return _flow_mapping(flow_map[1:-1])
    return _EMPTY


def _add(block: list[Any] | dict[str, Any], indent: str, key_indent: str, key: str, item: str,
         value: Any) -> None:
    """Add a line's item or entry to the block list or mapping it continues, or `_Unflat`."""
    if type(block) is list and item and item == indent:
        block.append(value)
    elif type(block) is dict and key and key_indent == indent and key not in block:
        block[_text_key(key)] = value
    else:
        raise _Unflat


def _unescaped(double: str) -> str:
    """A double-quoted scalar with escapes, quotes included: JSON's reading is YAML's."""
    if _SURROGATE.search(double):
        raise _Unflat
    return str(json.loads(double))


def _text_key(key: str) -> str:
    """The key, refused when YAML does not read it as text (`yes`, `null`)."""
    value = _VALUES.get(key, _EMPTY)
    if value is _EMPTY:
        value = _plain(key)
    if type(value) is not str:
        raise _Unflat
    return key


def _plain(text: str) -> Any:
    """The value of a plain scalar, remembered when short."""
    value = plain_scalar(text)
    if value is NOT_SCALAR:
        raise _Unflat
    if len(text) <= _MAX_REMEMBERED_LENGTH and len(_VALUES) < _MAX_REMEMBERED:
        _VALUES[text] = value
    return value


def _flow_plain(text: str) -> Any:
    if _FLOW_PLAIN.fullmatch(text) is None:
        raise _Unflat
    value = _VALUES.get(text, _EMPTY)
    return _plain(text) if value is _EMPTY else value


def _flow_scalar(match: re.Match[str], group: int) -> Any:
    """The scalar of a flow item or entry whose double-quoted group is `group`."""
    double, single, plain = match.group(group, group + 1, group + 2)
    if double is not None:
        return double[1:-1] if "\\" not in double else _unescaped(double)
    if single is not None:
        return single[1:-1].replace("''", "'")
    return _flow_plain(plain)


def _flow_list(content: str) -> list[Any]:
    """The items of `[a, "b", 'c']` on one line, from the text between the brackets."""
    if "'" not in content and '"' not in content:
        if not content.strip(" "):
            return []
        return [_flow_plain(part.strip(" ")) for part in content.split(",")]
    items = []
    position, end = 0, len(content)
    while True:
        match = _FLOW_ITEM.match(content, position)
        if match is None:
            raise _Unflat
        items.append(_flow_scalar(match, 1))
        position = match.end()
        if match[4] is None:
            return items
        if position == end:  # a trailing comma
            raise _Unflat


def _flow_mapping(content: str) -> dict[str, Any]:
    """The entries of `{area: x, cause: "y"}` on one line, from the text between the braces."""
    mapping: dict[str, Any] = {}
    if not content.strip(" "):
        return mapping
    position, end = 0, len(content)
    while True:
        match = _FLOW_ENTRY.match(content, position)
        if match is None:
            raise _Unflat
        key = match[1]
        if key in mapping:
            raise _Unflat
        mapping[_text_key(key)] = _flow_scalar(match, 2)
        position = match.end()
        if match[5] is None:
            return mapping
        if position == end:
            raise _Unflat
