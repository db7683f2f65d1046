"""Time whole issuelog processes on generated projects, against the CSafeLoader baseline.

Usage: python bench/run.py [--sizes 1000 10000] [--runs 5] [--workdir /tmp/issuelog-bench]

For each size it generates (once) a seeded project of that many issues, then runs every
scenario once to warm up and `--runs` times measured, each run just after a run of the
baseline, and prints the median wall time and processor time, their ratios to the medians of
those paired baseline runs, and the peak memory
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
    #: The baseline, run just before each run of this scenario.
    baseline_seconds: list[float] = field(default_factory=list)
    baseline_cpu_seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """The median wall time in seconds."""
        return statistics.median(self.seconds)

    @property
    def median_cpu(self) -> float:
        """The median processor time (user and system, workers included) in seconds."""
        return statistics.median(self.cpu_seconds)

    @property
    def baseline_median(self) -> float:
        """The median wall time of the baseline runs paired with this scenario's runs."""
        return statistics.median(self.baseline_seconds or self.seconds)

    @property
    def baseline_median_cpu(self) -> float:
        """The median processor time of the paired baseline runs."""
        return statistics.median(self.baseline_cpu_seconds or self.cpu_seconds)


def issuelog_command() -> list[str]:
    """The installed `issuelog` script next to this Python, as a user would run it."""
    script = Path(sys.executable).with_name("issuelog")
    return [str(script)] if script.exists() else [sys.executable, "-m", "issuelog"]


#: The environment of every timed process. Installed packages run from compiled bytecode; with
#: PYTHONDONTWRITEBYTECODE set (as in some containers) an editable install would compile
#: issuelog's modules from source in every run, which no installed copy does.
BENCH_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def run_once(argv: list[str], cwd: Path) -> tuple[float, float, int, int, str]:
    """Wall time, processor time, peak resident memory (KB), exit status and stdout of one process.

    Processor time includes the workers a process waited for; peak memory is the largest
    resident set of the process or of any one of those workers.
    """
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               env=BENCH_ENV)
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
        # One Tab key press each, as bash asks (the completion cache warmed by the warm-up run).
        Scenario("complete show 1<Tab>", completion(command, "issuelog show 1", "1")),
        Scenario("complete set 7 sev<Tab>", completion(command, "issuelog set 7 sev", "sev")),
    ]
    # The HTML page written to a file, its articles kept in the cache by the warm-up run.
    found.append(Scenario("export --format html",
                          [*command, "export", "--format", "html", "--output", "export.html"]))
    return found


def completion(command: list[str], line: str, current: str) -> list[str]:
    """The argv of one completion request from issuelog's bash script."""
    return ["env", f"COMP_LINE={line}", f"COMP_POINT={len(line)}", f"COMP_CUR={current}",
            "_ISSUELOG_COMPLETE=complete_bash", *command]


def measure(scenario: Scenario, baseline: Scenario, project: Path, runs: int) -> Measurement:
    """One warm-up run, then `runs` measured ones, each just after a run of the baseline.

    A shared machine's speed drifts from one minute to the next: pairing every run with a
    baseline run keeps each ratio to what the machine could do at that moment.
    """
    result = Measurement(scenario.name)
    if not scenario.argv:
        result.note = "not on this branch: skipped"
        return result
    for attempt in range(runs + 1):
        if not scenario.baseline:
            base_elapsed, base_cpu, _, _, _ = run_once(baseline.argv, project)
        scenario.before()
        elapsed, cpu, peak_kb, code, stdout = run_once(scenario.argv, project)
        scenario.after(stdout)
        if code not in (0, 1):
            result.note = f"exit status {code}"
        if attempt:
            result.seconds.append(elapsed)
            result.cpu_seconds.append(cpu)
            result.peak_kb = max(result.peak_kb, peak_kb)
            if not scenario.baseline:
                result.baseline_seconds.append(base_elapsed)
                result.baseline_cpu_seconds.append(base_cpu)
    scenario.finally_()
    return result


def settle(project: Path, command: list[str]) -> None:
    """Render, wait until every file is older than the cache's racy window, render again."""
    subprocess.run([*command, "render"], cwd=project, capture_output=True, check=False, env=BENCH_ENV)
    time.sleep(2.5)
    subprocess.run([*command, "render"], cwd=project, capture_output=True, check=False, env=BENCH_ENV)


def bench_size(size: int, runs: int, workdir: Path, command: list[str]) -> list[Measurement]:
    """Generate (once) and time one project size."""
    project = workdir / f"n{size}"
    if not (project / "issues").is_dir() or len(os.listdir(project / "issues")) != size:
        print(f"generating {size} issues in {project} ...", file=sys.stderr, flush=True)
        generate(project, size)
    settle(project, command)
    measurements = []
    found = scenarios(project, command)
    baseline = next(scenario for scenario in found if scenario.baseline)
    for scenario in found:
        if size >= LARGE and scenario.name not in LARGE_SCENARIOS:
            continue
        print(f"  n={size}: {scenario.name} ...", file=sys.stderr, flush=True)
        measurements.append(measure(scenario, baseline, project, runs))
    return measurements


def table(size: int, measurements: list[Measurement]) -> str:
    """A Markdown table of one size's results, beside each the baseline runs paired with it."""
    lines = [
        f"#### N = {size:,}",
        "",
        "| command | median (s) | baseline (s) | ratio | CPU (s) | baseline CPU (s) | CPU ratio "
        "| peak memory (MB) | runs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in measurements:
        if not m.seconds:
            lines.append(f"| `{m.name}` | — | — | — | — | — | — | — | {m.note} |")
            continue
        ratio = m.median / m.baseline_median
        cpu_ratio = m.median_cpu / m.baseline_median_cpu
        note = f" ({m.note})" if m.note else ""
        lines.append(f"| `{m.name}` | {m.median:.3f} | {m.baseline_median:.3f} | {ratio:.2f}× "
                     f"| {m.median_cpu:.3f} | {m.baseline_median_cpu:.3f} | {cpu_ratio:.2f}× "
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
