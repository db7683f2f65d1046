"""The errors `issuelog record` is given: `ErrorEvent`, read from options or JSON Lines."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from issuelog.core.yaml_loader import MAX_FLOW_NESTING
from issuelog.errors import UsageError
from issuelog.ops.fingerprint import ErrorSignature
from issuelog.ops.stack_trace import bound_stack_trace

#: The keys of one line of a `--from` JSON Lines file.
EVENT_KEYS = (
    "title", "error", "error_type", "component", "severity", "category", "phase", "tags", "fixes",
    "changes", "stack_trace", "context", "date",
)


@dataclass
class ErrorEvent:
    """One occurrence of an error, as given to `issuelog record`."""

    error: str = ""
    title: str = ""
    error_type: str = ""
    component: str = ""
    severity: str = ""
    category: str = ""
    phase: str = ""
    tags: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    stack_trace: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    seen: date | None = None

    def signature(self) -> ErrorSignature:
        """The parts of the event that its fingerprint is made of."""
        return ErrorSignature.from_parts(self.error, self.error_type, self.component,
                                         self.stack_trace)


def json_lines(text: str) -> list[str]:
    """The lines of a JSON Lines text: split on LF only (JSON strings may hold U+2028 and such)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def read_event_lines(source: str, stdin: TextIO) -> tuple[list[str], str]:
    """The JSON lines `record --from SOURCE` records ('-': `stdin`), and the name messages give it."""
    if source == "-":
        return json_lines(stdin.read()), "<stdin>"
    try:
        return json_lines(Path(source).read_text(encoding="utf-8")), source
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise UsageError(f"{source}: cannot read: {reason}") from None


def _text_list(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    raise UsageError(f"'{key}' must be text or a list of text")


def _event_date(value: Any) -> date:
    if isinstance(value, str):
        try:
            text = value.strip()
            if len(text) > 10:
                return datetime.fromisoformat(text).date()
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise UsageError(f"'date' must be a date like 2026-01-10, got {value!r}")


def event_from_mapping(data: Mapping[str, Any]) -> ErrorEvent:
    """An event from one decoded JSON object; unknown keys and wrong types are usage errors."""
    for key in data:
        if key not in EVENT_KEYS:
            hint = difflib.get_close_matches(key, EVENT_KEYS, n=1)
            suffix = f"did you mean '{hint[0]}'?" if hint else f"known: {', '.join(EVENT_KEYS)}"
            raise UsageError(f"unknown field '{key}' ({suffix})")
    event = ErrorEvent()
    for key in ("title", "error", "error_type", "component", "severity", "category", "phase",
                "stack_trace"):
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise UsageError(f"'{key}' must be text, got {type(value).__name__}")
        setattr(event, key, value)
    event.stack_trace = bound_stack_trace(event.stack_trace)
    for key in ("tags", "fixes", "changes"):
        if data.get(key) is not None:
            setattr(event, key, _text_list(data[key], key))
    if data.get("context") is not None:
        if not isinstance(data["context"], dict):
            raise UsageError("'context' must be a JSON object")
        event.context = dict(data["context"])
    if data.get("date") is not None:
        event.seen = _event_date(data["date"])
    return event


def _json_problem(error: json.JSONDecodeError) -> str:
    return f"{error.msg} (column {error.colno})"


def _decode_json(text: str) -> Any:
    """A JSON value nested at most `MAX_FLOW_NESTING` deep; deeper is a usage error, not a crash."""
    try:
        value = json.loads(text)
    except RecursionError:
        value = None
        depth = MAX_FLOW_NESTING + 1
    else:
        depth = _depth(value)
    if depth > MAX_FLOW_NESTING:
        raise UsageError(f"JSON nested more than {MAX_FLOW_NESTING} levels deep")
    return value


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in a decoded JSON value (counted without recursion)."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_FLOW_NESTING:
            return deepest
        pending.extend((child, level + 1) for child in children)
    return deepest


def event_from_line(line: str) -> ErrorEvent:
    """An event from one line of a `--from` JSON Lines file; a line that is not one JSON object,
    or not a valid event, is a usage error."""
    try:
        data = _decode_json(line)
    except json.JSONDecodeError as error:
        raise UsageError(f"not valid JSON: {_json_problem(error)}") from None
    if not isinstance(data, dict):
        raise UsageError("each line must be a JSON object")
    return event_from_mapping(data)


def parse_context(text: str) -> dict[str, Any]:
    """The `--context` option: a JSON object."""
    try:
        value = _decode_json(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"--context is not valid JSON: {_json_problem(error)}") from None
    except UsageError as error:
        raise UsageError(f"--context: {error}") from None
    if not isinstance(value, dict):
        raise UsageError("--context must be a JSON object, like '{\"host\": \"web-1\"}'")
    return value
