"""The Issue model: parsing one issue file and validating it against the configuration."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from issuelog.core.config import ISSUE_FIELDS, Config, Status, closest_name

FIELD_ORDER = ISSUE_FIELDS
TEXT_FIELDS = (
    "id", "title", "status", "severity", "phase", "category", "component",
    "reporter", "assignee", "error_type", "error_message", "fingerprint", "fixed_in",
)
#: An incident's timeline, in the order its moments happen (see `timeline_problems`).
TIMELINE_FIELDS = ("started", "detected", "acknowledged", "mitigated", "resolved")
DATE_FIELDS = ("reported", "resolved", "last_seen", "started", "detected", "acknowledged",
               "mitigated")
#: Dates a file may declare unknown with `<key>_unknown: true` (an imported log never said).
UNKNOWN_DATE_FIELDS = ("reported", "resolved")
#: The dates an issue may carry: date arithmetic (weeks back, ages) stays inside Python's range.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(9998, 12, 31)
LIST_FIELDS = ("tags", "related", "files")
REFERENCE_KEYS = ("area", "cause", "solution")
_KNOWN_FIELDS = frozenset(FIELD_ORDER)
_TEXT_FIELDS = frozenset(TEXT_FIELDS)
_DATE_FIELDS = frozenset(DATE_FIELDS)
_LIST_FIELDS = frozenset(LIST_FIELDS)
SECTIONS = (
    "Description", "Steps to Reproduce", "Expected Behavior", "Actual Behavior",
    "Error Message / Stack Trace", "Environment", "Root Cause", "Resolution", "Prevention",
)

#: Limits that keep one hostile file from exhausting time or memory (see SECURITY.md).
MAX_FILE_BYTES = 1024 * 1024
MAX_FRONTMATTER_CHARS = 256 * 1024
MAX_FLOW_NESTING = 50
MAX_TITLE_LENGTH = 500
#: The frontmatter fence, opening and closing: a line of exactly three dashes (trailing blanks
#: allowed). `----` is no fence and `...` closes nothing: `check`, `set`, `status` and every other
#: reader or editor split a file here, through `frontmatter_fences`.
FENCE = re.compile(r"^---\s*$", re.MULTILINE)



class _FencedYAMLHandler(YAMLHandler):
    """python-frontmatter's YAML handler with the one fence issuelog accepts."""

    FM_BOUNDARY = FENCE


_YAML_HANDLER = _FencedYAMLHandler()
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?")

Day = date  # a `datetime` is a `date` too: both are accepted wherever a date is


@dataclass(frozen=True)
class InvalidDate:
    """A value shaped like a date that is not one, such as 2026-02-30."""

    text: str
    reason: str


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one file, reported as `path:line: message`."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Issue:
    """One issue file: typed frontmatter fields, unknown keys kept in `extra`, and the body."""

    path: Path
    id: str = ""
    title: str = ""
    status: str = ""
    severity: str = ""
    phase: str = ""
    category: str = ""
    component: str = ""
    reported: Day | None = None
    resolved: Day | None = None
    reporter: str = ""
    assignee: str = ""
    tags: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    error_type: str = ""
    error_message: str = ""
    fingerprint: str = ""
    fingerprint_version: int | None = None
    occurrences: int = 1
    last_seen: Day | None = None
    reference: dict[str, str] | None = None
    # Knowledge (symptom, cause, solution) rather than something that happened: shown in the
    # Common Issues Reference, left out of every figure, needs no dates (see the README).
    reference_only: bool = False
    # The incident timeline (`started` to `mitigated`; `reported` and `resolved` above) and the
    # commit whose message closed the issue.
    started: Day | None = None
    detected: Day | None = None
    acknowledged: Day | None = None
    mitigated: Day | None = None
    fixed_in: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    present: frozenset[str] = frozenset()
    key_lines: dict[str, int] = field(default_factory=dict, repr=False)

    def date_unknown(self, key: str) -> bool:
        """Whether the file says a date is unknown (`resolved_unknown: true`): not invented.

        An imported entry whose log never stated when it was fixed is closed with no `resolved`
        date; the flag says so, and every figure that needs the date leaves the issue out.
        """
        return self.extra.get(f"{key}_unknown") is True

    def line_of(self, key: str) -> int:
        """The 1-based line of a top-level frontmatter key, or 1 when it is absent."""
        return self.key_lines.get(key, 1)

    def to_dict(self) -> dict[str, Any]:
        """Every frontmatter field, known ones first in their usual order, then unknown keys."""
        data: dict[str, Any] = {}
        for name in FIELD_ORDER:
            if name in self.present:
                data[name] = getattr(self, name)
        data.update(self.extra)
        return data


def short_tag(tag: str) -> str:
    """A YAML tag as it is written in a file: `tag:yaml.org,2002:bool` is `!!bool`."""
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix):] if tag.startswith(prefix) else tag


#: The tags of plain scalars met so far (`open`: str, `2026-01-10`: timestamp), up to a bound.
_PLAIN_SCALAR_TAGS: dict[str, str] = {}
_MAX_REMEMBERED_TAGS = 20_000
#: Longer scalars (titles, messages) rarely repeat: remembering them would only crowd out the rest.
_MAX_REMEMBERED_LENGTH = 64


class IssueLoader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """PyYAML's safe loader (C speed) that refuses duplicate keys and reports bad dates."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool] | bool) -> str:
        """The tag of a node, as PyYAML's resolver gives it, remembered for plain scalars.

        The parser asks for every node of every file, and issue files repeat the same plain
        scalars (keys, statuses, severities, names). Without path resolvers, which issuelog
        never adds, a plain scalar's tag depends on its text alone.
        """
        if self.yaml_path_resolvers:
            return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]
        if kind is yaml.ScalarNode and isinstance(implicit, tuple):
            if not implicit[0]:
                return self.DEFAULT_SCALAR_TAG  # type: ignore[no-any-return]
            tag = _PLAIN_SCALAR_TAGS.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(value) <= _MAX_REMEMBERED_LENGTH and len(_PLAIN_SCALAR_TAGS) < _MAX_REMEMBERED_TAGS:
                    _PLAIN_SCALAR_TAGS[value] = tag
            return tag
        if kind is yaml.MappingNode:
            return self.DEFAULT_MAPPING_TAG  # type: ignore[no-any-return]
        return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]

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


def title_problem(title: str) -> str | None:
    """Why a title cannot be used, or None when it is fine."""
    if len(title) > MAX_TITLE_LENGTH:
        return (f"title is {len(title)} characters long; the limit is {MAX_TITLE_LENGTH} "
                "(put the details in the Description)")
    return None


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
    if re.search(r"^\.\.\.\s*$", text, re.MULTILINE):
        return "frontmatter is not closed: add a '---' line after it ('...' does not close it)"
    return "frontmatter is not closed: add a '---' line after it"


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
    is line N + 1 of the file.
    """
    # An alias (*name) must refer to an anchor (&name) defined before it: without an `&` there
    # is nothing to refuse, and SafeIssueLoader's per-node alias check is costly, so the plain
    # IssueLoader (also safe) reads such blocks.
    loader = SafeIssueLoader(fm) if "&" in fm else IssueLoader(fm)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, {}
        lines: dict[str, int] = {}
        if isinstance(root, yaml.MappingNode):
            for key_node, _ in root.value:
                if isinstance(key_node, yaml.ScalarNode):
                    lines.setdefault(key_node.value, key_node.start_mark.line + 1)
        if type(loader) is IssueLoader:
            try:
                return _plain_value(loader, root), lines
            except Exception:  # the full constructor decides, as below
                # Not plain, or an error: PyYAML's constructor reports errors in its own order
                # (a repeated key before a bad value), so it gives the message and the line.
                pass
        return loader.construct_document(root), lines
    finally:
        loader.dispose()


_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{name}"
                         for name in ("null", "bool", "int", "float", "timestamp"))


class _NotPlain(Exception):
    """A node that only PyYAML's full constructor builds (merge keys, other tags, repeated keys)."""


def _plain_value(loader: IssueLoader, node: yaml.Node) -> Any:
    """What `loader.construct_document(node)` gives, for text, numbers, dates, lists and mappings.

    PyYAML's constructor spends most of loading an issue on bookkeeping that only aliases,
    merge keys and other tags need; frontmatter rarely has any. Each scalar is still built by
    the loader's own constructor for its tag, so values are exactly the same; errors are left
    to the full constructor (see `load_frontmatter`).
    """
    kind = type(node)
    if kind is yaml.ScalarNode:
        if node.tag == _STR_TAG:
            return node.value
        if node.tag in _SCALAR_TAGS:
            return loader.yaml_constructors[node.tag](loader, node)
    elif kind is yaml.SequenceNode and node.tag == _SEQ_TAG:
        return [_plain_value(loader, item) for item in node.value]
    elif kind is yaml.MappingNode and node.tag == _MAP_TAG:
        mapping: dict[Any, Any] = {}
        seen: set[str] = set()
        for key_node, value_node in node.value:
            # Repeated keys are refused by IssueLoader.construct_mapping, with their line.
            if type(key_node) is not yaml.ScalarNode or key_node.value in seen:
                raise _NotPlain
            seen.add(key_node.value)
            key = key_node.value if key_node.tag == _STR_TAG else _plain_value(loader, key_node)
            # Text values, the most common, without a call.
            mapping[key] = (value_node.value if type(value_node) is yaml.ScalarNode
                            and value_node.tag == _STR_TAG else _plain_value(loader, value_node))
        return mapping
    raise _NotPlain


#: git's conflict markers: `<<<<<<<`, an optional `|||||||` base, `=======` and `>>>>>>>`, each
#: starting a line, in that order (one marker alone, as in pasted text, is not a conflict).
_CONFLICT = re.compile(r"^<<<<<<<(?: [^\n]*)?\n(?:.*\n)*?={7}\r?\n(?:.*\n)*?>>>>>>>(?: |$)", re.MULTILINE)


def parse_issue(path: Path, text: str, display: str | None = None) -> tuple[Issue | None, list[Problem]]:
    """Parse the text of one issue file; return the issue (None if unusable) and its problems."""
    shown = display or str(path)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        return None, [Problem(shown, 1, "file is empty: an issue file starts with YAML frontmatter")]
    # Text about to be written is checked here too: never write what `check` refuses to read.
    if len(text) * 4 > MAX_FILE_BYTES and len(text.encode("utf-8")) > MAX_FILE_BYTES:
        return None, [Problem(shown, 1, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB, "
                                        "the most issuelog reads from one file")]
    if "<<<<<<<" in text:  # a cheap test first: this runs for every file on every read
        conflict = _CONFLICT.search(text)
        if conflict is not None:
            line = text.count("\n", 0, conflict.start()) + 1
            return None, [Problem(shown, line, "unresolved merge conflict: keep one side, delete the "
                                               "<<<<<<<, ======= and >>>>>>> lines, then `git add` it")]
    parts = split_frontmatter(text)
    if parts is None:
        return None, [Problem(shown, 1, fence_hint(text))]
    fm, body = parts
    if len(fm) > MAX_FRONTMATTER_CHARS:
        return None, [Problem(shown, 1, f"frontmatter is {len(fm)} characters long; the limit is "
                                        f"{MAX_FRONTMATTER_CHARS} (move long text into the body)")]
    deep_line = too_deep_at(fm)
    if deep_line is not None:
        return None, [Problem(shown, deep_line + 1, "invalid YAML: lists or mappings nested more than "
                                                    f"{MAX_FLOW_NESTING} deep")]
    loaded = _loaded_frontmatter(fm, shown)
    if isinstance(loaded, Problem):
        return None, [loaded]
    data, lines = loaded
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [Problem(shown, 2, "frontmatter must be a mapping of keys to values")]
    return issue_from_mapping(path, data, body.lstrip("\r\n"), lines, shown)


def _loaded_frontmatter(fm: str, shown: str) -> tuple[Any, dict[str, int]] | Problem:
    """`load_frontmatter`, with a YAML error turned into the problem `check` reports."""
    try:
        return load_frontmatter(fm)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        reason = error.problem or error.context or "invalid YAML"
        return Problem(shown, line, f"invalid YAML: {reason}{quoting_hint(fm, line - 1)}")
    except yaml.reader.ReaderError as error:
        line, code = _refused_character(fm, error)
        return Problem(shown, line, f"invalid YAML: character U+{code:04X} is not allowed "
                                    "(control characters cannot appear in YAML)")
    except yaml.YAMLError as error:
        return Problem(shown, 1, f"invalid YAML: {error}")
    except RecursionError:
        return Problem(shown, 1, "invalid YAML: nested too deeply")


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


def issue_from_mapping(
    path: Path, data: dict[Any, Any], body: str, lines: dict[str, int], shown: str
) -> tuple[Issue, list[Problem]]:
    """Coerce loaded frontmatter into an Issue, reporting every value of the wrong type."""
    issue = Issue(path=path, body=body, key_lines=lines)
    problems: list[Problem] = []

    def bad(key: str, message: str) -> None:
        problems.append(Problem(shown, lines.get(key, 1), message))

    present: set[str] = set()
    for raw_key, value in data.items():
        key = raw_key if type(raw_key) is str else str(raw_key)
        if key not in _KNOWN_FIELDS:
            issue.extra[key] = value.text if isinstance(value, InvalidDate) else value
            continue
        if value is None or value == "" or value == []:
            continue
        present.add(key)
        if type(value) is str and key in _TEXT_FIELDS:  # the usual case, first
            setattr(issue, key, value if key == "error_message" else value.strip())
            continue
        coerced, message = _coerce_field(key, value)
        if message is None:
            setattr(issue, key, coerced)
        else:
            bad(key, message)
    issue.present = frozenset(present)
    return issue, problems


def _coerce_text(key: str, value: Any) -> tuple[Any, str | None]:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return (str(value).strip() if key != "error_message" else str(value)), None
    return None, f"'{key}' must be a single value, not {_kind(value)}"


def _coerce_date(key: str, value: Any) -> tuple[Any, str | None]:
    if isinstance(value, InvalidDate):
        return None, (f"invalid date '{value.text}' in '{key}': {value.reason}; "
                      f"write a real day as YYYY-MM-DD, e.g. {key}: {nearest_day(value.text)}")
    parsed = _as_date(value)
    if parsed is None:
        example = '"2026-01-10 14:05"' if key in TIMELINE_FIELDS else "2026-01-10"
        return None, f"'{key}' must be a date like {example}, got {value!r}"
    return parsed, None


def _coerce_list(key: str, value: Any) -> tuple[Any, str | None]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, (str, int)) and not isinstance(v, bool) for v in value
    ):
        return None, f"'{key}' must be a list of text values"
    return [str(v) for v in value], None


def _coerce_count(key: str, value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        return None, f"'{key}' must be a whole number of at least 1, got {value!r}"
    return value, None


def _coerce_reference(key: str, value: Any) -> tuple[Any, str | None]:
    reference = _as_reference(value)
    if reference is None:
        return None, "'reference' must be a mapping with text keys area, cause and solution"
    return reference, None


def _coerce_flag(key: str, value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool):
        return value, None
    return None, f"'{key}' must be true or false, got {value!r}"


def _coerce_field(key: str, value: Any) -> tuple[Any, str | None]:
    """A known field's value as the Issue holds it, or the message saying why it cannot be."""
    if key in _TEXT_FIELDS:
        return _coerce_text(key, value)
    if key in _DATE_FIELDS:
        return _coerce_date(key, value)
    if key in _LIST_FIELDS:
        return _coerce_list(key, value)
    return _COERCERS[key](key, value)


_COERCERS: dict[str, Callable[[str, Any], tuple[Any, str | None]]] = {
    "occurrences": _coerce_count,
    "fingerprint_version": _coerce_count,
    "reference": _coerce_reference,
    "reference_only": _coerce_flag,
}


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def nearest_day(text: str) -> str:
    """The last real day of the month a bad date names (2026-02-30 -> 2026-02-28), else today's form."""
    import calendar

    match = re.match(r"^(\d{4})-(\d{1,2})-\d{1,2}", text.strip())
    if match is None or not 1 <= int(match[2]) <= 12:
        return "2026-01-10"
    year, month = int(match[1]), int(match[2])
    return f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"


def _as_date(value: Any) -> Day | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATETIME.match(value.strip()):
        text = value.strip()
        try:
            return datetime.fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)
        except ValueError:
            return None
    return None


def _as_reference(value: Any) -> dict[str, str] | None:
    if not isinstance(value, dict):
        return None
    reference: dict[str, str] = {}
    for key, item in value.items():
        if key not in REFERENCE_KEYS or not isinstance(item, (str, int, float)):
            return None
        reference[key] = str(item)
    return reference


def disallowed_values(fields: Mapping[str, Any], config: Config) -> list[tuple[str, str]]:
    """(key, message) for each status, severity, phase or category the configuration does not allow."""
    return [
        (key, _unknown(key, fields[key], list(names)))
        for key, names in config.allowed_values.items()
        if fields.get(key) and names and fields[key] not in names
    ]


def validate_issue(issue: Issue, config: Config, shown: str) -> list[Problem]:
    """Problems of one issue against the configuration (values, required fields, dates, file name)."""
    status = config.status(issue.status)
    found = [*_field_problems(issue, config), *_reference_problems(issue, status),
             *_date_flag_problems(issue, status), *_date_problems(issue, status)]
    return [*(Problem(shown, issue.line_of(key), message) for key, message in found),
            *timeline_problems(issue, shown)]


def _field_problems(issue: Issue, config: Config) -> list[tuple[str, str]]:
    """Required fields, the title, configured values and the ID against its file name."""
    found: list[tuple[str, str]] = []
    for key in config.required:
        # A reference entry has no history: its dates are not required (nor invented).
        undated = (issue.reference_only and key in DATE_FIELDS) or (
            key in UNKNOWN_DATE_FIELDS and issue.date_unknown(key))
        if key not in issue.present and key not in issue.extra and not undated:
            found.append((key, f"missing required field '{key}'"))
    too_long = title_problem(issue.title)
    if too_long:
        found.append(("title", too_long))
    values = {key: getattr(issue, key) for key in ("status", "severity", "phase", "category")}
    found += disallowed_values(values, config)
    if issue.id:
        if not config.id_pattern.match(issue.id):
            found.append(("id", f"id '{issue.id}' does not match the pattern {config.id_prefix}-NNN"))
        stem = issue.path.stem
        if stem != issue.id and not stem.startswith(issue.id + "-"):
            found.append(("id", f"id '{issue.id}' does not match the file name '{issue.path.name}'"))
    return found


def _reference_problems(issue: Issue, status: Status | None) -> list[tuple[str, str]]:
    """A reference-only entry needs its reference and cannot be open."""
    found: list[tuple[str, str]] = []
    if issue.reference_only:
        if issue.reference is None:
            found.append(("reference_only", "'reference_only' is set but there is no 'reference' "
                                            "(area, cause, solution) to list the entry in"))
        if status is not None and status.open:
            found.append(("status", f"a reference-only entry cannot be {issue.status}: to track it "
                                    "as an issue, remove 'reference_only' and give it a 'reported' date"))
    return found


def _date_flag_problems(issue: Issue, status: Status | None) -> list[tuple[str, str]]:
    """The `*_unknown` flags: true or false, and never beside a date they say is unknown."""
    found: list[tuple[str, str]] = []
    for key in UNKNOWN_DATE_FIELDS:
        flag = f"{key}_unknown"
        if issue.extra.get(flag) not in (None, "") and not isinstance(issue.extra[flag], bool):
            found.append((flag, f"'{flag}' must be true or false, got {issue.extra[flag]!r}"))
        elif issue.date_unknown(key) and getattr(issue, key) is not None:
            found.append((flag, f"'{flag}' is true but '{key}' has a date: empty one of them"))
    if issue.date_unknown("resolved") and status is not None and status.open:
        found.append(("resolved_unknown", f"'resolved_unknown' is true but status '{issue.status}' is "
                                          "open: an open issue has no resolution date to be unknown"))
    return found


def _resolution_problem(issue: Issue, status: Status | None) -> tuple[str, str] | None:
    """A closed status needs a `resolved` date; an open one has none."""
    if status is None:
        return None
    # A `resolved` that is not a date (2026-02-30) is reported once, where it is written.
    unreadable_date = "resolved" in issue.present
    if (not status.open and issue.resolved is None and not issue.reference_only
            and not unreadable_date and not issue.date_unknown("resolved")):
        return "status", f"status '{issue.status}' needs a 'resolved' date"
    if status.open and issue.resolved is not None:
        return "resolved", f"'resolved' is set but status '{issue.status}' is open"
    return None


def _date_problems(issue: Issue, status: Status | None) -> list[tuple[str, str]]:
    """`resolved` against the status and `reported`; every date within the accepted range."""
    found: list[tuple[str, str]] = []
    status_problem = _resolution_problem(issue, status)
    if status_problem is not None:
        found.append(status_problem)
    for key in DATE_FIELDS:
        value = getattr(issue, key)
        # Statistics step back weeks from the newest date; near year 1 that is no date at all.
        if isinstance(value, date) and not EARLIEST_DATE <= as_date(value) <= LATEST_DATE:
            found.append((key, f"'{key}' {value} is outside the dates issuelog accepts "
                               f"({EARLIEST_DATE} to {LATEST_DATE})"))
    if issue.reported and issue.resolved and _before(issue.resolved, issue.reported):
        found.append(("resolved", f"resolved {issue.resolved} is before reported {issue.reported}"))
    return found


def timeline_problems(issue: Issue, shown: str) -> list[Problem]:
    """One problem for each timeline moment dated before an earlier one (`TIMELINE_FIELDS`).

    Missing moments are skipped: `mitigated` is compared with `acknowledged`, else `detected`,
    else `started`. `reported` may fall anywhere after `started` (a customer reports before or
    after the alert fires), so it is only checked against `started` and `resolved`.
    """
    problems: list[Problem] = []
    keys = [key for key in TIMELINE_FIELDS if getattr(issue, key) is not None]
    pairs = list(zip(keys, keys[1:], strict=False))
    if issue.reported is not None and issue.started is not None:
        pairs.insert(0, ("started", "reported"))
    for earlier, later in pairs:
        first, then = getattr(issue, earlier), getattr(issue, later)
        if _before(then, first):
            problems.append(Problem(shown, issue.line_of(later),
                                    f"'{later}' {_moment(then)} is before '{earlier}' "
                                    f"{_moment(first)}: the timeline runs "
                                    f"{' <= '.join(TIMELINE_FIELDS)}"))
    return problems


def _moment(value: Day) -> str:
    """A timeline value as it is written: `2026-03-01 14:05`, or the day alone."""
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else value.isoformat()


#: How alike (difflib's ratio) an unknown key and a known field must be for the key to be taken
#: for a typo: `ocurrences` (0.95) and `titel` (0.8) are; `title_en` (0.77), `legacy_status`
#: (0.63, written by the importer) and `customer_ref` are keys of their own.
KEY_TYPO_CUTOFF = 0.8


@lru_cache(maxsize=1024)
def misspelt_field(key: str) -> str | None:
    """The known field an unknown frontmatter key most likely misspells (`Status`, `ocurrences`)."""
    if key in FIELD_ORDER:
        return None
    return closest_name(key.lower(), FIELD_ORDER, cutoff=KEY_TYPO_CUTOFF)


def key_hints(issue: Issue, shown: str) -> list[Problem]:
    """A did-you-mean hint for each unknown key that looks like a typo of a known field.

    Unknown keys are the user's data and stay valid; the hint only says that `ocurrences: 3`
    is not counted as `occurrences`.
    """
    hints = []
    for key in issue.extra:
        field_name = misspelt_field(str(key))
        if field_name is not None:
            hints.append(Problem(shown, issue.line_of(str(key)),
                                 f"unknown key '{key}' (kept as your own data): "
                                 f"did you mean '{field_name}'?"))
    return hints


def _before(later: Day, earlier: Day) -> bool:
    """Compare to the minute when both values have a time of day, else by calendar day."""
    if (isinstance(later, datetime) and isinstance(earlier, datetime)
            and (later.tzinfo is None) == (earlier.tzinfo is None)):
        return later < earlier
    return as_date(later) < as_date(earlier)


def as_date(value: date) -> date:
    """The calendar day of a date or datetime."""
    return value.date() if isinstance(value, datetime) else value


def closest_value(value: str, allowed: list[str]) -> str | None:
    """The allowed value `value` most likely means: the same in another case, or a close typo.

    Names that differ only in their digits (`Phase 9`, `Phase 2`) are different values, not typos.
    """
    folded = [name for name in allowed if name.casefold() == value.casefold()]
    if len(folded) == 1:
        return folded[0]
    near = closest_name(value.casefold(), [name.casefold() for name in allowed], cutoff=0.8)
    if near is None or re.sub(r"\d", "", near) == re.sub(r"\d", "", value.casefold()):
        return None
    return next(name for name in allowed if name.casefold() == near)


def _unknown(kind: str, value: str, allowed: list[str]) -> str:
    near = closest_value(str(value), allowed)
    hint = f"; did you mean '{near}'?" if near else ""
    return f"unknown {kind} '{value}' (allowed: {', '.join(allowed)}){hint}"
