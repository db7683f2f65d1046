"""Recording errors: count a known error on its issue, reopen a regression, or file a new one."""

from __future__ import annotations

import difflib
import json
import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from issuelog.core.cache import IssueIndex
from issuelog.core.config import Config
from issuelog.core.edits import file_problems, reopened_status, status_changes
from issuelog.core.frontmatter_edit import edit_frontmatter, split_document, today
from issuelog.core.model import Issue, Problem, as_date, parse_issue
from issuelog.core.sections import read_section, replace_section
from issuelog.core.store import display_path, read_text, sort_key, write_atomic, write_lock
from issuelog.core.yaml_loader import MAX_FLOW_NESTING
from issuelog.errors import IssueFileError, IssuelogError, UsageError
from issuelog.log.formatting import code_fence
from issuelog.log.stats import REGRESSION_TAG
from issuelog.ops.fingerprint import (
    CURRENT_VERSION,
    LEGACY_VERSION,
    NORMALIZERS,
    ErrorSignature,
)
from issuelog.project.scaffold import check_values, create_issue, default_severity

ERROR_SECTION = "Error Message / Stack Trace"
FIXES_SECTION = "Suggested Fixes"
CHANGES_SECTION = "System Changes Needed"
REGRESSIONS_SECTION = "Regressions"
MAX_TITLE_LENGTH = 100

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


@dataclass(frozen=True)
class RecordResult:
    """What recording one event did: `created`, `counted` or `reopened`, and on which issue."""

    action: str
    issue_id: str
    path: Path
    occurrences: int


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


@dataclass
class RecordTally:
    """What a batch of `record --from` did so far: events per action, and the bad lines."""

    actions: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "counted": 0, "reopened": 0})
    problems: list[Problem] = field(default_factory=list)

    def add(self, outcome: RecordResult | Problem) -> None:
        """Count one line's outcome."""
        if isinstance(outcome, Problem):
            self.problems.append(outcome)
        else:
            self.actions[outcome.action] += 1

    def summary(self) -> str:
        """`recorded 3 event(s): 1 created, 2 counted, 0 reopened; 0 bad line(s)`."""
        return (f"recorded {sum(self.actions.values())} event(s): {self.actions['created']} created, "
                f"{self.actions['counted']} counted, {self.actions['reopened']} reopened; "
                f"{len(self.problems)} bad line(s)")


def find_match(issues: Iterable[Issue], signature: ErrorSignature, config: Config) -> Issue | None:
    """The issue recording this error: open ones first, then resolved, then other closed; lowest ID.

    Each issue is compared under the rules of its own `fingerprint_version`; an issue made by a
    newer issuelog (a version this one does not know) never matches.
    """
    by_version: dict[int, str] = {}
    candidates: list[Issue] = []
    for issue in issues:
        if not issue.fingerprint:
            continue
        version = issue.fingerprint_version or LEGACY_VERSION
        if version not in NORMALIZERS:
            continue
        if version not in by_version:
            by_version[version] = signature.fingerprint(version)
        if issue.fingerprint == by_version[version]:
            candidates.append(issue)

    def preference(issue: Issue) -> tuple[int, tuple[int, str]]:
        status = config.status(issue.status)
        rank = 0 if status is None or status.open else 1 if status.resolved else 2
        return rank, sort_key(issue.id)

    return min(candidates, key=preference, default=None)


def check_event(event: ErrorEvent, config: Config) -> None:
    """Refuse an event before anything is written: nothing to record, or values not configured."""
    if not event.error.strip() and not event.stack_trace.strip():
        raise UsageError("nothing to record: give an error message (--error) or a stack trace")
    errors = check_values(
        {"severity": event.severity, "category": event.category, "phase": event.phase}, config)
    if errors:
        raise UsageError("; ".join(errors))


def record_event(
    config: Config, event: ErrorEvent, index: IssueIndex | None = None
) -> RecordResult:
    """Record one occurrence: count it on the matching issue, reopen it, or create an issue.

    Finding the match and writing happen under the project lock, and each file is replaced
    atomically, so concurrent recorders and a recorder killed at any moment leave valid files.
    """
    check_event(event, config)
    signature = event.signature()
    seen = event.seen or today()
    index = index or IssueIndex(config)
    with write_lock(config):
        match = find_match(index.issues(), signature, config)
        if match is None:
            return _create(config, event, signature, seen)
        return _add_occurrence(config, match.path, event, seen)


def default_title(signature: ErrorSignature) -> str:
    """`KeyError in api: 'user_42'`: the error type, the component and the message's first line."""
    head = " in ".join(part for part in (signature.error_type, signature.component) if part)
    first_line = signature.message.splitlines()[0].strip() if signature.message else ""
    if not first_line and signature.frames:
        first_line = f"in {signature.frames[-1]}"
    title = f"{head}: {first_line}" if head and first_line else head or first_line
    if len(title) > MAX_TITLE_LENGTH:
        title = title[:MAX_TITLE_LENGTH - 1].rstrip() + "…"
    return title


def _bullets(items: Iterable[str]) -> str:
    return "\n".join(f"- {' '.join(item.split())}" for item in items)


def _create(
    config: Config, event: ErrorEvent, signature: ErrorSignature, seen: date
) -> RecordResult:
    error_text = event.error.strip() or ": ".join(
        part for part in (signature.error_type, signature.message) if part)
    trace = "\n\n".join(part for part in (error_text, event.stack_trace.strip("\n")) if part)
    what = " in ".join(f"`{part}`" for part in (signature.error_type, signature.component) if part)
    sections = {
        "Description": f"{what or 'An error'}, first recorded by `issuelog record` on {seen}.",
        ERROR_SECTION: code_fence(trace),
    }
    if event.context:
        sections["Environment"] = code_fence(json.dumps(event.context, indent=2, sort_keys=True))
    if event.fixes:
        sections[FIXES_SECTION] = _bullets(event.fixes)
    if event.changes:
        sections[CHANGES_SECTION] = _bullets(event.changes)
    fields = {
        "title": event.title.strip() or default_title(signature),
        "severity": event.severity or default_severity(config),
        "category": event.category,
        "phase": event.phase,
        "component": signature.component,
        "tags": list(dict.fromkeys(event.tags)),
        "error_type": signature.error_type,
        "error_message": error_text,
        "reported": seen,
    }
    extra = {"fingerprint": signature.fingerprint(CURRENT_VERSION),
             "fingerprint_version": CURRENT_VERSION, "occurrences": 1, "last_seen": seen}
    issue_id, path = create_issue(config, fields, today=seen, extra=extra, sections=sections)
    return RecordResult("created", issue_id, path, 1)


def _add_to_list(text: str, title: str, bullets: list[str]) -> str:
    """Add the list items a section does not have yet, keeping the list tight (no blank lines)."""
    existing = (read_section(text, title) or "").rstrip()
    present = {line.strip() for line in existing.splitlines()}
    fresh = [line for line in dict.fromkeys(bullets) if line not in present]
    if not fresh:
        return text
    return replace_section(text, title, "\n".join([existing, *fresh] if existing else fresh))


def recurs_after_fix(seen: date, fixed_on: date) -> bool:
    """Whether an occurrence on day `seen` is a regression of a fix made on day `fixed_on`.

    Events carry a day, not a time, so an occurrence on the day of the fix cannot be placed
    before or after it: it counts as part of the incident the fix closed (the errors of the
    morning recorded in the afternoon, the last ones before the deploy). Only a later day reopens;
    an earlier one is history recorded late.
    """
    return seen > fixed_on


def _add_occurrence(config: Config, path: Path, event: ErrorEvent, seen: date) -> RecordResult:
    shown = display_path(path, config)
    text, problem = read_text(path, shown, config.root)
    if problem is not None or text is None:
        raise IssueFileError(str(problem))
    issue, problems = parse_issue(path, text, shown)
    if issue is None or problems:
        # Counting on top of a value issuelog cannot read would silently overwrite the user's.
        raise IssueFileError("not recorded, fix this file first:\n"
                             + "\n".join(str(problem) for problem in problems))
    occurrences = issue.occurrences + 1
    changes: dict[str, Any] = {"occurrences": occurrences}
    if issue.last_seen is None or as_date(issue.last_seen) <= seen:
        changes["last_seen"] = seen
    status = config.status(issue.status)
    fixed_on = as_date(issue.resolved) if issue.resolved is not None else None
    reopen = bool(status and status.resolved and fixed_on and recurs_after_fix(seen, fixed_on))
    if reopen:
        # What `issuelog reopen` changes: the status it goes back to, and `resolved:` emptied.
        changes.update(status_changes(issue, reopened_status(config), config))
        if REGRESSION_TAG not in issue.tags:
            changes["tags"] = [*issue.tags, REGRESSION_TAG]
    # Sections are edited in the body only: a `# comment` in the frontmatter is no heading.
    head, body = split_document(edit_frontmatter(text, changes, name=shown), shown)
    if reopen:
        note = (f"- {seen.isoformat()}: recurred after being resolved on "
                f"{fixed_on}; reopened by `issuelog record` "
                f"(occurrence {occurrences}).")
        body = _add_to_list(body, REGRESSIONS_SECTION, [note])
    body = _add_to_list(body, FIXES_SECTION, _bullets(event.fixes).splitlines())
    body = _add_to_list(body, CHANGES_SECTION, _bullets(event.changes).splitlines())
    new_text = head + body
    _refuse_invalid(path, new_text, config)
    write_atomic(path, new_text)
    return RecordResult("reopened" if reopen else "counted", issue.id, path, occurrences)


def _refuse_invalid(path: Path, text: str, config: Config) -> None:
    """Refuse to write an edit that `issuelog check` would reject; the file stays as it was."""
    problems = file_problems(config, path, text)
    if problems:
        raise IssueFileError("not recorded, the edit would make the file invalid:\n"
                             + "\n".join(str(problem) for problem in problems))


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


def record_lines(
    config: Config, lines: Iterable[str], source: str
) -> Iterator[tuple[int, RecordResult | Problem]]:
    """Record each JSON line; yield (line number, result) or (line number, the line's problem).

    A bad line does not stop the others: its problem is yielded and recording goes on.
    """
    index = IssueIndex(config)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = _decode_json(line)
        except json.JSONDecodeError as error:
            yield number, Problem(source, number, f"not valid JSON: {_json_problem(error)}")
            continue
        except UsageError as error:
            yield number, Problem(source, number, str(error))
            continue
        if not isinstance(data, dict):
            yield number, Problem(source, number, "each line must be a JSON object")
            continue
        try:
            yield number, record_event(config, event_from_mapping(data), index)
        except IssuelogError as error:
            yield number, Problem(source, number, str(error))


@dataclass(frozen=True)
class Refingerprinted:
    """One issue whose fingerprint was recomputed with the current rules."""

    issue_id: str
    old: str
    new: str
    old_version: int


def refingerprint(config: Config) -> list[Refingerprinted]:
    """Recompute, with the current rules, every fingerprint made with older ones.

    The signature comes from the issue's `error_type`, `component`, `error_message` and the
    stack frames in its "Error Message / Stack Trace" section. Issues whose fingerprint exists
    but who carry no error message or frames are left alone.
    """
    changed: list[Refingerprinted] = []
    with write_lock(config):
        for issue in IssueIndex(config).issues():
            version = issue.fingerprint_version or LEGACY_VERSION
            if not issue.fingerprint or version == CURRENT_VERSION:
                continue
            stack = read_section(issue.body, ERROR_SECTION) or ""
            signature = ErrorSignature.from_parts(issue.error_message, issue.error_type,
                                                  issue.component, stack)
            if not signature.message and not signature.frames:
                continue
            new = signature.fingerprint(CURRENT_VERSION)
            shown = display_path(issue.path, config)
            text = issue.path.read_text(encoding="utf-8")
            new_text = edit_frontmatter(
                text, {"fingerprint": new, "fingerprint_version": CURRENT_VERSION}, name=shown)
            _refuse_invalid(issue.path, new_text, config)
            write_atomic(issue.path, new_text)
            changed.append(Refingerprinted(issue.id, issue.fingerprint, new,
                                           version or LEGACY_VERSION))
    return sorted(changed, key=lambda item: sort_key(item.issue_id))


def shared_fingerprints(config: Config) -> list[list[str]]:
    """Groups of issue IDs that carry the same fingerprint and version (candidates to merge)."""
    groups: dict[tuple[str, int], list[str]] = {}
    for issue in IssueIndex(config).issues():
        if issue.fingerprint:
            key = (issue.fingerprint, issue.fingerprint_version or LEGACY_VERSION)
            groups.setdefault(key, []).append(issue.id)
    return sorted((sorted(ids, key=sort_key) for ids in groups.values() if len(ids) > 1),
                  key=lambda ids: sort_key(ids[0]))


#: A stored stack trace keeps at most this much: its first and last halves, cut at line ends.
MAX_STORED_TRACE_BYTES = 64 * 1024
#: `--stack-trace` reads at most this much from standard input or a pipe (`/dev/zero` never ends);
#: from a regular file it reads only the head and the tail, whatever the file's size.
MAX_TRACE_INPUT_BYTES = 64 * 1024 * 1024
_TRACE_HALF = MAX_STORED_TRACE_BYTES // 2
_CHUNK = 64 * 1024


def bound_stack_trace(text: str) -> str:
    """The trace as stored: whole when small, else its head and tail with a line saying what was cut."""
    data = text.encode("utf-8")
    if len(data) <= MAX_STORED_TRACE_BYTES:
        return text
    return _head_and_tail(data[:_TRACE_HALF], data[-_TRACE_HALF:], len(data), "stack_trace")


def _head_and_tail(head: bytes, tail: bytes, total: int, shown: str) -> str:
    """Join the first and last bytes of a long trace at line ends, saying how much was left out."""
    head = head[:head.rindex(b"\n") + 1] if b"\n" in head else _whole_characters_head(head)
    if b"\n" in tail:
        tail = tail[tail.index(b"\n") + 1:]
    else:
        while tail and tail[0] & 0xC0 == 0x80:  # the rest of a character cut in two
            tail = tail[1:]
    cut = total - len(head) - len(tail)
    note = (f"[... {cut:,} bytes cut by issuelog record: a stored trace keeps its first and last "
            f"{_TRACE_HALF // 1024} KiB ...]")
    return f"{_decode_trace(head, shown).rstrip(chr(10))}\n{note}\n{_decode_trace(tail, shown)}"


def _whole_characters_head(data: bytes) -> bytes:
    """`data` without a UTF-8 character cut at its end."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 == 0xC0:  # the lead byte of the last character
            length = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return data[:-back] if back < length else data
        if byte & 0x80 == 0:
            return data
    return data


def read_stack_trace(source: str, stdin: BinaryIO | None = None) -> str:
    """`--stack-trace FILE` (or `-`: standard input), bounded as `bound_stack_trace` stores it."""
    try:
        if source == "-":
            return _read_bounded(stdin, "standard input") if stdin is not None else ""
        with open(source, "rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISREG(info.st_mode) and info.st_size > MAX_STORED_TRACE_BYTES:
                # Only the two ends are kept: read those and nothing in between.
                head = handle.read(_TRACE_HALF)
                handle.seek(-_TRACE_HALF, os.SEEK_END)
                tail = handle.read(_TRACE_HALF)
                return _head_and_tail(head, tail, info.st_size, source)
            return _read_bounded(handle, source)
    except OSError as error:
        raise UsageError(f"{source}: cannot read the stack trace: {error.strerror or error}") from None


def _read_bounded(stream: BinaryIO, shown: str) -> str:
    """A stream read in chunks, keeping only its head and tail; refused past the input limit."""
    head = bytearray()
    tail = bytearray()
    total = 0
    while chunk := stream.read(_CHUNK):
        total += len(chunk)
        if total > MAX_TRACE_INPUT_BYTES:
            raise UsageError(f"{shown}: the stack trace is longer than "
                             f"{MAX_TRACE_INPUT_BYTES // (1024 * 1024)} MiB, the most "
                             "`record --stack-trace` reads; nothing was recorded")
        room = max(_TRACE_HALF - len(head), 0)
        head += chunk[:room]
        tail += chunk[room:]
        del tail[:-_TRACE_HALF]
    if total <= MAX_STORED_TRACE_BYTES:
        return _decode_trace(bytes(head + tail), shown)
    return _head_and_tail(bytes(head), bytes(tail), total, shown)


def _decode_trace(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(f"{shown}: cannot read the stack trace: {error}") from None
