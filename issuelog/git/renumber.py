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

A kill cannot duplicate an issue: the plan is first written to a journal in issuelog's state
directory; each file is then moved with one atomic rename and rewritten in place atomically; the
journal is removed last. A renumber that finds a journal finishes it before anything else, and
every step can be repeated safely.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from issuelog.core.atomic_write import write_atomic
from issuelog.core.cache import load_issues
from issuelog.core.config import Config
from issuelog.core.frontmatter_edit import edit_frontmatter, read_frontmatter
from issuelog.core.model import Issue, Problem, parse_issue
from issuelog.core.store import (
    display_path,
    highest_id_number,
    slugify,
    sort_key,
    state_dir,
    write_lock,
)
from issuelog.errors import IssueFileError, IssuelogError, UsageError
from issuelog.git.gitrepo import (
    Arrival,
    GitUnavailable,
    arrival,
    blobs_at,
    default_branch,
    first_parent_arrival,
    first_parent_commit,
    is_ancestor,
    read_objects,
    relative_to_work_tree,
    resolve_commit,
    run_git,
    work_tree_root,
)
from issuelog.project.ids import next_free_number


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
        names = {rev: {name: issue.id for name, issue in _snapshot(top, rev, directory, wanted).items()}
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
    versions = _snapshot(published.top, basis, published.directory,
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
    base_versions = _snapshot(top, base, directory, [issue.path.name for issue in issues])
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


JOURNAL = "renumber-journal.json"


def _journal_path(config: Config) -> Path:
    return state_dir(config) / JOURNAL


def apply_plan(plan: RenumberPlan, config: Config) -> None:
    """Carry out the plan so that a kill at any point loses nothing and duplicates nothing.

    Every new text is prepared first (a bad file stops before any write); then the journal is
    written, and the steps of `_carry_out` follow, each of which can run again safely.
    """
    if plan.empty:
        return
    _prepare_texts(plan, config)  # refuses a file it cannot edit before anything is written
    root = config.root
    journal = {
        "renames": [[str(r.old_path.relative_to(root)), str(r.new_path.relative_to(root)),
                     r.old_id, r.new_id] for r in plan.renames],
        "references": [[str(u.path.relative_to(root)), u.old_id, u.new_id] for u in plan.references],
    }
    write_atomic(_journal_path(config), json.dumps(journal, indent=1) + "\n")
    _carry_out(journal, config)


def finish_interrupted(config: Config) -> bool:
    """Finish a renumbering that a kill interrupted (its journal is still there); True if one was."""
    path = _journal_path(config)
    if not path.is_file():
        return False
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IssueFileError(f"{display_path(path, config)}: cannot read the renumbering journal "
                             f"({error}); delete it once the issue files are as you want them") from None
    try:
        named = [Path(entry[i]) for entry in journal["renames"] for i in (0, 1)]
        named += [Path(entry[0]) for entry in journal["references"]]
    except (KeyError, TypeError, IndexError):
        named = [Path("..")]  # not a journal renumber wrote
    issues = config.issues_path.resolve()
    if not all((config.root / name).resolve().parent == issues for name in named):
        raise IssueFileError(f"{display_path(path, config)}: not a renumbering journal of this "
                             "project's issue files; delete it once the issue files are as you want them")
    _carry_out(journal, config)
    return True


def _carry_out(journal: dict[str, Any], config: Config) -> None:
    """Rename each file (one atomic rename), set its new ID in place, update the links, and only
    then drop the journal; every step checks what is done already."""
    root = config.root
    for old, new, old_id, new_id in journal["renames"]:
        old_path, new_path = root / old, root / new
        if old_path.exists() and not new_path.exists():
            os.rename(old_path, new_path)
        if new_path.is_file():
            text = _read(new_path, config)
            shown = display_path(new_path, config)
            if str(read_frontmatter(text, shown).get("id")) == old_id:
                write_atomic(new_path, edit_frontmatter(text, {"id": new_id}, name=shown))
    moved = {root / old: root / new for old, new, _, _ in journal["renames"]}
    for path_text, old_id, new_id in journal["references"]:
        path = moved.get(root / path_text, root / path_text)
        if path.is_file():
            text = _read(path, config)
            updated = _replace_related(text, ReferenceUpdate(path, old_id, new_id), config)
            if updated != text:
                write_atomic(path, updated)
    _journal_path(config).unlink(missing_ok=True)


def _prepare_texts(plan: RenumberPlan, config: Config) -> None:
    """Edit every file in memory once, so that a file issuelog cannot edit stops the plan first."""
    new_texts: dict[Path, str] = {}
    for rename in plan.renames:
        text = _read(rename.old_path, config)
        new_texts[rename.new_path] = edit_frontmatter(
            text, {"id": rename.new_id}, name=display_path(rename.old_path, config))
    for update in plan.references:
        path = plan.final_path(update.path)
        text = new_texts.get(path) or _read(update.path, config)
        new_texts[path] = _replace_related(text, update, config)


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
    for name, issue in _snapshot(top, base, directory, changed).items():
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
