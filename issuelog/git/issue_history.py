"""One issue's history (`issuelog history ID`): each commit that changed its file, field by field.

`git log --follow --raw` lists the commits and the blob of the file after each (following the
renames `renumber` makes); every blob is then read by one `git cat-file --batch`, never one
process per commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from issuelog.core.config import Config
from issuelog.core.model import Issue, parse_issue
from issuelog.core.store import find_issue_file
from issuelog.errors import UsageError
from issuelog.git.gitrepo import GitUnavailable, read_objects, relative_to_work_tree, run_git, work_tree_root
from issuelog.log.changes import FieldChange, shown_value

_FIELD, _RECORD = "\x1f", "\x1e"
_NO_BLOB = "0" * 40
#: The pseudo-field that stands for the Markdown body below the frontmatter.
BODY = "body"


@dataclass(frozen=True)
class HistoryEntry:
    """One commit that changed an issue's file, and how its fields changed."""

    commit: str
    author: str
    email: str
    when: str  # the author's date, ISO 8601 with its offset
    path: str  # the file's path in that commit
    kind: str  # "created", "changed", "renamed" or "deleted"
    changes: tuple[FieldChange, ...]


def issue_history(config: Config, issue_id: str) -> list[HistoryEntry]:
    """The commits that changed an issue's file, oldest first, each with its field changes."""
    path = find_issue_file(config, issue_id)
    top = work_tree_root(config.root)
    if top is None:
        raise UsageError(f"{config.root} is not in a git work tree: history comes from git")
    relative = relative_to_work_tree(path, top)
    if relative is None:
        raise UsageError(f"{path} lies outside the git work tree {top}")
    try:
        # Newest first: git cannot follow renames with --reverse.
        output = run_git(["log", "--follow", "--raw", "--no-abbrev", "-M",
                          f"--format={_RECORD}%H{_FIELD}%an{_FIELD}%ae{_FIELD}%aI", "--", relative],
                         top).decode("utf-8", "replace")
    except GitUnavailable:
        return []  # a repository without commits: no history yet
    commits = _parse_log(output)
    # --follow also takes a new file for a copy of a similar one (issue files share a template):
    # the file's history starts where it was added or "copied".
    start = next((index for index, commit in enumerate(commits) if commit[5][:1] in "AC"),
                 len(commits) - 1)
    commits = commits[:start + 1][::-1]
    blobs = [blob for *_, blob, _kind, _name in commits if blob != _NO_BLOB]
    texts = dict(zip(blobs, read_objects(top, blobs), strict=True))
    entries: list[HistoryEntry] = []
    before: dict[str, Any] = {}
    body_before: str | None = None
    for commit, author, email, when, blob, kind, name in commits:
        if blob == _NO_BLOB:
            entries.append(HistoryEntry(commit, author, email, when, name, "deleted", ()))
            before, body_before = {}, None
            continue
        issue = _parse(texts[blob].decode("utf-8", "replace"), name, config)
        after = issue.to_dict() if issue is not None else {}
        changes = [FieldChange(key, _shown(before.get(key)), _shown(after.get(key)))
                   for key in [*after, *(k for k in before if k not in after)]
                   if before.get(key) != after.get(key)]
        body = issue.body if issue is not None else ""
        if body_before is not None and body != body_before:
            changes.append(FieldChange(BODY, "", "edited"))
        shown_kind = ("created" if body_before is None else "renamed" if kind.startswith("R")
                      else "changed")
        entries.append(HistoryEntry(commit, author, email, when, name, shown_kind, tuple(changes)))
        before, body_before = after, body
    return entries


def _shown(value: Any) -> str:
    """A value as `diff` shows it; a timeline moment to the minute, as it is written."""
    if isinstance(value, datetime) and not value.second and not value.microsecond:
        return value.strftime("%Y-%m-%d %H:%M")
    return shown_value(value)


def _parse_log(output: str) -> list[tuple[str, str, str, str, str, str, str]]:
    """(commit, author, email, date, blob after, status letter, path) for each commit."""
    commits = []
    for record in output.split(_RECORD):
        lines = [line for line in record.split("\n") if line]
        if not lines:
            continue
        header = lines[0].split(_FIELD)
        raw = next((line for line in lines[1:] if line.startswith(":")), None)
        if len(header) != 4 or raw is None:
            continue
        meta, *paths = raw.split("\t")
        fields = meta.split()
        commit, author, email, when = header
        commits.append((commit, author, email, when, fields[3], fields[4], paths[-1]))
    return commits


def _parse(text: str, name: str, config: Config) -> Issue | None:
    """One version of the file; a version that no longer parses shows as empty fields."""
    return parse_issue(config.root / name, text, name)[0]


def history_data(entries: list[HistoryEntry]) -> list[dict[str, Any]]:
    """The history as plain data for `--format json` (stable keys, see the README)."""
    return [{"commit": e.commit, "author": e.author, "email": e.email, "date": e.when,
             "path": e.path, "kind": e.kind,
             "changes": [{"field": c.field, "from": c.old, "to": c.new} for c in e.changes]}
            for e in entries]


def history_text(entries: list[HistoryEntry]) -> str:
    """The history for a terminal: a line per commit, then one per changed field."""
    lines: list[str] = []
    for entry in entries:
        moved = f" ({entry.path})" if entry.kind in ("renamed", "created", "deleted") else ""
        lines.append(f"{entry.commit[:7]}  {entry.when[:16].replace('T', ' ')}  {entry.author}  "
                     f"{entry.kind}{moved}")
        for change in entry.changes:
            if change.field == BODY:
                lines.append("    body edited")
            elif entry.kind == "created":
                lines.append(f"    {change.field}: {change.new}")
            else:
                lines.append(f"    {change.field}: {change.old or '(empty)'} → {change.new or '(empty)'}")
    return "\n".join(lines) + ("\n" if lines else "")
