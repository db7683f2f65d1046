"""Recording errors: count a known error on its issue, reopen a regression, or file a new one."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from issuelog.core.atomic_write import write_atomic
from issuelog.core.cache import IssueIndex
from issuelog.core.clock import today
from issuelog.core.config import Config
from issuelog.core.edits import file_problems, reopened_status, status_changes
from issuelog.core.frontmatter_edit import edit_frontmatter, split_document
from issuelog.core.model import Issue, Problem, as_date, parse_issue
from issuelog.core.sections import read_section, replace_section
from issuelog.core.store import display_path, read_text, sort_key, write_lock
from issuelog.errors import IssueFileError, IssuelogError, UsageError
from issuelog.log.formatting import code_fence
from issuelog.log.stats import REGRESSION_TAG
from issuelog.ops.events import ErrorEvent, event_from_line
from issuelog.ops.fingerprint import (
    CURRENT_VERSION,
    LEGACY_VERSION,
    NORMALIZERS,
    ErrorSignature,
    fingerprint_fields,
)
from issuelog.project.scaffold import check_values, create_issue, default_severity

ERROR_SECTION = "Error Message / Stack Trace"
FIXES_SECTION = "Suggested Fixes"
CHANGES_SECTION = "System Changes Needed"
REGRESSIONS_SECTION = "Regressions"
MAX_TITLE_LENGTH = 100


@dataclass(frozen=True)
class RecordResult:
    """What recording one event did: `created`, `counted` or `reopened`, and on which issue."""

    action: str
    issue_id: str
    path: Path
    occurrences: int


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
    extra = {**fingerprint_fields(signature), "occurrences": 1, "last_seen": seen}
    issue_id, path = create_issue(config, fields, today=seen, extra=extra, sections=sections)
    return RecordResult("created", issue_id, path, 1)


def create_error_issue(config: Config, fields: Mapping[str, Any], *,
                       sections: Mapping[str, str] | None = None) -> tuple[str, Path]:
    """File an issue by hand for the error of `fields` (`new --error`, the MCP tool `new`), with
    the fingerprint `record` writes: recording the same error later counts it on this issue."""
    signature = ErrorSignature.from_parts(str(fields["error_message"]),
                                          str(fields.get("error_type") or ""),
                                          str(fields.get("component") or ""))
    return create_issue(config, fields, extra=fingerprint_fields(signature), sections=sections)


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
            yield number, record_event(config, event_from_line(line), index)
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
            fields = fingerprint_fields(signature)
            shown = display_path(issue.path, config)
            text = issue.path.read_text(encoding="utf-8")
            new_text = edit_frontmatter(text, fields, name=shown)
            _refuse_invalid(issue.path, new_text, config)
            write_atomic(issue.path, new_text)
            changed.append(Refingerprinted(issue.id, issue.fingerprint, str(fields["fingerprint"]),
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


