"""How many lines of ISSUES.md one change moves, and how large the log is, at scale.

Usage: python bench/churn.py [--sizes 1000 10000] [--size-only 100000] [--workdir DIR]

For each size in `--sizes` it generates a project (`bench/generate.py`) in a git repository,
renders ISSUES.md and commits, then, each time starting from that commit, runs one change as a
user would and renders again:

- `resolve` today: the newest open issue (shown in its capped table), and the oldest one (at
  these sizes not shown: its severity has more open issues than `log_rows`);
- `new` today: a high-severity issue;
- `set assignee=...` on the newest open issue;
- the calendar moving a week: nothing changes but the clock; `render` runs with today a week
  later (under `faketime` when it is installed, else a start-up shim that fixes Python's clock).

"Today" is the day after the newest date in the generated data, as in a project in daily use:
every command runs with that clock. It counts the lines `git diff --numstat` reports for
ISSUES.md: added, deleted, and changed (the larger of the two: a rewritten line counts once).
For each size in `--size-only` it only renders and reports the size of ISSUES.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate  # noqa: E402

SHIM = ROOT / "tests" / "fake_clock"


def run(directory: Path, *command: str, today: date | None = None) -> str:
    """Run a command in `directory` (issuelog commands with the clock at `today`); its stdout."""
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-01-01T12:00:00",
           "GIT_COMMITTER_DATE": "2026-01-01T12:00:00"}
    if command[0] == "issuelog":
        command = (sys.executable, "-m", "issuelog", *command[1:])
        if today is not None:
            if shutil.which("faketime"):
                command = ("faketime", f"{today.isoformat()} 12:00:00", *command)
            else:
                env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SHIM), env.get("PYTHONPATH")]))
                env["FAKE_TODAY"] = today.isoformat()
    result = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    return result.stdout


def newest_date(directory: Path) -> date:
    """The newest reported or resolved day of the generated issues."""
    days = []
    for path in (directory / "issues").glob("*.md"):
        for line in path.read_text(encoding="utf-8").split("\n---\n", 1)[0].splitlines():
            if line.startswith(("reported: ", "resolved: ")):
                days.append(date.fromisoformat(line.split(": ", 1)[1][:10]))
    return max(days)


def open_issues(directory: Path) -> list[tuple[str, str]]:
    """(reported, ID) of every open issue, newest report first."""
    found = []
    for path in (directory / "issues").glob("*.md"):
        head = dict(line.split(": ", 1) for line in path.read_text(encoding="utf-8")
                    .split("\n---\n", 1)[0].splitlines()[1:] if ": " in line)
        if head.get("status") in ("open", "in_progress"):
            found.append((head["reported"][:10], head["id"]))
    return sorted(found, key=lambda item: (item[0], int(item[1].split("-")[1])), reverse=True)


def changed_lines(directory: Path) -> tuple[int, int]:
    """Lines added and deleted in ISSUES.md since the last commit."""
    numstat = run(directory, "git", "diff", "--numstat", "--", "ISSUES.md").split()
    return (int(numstat[0]), int(numstat[1])) if numstat else (0, 0)


def measure(directory: Path, count: int) -> list[tuple[str, int, int]]:
    """Generate, render, commit; then each change from that commit, and its lines of ISSUES.md."""
    generate(directory, count)
    today = newest_date(directory) + timedelta(days=1)
    run(directory, "git", "init", "-q")
    run(directory, "git", "config", "user.name", "Bench")
    run(directory, "git", "config", "user.email", "bench@example.com")
    run(directory, "issuelog", "render", today=today)
    run(directory, "git", "add", "-A")
    run(directory, "git", "commit", "-q", "-m", "base")
    candidates = open_issues(directory)
    newest, older = candidates[0][1], candidates[-1][1]
    scenarios = {
        f"resolve today (newest open, {newest})": [("issuelog", "resolve", newest)],
        f"resolve today (oldest open, {older})": [("issuelog", "resolve", older)],
        "new today": [("issuelog", "new", "Checkout fails on an empty cart", "--severity", "high",
                       "--phase", "Phase 3", "--category", "validation", "--component", "api")],
        f"set assignee ({newest})": [("issuelog", "set", newest, "assignee=Zoe")],
        "calendar a week later": [],
    }
    rows = []
    for name, commands in scenarios.items():
        run(directory, "git", "reset", "-q", "--hard")
        run(directory, "git", "clean", "-q", "-fd", "issues")
        clock = today + timedelta(days=7) if not commands else today
        for command in commands:
            run(directory, *command, today=clock)
        run(directory, "issuelog", "render", today=clock)
        added, deleted = changed_lines(directory)
        rows.append((name, added, deleted))
    return rows


def log_size(directory: Path, count: int) -> tuple[int, int]:
    """Bytes and lines of ISSUES.md rendered from `count` generated issues."""
    generate(directory, count)
    run(directory, "issuelog", "render")
    data = (directory / "ISSUES.md").read_bytes()
    return len(data), data.count(b"\n")


def main() -> None:
    """Measure and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--size-only", type=int, nargs="*", default=[100000])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/issuelog-churn"))
    options = parser.parse_args()
    clock = "faketime" if shutil.which("faketime") else "a start-up shim (tests/fake_clock)"
    print(f"Lines of ISSUES.md changed (`git diff --numstat`: +added / -deleted; changed = the "
          f"larger); clock faked with {clock}.\n")
    print("| issues | change | + | - | changed |")
    print("|---:|---|---:|---:|---:|")
    sizes: dict[int, tuple[int, int]] = {}
    for count in options.sizes:
        directory = options.workdir / f"churn-{count}"
        for name, added, deleted in measure(directory, count):
            print(f"| {count} | {name} | {added} | {deleted} | {max(added, deleted)} |", flush=True)
        data = (directory / "ISSUES.md").read_bytes()
        sizes[count] = (len(data), data.count(b"\n"))
    for count in options.size_only:
        sizes[count] = log_size(options.workdir / f"size-{count}", count)
    print("\n| issues | ISSUES.md bytes | lines |")
    print("|---:|---:|---:|")
    for count, (size, lines) in sorted(sizes.items()):
        print(f"| {count} | {size} | {lines} |")


if __name__ == "__main__":
    main()
