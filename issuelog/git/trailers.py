"""Closing issues from commit messages: `Fixes: ISSUE-007`, `Closes ISSUE-007`, `Resolves #7`.

A commit on the default branch whose message names an issue after one of the configured
`closing_keywords` resolves it: status to the first fixed status, `resolved` to the commit's
date (its committer's wall-clock time, to the minute), `fixed_in` to the commit. Running again
changes nothing:

- an issue whose `fixed_in` is already that commit is left alone, silently;
- an issue already closed is reported and left alone (the same trailer arriving twice, in a
  commit and its cherry-pick, closes it once);
- an issue reopened after a commit closed it keeps `fixed_in`: that commit and older ones never
  close it again, only a newer one does;
- an ID that names no issue is reported, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from issuelog.core.cache import load_issues
from issuelog.core.config import Config
from issuelog.core.edits import resolved_status, update_issue
from issuelog.core.model import Issue
from issuelog.core.store import find_issue_file
from issuelog.errors import IssuelogError, UsageError
from issuelog.git.gitrepo import (
    current_branch,
    default_branch_name,
    is_ancestor,
    run_git,
    work_tree_root,
)

#: Separators of `git log`'s output: unit and record separators never occur in a message.
_FIELD, _RECORD = "\x1f", "\x1e"


def closing_pattern(config: Config) -> re.Pattern[str] | None:
    """A keyword, an optional colon, then one or more IDs (`ISSUE-007`, `#7`) split by commas."""
    if not config.closing_keywords:
        return None
    words = "|".join(re.escape(word) for word in sorted(config.closing_keywords, key=len, reverse=True))
    one = rf"(?:{re.escape(config.id_prefix)}-\d+|#\d+)"
    return re.compile(rf"(?<![\w-])(?:{words}):?[ \t]+({one}(?:[ \t]*,[ \t]*{one})*)(?![\w-])",
                      re.IGNORECASE)


def referenced_ids(message: str, config: Config) -> list[str]:
    """The canonical IDs a message closes, in the order it names them, each once."""
    pattern = closing_pattern(config)
    if pattern is None:
        return []
    found: list[str] = []
    for match in pattern.finditer(message):
        for reference in re.findall(r"\d+", re.sub(re.escape(config.id_prefix), "", match[1],
                                                    flags=re.IGNORECASE)):
            issue_id = config.format_id(int(reference))
            if issue_id not in found:
                found.append(issue_id)
    return found


@dataclass(frozen=True)
class ClosingCommit:
    """A commit whose message closes issues."""

    sha: str
    when: datetime  # the committer's wall-clock time
    ids: list[str]


def closing_commits(config: Config, revisions: Sequence[str] = ("HEAD",)) -> list[ClosingCommit]:
    """The commits of `revisions` (git log arguments) whose messages close issues, oldest first.

    git picks the candidates with a case-insensitive `--grep` on the keywords, so that a long
    history is read once, in one process; the exact pattern is then applied here.
    """
    top = _top(config)
    if not config.closing_keywords:
        return []
    grep = "(" + "|".join(re.escape(word) for word in config.closing_keywords) + ")"
    output = run_git(["log", "--reverse", "--regexp-ignore-case", "--extended-regexp",
                      f"--grep={grep}", f"--format=%H{_FIELD}%cI{_FIELD}%B{_RECORD}",
                      *revisions, "--"], top).decode("utf-8", "replace")
    commits = []
    for record in output.split(_RECORD):
        parts = record.strip("\n").split(_FIELD, 2)
        if len(parts) != 3:
            continue
        ids = referenced_ids(parts[2], config)
        if ids:
            when = datetime.fromisoformat(parts[1]).replace(tzinfo=None, second=0)
            commits.append(ClosingCommit(parts[0], when, ids))
    return commits


@dataclass
class ClosingReport:
    """What closing from commits did: issues closed, and references left alone and why."""

    closed: list[tuple[str, str]] = field(default_factory=list)  # (ID, commit)
    #: (ID, commit, why): already closed, or an edit `check` would refuse.
    skipped: list[tuple[str, str, str]] = field(default_factory=list)
    unknown: list[tuple[str, str]] = field(default_factory=list)  # (ID, commit)
    paths: list[Path] = field(default_factory=list)  # files written


def close_from_commits(config: Config, revisions: Sequence[str] = ("HEAD",)) -> ClosingReport:
    """Resolve each open issue that a commit of `revisions` closes (see the module's rules)."""
    top = _top(config)
    report = ClosingReport()
    commits = closing_commits(config, revisions)
    if not commits:
        return report
    issues: dict[str, Issue] = {issue.id: issue for issue in load_issues(config, bodies=False).issues
                                if issue.id}
    status = resolved_status(config)
    closed_now: dict[str, str] = {}  # closed by this run: ID -> commit
    for commit in commits:
        for issue_id in commit.ids:
            issue = issues.get(issue_id)
            if issue is None:
                if _has_file(config, issue_id):
                    report.skipped.append((issue_id, commit.sha, "its file has problems (run "
                                                                 "`issuelog check`)"))
                else:
                    report.unknown.append((issue_id, commit.sha))
                continue
            if issue.fixed_in and commit.sha.startswith(issue.fixed_in):
                continue  # this very commit closed it already
            if issue_id in closed_now:
                report.skipped.append((issue_id, commit.sha,
                                       f"already resolved by {closed_now[issue_id][:7]}"))
                continue
            state = config.status(issue.status)
            if state is not None and not state.open:
                by = f" by {issue.fixed_in[:7]}" if issue.fixed_in else ""
                report.skipped.append((issue_id, commit.sha, f"already {issue.status}{by}"))
                continue
            if issue.fixed_in and is_ancestor(top, commit.sha, issue.fixed_in):
                report.skipped.append((issue_id, commit.sha, f"reopened since {issue.fixed_in[:7]} "
                                                             "closed it, which this commit precedes"))
                continue
            changes = {"status": status, "resolved": commit.when.strftime("%Y-%m-%d %H:%M"),
                       "fixed_in": commit.sha, "resolved_unknown": None}
            try:
                edit = update_issue(config, issue_id, changes)
            except IssuelogError as error:
                report.skipped.append((issue_id, commit.sha, str(error)))
                continue
            closed_now[issue_id] = commit.sha
            report.closed.append((issue_id, commit.sha))
            report.paths.append(edit.path)
    return report


def _has_file(config: Config, issue_id: str) -> bool:
    """Whether an issue file of that ID exists (one `check` cannot read, when it is not loaded)."""
    try:
        find_issue_file(config, issue_id)
    except UsageError:
        return False
    return True


def on_default_branch(config: Config) -> bool:
    """Whether the work tree is on the default branch, the only one whose commits close issues."""
    top = work_tree_root(config.root)
    if top is None:
        return False
    branch = current_branch(top)
    return branch is not None and branch == default_branch_name(top, config.default_branch)


def report_lines(report: ClosingReport, config: Config) -> list[str]:
    """One line per issue closed or reference left alone, for a terminal, a hook or a CI log."""
    lines = [f"{issue_id} resolved by {sha[:7]}" for issue_id, sha in report.closed]
    lines += [f"{issue_id} named by {sha[:7]} left alone: {why}"
              for issue_id, sha, why in report.skipped]
    lines += [f"{issue_id} named by {sha[:7]}: no such issue in {config.issues_dir}/ (not guessed)"
              for issue_id, sha in report.unknown]
    return lines


def _top(config: Config) -> Path:
    top = work_tree_root(config.root)
    if top is None:
        raise UsageError(f"{config.root} is not in a git work tree: commits close issues there")
    return top
