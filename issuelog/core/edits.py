"""Changing existing issues: edit an ID's frontmatter and body, validate the result, write it.

Every edit is checked like `issuelog check` would check the file before anything is written, so
a refused edit leaves the file as it was. Keys the edit does not name keep their bytes.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from issuelog.core.atomic_write import write_bytes_atomic
from issuelog.core.clock import today
from issuelog.core.config import Config
from issuelog.core.frontmatter_edit import EMPTY, edit_frontmatter, parse_value, split_document
from issuelog.core.model import LIST_FIELDS, Issue, Problem, parse_issue, unknown_value, validate_issue
from issuelog.core.sections import replace_section
from issuelog.core.store import (
    display_path,
    find_issue_file,
    id_numbers,
    load_issue,
    read_text,
    resolve_id,
    state_dir,
    unknown_related,
    write_lock,
)
from issuelog.errors import IssueFileError, UsageError

RESOLUTION_SECTION = "Resolution"

#: The editors tried, as git tries them, when neither $VISUAL nor $EDITOR is set.
FALLBACK_EDITORS = ("editor", "vi")


def editor_command(environment: Mapping[str, str]) -> str | None:
    """The editor to run: $VISUAL, else $EDITOR, else `editor` or `vi` when installed."""
    chosen = environment.get("VISUAL") or environment.get("EDITOR")
    if chosen:
        return chosen
    import shutil

    search_path = environment.get("PATH", "")
    return next((name for name in FALLBACK_EDITORS if shutil.which(name, path=search_path)), None)


_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")

#: Given the issue as it is now, the frontmatter changes to make (EMPTY empties a key, None
#: deletes it).
Plan = Callable[[Issue], Mapping[str, Any]]


@dataclass(frozen=True)
class Edit:
    """What an edit did: the file, and the frontmatter values before and after for changed keys."""

    issue_id: str
    path: Path
    changed: dict[str, tuple[Any, Any]]
    resolution_changed: bool = False

    @property
    def unchanged(self) -> bool:
        """Whether the file was left as it was because it already said what was asked."""
        return not self.changed and not self.resolution_changed


class _Removed:
    """What an edit's summary holds, and shows as `(removed)`, after a key that was deleted."""

    def __repr__(self) -> str:
        return "(removed)"


REMOVED = _Removed()


def shown_value(value: object) -> str:
    """A frontmatter value as an edit's summary shows it: as YAML writes it, `(empty)` for none."""
    if value is REMOVED:
        return repr(REMOVED)
    if value in (None, "", []):
        return "(empty)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(str(item) for item in value) + "]"
    return str(value)


def file_problems(config: Config, path: Path, text: str) -> list[Problem]:
    """What `issuelog check` would say about this one file with this text."""
    shown = display_path(path, config)
    issue, problems = parse_issue(path, text, shown)
    if issue is None:
        return problems
    problems += validate_issue(issue, config, shown)
    known = {
        config.format_id(n)
        for n in id_numbers((entry.name for entry in path.parent.iterdir()), config)
    }
    problems += [
        Problem(shown, issue.line_of("related"), message)
        for message in unknown_related(issue.related, known, config)
    ]
    return sorted(problems)


def parse_assignments(pairs: Iterable[str]) -> dict[str, Any]:
    """`key=value` words into frontmatter changes; values are YAML (`[a, b]`, `3`, `2026-01-10`)."""
    changes: dict[str, Any] = {}
    for pair in pairs:
        key, sign, value = pair.partition("=")
        key = key.strip()
        if not sign or not _KEY.match(key):
            raise UsageError(
                f"'{pair}' is not key=value (for example severity=high or tags=[a, b])"
            )
        changes[key] = as_list_field(key, parse_value(value))
    return changes


def related_as_ids(changes: dict[str, Any], config: Config) -> dict[str, Any]:
    """The changes with `related=7` written as ISSUE-007, as `new --related 7` writes it: each item
    that reads as an ID (`7`, `007`, `issue-7`) in its canonical form, others left for `check`."""
    related = changes.get("related")
    if not isinstance(related, list):
        return changes
    ids = []
    for item in related:
        try:
            ids.append(resolve_id(str(item), config) if isinstance(item, (str, int)) else item)
        except UsageError:
            ids.append(item)
    return {**changes, "related": ids}


def as_list_field(key: str, value: Any) -> Any:
    """`tags=a,b` as the list [a, b] (and `tags=a` or `related=7` as one item) for the list
    fields; others as given."""
    if key in LIST_FIELDS and isinstance(value, int) and not isinstance(value, bool):
        return [str(value)]
    if key not in LIST_FIELDS or not isinstance(value, str):
        return value
    return [item.strip() for item in value.split(",") if item.strip()] or EMPTY


def apply_edit(
    text: str, changes: Mapping[str, Any], *, resolution: str | None = None, name: str = "<issue>"
) -> str:
    """The text with frontmatter `changes` made and, if given, the Resolution section replaced."""
    edited = edit_frontmatter(text, changes, name=name) if changes else text
    if resolution is None:
        return edited
    if not resolution.strip():
        raise UsageError("--resolution needs some text")
    head, body = split_document(edited, name)
    return head + replace_section(body, RESOLUTION_SECTION, resolution)


def edit_issue(config: Config, issue_id: str, plan: Plan, *, resolution: str | None = None) -> Edit:
    """Find, read, change, validate and atomically rewrite one issue under the project lock."""
    path = find_issue_file(config, issue_id)
    shown = display_path(path, config)
    with write_lock(config):
        text, issue = load_issue(config, path)
        current = issue.to_dict()
        changes = {key: value for key, value in plan(issue).items()
                   # None deletes a key wherever it is written, an empty one too.
                   if (key in issue.key_lines if value is None else not _same(current.get(key), value))}
        new_text = apply_edit(text, changes, resolution=resolution, name=shown)
        if new_text == text:
            return Edit(issue.id or issue_id, path, {})
        problems = file_problems(config, path, new_text)
        if problems:
            raise IssueFileError(
                f"{issue.id or issue_id} not changed, the result would not pass "
                "`issuelog check`:\n" + "\n".join(str(p) for p in problems)
            )
        write_bytes_atomic(path, new_text.encode("utf-8"))
    after = parse_issue(path, new_text, shown)[0]
    after_values = after.to_dict() if after is not None else {}
    changed = {key: (current.get(key), REMOVED if changes[key] is None else after_values.get(key))
               for key in changes}
    body_changed = resolution is not None and split_document(text)[1] != split_document(new_text)[1]
    return Edit(issue.id or issue_id, path, changed, body_changed)


def _same(current: Any, wanted: Any) -> bool:
    """Whether a key already holds the wanted value, so that its line is left alone."""
    if wanted is EMPTY:
        return current in (None, "", [])
    if isinstance(current, list) and isinstance(wanted, list):
        return list(current) == list(wanted)
    if isinstance(current, str) and isinstance(wanted, str):
        return current == wanted
    return type(current) is type(wanted) and bool(current == wanted)


def update_issue(
    config: Config, issue_id: str, changes: Mapping[str, Any], *, resolution: str | None = None
) -> Edit:
    """Set frontmatter keys of one issue (EMPTY empties a key, None deletes it)."""
    return edit_issue(config, issue_id, lambda issue: changes, resolution=resolution)


def status_changes(
    issue: Issue, status: str, config: Config, *, on: date | None = None
) -> dict[str, Any]:
    """The frontmatter changes that move an issue to a status, keeping `resolved` consistent.

    A closed status needs a `resolved` date: `on`, else the one already there, else today (but a
    reference-only entry, which has no history, gets none it was not given). An open status has
    none, so reopening empties it.
    """
    target = config.status(status)
    if target is None:
        raise UsageError(unknown_value("status", status, [s.name for s in config.statuses]))
    if target.open:
        if on is not None:
            raise UsageError(
                f"--date is the date an issue was closed; '{status}' is an open status"
            )
        return {"status": status, "resolved": EMPTY, **_forget_unknown(issue)}
    if (issue.reference_only or issue.date_unknown("resolved")) and on is None:
        return {"status": status}
    return {"status": status, "resolved": on or issue.resolved or today(), **_forget_unknown(issue)}


def _forget_unknown(issue: Issue) -> dict[str, Any]:
    """Drop `resolved_unknown` when the resolution date becomes known or the issue reopens."""
    return {"resolved_unknown": None} if "resolved_unknown" in issue.extra else {}


def change_status(
    config: Config,
    issue_id: str,
    status: str,
    *,
    resolution: str | None = None,
    on: date | None = None,
) -> Edit:
    """Move an issue to a status, `resolved` set or emptied to match; optionally fill Resolution."""
    return edit_issue(
        config,
        issue_id,
        lambda issue: status_changes(issue, status, config, on=on),
        resolution=resolution,
    )


def resolved_status(config: Config) -> str:
    """The status `resolve` moves an issue to: the first configured one that counts as fixed."""
    for status in config.statuses:
        if status.resolved and not status.open:
            return status.name
    raise UsageError("no configured status counts as resolved (set `resolved = true` on one)")


def reopened_status(config: Config) -> str:
    """The status `reopen` moves an issue to: the default one if open, else the first open one."""
    default = config.status(config.default_status)
    if default is not None and default.open:
        return default.name
    for status in config.statuses:
        if status.open:
            return status.name
    raise UsageError("no configured status counts as open")


@dataclass(frozen=True)
class EditorResult:
    """What `issuelog edit` did: `unchanged`, `written`, or `merged` with changes made meanwhile."""

    outcome: str
    path: Path


def edit_with_editor(config: Config, issue_id: str, run_editor: Callable[[Path], bool]) -> EditorResult:
    """Let a person edit a copy of an issue file, then put the edit in place without losing
    what other commands (`record`) wrote while the editor was open.

    The editor gets a private copy (under `.issuelog/cache/`), never the file itself: a link
    out of the repository is refused when the file is read, and the result replaces the file
    atomically. When the file changed meanwhile, both changes are merged line by line (`git
    merge-file`); when they touch the same lines, nothing is written and the copy is kept.
    `run_editor` returns False when the editor failed, which writes nothing either.
    """
    path = find_issue_file(config, issue_id)
    shown = display_path(path, config)
    original, problem = read_text(path, shown, config.root)
    if problem is not None or original is None:
        raise IssueFileError(str(problem))
    workspace = Path(tempfile.mkdtemp(prefix="edit-", dir=state_dir(config)))
    copy = workspace / path.name
    copy.write_bytes(original.encode("utf-8"))
    kept = f"your version is kept in {display_path(copy, config)}"
    if not run_editor(copy):
        raise UsageError(f"the editor failed; {shown} was not changed ({kept})")
    try:
        edited = copy.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise IssueFileError(f"{display_path(copy, config)}: cannot read the edit: {error}") from None
    outcome = "written"
    with write_lock(config):
        current, problem = read_text(path, shown, config.root)
        if problem is not None or current is None:
            raise IssueFileError(f"{problem}; nothing was written ({kept})")
        if edited == original:
            outcome, new_text = "unchanged", current
        elif current == original:
            new_text = edited
        else:
            from issuelog.git.gitrepo import merge_texts  # git only when two edits meet

            (workspace / ".base").write_bytes(original.encode("utf-8"))
            (workspace / ".current").write_bytes(current.encode("utf-8"))
            merged = merge_texts(workspace / ".base", copy, workspace / ".current")
            if merged is None:
                raise IssueFileError(f"{shown}: changed while you edited it, on the lines you "
                                     f"changed; nothing was written ({kept})")
            outcome, new_text = "merged", merged
        if new_text != current:
            write_bytes_atomic(path, new_text.encode("utf-8"))
    shutil.rmtree(workspace, ignore_errors=True)
    return EditorResult(outcome, path)
