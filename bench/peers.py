"""The benchmark's two peers, installed from their registries into the work directory.

towncrier (PyPI) builds a news file from one fragment per change; Backlog.md (npm) exports a
Kanban board from one Markdown task file per task. Each gets the same issues as the issuelog
project: towncrier a fragment with each issue's title and body, Backlog.md a task file with its
title, status, priority, labels, date and body. Neither goes into issuelog's dependencies: each
lives under WORKDIR/peers, and a peer whose install fails is skipped with a note.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

#: issuelog's statuses as the columns of Backlog.md's default board.
BOARD_COLUMNS = {"open": "To Do", "in_progress": "In Progress"}
#: Backlog.md knows three priorities.
PRIORITIES = {"critical": "high", "high": "high", "medium": "medium", "low": "low"}


@dataclass
class Peer:
    """One peer's timed command, where it runs, and how to check that it read every issue."""

    name: str
    argv: list[str]
    cwd: Path
    #: A note if the run's output shows fewer items than issues, else None.
    verify: Callable[[str], str | None]


def issues_of(project: Path) -> Iterator[tuple[int, dict[str, object], str]]:
    """Each issue of a generated project: its number, frontmatter and body."""
    for path in sorted((project / "issues").glob("ISSUE-*.md")):
        text = path.read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        data = yaml.load(front, Loader=yaml.CSafeLoader)
        yield int(str(data["id"]).split("-")[1]), data, body.strip("\n")


def install(workdir: Path, name: str, argv: list[str], program: Path) -> Path | None:
    """Run an install command once; the peer's program, or None (with a note) if it failed."""
    if program.exists():
        return program
    print(f"installing {name} into {workdir} ...", file=sys.stderr, flush=True)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        result = subprocess.run(argv, cwd=workdir, capture_output=True, text=True, check=False)
        error = result.stderr.strip()[-300:]
    except OSError as failure:
        error = str(failure)
    if not program.exists():
        print(f"{name} not installed, skipped: {error}", file=sys.stderr)
        return None
    return program


def towncrier(project: Path, workdir: Path) -> Peer | None:
    """`towncrier build --draft` over one fragment per issue (title, blank line, body)."""
    venv = workdir / "towncrier-venv"
    if not venv.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, check=False)
    program = install(workdir, "towncrier", [str(venv / "bin" / "pip"), "install", "-q",
                                             "towncrier"], venv / "bin" / "towncrier")
    if program is None:
        return None
    news = workdir / f"towncrier-{project.name}"
    count = _write_once(news, project, write_fragments)
    numbers = re.compile(r"\(#(\d+)\)")

    def verify(stdout: str) -> str | None:
        found = len(set(numbers.findall(stdout)))
        return None if found == count else f"rendered {found} of {count} fragments"

    return Peer("towncrier build --draft", [str(program), "build", "--draft", "--version", "1.0"],
                news, verify)


def write_fragments(project: Path, target: Path) -> int:
    """A towncrier project of the project's issues, one `N.bugfix.md` each; how many."""
    fragments = target / "newsfragments"
    fragments.mkdir(parents=True)
    (target / "towncrier.toml").write_text(
        '[tool.towncrier]\ndirectory = "newsfragments"\nfilename = "NEWS.md"\nname = "bench"\n',
        encoding="utf-8")
    count = 0
    for number, data, body in issues_of(project):
        (fragments / f"{number}.bugfix.md").write_text(f"{data['title']}\n\n{body}\n",
                                                       encoding="utf-8")
        count += 1
    return count


def backlog(project: Path, workdir: Path) -> Peer | None:
    """`backlog board export` over one Backlog.md task file per issue."""
    prefix = workdir / "backlog"
    program = install(workdir, "Backlog.md", ["npm", "install", "--silent", "--prefix",
                                              str(prefix), "backlog.md"],
                      prefix / "node_modules" / ".bin" / "backlog")
    if program is None:
        return None
    board = workdir / f"backlog-{project.name}"
    count = _write_once(board, project, write_tasks)
    export = board / "board.md"

    def verify(stdout: str) -> str | None:
        # The export names each task once, as **TASK-N**; the log line says how many it loaded.
        exported = export.read_text(encoding="utf-8").count("**TASK-") if export.exists() else 0
        loaded = re.search(r"Total tasks: (\d+)", stdout)
        if exported == count and loaded and int(loaded.group(1)) == count:
            return None
        return f"exported {exported} of {count} tasks"

    return Peer("backlog board export", [str(program), "board", "export", "--force", "board.md"],
                board, verify)


def write_tasks(project: Path, target: Path) -> int:
    """A Backlog.md project of the project's issues, one task file each; how many."""
    tasks = target / "backlog" / "tasks"
    tasks.mkdir(parents=True)
    (target / "backlog" / "config.yml").write_text(
        'project_name: "bench"\ndefault_status: "To Do"\n'
        'statuses: ["To Do", "In Progress", "Done"]\nlabels: []\ndate_format: yyyy-mm-dd\n'
        "max_column_width: 20\nauto_open_browser: false\ndefault_port: 6420\n"
        "remote_operations: false\nauto_commit: false\nfilesystem_only: true\n"
        "bypass_git_hooks: false\ncheck_active_branches: false\nactive_branch_days: 30\n"
        'task_prefix: "task"\n', encoding="utf-8")
    count = 0
    for number, data, body in issues_of(project):
        title = str(data["title"])
        slug = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-")[:60]
        labels = [data.get("component"), *(data.get("tags") or [])]
        front = {
            "id": f"TASK-{number}", "title": title,
            "status": BOARD_COLUMNS.get(str(data["status"]), "Done"),
            "assignee": [data["assignee"]] if data.get("assignee") else [],
            "created_date": str(data["reported"]), "labels": [str(x) for x in labels if x],
            "dependencies": [], "priority": PRIORITIES[str(data["severity"])],
        }
        text = "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n\n"
        (tasks / f"task-{number} - {slug}.md").write_text(text + body + "\n", encoding="utf-8")
        count += 1
    return count


def _write_once(target: Path, project: Path, write: Callable[[Path, Path], int]) -> int:
    """Write a peer's copy of the project's issues unless it is there; the number of issues."""
    done = target / ".bench-count"
    if done.exists():
        return int(done.read_text(encoding="utf-8"))
    shutil.rmtree(target, ignore_errors=True)
    print(f"writing {target} ...", file=sys.stderr, flush=True)
    count = write(project, target)
    done.write_text(str(count), encoding="utf-8")
    return count
