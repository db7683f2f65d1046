"""Time whole issuelog processes on generated projects, against the CSafeLoader baseline.

Usage: python bench/run.py [--sizes 1000 10000] [--runs 5] [--workdir /tmp/issuelog-bench]

For each size it generates (once) a seeded project of that many issues, then runs every
scenario once to warm up and `--runs` times measured, and prints the median wall time and
processor time, their ratios to the baseline measured in the same run, and the peak memory
(the largest resident set of the process or of any worker it waited for). Commands that this
issuelog does not have are skipped with a note. Machines differ and shared ones are noisy:
compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate  # noqa: E402 - the generator beside this script

HERE = Path(__file__).resolve().parent
CHANGED_ISSUE = "ISSUE-005"
#: At 100,000 issues only the scenarios that the targets name are run: the others take minutes.
LARGE = 50_000
LARGE_SCENARIOS = ("baseline", "render, no cache", "render, unchanged", "render, one file changed")


@dataclass
class Scenario:
    """One command to time, with what must happen before and after each run (not timed)."""

    name: str
    argv: list[str]
    before: Callable[[], None] = lambda: None
    after: Callable[[str], None] = lambda stdout: None
    finally_: Callable[[], None] = lambda: None
    baseline: bool = False


@dataclass
class Measurement:
    """The medians of one scenario."""

    name: str
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    peak_kb: int = 0
    note: str = ""

    @property
    def median(self) -> float:
        """The median wall time in seconds."""
        return statistics.median(self.seconds)

    @property
    def median_cpu(self) -> float:
        """The median processor time (user and system, workers included) in seconds."""
        return statistics.median(self.cpu_seconds)


def issuelog_command() -> list[str]:
    """The installed `issuelog` script next to this Python, as a user would run it."""
    script = Path(sys.executable).with_name("issuelog")
    return [str(script)] if script.exists() else [sys.executable, "-m", "issuelog"]


def run_once(argv: list[str], cwd: Path) -> tuple[float, float, int, int, str]:
    """Wall time, processor time, peak resident memory (KB), exit status and stdout of one process.

    Processor time includes the workers a process waited for; peak memory is the largest
    resident set of the process or of any one of those workers.
    """
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    stdout = process.stdout.read() if process.stdout else b""
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss, process.returncode, stdout.decode("utf-8", "replace")


def has_command(command: list[str], name: str, cwd: Path) -> bool:
    """Whether this issuelog has a subcommand."""
    return subprocess.run([*command, name, "--help"], cwd=cwd, capture_output=True).returncode == 0


def scenarios(project: Path, command: list[str]) -> list[Scenario]:
    """Every scenario to time in one project."""
    cache = project / ".issuelog" / "cache"
    changed = next((project / "issues").glob(f"{CHANGED_ISSUE}-*.md"))
    original = changed.read_text(encoding="utf-8")
    edits = iter(range(1, 1_000_000))

    def drop_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    def change_one_file() -> None:
        # A new title each time: the file, its mtime and the rendered log all change.
        title_line = next(line for line in original.splitlines() if line.startswith("title:"))
        changed.write_text(original.replace(title_line, f'title: "Edited {next(edits)}"', 1),
                           encoding="utf-8")

    def restore_and_age() -> None:
        # The scenarios after this one time an unchanged tree: without the edit, and older
        # than the cache's racy window so that the caches hold every file.
        changed.write_text(original, encoding="utf-8")
        settle(project, command)

    def remove_created(stdout: str) -> None:
        created = stdout.strip().splitlines()[-1] if stdout.strip() else ""
        if created:
            (project / created).unlink(missing_ok=True)

    found = [
        Scenario("baseline", [sys.executable, str(HERE / "baseline.py"), "issues"], baseline=True),
        Scenario("render, no cache", [*command, "render"], before=drop_cache),
        Scenario("render, unchanged", [*command, "render"]),
        Scenario("render, one file changed", [*command, "render"], before=change_one_file,
                 finally_=restore_and_age),
        Scenario("render --check", [*command, "render", "--check"]),
        Scenario("check", [*command, "check"]),
    ]
    if has_command(command, "list", project):
        found.append(Scenario("list --format json", [*command, "list", "--format", "json"]))
    else:
        found.append(Scenario("list --format json", []))
    if has_command(command, "show", project):
        found.append(Scenario("show", [*command, "show", CHANGED_ISSUE]))
    else:
        found.append(Scenario("show", []))
    found += [
        Scenario("new", [*command, "new", "Benchmark issue", "--severity", "low"],
                 after=remove_created),
        Scenario("--help", [*command, "--help"]),
    ]
    return found


def measure(scenario: Scenario, project: Path, runs: int) -> Measurement:
    """One warm-up run, then `runs` measured ones."""
    result = Measurement(scenario.name)
    if not scenario.argv:
        result.note = "not on this branch: skipped"
        return result
    for attempt in range(runs + 1):
        scenario.before()
        elapsed, cpu, peak_kb, code, stdout = run_once(scenario.argv, project)
        scenario.after(stdout)
        if code not in (0, 1):
            result.note = f"exit status {code}"
        if attempt:
            result.seconds.append(elapsed)
            result.cpu_seconds.append(cpu)
            result.peak_kb = max(result.peak_kb, peak_kb)
    scenario.finally_()
    return result


def settle(project: Path, command: list[str]) -> None:
    """Render, wait until every file is older than the cache's racy window, render again."""
    subprocess.run([*command, "render"], cwd=project, capture_output=True, check=False)
    time.sleep(2.5)
    subprocess.run([*command, "render"], cwd=project, capture_output=True, check=False)


def bench_size(size: int, runs: int, workdir: Path, command: list[str]) -> list[Measurement]:
    """Generate (once) and time one project size."""
    project = workdir / f"n{size}"
    if not (project / "issues").is_dir() or len(os.listdir(project / "issues")) != size:
        print(f"generating {size} issues in {project} ...", file=sys.stderr, flush=True)
        generate(project, size)
    settle(project, command)
    measurements = []
    for scenario in scenarios(project, command):
        if size >= LARGE and scenario.name not in LARGE_SCENARIOS:
            continue
        print(f"  n={size}: {scenario.name} ...", file=sys.stderr, flush=True)
        measurements.append(measure(scenario, project, runs))
    return measurements


def table(size: int, measurements: list[Measurement]) -> str:
    """A Markdown table of one size's results, the baseline beside every figure."""
    baseline = next(m for m in measurements if m.name == "baseline")
    lines = [
        f"#### N = {size:,}",
        "",
        "| command | median (s) | baseline (s) | ratio | CPU (s) | baseline CPU (s) | CPU ratio "
        "| peak memory (MB) | runs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in measurements:
        if not m.seconds:
            lines.append(f"| `{m.name}` | — | {baseline.median:.3f} | — | — "
                         f"| {baseline.median_cpu:.3f} | — | — | {m.note} |")
            continue
        ratio = m.median / baseline.median
        cpu_ratio = m.median_cpu / baseline.median_cpu
        note = f" ({m.note})" if m.note else ""
        lines.append(f"| `{m.name}` | {m.median:.3f} | {baseline.median:.3f} | {ratio:.2f}× "
                     f"| {m.median_cpu:.3f} | {baseline.median_cpu:.3f} | {cpu_ratio:.2f}× "
                     f"| {m.peak_kb / 1024:.0f} | {len(m.seconds)}{note} |")
    return "\n".join(lines)


def main() -> None:
    """Command line: sizes, runs and where to generate the projects."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/issuelog-bench"))
    arguments = parser.parse_args()
    command = issuelog_command()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = [(size, bench_size(size, arguments.runs, arguments.workdir, command))
               for size in arguments.sizes]
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    for size, measurements in results:
        print(table(size, measurements), end="\n\n")


if __name__ == "__main__":
    main()
