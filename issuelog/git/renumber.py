"""`issuelog renumber`: give issues that share an ID distinct IDs, and never move a published one.

Of the files that share an ID, the one on the default branch keeps it (`default_branch`, else
origin/HEAD, main or master), mid-merge or after, whatever the commit dates; when the default
branch holds several, the one that reached its first-parent line first keeps it, and a tie is
refused rather than guessed. When none is published, the one already in HEAD during a merge
keeps it, else the one that entered history first (files never committed count as newer, and
among themselves by modification time). Every other one gets the next free ID: its file is
renamed, its `id:` rewritten, and the `related:` links that came with it are pointed at the new
ID: the links the published side does not have.

`--against REF` does the same before a merge: this branch's issues whose IDs REF gives to other
files get new IDs (see `base_id_clashes`).

A kill cannot duplicate an issue: the plan is carried out through a journal
(`git.renumber_journal`), and a renumber that finds one finishes it before anything else.
`--against`'s clashes are found by `git.base_clashes`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from issuelog.core.cache import load_issues
from issuelog.core.config import Config
from issuelog.core.model import Issue
from issuelog.core.store import display_path, highest_id_number, slugify, sort_key, write_lock
from issuelog.errors import IssueFileError, IssuelogError, UsageError
from issuelog.git.base_clashes import base_id_clashes, issues_at
from issuelog.git.gitrepo import (
    Arrival,
    arrival,
    blobs_at,
    default_branch,
    first_parent_arrival,
    first_parent_commit,
    is_ancestor,
    relative_to_work_tree,
    resolve_commit,
    work_tree_root,
)
from issuelog.git.renumber_journal import (
    ReferenceUpdate,
    Rename,
    RenumberPlan,
    UnclearReference,
    apply_plan,
    finish_interrupted,
)
from issuelog.project.ids import next_free_number


def renumber(config: Config, *, dry_run: bool = False, against: str | None = None) -> RenumberPlan:
    """Plan the renumbering of duplicate IDs (or, with `against`, of IDs that revision uses for
    other issues) and, unless `dry_run`, carry it out; an unfinished earlier run is finished first."""
    with write_lock(config):
        if not dry_run:
            finish_interrupted(config)
        plan = plan_against(config, against) if against is not None else plan_renumbering(config)
        if not dry_run:
            apply_plan(plan, config)
    return plan


@dataclass
class _Published:
    """What the default branch holds: its revisions (origin's first, then the local branch of the
    same name) and, for each, the IDs of the issue files in question by file name."""

    top: Path
    directory: str
    revs: list[str]
    names: dict[str, dict[str, str]]  # revision -> file name -> ID at its tip

    @classmethod
    def read(cls, config: Config, top: Path, directory: str, members: list[Issue]) -> _Published:
        try:
            default = default_branch(top, config.default_branch)
        except UsageError:
            if config.default_branch:
                raise
            return cls(top, directory, [], {})
        # Without origin/HEAD the default may be a local branch that is behind origin's: both
        # count, origin's first (it is what the team sees).
        local = default.removeprefix("origin/")
        revs = []
        for rev in dict.fromkeys((f"origin/{local}", default, local)):
            try:
                resolve_commit(top, rev)
            except UsageError:
                continue
            revs.append(rev)
        wanted = [issue.path.name for issue in members]
        names = {rev: {name: issue.id for name, issue in issues_at(top, rev, directory, wanted).items()}
                 for rev in revs}
        return cls(top, directory, revs, names)

    @property
    def known(self) -> bool:
        """Whether a default branch was found at all."""
        return bool(self.revs)

    def held_by(self, rev: str, members: list[Issue]) -> list[Issue]:
        """The members that are, as this very file with this ID, at the tip of `rev`."""
        return [issue for issue in members if self.names[rev].get(issue.path.name) == issue.id]


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
    directory = relative_to_work_tree(config.issues_path, top) if top else None
    # Only the files that share an ID or refer to one need their history: one `git log` each.
    involved = {issue.path for members in duplicates.values() for issue in members}
    involved |= {issue.path for issue in issues if duplicates.keys() & set(issue.related)}
    arrivals: dict[Path, Arrival | None] = {
        path: arrival(top, path) if top else None for path in sorted(involved)
    }
    published = None
    if top is not None and directory is not None:
        published = _Published.read(config, top, directory,
                                    [issue for members in duplicates.values() for issue in members])
    number = next_free_number(config)
    taken = {issue.path.name for issue in issues}
    for issue_id in sorted(duplicates, key=sort_key):
        members = duplicates[issue_id]
        decided = _published_keeper(members, published, config) if published else None
        if published is not None and not published.known and any(
                arrivals.get(issue.path) for issue in members):
            raise IssuelogError(
                f"cannot tell the default branch (no origin/HEAD, main or master), so not which "
                f"{issue_id} is published: nothing was changed. Set default_branch in the "
                "configuration (or run `git remote set-head origin --auto`)")
        if decided is None:
            members = sorted(members, key=lambda issue: _entry_order(issue, arrivals))
            keeper, later, basis = members[0], members[1:], None
        else:
            keeper, later, basis = decided
        for issue in later:
            new_id = config.format_id(number)
            number += 1
            plan.renames.append(_rename(issue, new_id, keeper.path, taken, config))
            if basis is None or published is None:
                _plan_references(plan, issues, issue, keeper, new_id, arrivals, top)
            else:
                _plan_published_references(plan, issues, issue, keeper, new_id, published, basis)
    return plan


def _published_keeper(members: list[Issue], published: _Published,
                      config: Config) -> tuple[Issue, list[Issue], str] | None:
    """The member the default branch holds, the others, and the revision that shows which links
    were published; None when no member is published (then nothing published can move)."""
    for rev in published.revs:
        on_main = published.held_by(rev, members)
        if on_main:
            break
    else:
        return None
    if len(on_main) == 1:
        keeper = on_main[0]
        return keeper, [issue for issue in members if issue is not keeper], rev
    # Several on the default branch (a merge into it was committed): the first to arrive on its
    # first-parent line was published first; the links are judged as they were before the next.
    inside = {issue.path: f"{published.directory}/{issue.path.name}".lstrip("/") for issue in on_main}
    arrived = {issue.path: first_parent_arrival(published.top, rev, inside[issue.path])
               for issue in on_main}
    order = sorted(on_main, key=lambda issue: arrived[issue.path] or 0)
    positions = [arrived[issue.path] for issue in order]
    if None in positions or positions[0] == positions[1]:
        names = ", ".join(display_path(issue.path, config) for issue in on_main)
        raise IssuelogError(
            f"cannot tell which of {names} was published first on {rev}: they arrived together; "
            "nothing was changed. Rename the newer one by hand (git mv, then set its id)")
    keeper = order[0]
    basis = first_parent_commit(published.top, rev, (positions[1] or 1) - 1) or rev
    return keeper, [issue for issue in members if issue is not keeper], basis


def _plan_published_references(
    plan: RenumberPlan, issues: list[Issue], moved: Issue, keeper: Issue, new_id: str,
    published: _Published, basis: str,
) -> None:
    """Links to the moved issue's old ID follow it unless the published side already had them."""
    referring = [other for other in issues
                 if other.path not in (moved.path, keeper.path) and moved.id in other.related]
    if not referring:
        return
    versions = issues_at(published.top, basis, published.directory,
                         [other.path.name for other in referring])
    for other in referring:
        version = versions.get(other.path.name)
        if version is not None and moved.id in version.related:
            continue  # the published issue's own link: it means the issue that keeps the ID
        plan.references.append(ReferenceUpdate(other.path, moved.id, new_id))


def plan_against(config: Config, against: str) -> RenumberPlan:
    """New IDs for this branch's issues whose IDs `against` uses for different files, above every
    ID on that revision too; the links in this branch follow, except those `against` also has."""
    clashes = base_id_clashes(config, against)
    plan = RenumberPlan()
    if not clashes:
        return plan
    top = work_tree_root(config.root)
    assert top is not None  # base_id_clashes refused already
    directory = relative_to_work_tree(config.issues_path, top) or ""
    base = resolve_commit(top, against)
    on_base = highest_id_number(blobs_at(top, base, directory), config)
    number = max(next_free_number(config), on_base + 1)
    issues = load_issues(config, bodies=False).issues
    taken = {issue.path.name for issue in issues}
    base_versions = issues_at(top, base, directory, [issue.path.name for issue in issues])
    for clash in clashes:
        moved = clash.issue
        new_id = config.format_id(number)
        number += 1
        plan.renames.append(_rename(moved, new_id, config.issues_path / clash.base_name, taken, config))
        for other in issues:
            if other.path == moved.path or moved.id not in other.related:
                continue
            version = base_versions.get(other.path.name)
            if version is not None and moved.id in version.related:
                # The base's version of this file links the base's issue too: either may be meant.
                plan.unclear.append(UnclearReference(other.path, moved.id))
            else:
                plan.references.append(ReferenceUpdate(other.path, moved.id, new_id))
    return plan


def _rename(issue: Issue, new_id: str, kept_by: Path, taken: set[str], config: Config) -> Rename:
    """The rename of `issue` to `new_id`; refused when the new file name is already taken."""
    new_path = issue.path.with_name(_new_name(issue, new_id))
    if new_path.name in taken or new_path.exists():
        raise IssueFileError(f"{display_path(new_path, config)} already exists; nothing was changed")
    taken.add(new_path.name)
    return Rename(issue.id, new_id, issue.path, new_path, kept_by)


def _entry_order(issue: Issue, arrivals: dict[Path, Arrival | None]) -> tuple[int, float, str]:
    """Files in HEAD's history first (mid-merge, the incoming side's are not yet), by commit time;
    then the others by modification time. Used only when no member is published."""
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
