"""The parse cache's benchmark: every reading command, warm, after one edit and restored, and
what each of the cache's speed tricks gains (one disabled at a time).

Usage:
    python bench/cache_bench.py [--issues 10000] [--runs 5] [--only NAME ...]
    python bench/cache_bench.py --tricks [--runs 7]

Each measured run follows a run of the baseline (`bench/baseline.py`); figures are medians of
processor time (user + system, the process and the workers it waited for), and ratios compare
them with the medians of the paired baseline runs. The project is generated once under
/tmp/issuelog-cache-bench, as a git repository (for `diff` and the restored-cache scenario).

A trick is disabled by running issuelog through this file (`--as-issuelog TRICK ...`), which
patches the one function or constant before the command runs: the package has no switches
for benchmarks.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]


def _disable(trick: str) -> None:
    """Patch issuelog so that `trick` is not used (in this process, before the command runs)."""
    from issuelog.core import cache, cache_files, parallel, parsing

    if trick == "gc-pause":
        cache.cycle_collector_paused = contextlib.nullcontext  # type: ignore[assignment]
    elif trick == "workers":
        parallel.PARALLEL_MINIMUM = 10**9
    elif trick == "no-fsync":
        write = cache_files.write_bytes_atomic
        cache_files.write_bytes_atomic = lambda path, data, durable=True: write(path, data)
    elif trick == "validation-cache":
        def validate_every_time(path: Path, parsed: Any, config: Any, digest: str) -> Any:
            if parsed.state is not None:
                issue = parsing.issue_from_state(path, dict(parsed.state), "")
                parsing.validate_issue(issue, config, path.name)
            return parsed

        cache.validated = validate_every_time
    elif trick == "restricted-unpickler":
        import pickle

        cache.load_plain = cache_files.load_plain = parallel.load_plain = pickle.loads
    elif trick == "interning":
        parsing.state_of = lambda issue: {key: value for key, value in issue.__dict__.items()
                                          if key not in ("path", "body")}
    elif trick == "rendered-log":
        from issuelog.project import logfile

        logfile.read_cache = lambda path, key: None
    elif trick != "none":
        raise SystemExit(f"unknown trick {trick}")


#: Each trick, and the scenarios where it can matter.
TRICKS = {
    "gc-pause": ("check", "render, one edit", "render, no cache"),
    "workers": ("render, no cache",),
    "no-fsync": ("render, no cache",),
    "validation-cache": ("check", "render, one edit"),
    "restricted-unpickler": ("check", "render, one edit"),
    "interning": ("check", "render, no cache"),
    "rendered-log": ("render, unchanged",),
}


def cpu_of(argv: list[str], cwd: Path) -> tuple[float, int, int]:
    """Processor time, peak resident memory (KB) and exit status of one process."""
    cpu, _, memory, status = run(argv, cwd)
    return cpu, memory, status


def run(argv: list[str], cwd: Path) -> tuple[float, float, int, int]:
    """Processor time, wall time, peak resident memory (KB) and exit status of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


@dataclass
class Scenario:
    """A command, and what runs before each of its measured runs (not timed)."""

    name: str
    args: list[str]
    prepare: Callable[[], None] = lambda: None
    cwd: Path | None = None
    cpu: list[float] = field(default_factory=list)
    base: list[float] = field(default_factory=list)
    memory: list[int] = field(default_factory=list)


def issuelog(trick: str | None = None) -> list[str]:
    """How to run issuelog: the installed script, or through this file with a trick disabled."""
    if trick is None:
        return [str(Path(sys.executable).with_name("issuelog"))]
    return [sys.executable, str(Path(__file__)), "--as-issuelog", trick]


def make_project(issues: int) -> Path:
    """Generate (once) a project in a git repository, rendered and committed."""
    root = Path("/tmp/issuelog-cache-bench") / str(issues)
    if not (root / ".git").is_dir():
        shutil.rmtree(root, ignore_errors=True)
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(root), str(issues)], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([*issuelog(), "render"], cwd=root, check=True, capture_output=True, env=ENV)
        (root / ".gitignore").write_text(".issuelog/\n")
        subprocess.run(["git", "init", "-q", "-b", "main", "."], cwd=root, check=True)
        subprocess.run(["git", "add", "-A"], cwd=root, check=True)
        subprocess.run([*GIT, "commit", "-qm", "issues"], cwd=root, check=True)
        changed = sorted((root / "issues").glob("ISSUE-0*.md"))[10]
        changed.write_text(changed.read_text().replace("\ntitle: ", "\ntitle: Changed ", 1))
        subprocess.run([*GIT, "commit", "-qam", "one change"], cwd=root, check=True)
    return root


def settle(project: Path, command: list[str]) -> None:
    """Warm every cache, and let the files age past the racy window."""
    time.sleep(2.1)
    for args in (["render"], ["check"]):
        subprocess.run([*command, *args], cwd=project, capture_output=True, env=ENV)


def scenarios(project: Path, command: list[str]) -> list[Scenario]:
    """Every scenario, in the order they run."""
    cache = project / ".issuelog" / "cache"
    changed = sorted((project / "issues").glob("ISSUE-0*.md"))[20]
    original = changed.read_text()
    edits = iter(range(1, 1_000_000))
    restored = project.with_name(project.name + "-restored")

    def edit() -> None:
        changed.write_text(original.replace("\ntitle: ", f"\ntitle: Edited {next(edits)} ", 1))

    def restore_and_settle() -> None:
        changed.write_text(original)
        settle(project, command)

    def fresh_clone() -> None:
        shutil.rmtree(restored, ignore_errors=True)
        subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(project), str(restored)], check=True)
        shutil.copytree(cache, restored / ".issuelog" / "cache")

    return [
        Scenario("render, unchanged", ["render"]),
        Scenario("render, one edit", ["render"], edit),
        Scenario("render, restored cache", ["render"], fresh_clone, restored),
        Scenario("check", ["check"], restore_and_settle),
        Scenario("list --format json", ["list", "--format", "json"]),
        Scenario("show", ["show", "ISSUE-0005"]),
        Scenario("analyze", ["analyze"]),
        Scenario("metrics", ["metrics"]),
        Scenario("export --format json", ["export", "--format", "json"]),
        Scenario("diff HEAD~1 HEAD", ["diff", "HEAD~1", "HEAD"]),
        Scenario("diff HEAD~1", ["diff", "HEAD~1"]),
        Scenario("render, no cache", ["render"], lambda: shutil.rmtree(cache, ignore_errors=True)),
    ]


def measure(scenario: Scenario, command: list[str], project: Path, runs: int) -> None:
    """Warm up once, then `runs` measured runs, each after a baseline run."""
    cwd = scenario.cwd or project
    scenario.prepare()
    cpu_of([*command, *scenario.args], cwd)
    for _ in range(runs):
        scenario.base.append(cpu_of([sys.executable, str(HERE / "baseline.py"), "issues"], project)[0])
        scenario.prepare()
        cpu, memory, _ = cpu_of([*command, *scenario.args], cwd)
        scenario.cpu.append(cpu)
        scenario.memory.append(memory)


def commands_table(issues: int, runs: int, only: list[str]) -> None:
    """Time every scenario."""
    project = make_project(issues)
    command = issuelog()
    settle(project, command)
    print("| command | CPU (s) | baseline CPU (s) | ratio | peak memory (MB) |\n|---|---:|---:|---:|---:|")
    for scenario in scenarios(project, command):
        if only and scenario.name not in only:
            continue
        measure(scenario, command, project, runs)
        cpu, base = statistics.median(scenario.cpu), statistics.median(scenario.base)
        print(f"| `{scenario.name}` | {cpu:.3f} | {base:.3f} | {cpu / base:.2f}× "
              f"| {max(scenario.memory) // 1024} |", flush=True)


def tricks_table(issues: int, runs: int, only: list[str]) -> None:
    """Each trick's gain: the same scenario with and without it, in alternating runs."""
    project = make_project(issues)
    cache = project / ".issuelog" / "cache"
    changed = sorted((project / "issues").glob("ISSUE-0*.md"))[20]
    original = changed.read_text()
    edits = iter(range(1, 1_000_000))

    def cold() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    def edit() -> None:
        changed.write_text(original.replace("\ntitle: ", f"\ntitle: Edited {next(edits)} ", 1))

    cases = {"render, no cache": (["render"], cold), "render, one edit": (["render"], edit),
             "check": (["check"], lambda: None), "render, unchanged": (["render"], lambda: None)}
    print("| trick | scenario | with (CPU s) | without (CPU s) | CPU gain | with (wall s) "
          "| without (wall s) | wall gain |\n|---|---|---:|---:|---:|---:|---:|---:|")
    for trick, names in TRICKS.items():
        if only and trick not in only:
            continue
        for name in names:
            args, prepare = cases[name]
            changed.write_text(original)
            settle(project, issuelog())
            with_trick: list[tuple[float, float]] = []
            without: list[tuple[float, float]] = []
            for _ in range(runs):
                for command, into in ((issuelog("none"), with_trick), (issuelog(trick), without)):
                    prepare()
                    into.append(run([*command, *args], project)[:2])
            a, b = (statistics.median(cpu for cpu, _ in with_trick),
                    statistics.median(cpu for cpu, _ in without))
            c, d = (statistics.median(wall for _, wall in with_trick),
                    statistics.median(wall for _, wall in without))
            print(f"| {trick} | {name} | {a:.3f} | {b:.3f} | {(b - a) / b:+.0%} | {c:.3f} | {d:.3f} "
                  f"| {(d - c) / d:+.0%} |", flush=True)
    changed.write_text(original)


def main() -> None:
    """Command line."""
    if len(sys.argv) > 2 and sys.argv[1] == "--as-issuelog":
        _disable(sys.argv[2])
        sys.argv = ["issuelog", *sys.argv[3:]]
        from issuelog.entry import main as issuelog_main

        issuelog_main()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tricks", action="store_true")
    parser.add_argument("--only", nargs="*", default=[])
    options = parser.parse_args()
    (tricks_table if options.tricks else commands_table)(options.issues, options.runs, options.only)


if __name__ == "__main__":
    main()
