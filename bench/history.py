"""Time `issuelog history` on an issue changed by 200 commits, against the CSafeLoader baseline.

Usage: python bench/history.py [--commits 200] [--runs 5] [--workdir /tmp/issuelog-bench-history]

Builds (once) a git repository whose ISSUE-001 is changed by `--commits` commits (one field
each, a rename half-way as `renumber` makes), among 100 other issues, then times
`issuelog history ISSUE-002` paired with baseline runs as bench/run.py does. The goal: 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import HERE, Scenario, issuelog_command, measure, table  # noqa: E402 - beside this script

TEMPLATE = """---
id: {id}
title: "Issue {number}"
status: open
severity: {severity}
reported: 2026-01-10
occurrences: {occurrences}
tags: [{tags}]
---

## Description

Issue {number} of the history benchmark.
"""
SEVERITIES = ("critical", "high", "medium", "low")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "b@example.invalid",
                        "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "b@example.invalid"})


def build(repo: Path, commits: int) -> None:
    """A repository where ISSUE-001 (ISSUE-002 after a rename half-way) has `commits` commits."""
    (repo / "issues").mkdir(parents=True)
    _git(repo, "init", "-q")
    (repo / "issuelog.toml").write_text('project = "History bench"\n', encoding="utf-8")
    for number in range(3, 103):
        (repo / "issues" / f"ISSUE-{number:03d}.md").write_text(TEMPLATE.format(
            id=f"ISSUE-{number:03d}", number=number, severity="low", occurrences=1, tags="a"),
            encoding="utf-8")
    name = "ISSUE-001"
    for step in range(commits):
        if step == commits // 2:
            _git(repo, "mv", f"issues/{name}.md", "issues/ISSUE-002.md")
            name = "ISSUE-002"
        (repo / "issues" / f"{name}.md").write_text(TEMPLATE.format(
            id=name, number=1, severity=SEVERITIES[step % 4], occurrences=step + 1,
            tags=", ".join(f"t{n}" for n in range(step % 5 + 1))), encoding="utf-8")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", f"change {step}")


def main() -> None:
    """Command line: commits, runs, where to build the repository."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/issuelog-bench-history"))
    arguments = parser.parse_args()
    repo = arguments.workdir / f"c{arguments.commits}"
    if not (repo / ".git").is_dir():
        print(f"building {arguments.commits} commits in {repo} ...", file=sys.stderr, flush=True)
        build(repo, arguments.commits)
    command = issuelog_command()
    baseline = Scenario("baseline", [sys.executable, str(HERE / "baseline.py"), "issues"],
                        baseline=True)
    found = [baseline, Scenario(f"history, {arguments.commits} commits",
                                [*command, "history", "ISSUE-002"])]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = [measure(scenario, baseline, repo, arguments.runs) for scenario in found]
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print(table(101, results))


if __name__ == "__main__":
    main()
