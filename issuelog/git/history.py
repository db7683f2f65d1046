"""Issues as they were at a git revision, and what changed since then (`issuelog diff`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from issuelog.core.cache import load_issues
from issuelog.core.config import Config
from issuelog.core.model import Issue, parse_issue
from issuelog.core.store import SKIPPED_FILES
from issuelog.errors import UsageError
from issuelog.git.gitrepo import (
    default_branch,
    files_at,
    merge_base,
    relative_to_work_tree,
    resolve_commit,
    work_tree_root,
)
from issuelog.log.changes import IssueDiff, compare_issues


@dataclass(frozen=True)
class DiffResult:
    """The changes since a revision, and the revision they are counted from."""

    base: str  # as the user named it, or the default branch
    commit: str  # the commit compared with
    diff: IssueDiff


def issues_at(config: Config, commit: str) -> list[Issue]:
    """The issues of the issues directory at a commit (files that do not parse are left out)."""
    top = _top(config)
    directory = relative_to_work_tree(config.issues_path, top)
    if directory is None:
        raise UsageError(f"{config.issues_dir} lies outside the git work tree {top}")
    issues = []
    for name, data in files_at(top, commit, directory).items():
        if not name.endswith(".md") or name in SKIPPED_FILES or name.startswith("."):
            continue
        issue, _ = parse_issue(config.issues_path / name, data.decode("utf-8", "replace"), name)
        if issue is not None and issue.id:
            issues.append(issue)
    return issues


def diff_since(config: Config, rev: str | None = None, head: str | None = None) -> DiffResult:
    """Compare the issues at `head` (default: the files on disk) with those at `rev` (default: the
    merge base with the default branch, which is what a pull request adds)."""
    top = _top(config)
    if rev is None:
        base = default_branch(top, config.default_branch)
        commit = merge_base(top, resolve_commit(top, base), resolve_commit(top, head or "HEAD"))
    else:
        base, commit = rev, resolve_commit(top, rev)
    before = issues_at(config, commit)
    after = issues_at(config, resolve_commit(top, head)) if head else load_issues(config).issues
    return DiffResult(base, commit, compare_issues(before, after, config))


def _top(config: Config) -> Path:
    top = work_tree_root(config.root)
    if top is None:
        raise UsageError(f"{config.root} is not in a git work tree: `issuelog diff` compares revisions")
    return top


def diff_as_data(result: DiffResult, config: Config, link_base: str = "") -> dict[str, Any]:
    """The changes as plain data for `--format json` (a stable, documented shape).

    A removed issue has no `link`: its file no longer exists where the links lead.
    """
    from issuelog.log.render import issue_url  # Jinja2 only for the commands that show links

    return {
        "base": result.base,
        "commit": result.commit,
        "counts": result.diff.counts,
        "changes": [
            {
                "kind": change.kind,
                "id": change.issue.id,
                "title": change.issue.title,
                "status": change.issue.status,
                "severity": change.issue.severity,
                "link": None if change.kind == "removed" else issue_url(change.issue, config, link_base),
                # The commit whose message resolved it (`Fixes: ISSUE-007`), or None.
                "resolved_by": (change.issue.fixed_in or None) if change.kind == "resolved" else None,
                "fields": [{"field": item.field, "from": item.old, "to": item.new}
                           for item in change.fields],
            }
            for change in result.diff.changes
        ],
    }
