"""Changes between two versions of the issues, for `issuelog diff` and the CI summary: each
issue's versions matched by file, classified (opened, resolved, renumbered…), field by field.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from issuelog.core.config import Config
from issuelog.core.model import Issue
from issuelog.core.store import sort_key
from issuelog.log.stats import is_open

#: `added`: new in this change but not open (filed already resolved, or a reference entry).
CHANGE_KINDS = ("opened", "added", "resolved", "reopened", "renumbered", "changed", "removed")


@dataclass(frozen=True)
class FieldChange:
    """One watched field of an issue that has a new value."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class IssueChange:
    """How one issue differs between two versions: `kind` is one of CHANGE_KINDS."""

    kind: str
    issue: Issue  # the newer version (the older one for `removed`)
    fields: tuple[FieldChange, ...] = ()


@dataclass
class IssueDiff:
    """Every issue that changed in a watched way, grouped by kind, with their counts."""

    changes: list[IssueChange]

    def of_kind(self, kind: str) -> list[IssueChange]:
        """The changes of one kind, in ID order."""
        return [change for change in self.changes if change.kind == kind]

    @property
    def counts(self) -> dict[str, int]:
        """How many issues changed in each way (every kind, zeros included)."""
        counter = Counter(change.kind for change in self.changes)
        return {kind: counter[kind] for kind in CHANGE_KINDS}


#: The fields `diff` compares, in the order it reports them (`id` first: a renumbered issue).
DIFF_FIELDS = ("id", "title", "status", "severity", "phase", "category", "component", "assignee",
               "reporter", "reported", "resolved", "tags", "related", "files", "reference",
               "reference_only", "error_type", "error_message", "occurrences", "last_seen",
               "started", "detected", "acknowledged", "mitigated", "fixed_in")


def shown_value(value: object) -> str:
    """A field's value as one short line of text for a diff."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {item}" for key, item in value.items())
    return str(value)


def _identity(issue: Issue) -> tuple[str, str, str]:
    """What stays when an issue is renumbered: its title, when it was reported and by whom."""
    return (issue.title, str(issue.reported or ""), issue.reporter)


def match_issues(before: list[Issue], after: list[Issue]) -> tuple[
        list[tuple[Issue, Issue]], list[Issue], list[Issue]]:
    """Pair the versions of each issue by file, not by ID alone; return the pairs, the issues
    only before and the issues only after.

    The same file name is the same issue (unless its title and its reported date both differ:
    two people filed the same name); then the same ID with the same title, reported date and
    reporter (a file renamed); then a different ID with those three, when exactly one issue on
    each side has them (a renumbered issue).
    """
    pairs: list[tuple[Issue, Issue]] = []
    old_left = {issue.path.name: issue for issue in before if issue.id}
    new_left = {issue.path.name: issue for issue in after if issue.id}
    for name in sorted(old_left.keys() & new_left.keys()):
        was, now = old_left[name], new_left[name]
        if was.title == now.title or was.reported == now.reported:
            pairs.append((old_left.pop(name), new_left.pop(name)))
    for rule in (lambda issue: (issue.id, *_identity(issue)), _identity):
        old_keys = Counter(rule(issue) for issue in old_left.values())
        new_keys = Counter(rule(issue) for issue in new_left.values())
        by_key = {rule(issue): name for name, issue in new_left.items() if new_keys[rule(issue)] == 1}
        for name, issue in sorted(old_left.items()):
            key = rule(issue)
            if old_keys[key] == 1 and key in by_key and by_key[key] in new_left:
                pairs.append((old_left.pop(name), new_left.pop(by_key[key])))
    return pairs, list(old_left.values()), list(new_left.values())


def compare_issues(before: list[Issue], after: list[Issue], config: Config) -> IssueDiff:
    """Issues opened, added closed, resolved (or otherwise closed), reopened, renumbered, changed
    in any field, removed; the versions of an issue are matched by file (`match_issues`)."""
    pairs, gone, new = match_issues(before, after)
    changes: list[IssueChange] = []
    for added in new:
        kind = "opened" if is_open(added, config) else "added"  # reference entries are closed
        changes.append(IssueChange(kind, added))
    changes.extend(IssueChange("removed", issue) for issue in gone)
    for was, now in pairs:
        fields = tuple(FieldChange(name, shown_value(getattr(was, name)), shown_value(getattr(now, name)))
                       for name in DIFF_FIELDS if getattr(was, name) != getattr(now, name))
        if not fields:
            continue
        was_open, now_open = is_open(was, config), is_open(now, config)
        kind = ("renumbered" if was.id != now.id
                else "resolved" if was_open and not now_open
                else "reopened" if now_open and not was_open else "changed")
        changes.append(IssueChange(kind, now, fields))
    changes.sort(key=lambda change: (sort_key(change.issue.id), change.issue.path.name))
    return IssueDiff(changes)
