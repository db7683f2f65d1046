"""IDs this branch takes that the base already uses for other files (`check --against REF`, `ci`).

Before a merge, a pull request's new issues may carry IDs that its base gave to different
issues meanwhile: `base_id_clashes` finds them, `base_id_conflicts` reports them as problems that
name the fix (`issuelog renumber --against REF`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from issuelog.core.cache import load_issues
from issuelog.core.config import Config
from issuelog.core.model import Issue, Problem, parse_issue
from issuelog.core.store import display_path, sort_key
from issuelog.errors import UsageError
from issuelog.git.gitrepo import (
    GitUnavailable,
    blobs_at,
    read_objects,
    relative_to_work_tree,
    resolve_commit,
    run_git,
    work_tree_root,
)


@dataclass(frozen=True)
class BaseClash:
    """An issue of this branch whose ID the base revision already uses for a different file."""

    issue: Issue  # as it is in the work tree
    base_name: str  # the name of the base's file with that ID


def issues_at(top: Path, commit: str, directory: str, names: list[str]) -> dict[str, Issue]:
    """The issues parsed from the named files at a commit (files that do not parse are left out)."""
    blobs = blobs_at(top, commit, directory)
    wanted = sorted(name for name in names if name in blobs)
    parsed = {}
    for name, data in zip(wanted, read_objects(top, [blobs[name] for name in wanted]), strict=True):
        issue, _ = parse_issue(Path(name), data.decode("utf-8", "replace"), name)
        if issue is not None:
            parsed[name] = issue
    return parsed


def base_id_clashes(config: Config, against: str) -> list[BaseClash]:
    """Issues in the work tree whose IDs `against` (the base of a pull request) gives to other files.

    A file is the base's own when the base added or changed it since the merge base. The work
    tree's issue with that ID is a different issue unless it is the same file (same name, and
    already at the merge base or identical), or a rename of the base's file made on this branch.
    """
    top = work_tree_root(config.root)
    if top is None:
        raise UsageError(f"{config.root} is not in a git work tree: --against compares revisions")
    directory = relative_to_work_tree(config.issues_path, top)
    if directory is None:
        raise UsageError(f"{config.issues_dir} lies outside the git work tree {top}")
    base = resolve_commit(top, against)
    try:
        parents = run_git(["rev-list", "--no-walk", "--parents", "HEAD"], top).decode().split()[1:]
        # CI often checks out the trial merge of the pull request into its base: the branch is
        # then the merge's second parent.
        branch = parents[1] if len(parents) > 1 and parents[0] == base else "HEAD"
        fork = run_git(["merge-base", base, branch], top).decode().strip()
    except GitUnavailable:
        fork = ""  # unrelated histories, or no commit yet: every base file is the base's own
    base_blobs = blobs_at(top, base, directory)
    fork_blobs = blobs_at(top, fork, directory) if fork else {}
    changed = [name for name, blob in base_blobs.items() if fork_blobs.get(name) != blob]
    if not changed:
        return []
    base_ids: dict[str, str] = {}
    for name, issue in issues_at(top, base, directory, changed).items():
        if issue.id:
            base_ids.setdefault(issue.id, name)
    issues = load_issues(config, bodies=False).issues
    here = {issue.path.name for issue in issues}
    mine = [issue for issue in issues if issue.id in base_ids]
    clashes = []
    for issue in sorted(mine, key=lambda issue: (sort_key(issue.id), issue.path.name)):
        name, base_name = issue.path.name, base_ids[issue.id]
        if name in fork_blobs:
            continue  # this file was there before the branch: not this branch's to move
        if name == base_name and issue.path.read_bytes() == read_objects(top, [base_blobs[name]])[0]:
            continue  # the same file on both sides
        if base_name in fork_blobs and base_name not in here:
            continue  # this branch renamed the base's file
        clashes.append(BaseClash(issue, base_name))
    return clashes


def base_id_conflicts(config: Config, against: str) -> list[Problem]:
    """`path:line` problems for the issues of this branch whose IDs `against` uses for other files.

    Each message names the command that fixes it: `issuelog renumber --against AGAINST`.
    """
    fix = f"issuelog renumber --against {against}"
    return [
        Problem(display_path(clash.issue.path, config), clash.issue.line_of("id"),
                f"id '{clash.issue.id}' is already used on {against} by a different issue "
                f"({config.issues_dir}/{clash.base_name}): run `{fix}`")
        for clash in base_id_clashes(config, against)
    ]
