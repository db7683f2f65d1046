"""Everything issuelog asks git, read with plumbing commands; the only module that runs git.

Every function degrades gracefully: outside a repository, or without git installed, they return
"nothing known" values so that issuelog keeps working on plain directories.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from issuelog.core.atomic_write import write_bytes_atomic
from issuelog.errors import IssuelogError, UsageError

# A tree object holds entries `<mode> <name>\0<raw object id>`; 20 bytes with SHA-1, 32 with SHA-256.
_OBJECT_ID_BYTES = {40: 20, 64: 32}
#: Environment variables that name the branch a CI job runs for (checked before `HEAD`).
BRANCH_VARIABLES = ("ISSUELOG_BRANCH", "GITHUB_HEAD_REF", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
#: Consulted when `HEAD` is detached, as CI checkouts often are.
DETACHED_BRANCH_VARIABLES = ("CI_COMMIT_BRANCH", "GITHUB_REF_NAME")


class GitUnavailable(Exception):
    """git is not installed, or the directory is not inside a git work tree."""


def run_git(args: Sequence[str], cwd: Path, stdin: bytes | None = None,
            env: dict[str, str] | None = None) -> bytes:
    """Run one git command (with `env` added to the environment) and return its standard output;
    raise GitUnavailable on failure."""
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False,
            # Hooks run git with GIT_DIR/GIT_INDEX_FILE set for the repository they serve; keep
            # them, but never let a pager or a prompt wait for a person.
            env={**os.environ, "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0", **(env or {})},
        )
    except OSError as error:
        raise GitUnavailable(f"cannot run git: {error.strerror}") from None
    if result.returncode != 0:
        raise GitUnavailable(result.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed")
    return result.stdout


def _text(args: Sequence[str], cwd: Path) -> str:
    return run_git(args, cwd).decode("utf-8", "replace").strip()


def user_name(cwd: Path) -> str:
    """`git config user.name`, or an empty string outside git or when it is unset."""
    try:
        return _text(["config", "user.name"], cwd)
    except GitUnavailable:
        return ""


def work_tree_root(path: Path) -> Path | None:
    """The top of the git work tree that holds `path`, or None outside git."""
    try:
        return Path(_text(["rev-parse", "--show-toplevel"], path))
    except GitUnavailable:
        return None


def relative_to_work_tree(path: Path, top: Path) -> str | None:
    """`path` as a slash-separated path inside the work tree, or None when it lies outside."""
    try:
        relative = path.resolve().relative_to(top.resolve())
    except ValueError:
        return None
    return PurePosixPath(*relative.parts).as_posix() if relative.parts else ""


# --- names of issue files on every branch --------------------------------------------------------

def branch_tips(top: Path, since: int | None = None, always: Iterable[str] = ()) -> list[str]:
    """Commit IDs of every local branch and remote-tracking branch, without repeats.

    With `since` (a Unix time), only the branches whose last commit is that recent, plus the
    commits in `always` (the default branch and HEAD, which count however old they are).
    """
    output = _text(["for-each-ref", "--format=%(objectname) %(committerdate:unix)",
                    "refs/heads", "refs/remotes"], top)
    tips = set(always)
    for line in output.splitlines():
        commit, _, when = line.partition(" ")
        if since is None or not when.isdigit() or int(when) >= since:
            tips.add(commit)  # a tag or a ref without a date counts: never hand out its IDs
    return sorted(tips)


def always_counted(top: Path, configured_default: str = "") -> list[str]:
    """The commits whose issue IDs are never handed out again: the default branch's and HEAD's."""
    commits = []
    for rev in ("HEAD", None):
        try:
            name = rev or default_branch(top, configured_default)
            commits.append(_text(["rev-parse", "--verify", "--quiet", f"{name}^{{commit}}"], top))
        except (GitUnavailable, UsageError):
            continue  # no commit yet, or no default branch to be found
    return commits


def directory_trees(top: Path, commits: Iterable[str], directory: str) -> set[str]:
    """Object IDs of the trees at `commit:directory`, for the commits that have that directory."""
    commits = list(commits)
    if not commits:
        return set()
    request = "".join(f"{commit}:{directory}\n" for commit in commits).encode()
    output = run_git(["cat-file", "--batch-check=%(objectname) %(objecttype)"], top, request)
    trees = set()
    for line in output.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] == "tree":
            trees.add(parts[0])
    return trees


def read_objects(top: Path, object_ids: Sequence[str]) -> list[bytes]:
    """The raw contents of git objects, in order, all read by one `git cat-file --batch`."""
    if not object_ids:
        return []
    output = run_git(["cat-file", "--batch"], top, "".join(f"{oid}\n" for oid in object_ids).encode())
    contents = []
    position = 0
    for _ in object_ids:
        header_end = output.index(b"\n", position)
        size = int(output[position:header_end].split()[2])
        start = header_end + 1
        contents.append(output[start:start + size])
        position = start + size + 1  # each object is followed by a newline
    return contents


def read_trees(top: Path, trees: Iterable[str]) -> dict[str, bytes]:
    """The raw contents of tree objects by their IDs."""
    ordered = sorted(trees)
    return dict(zip(ordered, read_objects(top, ordered), strict=True))


def tree_entry_pattern(name_pattern: str, object_id: str) -> re.Pattern[bytes]:
    """Matches every entry of a raw tree; group 1 holds the number when the name matches.

    Entries are matched whole (name, NUL, raw object ID) so that object ID bytes are never
    mistaken for a name; `name_pattern` must capture one number and not match a NUL.
    """
    id_bytes = _OBJECT_ID_BYTES.get(len(object_id), 20)
    return re.compile(rb"[0-7]+ (?:" + name_pattern.encode() + rb"|[^\0]*)\0.{%d}" % id_bytes,
                      re.DOTALL)


def highest_on_branches(start: Path, directory: Path, name_pattern: str, cache_file: Path | None,
                        *, since: int | None = None, default: str = "") -> int:
    """The highest issue number on any local or remote-tracking branch (0 outside git).

    `name_pattern` matches an issue file name and captures its number. With `since` (a Unix
    time) only branches with a commit since then count, besides the default branch (`default`,
    else found as `default_branch` finds it) and HEAD. Trees are immutable, so their highest
    numbers are cached by tree ID in `cache_file`: a branch's issues directory is only read
    again when it changed.
    """
    top = work_tree_root(start)
    if top is None:
        return 0
    inside = relative_to_work_tree(directory, top)
    if inside is None:
        return 0
    try:
        always = always_counted(top, default) if since is not None else []
        trees = directory_trees(top, branch_tips(top, since, always), inside or ".")
    except GitUnavailable:
        return 0
    cache = _read_cache(cache_file)
    unknown = trees - cache.keys()
    if unknown:
        try:
            contents = read_trees(top, unknown)
        except (GitUnavailable, ValueError):
            contents = {}  # unreadable trees count as empty: the directory itself still counts
        for tree, content in contents.items():
            numbers = tree_entry_pattern(name_pattern, tree).findall(content)
            cache[tree] = max((int(number) for number in numbers if number), default=0)
        # Keep only trees still in use so that the cache does not grow forever.
        _write_cache(cache_file, {tree: cache[tree] for tree in trees if tree in cache})
    return max((cache[tree] for tree in trees if tree in cache), default=0)


def _read_cache(path: Path | None) -> dict[str, int]:
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a damaged cache is only slower, never wrong: start afresh
    if not isinstance(data, dict):
        return {}
    return {key: value for key, value in data.items() if isinstance(value, int)}


def _write_cache(path: Path | None, data: dict[str, int]) -> None:
    if path is None:
        return
    # The one atomic writer, so that a killed writer's temporary file is swept like any other.
    try:
        write_bytes_atomic(path, json.dumps(data, sort_keys=True).encode("utf-8"), durable=False)
    except (OSError, IssuelogError):
        return  # the cache is an optimisation only


# --- history of files ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Arrival:
    """When and in which commit a file first entered the history of HEAD."""

    commit: str
    timestamp: int


def arrival(top: Path, path: Path) -> Arrival | None:
    """The commit that first added `path` in the history of HEAD (and, mid-merge, of the commit
    being merged in), or None if never committed."""
    inside = relative_to_work_tree(path, top)
    if inside is None:
        return None
    incoming = merge_head(top)
    revisions = ["HEAD", incoming] if incoming else ["HEAD"]
    try:
        output = _text(["log", "--diff-filter=A", "--format=%H %ct", *revisions, "--", inside], top)
    except GitUnavailable:
        return None
    lines = output.splitlines()
    if not lines:
        return None
    commit, timestamp = lines[-1].split()  # `git log` lists the newest first
    return Arrival(commit, int(timestamp))


def is_ancestor(top: Path, ancestor: str, descendant: str) -> bool:
    """Whether commit `ancestor` is `descendant` or one of its ancestors."""
    try:
        run_git(["merge-base", "--is-ancestor", ancestor, descendant], top)
    except GitUnavailable:
        return False
    return True


# --- revisions ------------------------------------------------------------------------------------

def default_branch(top: Path, configured: str = "") -> str:
    """The branch pull requests merge into: the configured one, else origin's HEAD, else main,
    master or init.defaultBranch."""
    if configured:
        if not _resolves(top, configured):
            raise UsageError(f"default_branch '{configured}' is not a branch or commit here")
        return configured
    with contextlib.suppress(GitUnavailable):
        return _text(["symbolic-ref", "--short", "refs/remotes/origin/HEAD"], top)
    candidates = ["main", "master"]
    with contextlib.suppress(GitUnavailable):
        candidates.insert(0, _text(["config", "init.defaultBranch"], top))
    for name in candidates:
        for ref in (f"refs/heads/{name}", f"refs/remotes/origin/{name}"):
            if _resolves(top, ref):
                return ref.removeprefix("refs/heads/").removeprefix("refs/remotes/")
    raise UsageError("cannot tell the default branch (no origin/HEAD, main or master): name a "
                     "revision or set default_branch in the configuration")


def default_branch_name(top: Path, configured: str = "", *, or_head: bool = False) -> str | None:
    """The default branch as a branch name ("main", not "origin/main"), or None when git cannot
    tell; `or_head`: else the branch HEAD is on (in a repository without commits, too)."""
    try:
        return default_branch(top, configured).removeprefix("origin/")
    except UsageError:
        pass
    if or_head:
        with contextlib.suppress(GitUnavailable):
            return _text(["symbolic-ref", "--short", "-q", "HEAD"], top) or None
    return None


def _resolves(top: Path, rev: str) -> bool:
    try:
        run_git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], top)
    except GitUnavailable:
        return False
    return True


def resolve_commit(top: Path, rev: str) -> str:
    """The full commit ID that `rev` names; a usage error when it names none."""
    try:
        return _text(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], top)
    except GitUnavailable:
        raise UsageError(f"'{rev}' is not a commit in this repository") from None


def merge_base(top: Path, first: str, second: str) -> str:
    """The best common ancestor of two revisions."""
    try:
        return _text(["merge-base", first, second], top)
    except GitUnavailable:
        raise UsageError(f"'{first}' and '{second}' have no common ancestor") from None


def blobs_at(top: Path, commit: str, directory: str) -> dict[str, str]:
    """`{file name: blob ID}` of the files directly in `directory` at `commit` (empty if absent)."""
    try:
        listing = run_git(["ls-tree", "-z", commit, "--", f"{directory}/" if directory else "."], top)
    except GitUnavailable:
        return {}
    blobs: dict[str, str] = {}
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_name = entry.partition(b"\t")
        mode, kind, object_id = meta.decode().split()
        if kind == "blob" and mode != "120000":  # symbolic links are not issue files
            blobs[PurePosixPath(raw_name.decode("utf-8", "surrogateescape")).name] = object_id
    return blobs


def merge_head(top: Path) -> str | None:
    """The commit being merged in while a merge is under way (`MERGE_HEAD`), else None."""
    try:
        return _text(["rev-parse", "--verify", "--quiet", "MERGE_HEAD^{commit}"], top) or None
    except GitUnavailable:
        return None


def first_parent_arrival(top: Path, rev: str, inside: str) -> int | None:
    """How many commits along `rev`'s first-parent line come before `inside` first appeared there.

    Merges count as the moment their second side's files arrive, whatever the commit dates; None
    when the path never appeared on that line.
    """
    try:
        added = _text(["log", "--first-parent", "--diff-filter=A", "--format=%H", rev, "--", inside],
                      top).split()
        if not added:
            return None
        return int(_text(["rev-list", "--first-parent", "--count", added[-1]], top))
    except (GitUnavailable, ValueError):
        return None


def first_parent_commit(top: Path, rev: str, position: int) -> str | None:
    """The commit `position` steps from the root along `rev`'s first-parent line (1: the root)."""
    try:
        total = int(_text(["rev-list", "--first-parent", "--count", rev], top))
        return _text(["rev-parse", "--verify", "--quiet", f"{rev}~{total - position}^{{commit}}"], top)
    except (GitUnavailable, ValueError):
        return None


def current_branch(top: Path | None) -> str | None:
    """The branch being worked on: from CI variables, else HEAD; None when nobody can tell."""
    for variable in BRANCH_VARIABLES:
        if os.environ.get(variable):
            return os.environ[variable]
    if top is not None:
        with contextlib.suppress(GitUnavailable):
            return _text(["symbolic-ref", "--short", "-q", "HEAD"], top)
    for variable in DETACHED_BRANCH_VARIABLES:
        if os.environ.get(variable):
            return os.environ[variable]
    return None


# --- set-up ---------------------------------------------------------------------------------------

def rebase_in_progress(top: Path) -> bool:
    """Whether `git rebase` is replaying commits in this work tree (its hooks run per commit)."""
    return any((top / _text(["rev-parse", "--git-path", name], top)).is_dir()
               for name in ("rebase-merge", "rebase-apply"))


def hooks_directory(top: Path) -> Path:
    """Where git looks for hooks (honours core.hooksPath and linked work trees)."""
    return (top / _text(["rev-parse", "--git-path", "hooks"], top)).resolve()


def set_config(top: Path, key: str, value: str) -> None:
    """Set a value in the repository's own git config (`.git/config`)."""
    run_git(["config", "--local", key, value], top)


# --- hooks: what a merge or a rebase just made ----------------------------------------------------

def is_unpublished(top: Path, rev: str = "HEAD") -> bool:
    """Whether no remote-tracking branch contains `rev` (so amending it rewrites nobody's history)."""
    try:
        return not _text(["branch", "-r", "--contains", rev], top)
    except GitUnavailable:
        return False


def is_fresh_merge(top: Path) -> bool:
    """Whether HEAD is a merge commit that `git merge` just made here (not a fast-forward to
    someone else's merge): two parents, the first being the HEAD before the merge, unpublished."""
    try:
        parents = _text(["rev-list", "--no-walk", "--parents", "HEAD"], top).split()[1:]
        before = _text(["rev-parse", "--verify", "--quiet", "ORIG_HEAD^{commit}"], top)
    except GitUnavailable:
        return False
    return len(parents) == 2 and parents[0] == before and is_unpublished(top)


def amend_head_with(top: Path, paths: Sequence[str]) -> None:
    """Replace HEAD by the same commit (parents, author, message) with the work tree's `paths`.

    Done with plumbing (`write-tree`, `commit-tree`, `update-ref`): `git commit --amend` refuses
    while `git merge` still holds MERGE_HEAD in its post-merge hook, and plumbing runs no hooks.
    """
    head = _text(["rev-parse", "--verify", "HEAD^{commit}"], top)
    run_git(["add", "--", *paths], top)
    tree = _text(["write-tree"], top)
    parents = _text(["rev-list", "--no-walk", "--parents", head], top).split()[1:]
    fields = run_git(["log", "-1", "--format=%an%x00%ae%x00%ad%x00%B", "--date=raw", head], top)
    name, email, when, message = fields.decode("utf-8", "surrogateescape").split("\0", 3)
    environment = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": when}
    arguments = ["commit-tree", tree, *[item for parent in parents for item in ("-p", parent)]]
    message_bytes = message.rstrip("\n").encode("utf-8", "surrogateescape") + b"\n"
    commit = run_git(arguments, top, message_bytes, env=environment).decode().strip()
    run_git(["update-ref", "-m", "issuelog: the re-rendered log added", "HEAD", commit, head], top)


def stage(top: Path, paths: Sequence[str]) -> None:
    """`git add` these paths."""
    run_git(["add", "--", *paths], top)


def merge_texts(base: Path, ours: Path, theirs: Path) -> str | None:
    """`git merge-file`: the changes from `base` to `ours` and to `theirs` in one text.

    None when they touch the same lines (a conflict), or git cannot run. Needs no repository.
    """
    try:
        result = subprocess.run(["git", "merge-file", "-p", str(ours), str(base), str(theirs)],
                                capture_output=True, check=False)
    except OSError:
        return None
    if result.returncode != 0:  # the number of conflicts, or negative on an error
        return None
    try:
        return result.stdout.decode("utf-8")
    except UnicodeDecodeError:
        return None


# --- continuous integration -----------------------------------------------------------------------

def object_at(top: Path, commit: str, path: str) -> str | None:
    """The object ID of `path` (slash-separated, from the top of the work tree) at `commit`, or None."""
    try:
        return _text(["rev-parse", "--verify", "--quiet", f"{commit}:{path}"], top) or None
    except GitUnavailable:
        return None


def first_commit(top: Path, candidates: Iterable[str]) -> tuple[str, str] | None:
    """The first of `candidates` that names a commit, with that commit's full ID."""
    for candidate in candidates:
        if _resolves(top, candidate):
            return candidate, resolve_commit(top, candidate)
    return None
