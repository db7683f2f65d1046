"""Time `issuelog new` in a repository with many issues and many branches.

    python bench/git_branches.py [--issues 10000] [--branches 50] [--runs 5]

Builds a temporary repository whose main branch holds N committed issue files and B branches
that each add one, then times `issuelog new` (a real process, as users run it) in three
states, taken in turn in every round so that machine load weighs on each alike: the branches
parked out of sight (the baseline), the branches visible with an empty cache (every branch's
issues directory is read), and the branches visible with the cache of tree IDs filled in.
Prints the median of R runs of each; each run's new file is removed again.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ISSUE = """---
id: {id}
title: Generated issue {number}
status: open
severity: low
reported: 2026-01-01
---

## Description

Generated for the benchmark.
"""


def git(repo: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
    """Run git in the benchmark repository."""
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env, input=stdin)
    if result.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def build_repository(root: Path, issues: int) -> None:
    """A repository on main with `issues` committed issue files."""
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Bench")
    git(root, "config", "user.email", "bench@example.invalid")
    (root / "issuelog.toml").write_text('project = "Bench"\n')
    directory = root / "issues"
    directory.mkdir()
    for number in range(1, issues + 1):
        issue_id = f"ISSUE-{number:03d}"
        (directory / f"{issue_id}-generated.md").write_text(ISSUE.format(id=issue_id, number=number))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "issues")


def add_branches(root: Path, branches: int, first_number: int) -> None:
    """`branches` branches off main, each adding one issue, made with plumbing (no checkout)."""
    index = root / ".git" / "bench-index"
    env = {**os.environ, "GIT_INDEX_FILE": str(index)}
    for branch in range(branches):
        number = first_number + branch
        issue_id = f"ISSUE-{number:03d}"
        blob = git(root, "hash-object", "-w", "--stdin", stdin=ISSUE.format(id=issue_id, number=number))
        git(root, "read-tree", "main", env=env)
        git(root, "update-index", "--add", "--cacheinfo",
            f"100644,{blob},issues/{issue_id}-branch-{branch}.md", env=env)
        tree = git(root, "write-tree", env=env)
        commit = git(root, "commit-tree", tree, "-p", "main", "-m", f"branch {branch}")
        git(root, "update-ref", f"refs/heads/feature-{branch:02d}", commit)
    index.unlink(missing_ok=True)


def move_refs(root: Path, source: str, target: str) -> None:
    """Move every ref under `source` to `target` (parks the branches out of `new`'s sight)."""
    listing = git(root, "for-each-ref", "--format=%(objectname) %(refname)", f"{source}*")
    commands = []
    for line in listing.splitlines():
        object_id, name = line.split()
        commands.append(f"create {target}{name.removeprefix(source)} {object_id}\n")
        commands.append(f"delete {name} {object_id}\n")
    git(root, "update-ref", "--stdin", stdin="".join(commands))


def time_new_once(root: Path, keep_cache: bool) -> tuple[float, str]:
    """Wall time of one `issuelog new` and the ID it created (the file is removed again)."""
    if not keep_cache:
        for stale in (root / ".issuelog" / "cache").glob("branch-ids-*.json"):
            stale.unlink()
    command = [sys.executable, "-m", "issuelog", "new", "Benchmark issue", "-s", "low"]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=root, check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    path = root / result.stdout.strip()
    path.unlink()
    return elapsed, path.name.split("-benchmark")[0]


def main() -> None:
    """Build the repository, time the three states in turn (so load affects each alike), print medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--branches", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    workspace = Path(tempfile.mkdtemp(prefix="issuelog-bench-"))
    states = {"main only (baseline)": [], f"+ {options.branches} branches, empty cache": [],
              f"+ {options.branches} branches, cache filled": []}
    created: dict[str, str] = {}
    try:
        root = workspace / "repo"
        build_repository(root, options.issues)
        add_branches(root, options.branches, options.issues + 1)
        move_refs(root, "refs/heads/feature-", "refs/parked/feature-")
        time_new_once(root, keep_cache=True)  # warm the page cache and main's tree entry
        for _ in range(options.runs):
            for label, times in states.items():
                with_branches = "branches" in label
                if with_branches:
                    move_refs(root, "refs/parked/feature-", "refs/heads/feature-")
                elapsed, issue_id = time_new_once(root, keep_cache="filled" in label or not with_branches)
                if with_branches:
                    move_refs(root, "refs/heads/feature-", "refs/parked/feature-")
                times.append(elapsed)
                created[label] = issue_id
        print(f"issuelog new, {options.issues} committed issues, median of {options.runs} runs:")
        for label, times in states.items():
            print(f"  {label:<32} {statistics.median(times) * 1000:7.1f} ms   (new -> {created[label]})")
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


if __name__ == "__main__":
    main()
