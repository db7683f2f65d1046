"""`issuelog renumber`: give issues that share an ID after a merge distinct IDs.

Of the files that share an ID, the one that entered git history first keeps it (files never
committed count as newer than any committed one, and among themselves by modification time).
Every other one gets the next free ID: its file is renamed, its `id:` rewritten, and the
`related:` lists of the issues that came with it (added in history that contains it but not
the file that keeps the ID) are pointed at the new ID.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from issuelog.config import Config
from issuelog.errors import IssueFileError, UsageError
from issuelog.frontmatter_edit import edit_frontmatter, read_frontmatter
from issuelog.gitrepo import (
    Arrival,
    GitUnavailable,
    arrival,
    blobs_at,
    is_ancestor,
    read_objects,
    relative_to_work_tree,
    resolve_commit,
    run_git,
    work_tree_root,
)
from issuelog.model import Issue, Problem, parse_issue
from issuelog.store import (
    display_path,
    load_issues,
    next_free_number,
    slugify,
    sort_key,
    write_atomic,
    write_lock,
)


@dataclass(frozen=True)
class Rename:
    """One issue that gets a new ID and file name."""

    old_id: str
    new_id: str
    old_path: Path
    new_path: Path
    kept_by: Path  # the file that keeps the old ID


@dataclass(frozen=True)
class ReferenceUpdate:
    """One `related:` entry pointed at a renumbered issue's new ID."""

    path: Path
    old_id: str
    new_id: str


@dataclass(frozen=True)
class UnclearReference:
    """A `related:` entry that may mean either issue; left as it is for a person to decide."""

    path: Path
    issue_id: str


@dataclass
class RenumberPlan:
    """Every change `renumber` makes (or would make, with `--dry-run`)."""

    renames: list[Rename] = field(default_factory=list)
    references: list[ReferenceUpdate] = field(default_factory=list)
    unclear: list[UnclearReference] = field(default_factory=list)

    def final_path(self, path: Path) -> Path:
        """Where a file is once the plan is carried out."""
        return next((rename.new_path for rename in self.renames if rename.old_path == path), path)

    @property
    def empty(self) -> bool:
        """Whether there is nothing to change."""
        return not self.renames and not self.references


def renumber(config: Config, *, dry_run: bool = False) -> RenumberPlan:
    """Plan the renumbering of duplicate IDs and, unless `dry_run`, carry it out."""
    with write_lock(config):
        plan = plan_renumbering(config)
        if not dry_run:
            apply_plan(plan, config)
    return plan


def plan_renumbering(config: Config) -> RenumberPlan:
    """Decide which files keep their IDs, which get new ones, and which references follow."""
    issues = load_issues(config).issues
    groups: dict[str, list[Issue]] = defaultdict(list)
    for issue in issues:
        if issue.id:
            groups[issue.id].append(issue)
    duplicates = {issue_id: members for issue_id, members in groups.items() if len(members) > 1}
    plan = RenumberPlan()
    if not duplicates:
        return plan
    top = work_tree_root(config.root)
    # Only the files that share an ID or refer to one need their history: one `git log` each.
    involved = {issue.path for members in duplicates.values() for issue in members}
    involved |= {issue.path for issue in issues if duplicates.keys() & set(issue.related)}
    arrivals: dict[Path, Arrival | None] = {
        path: arrival(top, path) if top else None for path in sorted(involved)
    }
    number = next_free_number(config)
    taken = {issue.path.name for issue in issues}
    for issue_id in sorted(duplicates, key=sort_key):
        members = sorted(duplicates[issue_id], key=lambda issue: _entry_order(issue, arrivals))
        keeper, *later = members
        for issue in later:
            new_id = config.format_id(number)
            number += 1
            new_path = issue.path.with_name(_new_name(issue, new_id))
            if new_path.name in taken or new_path.exists():
                raise IssueFileError(f"{display_path(new_path, config)} already exists; nothing was changed")
            taken.add(new_path.name)
            plan.renames.append(Rename(issue_id, new_id, issue.path, new_path, keeper.path))
            _plan_references(plan, issues, issue, keeper, new_id, arrivals, top)
    return plan


def _entry_order(issue: Issue, arrivals: dict[Path, Arrival | None]) -> tuple[int, float, str]:
    """Committed files first, by commit time; then the others by modification time."""
    came = arrivals.get(issue.path)
    if came is not None:
        return (0, float(came.timestamp), issue.path.name)
    try:
        modified = issue.path.stat().st_mtime
    except OSError:
        modified = float("inf")
    return (1, modified, issue.path.name)


def _new_name(issue: Issue, new_id: str) -> str:
    name = issue.path.name
    if name.startswith(issue.id + "-") or name == f"{issue.id}.md":
        return new_id + name[len(issue.id):]
    return f"{new_id}-{slugify(issue.title)}.md"


def _plan_references(
    plan: RenumberPlan, issues: list[Issue], moved: Issue, keeper: Issue, new_id: str,
    arrivals: dict[Path, Arrival | None], top: Path | None,
) -> None:
    """Point references at the moved issue when the referring issue came with it."""
    moved_came, kept_came = arrivals.get(moved.path), arrivals.get(keeper.path)
    for other in issues:
        if other.path in (moved.path, keeper.path) or moved.id not in other.related:
            continue
        other_came = arrivals.get(other.path)
        if top is None or other_came is None or moved_came is None:
            plan.unclear.append(UnclearReference(other.path, moved.id))
            continue
        sees_moved = is_ancestor(top, moved_came.commit, other_came.commit)
        sees_kept = kept_came is not None and is_ancestor(top, kept_came.commit, other_came.commit)
        if sees_moved and not sees_kept:
            plan.references.append(ReferenceUpdate(other.path, moved.id, new_id))
        elif sees_moved and sees_kept:
            plan.unclear.append(UnclearReference(other.path, moved.id))


def apply_plan(plan: RenumberPlan, config: Config) -> None:
    """Write every change: all new texts are prepared first, so a bad file stops before any write."""
    new_texts: dict[Path, str] = {}
    for rename in plan.renames:
        text = _read(rename.old_path, config)
        new_texts[rename.new_path] = edit_frontmatter(
            text, {"id": rename.new_id}, name=display_path(rename.old_path, config))
    for update in plan.references:
        path = plan.final_path(update.path)
        text = new_texts.get(path) or _read(update.path, config)
        new_texts[path] = _replace_related(text, update, config)
    for path, text in new_texts.items():
        write_atomic(path, text)
    for rename in plan.renames:
        rename.old_path.unlink(missing_ok=True)


def _read(path: Path, config: Config) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise IssueFileError(f"{display_path(path, config)}: cannot read: {error}") from None


def _replace_related(text: str, update: ReferenceUpdate, config: Config) -> str:
    name = display_path(update.path, config)
    related = read_frontmatter(text, name).get("related") or []
    if isinstance(related, str):
        related = [related]
    changed = [update.new_id if str(entry) == update.old_id else entry for entry in related]
    return edit_frontmatter(text, {"related": changed}, name=name)


# --- before the merge: IDs this branch takes that the base already uses (`--against REF`) ---------

@dataclass(frozen=True)
class BaseClash:
    """An issue of this branch whose ID the base revision already uses for a different file."""

    issue: Issue  # as it is in the work tree
    base_name: str  # the name of the base's file with that ID
    base_related: tuple[str, ...]  # the `related:` of the base's version of this issue's file


def _snapshot(top: Path, commit: str, directory: str, names: list[str]) -> dict[str, Issue]:
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
        fork = run_git(["merge-base", base, "HEAD"], top).decode().strip()
    except GitUnavailable:
        fork = ""  # unrelated histories, or no commit yet: every base file is the base's own
    base_blobs = blobs_at(top, base, directory)
    fork_blobs = blobs_at(top, fork, directory) if fork else {}
    changed = [name for name, blob in base_blobs.items() if fork_blobs.get(name) != blob]
    if not changed:
        return []
    base_ids: dict[str, str] = {}
    for name, issue in _snapshot(top, base, directory, changed).items():
        if issue.id:
            base_ids.setdefault(issue.id, name)
    issues = load_issues(config, bodies=False).issues
    here = {issue.path.name for issue in issues}
    mine = [issue for issue in issues if issue.id in base_ids]
    base_versions = _snapshot(top, base, directory, [issue.path.name for issue in issues
                                                      if issue.path.name in base_blobs])
    clashes = []
    for issue in sorted(mine, key=lambda issue: (sort_key(issue.id), issue.path.name)):
        name, base_name = issue.path.name, base_ids[issue.id]
        if name in fork_blobs:
            continue  # this file was there before the branch: not this branch's to move
        if name == base_name and issue.path.read_bytes() == read_objects(top, [base_blobs[name]])[0]:
            continue  # the same file on both sides
        if base_name in fork_blobs and base_name not in here:
            continue  # this branch renamed the base's file
        version = base_versions.get(name)
        clashes.append(BaseClash(issue, base_name, tuple(version.related) if version else ()))
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
