"""Issues as rows of the shared `issues` table, and back: pure, no database driver here.

The table keeps the column names and types of the error tracker that `record`, `list` and
`analyze` replace (its users' SQL and dashboards expect them), keyed by `(repo, id)`, plus
issuelog's own columns. PostgreSQL text cannot hold NUL: every NUL in a value is stored as
U+FFFD (the replacement character), which `check` would flag in the file anyway.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from issuelog.core.config import Config
from issuelog.core.model import FIELD_ORDER, LIST_FIELDS, Issue
from issuelog.core.sections import normalize_title, read_sections
from issuelog.log.listing import issue_record
from issuelog.log.stats import is_open, is_resolved

#: The version of the table layout this issuelog writes; rows of a higher one are never touched.
SCHEMA_VERSION = 1

#: The replaced tracker's columns, in its order, then issuelog's.
TRACKER_COLUMNS = (
    "id", "title", "description", "severity", "category", "component", "status",
    "error_message", "error_type", "stack_trace", "error_hash", "context", "affected_users",
    "occurrence_count", "first_seen", "last_seen", "resolution", "resolved_at", "resolved_by",
    "related_issues", "tags", "suggested_fixes", "system_changes_needed", "created_at", "updated_at",
)
ISSUELOG_COLUMNS = ("repo", "phase", "reporter", "assignee", "is_open", "reference_only",
                    "fingerprint_version",
                    "path", "body", "record", "content_hash", "schema_version")
COLUMNS = ("repo", *TRACKER_COLUMNS, *ISSUELOG_COLUMNS[1:])
JSONB_COLUMNS = frozenset({"context", "related_issues", "tags", "suggested_fixes",
                           "system_changes_needed", "record"})

#: Stands for a NUL character, which PostgreSQL text and JSONB cannot store.
NUL_REPLACEMENT = "\ufffd"


def without_nul(value: Any) -> Any:
    """The value with every NUL in its strings (and mapping keys) replaced by U+FFFD."""
    if isinstance(value, str):
        return value.replace("\x00", NUL_REPLACEMENT) if "\x00" in value else value
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    return value


def _moment(value: date | None) -> datetime | None:
    """A frontmatter day as a TIMESTAMPTZ: midnight UTC, or the time the file gives (as UTC)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time(), tzinfo=UTC)


def _sections(body: str) -> dict[str, str]:
    """The body's sections by loosely matched title (`normalize_title`), parsed once."""
    found: dict[str, str] = {}
    for title, text in (read_sections(body) if body else {}).items():
        found.setdefault(normalize_title(title), text)
    return found


@dataclass(frozen=True)
class Row:
    """One issue as the values of `COLUMNS`, and the hash that tells whether it changed."""

    id: str
    values: dict[str, Any]
    content_hash: str


def content_hash(data: bytes, issue: Issue, config: Config, repo: str) -> str:
    """A hash of everything a row is made of: the issue file's bytes, its path, the repository,
    the schema version, and what this repository's configuration says of its status. Cheap
    (no parsing): a publish builds rows only for issues whose hash the table lacks."""
    # Issue files lie directly in the issues directory; pathlib's relative_to would cost a
    # third of a publish that finds nothing changed.
    header = json.dumps([SCHEMA_VERSION, repo, f"{config.issues_dir}/{issue.path.name}",
                         is_open(issue, config), is_resolved(issue, config)])
    return hashlib.sha256(header.encode("utf-8") + b"\0" + data).hexdigest()


def issue_row(issue: Issue, config: Config, repo: str, digest: str) -> Row:
    """The row of one issue, with its file's `content_hash` (`digest`)."""
    record = issue_record(issue, config)
    body = issue.body
    sections = _sections(body)

    def section(title: str) -> str | None:
        return sections.get(normalize_title(title)) or None

    resolved = is_resolved(issue, config)
    values: dict[str, Any] = {
        "repo": repo,
        "id": issue.id,
        "title": issue.title,
        "description": section("Description") or "",
        "severity": issue.severity,
        "category": issue.category,
        "component": issue.component,
        "status": issue.status,
        "error_message": issue.error_message or None,
        "error_type": issue.error_type or None,
        "stack_trace": section("Error Message / Stack Trace"),
        "error_hash": issue.fingerprint or None,
        "context": {"files": list(issue.files), "extra": record["extra"]},
        "affected_users": None,  # issuelog does not count them
        "occurrence_count": issue.occurrences,
        "first_seen": _moment(issue.reported),
        "last_seen": _moment(issue.last_seen or issue.reported),
        "resolution": section("Resolution"),
        "resolved_at": _moment(issue.resolved),
        "resolved_by": (issue.assignee or None) if resolved else None,
        "related_issues": list(issue.related),
        "tags": list(issue.tags),
        "suggested_fixes": [issue.reference["solution"]]
        if issue.reference and issue.reference.get("solution") else [],
        "system_changes_needed": [text] if (text := section("Prevention")) else [],
        "created_at": _moment(issue.reported),
        "updated_at": max((m for d in (issue.reported, issue.resolved, issue.last_seen)
                           if (m := _moment(d)) is not None), default=None),
        "phase": issue.phase or None,
        "reporter": issue.reporter or None,
        "assignee": issue.assignee or None,
        # Which statuses count as open is each repository's configuration: decided here, so
        # that SQL across repositories needs no list of them.
        "is_open": is_open(issue, config),
        "reference_only": issue.reference_only,
        "fingerprint_version": issue.fingerprint_version,
        "path": record["path"],
        "body": body,
        "record": record,
        "schema_version": SCHEMA_VERSION,
    }
    values = without_nul(values)
    values["content_hash"] = digest
    return Row(issue.id, values, digest)


def _day(text: Any) -> date | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text)
    except ValueError:
        return None


def issue_from_record(repo: str, record: dict[str, Any], body: str) -> Issue:
    """An Issue rebuilt from a published row's `record`, its ID prefixed with the repository.

    The prefix (`repo:ISSUE-007`) keeps issues of different repositories apart in every figure
    and listing that works across them.
    """
    issue = Issue(path=Path(str(record.get("path") or "")))
    present: set[str] = set()
    for name in FIELD_ORDER:
        value = record.get(name)
        if value is None:
            continue
        present.add(name)
        if name in ("reported", "resolved", "last_seen"):
            value = _day(value)
        elif name in LIST_FIELDS:
            value = [str(item) for item in value]
        elif name == "reference":
            value = {key: item for key, item in value.items() if item is not None}
        setattr(issue, name, value)
    issue.id = f"{repo}:{record.get('id', '')}"
    issue.extra = dict(record.get("extra") or {})
    issue.body = body
    issue.present = frozenset(present)
    return issue


_URL_CREDENTIALS = re.compile(r"^[^@/]*@")


def stable_repo_name(origin_url: str | None, root: Path) -> str:
    """The default `repo` of a publish: the origin URL without credentials or `.git`, else the
    directory's name. The same repository gives the same name from every clone and CI job."""
    if not origin_url:
        return root.resolve().name
    url = origin_url.strip()
    if "://" in url:
        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        url = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    else:  # scp-like git@host:owner/name
        url = _URL_CREDENTIALS.sub("", url)
    return url.removesuffix("/").removesuffix(".git")


@dataclass(frozen=True)
class RecurringError:
    """One fingerprint met in issues of more than one repository."""

    fingerprint: str
    error_type: str
    repos: list[str]
    issue_ids: list[str]
    open: int
    occurrences: int


def recurring_errors(issues: list[Issue], config: Config, least_repos: int = 2) -> list[RecurringError]:
    """Fingerprints found in at least `least_repos` repositories (IDs are `repo:ID`), those in
    most repositories first, then most occurrences, then by fingerprint."""
    groups: dict[str, list[Issue]] = {}
    for issue in issues:
        if issue.fingerprint and not issue.reference_only:
            groups.setdefault(issue.fingerprint, []).append(issue)
    found = []
    for fingerprint, members in groups.items():
        repos = sorted({issue.id.rsplit(":", 1)[0] for issue in members})
        if len(repos) < least_repos:
            continue
        found.append(RecurringError(
            fingerprint, next((issue.error_type for issue in members if issue.error_type), ""),
            repos, sorted(issue.id for issue in members),
            sum(1 for issue in members if is_open(issue, config)),
            sum(issue.occurrences for issue in members)))
    return sorted(found, key=lambda r: (-len(r.repos), -r.occurrences, r.fingerprint))


def recurring_data(errors: list[RecurringError]) -> list[dict[str, Any]]:
    """The recurring errors as JSON data (`analyze --database --format json`)."""
    return [{"fingerprint": e.fingerprint, "error_type": e.error_type, "repos": e.repos,
             "issues": len(e.issue_ids), "open": e.open, "occurrences": e.occurrences,
             "ids": e.issue_ids} for e in errors]


def recurring_text(errors: list[RecurringError]) -> str:
    """The recurring errors for a terminal, after the rest of `analyze`'s text."""
    out = ["", "Errors recurring across repositories (by fingerprint)"]
    if not errors:
        out.append("  none: no fingerprint is in more than one repository")
    for error in errors:
        out.append(f"  {error.fingerprint}  {error.error_type or '(no error type)'}: "
                   f"{len(error.repos)} repositories, {len(error.issue_ids)} issue(s), "
                   f"{error.open} open, {error.occurrences} occurrence(s)")
        out += [f"    {repo}" for repo in error.repos]
    return "\n".join(out) + "\n"
