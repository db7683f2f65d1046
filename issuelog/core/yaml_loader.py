"""PyYAML's home: issuelog's loaders, the bounds checked before loading, and loading itself.

`IssueLoader` is PyYAML's C safe loader that refuses repeated keys, keeps impossible dates for
validation to report and gives every bad value its line; `SafeIssueLoader` also refuses aliases.
`load_yaml` reads a frontmatter block with them (values and each top-level key's line) and
`yaml_refusal` turns a YAML error into the line and message `check` reports. `plain_scalar` gives
the value these loaders give one plain scalar, for `flat_yaml`'s fast reader.
"""

from __future__ import annotations

import re
from typing import Any, Final

import yaml

from issuelog.core.yaml_values import InvalidDate, YamlRefusal

MAX_FLOW_NESTING = 50


def short_tag(tag: str) -> str:
    """A YAML tag as it is written in a file: `tag:yaml.org,2002:bool` is `!!bool`."""
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix):] if tag.startswith(prefix) else tag


class IssueLoader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """PyYAML's safe loader (C speed) that refuses duplicate keys and reports bad dates."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as error:
            # Keep loading so that the other fields are still checked; validation reports it.
            return InvalidDate(node.value, str(error))

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            # Python refuses to convert integers of more than 4300 digits; `!!int abc` is no number.
            digits = sum(character.isdigit() for character in node.value)
            reason = (f"number too large ({digits} digits)" if digits > 4300
                      else f"'{node.value}' is not a whole number")
            raise yaml.constructor.ConstructorError(None, None, reason, node.start_mark) from None

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """Build one node's value; a value its explicit tag cannot hold is an error with its line."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, KeyError, AttributeError, IndexError, TypeError, OverflowError) as error:
            # PyYAML's constructors take `!!bool maybe` or `!!float abc` for granted and fail
            # with Python errors; the user needs the place and the tag instead.
            detail = f" ({error})" if isinstance(error, ValueError) else ""
            raise yaml.constructor.ConstructorError(
                None, None, f"'{node.value}' is not a valid {short_tag(node.tag)} value{detail}",
                node.start_mark) from None

    def construct_document_ordered_set(self, node: yaml.MappingNode) -> list[Any]:
        """A `!!set` as a list in the order it is written: a Python set's order changes per run."""
        return list(self.construct_mapping(node))


IssueLoader.add_constructor("tag:yaml.org,2002:timestamp", IssueLoader.construct_yaml_timestamp)
IssueLoader.add_constructor("tag:yaml.org,2002:int", IssueLoader.construct_yaml_int)
IssueLoader.add_constructor("tag:yaml.org,2002:set", IssueLoader.construct_document_ordered_set)


class SafeIssueLoader(IssueLoader):
    """IssueLoader that also refuses aliases (`*name`), which could blow up into huge values."""

    def __init__(self, stream: str) -> None:
        self.source = stream
        super().__init__(stream)

    def get_single_node(self) -> Any:
        """The document's node, after refusing any alias, also one that only a merge key uses."""
        mark = _first_alias(self.source)
        if mark is not None:
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in issue files", mark)
        return super().get_single_node()

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases (*name) are not allowed in issue files", node.start_mark
            )
        return super().construct_object(node, deep=deep)


def alias_line(fm: str) -> int | None:
    """The 0-based line of the first alias (`*name`) in frontmatter, or None (also when invalid)."""
    if "*" not in fm:
        return None
    try:
        mark = _first_alias(fm)
    except yaml.YAMLError:
        return None  # loading it reports the error with its line
    return int(mark.line) if mark is not None else None


def _first_alias(fm: str) -> Any:
    """Where the first alias is, read from the parser's events: before anything composes it.

    A merge key (`<<: *a`) copies an alias's entries without constructing the alias, so the
    loader's own check never sees it, and older PyYAML expanded merges exponentially.
    """
    for event in yaml.parse(fm, Loader=IssueLoader):
        if isinstance(event, yaml.AliasEvent):
            return event.start_mark
    return None


def too_deep_at(fm: str) -> int | None:
    """The 0-based line where collections nest deeper than `MAX_FLOW_NESTING`, or None.

    Read as a stream of events and abandoned as soon as the limit is passed: libyaml takes
    quadratic time on deeply nested flow collections and its composer overflows the C stack.
    """
    # The common case, decided at C speed: each level opens with a bracket, a `- ` or `? `
    # entry, or one more space of indentation, so with few of them the limit cannot be reached.
    openers = fm.count("[") + fm.count("{") + fm.count("- ") + fm.count("? ")
    room = MAX_FLOW_NESTING - openers
    if room > 0 and not fm.startswith(" " * room) and "\n" + " " * room not in fm:
        return None
    depth = 0
    try:
        for event in yaml.parse(fm, Loader=SafeIssueLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_FLOW_NESTING:
                    return int(event.start_mark.line) if event.start_mark else 0
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return None  # loading it reports the error with its line
    return None


def load_yaml(fm: str) -> tuple[Any, dict[str, int]]:
    """The frontmatter's value, and the 1-based file line of each top-level key.

    `fm` is the text between the `---` lines, from the end of the first one: its line N (from 0)
    is line N + 1 of the file. Raises PyYAML's errors (see `yaml_refusal`).
    """
    loader = SafeIssueLoader(fm)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, {}
        lines: dict[str, int] = {}
        if isinstance(root, yaml.MappingNode):
            for key_node, _ in root.value:
                if isinstance(key_node, yaml.ScalarNode):
                    lines.setdefault(key_node.value, key_node.start_mark.line + 1)
        return loader.construct_document(root), lines
    finally:
        loader.dispose()


_STR_TAG = "tag:yaml.org,2002:str"
_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{name}"
                         for name in ("null", "bool", "int", "float", "timestamp"))


class _NotScalar:
    """The type of `NOT_SCALAR`."""


#: What `plain_scalar` gives for text that the loader would not build with a scalar constructor.
NOT_SCALAR: Final = _NotScalar()
#: For its resolver and scalar constructors, which keep no state between calls.
_SCALAR_LOADER = IssueLoader("")


def plain_scalar(text: str) -> Any:
    """The value IssueLoader gives the plain scalar `text`, or `NOT_SCALAR`.

    The tag comes from the loader's resolver and the value from the loader's own constructor for
    it, so `yes`, `010`, `1:20`, `~` and `2026-02-30` come out exactly as a full load gives them.
    `NOT_SCALAR` stands for another tag (`<<`, `=`) or a value its constructor refuses: only a
    full load says what that is.
    """
    tag = _SCALAR_LOADER.resolve(yaml.ScalarNode, text, (True, False))
    if tag == _STR_TAG:
        return text
    if tag not in _SCALAR_TAGS:
        return NOT_SCALAR
    try:
        return _SCALAR_LOADER.yaml_constructors[tag](_SCALAR_LOADER, yaml.ScalarNode(tag, text))
    except Exception:  # a full load reports it, with its line
        return NOT_SCALAR


#: PyYAML's contexts of an error in a quoted value or a bracketed list or mapping, which it
#: reports where it noticed the error, often the line after the one to fix.
_OPENED_CONTEXTS = frozenset({"while scanning a quoted scalar", "while parsing a flow sequence",
                              "while parsing a flow mapping"})


def yaml_refusal(fm: str, error: yaml.YAMLError | RecursionError) -> YamlRefusal:
    """The line and message `check` reports for an error raised while loading `fm`."""
    if isinstance(error, yaml.MarkedYAMLError):
        if (error.context_mark and error.problem_mark and error.problem
                and error.context in _OPENED_CONTEXTS
                and error.problem_mark.line > error.context_mark.line):
            # An unclosed quote or bracket is noticed lines later: name the line that opened it.
            return YamlRefusal(error.context_mark.line + 1,
                               f"invalid YAML: {error.problem} {error.context} that starts "
                               "on this line: is it closed?")
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        reason = error.problem or error.context or "invalid YAML"
        return YamlRefusal(line, f"invalid YAML: {reason}{quoting_hint(fm, line - 1)}")
    if isinstance(error, yaml.reader.ReaderError):
        line, code = _refused_character(fm, error)
        return YamlRefusal(line, f"invalid YAML: character U+{code:04X} is not allowed "
                                 "(control characters cannot appear in YAML)")
    if isinstance(error, RecursionError):
        return YamlRefusal(1, "invalid YAML: nested too deeply")
    return YamlRefusal(1, f"invalid YAML: {error}")


_PLAIN_KEY_LINE = re.compile(r"^(?P<key>[A-Za-z_][\w-]*):[ \t]+(?P<value>[^\s\"'\[{|>&*!#].*?)\s*$")


def quoting_hint(fm: str, index: int) -> str:
    """Advice for a `key: value` line whose value YAML misreads (`title: Slow: really slow`)."""
    lines = fm.splitlines()
    if not 0 <= index < len(lines):
        return ""
    match = _PLAIN_KEY_LINE.match(lines[index])
    if match is None or not any(mark in match["value"] for mark in (": ", " #", "\t")):
        return ""
    quoted = match["value"].replace("\\", "\\\\").replace('"', '\\"')
    return f"; put the value in quotes: {match['key']}: \"{quoted}\""


def _refused_character(fm: str, error: yaml.reader.ReaderError) -> tuple[int, int]:
    """The line and the code point of a character the YAML reader refused."""
    if isinstance(error.character, int):  # libyaml: a byte offset and a code point
        return fm.encode("utf-8")[:error.position].count(b"\n") + 1, error.character
    return fm.count("\n", 0, error.position) + 1, ord(error.character)
