"""Time whole issuelog processes on generated projects, against the CSafeLoader baseline.

Usage: python bench/run.py [--sizes 1000 10000] [--runs 5] [--workdir /tmp/issuelog-bench]
                           [--scenarios NAME_OR_PART ...]

For each size it generates (once) a seeded project of that many issues, then runs every
scenario once to warm up and `--runs` times measured, each run just after a run of the
baseline, and prints the median wall time and processor time, their ratios to the medians of
those paired baseline runs, the peak memory (the largest resident set of the process or of any
worker it waited for), and each scenario's target and whether it was met. Commands that this
issuelog does not have are skipped with a note, and so are the peers (towncrier and Backlog.md,
installed into the work directory) when they cannot be installed. Machines differ and shared
ones are noisy: compare ratios, not seconds.
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
from peers import Peer, backlog, towncrier  # noqa: E402

HERE = Path(__file__).resolve().parent
CHANGED_ISSUE = "ISSUE-005"
#: At 100,000 issues only the scenarios that the targets name are run: the others take minutes.
LARGE = 50_000
LARGE_SCENARIOS = ("baseline", "render, no cache", "render, unchanged", "render, one file changed")
#: The issue that the second commit of the project's repository changes, for `diff`.
DIFF_ISSUE = "ISSUE-010"
#: The commands that only read, each timed with warm caches and with `.issuelog/cache/` deleted.
READING = ("check", "list --format json", "show", "analyze", "metrics", "diff")
#: The targets (from 10,000 issues up): wall time as a share of the paired baseline's, or seconds.
RATIO_TARGETS = {
    "render, no cache": 0.9, "render, unchanged": 0.15, "render, one file changed": 0.3,
    **{name: 0.3 for name in READING}, **{f"{name}, cold": 1.0 for name in READING},
    "export --format html": 1.0,
}
SECONDS_TARGETS = {"complete show 1<Tab>": 0.1, "complete set 7 sev<Tab>": 0.1}
#: Peak memory of every issuelog command: at most 100 MB, and 500 MB from LARGE issues up.
MEMORY_MB, LARGE_MEMORY_MB = 100, 500
#: The peers, and how much faster than each issuelog's `render` with no cache should be.
PEERS = {"towncrier build --draft": 1.0, "backlog board export": 10.0}


@dataclass
class Scenario:
    """One command to time, with what must happen before and after each run (not timed)."""

    name: str
    argv: list[str]
    before: Callable[[], None] = lambda: None
    #: Given the run's stdout: a note if it shows something wrong, else None.
    after: Callable[[str], str | None] = lambda stdout: None
    finally_: Callable[[], None] = lambda: None
    baseline: bool = False
    #: Where the command runs (default: the project).
    cwd: Path | None = None
    #: Why a scenario without a command is skipped.
    missing: str = "not on this branch"


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
    """Every scenario of issuelog to time in one project (the peers come from `peer_scenarios`)."""
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

    def present(name: str, argv: list[str]) -> list[str]:
        # Commands that this issuelog does not have are skipped with a note.
        return argv if has_command(command, name, project) else []

    reading = {
        "check": [*command, "check"],
        "list --format json": present("list", [*command, "list", "--format", "json"]),
        "show": present("show", [*command, "show", CHANGED_ISSUE]),
        "analyze": present("analyze", [*command, "analyze"]),
        "metrics": present("metrics", [*command, "metrics"]),
        "diff": present("diff", [*command, "diff", "bench-before", "bench-after"]),
        # The HTML page written to a file (its articles kept in the cache by the warm-up run).
        "export --format html": [*command, "export", "--format", "html", "--output", "export.html"],
    }
    checks = {"diff": mentions(DIFF_ISSUE), "metrics": mentions("issuelog_issues")}
    warm = [Scenario(name, argv, after=checks.get(name, lambda stdout: None))
            for name, argv in reading.items()]
    cold = [Scenario(f"{name}, cold", argv, before=drop_cache,
                     after=checks.get(name, lambda stdout: None))
            for name, argv in reading.items()]
    return [
        Scenario("baseline", [sys.executable, str(HERE / "baseline.py"), "issues"], baseline=True),
        Scenario("render, no cache", [*command, "render"], before=drop_cache),
        Scenario("render, unchanged", [*command, "render"]),
        Scenario("render, one file changed", [*command, "render"], before=change_one_file,
                 finally_=restore_and_age),
        Scenario("render --check", [*command, "render", "--check"]),
        *warm,
        Scenario("new", [*command, "new", "Benchmark issue", "--severity", "low"],
                 after=remove_created),
        Scenario("--help", [*command, "--help"]),
        # One Tab key press each, as bash asks (the completion cache warmed by the warm-up run).
        Scenario("complete show 1<Tab>", completion(command, "issuelog show 1", "1")),
        Scenario("complete set 7 sev<Tab>", completion(command, "issuelog set 7 sev", "sev")),
        # Last: each deletes the caches that the scenarios above find warm.
        *cold,
    ]


def mentions(text: str) -> Callable[[str], str | None]:
    """A check of a run's stdout: a note unless it contains `text`."""
    return lambda stdout: None if text in stdout else f"output without {text!r}"


def peer_scenarios(project: Path, workdir: Path, names: list[str]) -> list[Scenario]:
    """The peers among `names`, installed and given the project's issues (skipped if not)."""
    found = []
    for name, make in (("towncrier build --draft", towncrier), ("backlog board export", backlog)):
        if name not in names:
            continue
        peer: Peer | None = make(project, workdir / "peers")
        found.append(Scenario(name, peer.argv, after=peer.verify, cwd=peer.cwd) if peer
                     else Scenario(name, [], missing="not installed"))
    return found


def commit_one_change(project: Path, command: list[str]) -> None:
    """Put the project in a git repository with two commits, tagged: every issue, then one change.

    `diff bench-before bench-after` compares them. A repository made earlier is kept.
    """
    def git(*argv: str) -> str:
        return subprocess.run(["git", *argv], cwd=project, capture_output=True, text=True,
                              check=True).stdout

    if (project / ".git").is_dir() and "bench-after" in git("tag", "--list").split():
        return
    print(f"committing {project} ...", file=sys.stderr, flush=True)
    git("init", "-q")
    git("config", "user.name", "Bench")
    git("config", "user.email", "bench@example.com")
    subprocess.run([*command, "render"], cwd=project, capture_output=True, check=True, env=BENCH_ENV)
    git("add", "-A")
    git("commit", "-q", "-m", "Every issue")
    git("tag", "bench-before")
    for argv in (["set", DIFF_ISSUE, "assignee=Zoe", "severity=critical"], ["render"]):
        subprocess.run([*command, *argv], cwd=project, capture_output=True, check=True,
                       env=BENCH_ENV)
    git("commit", "-q", "-a", "-m", f"{DIFF_ISSUE}: assigned, critical")
    git("tag", "bench-after")


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
        result.note = f"{scenario.missing}: skipped"
        return result
    for attempt in range(runs + 1):
        if not scenario.baseline:
            base_elapsed, base_cpu, _, _, _ = run_once(baseline.argv, project)
        scenario.before()
        elapsed, cpu, peak_kb, code, stdout = run_once(scenario.argv, scenario.cwd or project)
        problem = scenario.after(stdout)
        if code not in (0, 1):
            result.note = f"exit status {code}"
        elif problem:
            result.note = problem
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


def bench_size(size: int, runs: int, workdir: Path, command: list[str],
               wanted: list[str] | None) -> list[Measurement]:
    """Generate (once) and time one project size: the scenarios `wanted` selects, or all."""
    project = workdir / f"n{size}"
    if not (project / "issues").is_dir() or len(os.listdir(project / "issues")) != size:
        print(f"generating {size} issues in {project} ...", file=sys.stderr, flush=True)
        generate(project, size)
    commit_one_change(project, command)
    settle(project, command)
    found = scenarios(project, command)
    baseline = found[0]
    names = selected([scenario.name for scenario in found] + list(PEERS), wanted)
    if size >= LARGE:
        names = [name for name in names if name in LARGE_SCENARIOS]
    found = [scenario for scenario in found if scenario.name in names]
    found += peer_scenarios(project, workdir, names)
    measurements = []
    for scenario in found:
        print(f"  n={size}: {scenario.name} ...", file=sys.stderr, flush=True)
        measurements.append(measure(scenario, baseline, project, runs))
    return measurements


def selected(names: list[str], wanted: list[str] | None) -> list[str]:
    """The names that `wanted` picks, in their order: a whole name picks itself only, any other
    text every name that contains it. Without `wanted`, all of them."""
    if not wanted:
        return names
    picked = set()
    for pattern in wanted:
        picked |= {pattern} if pattern in names else {name for name in names if pattern in name}
    unknown = [pattern for pattern in wanted if not any(pattern in name for name in names)]
    if unknown:
        raise SystemExit(f"no scenario matches {', '.join(unknown)}; scenarios: {', '.join(names)}")
    return [name for name in names if name in picked]


def table(size: int, measurements: list[Measurement]) -> str:
    """A Markdown table of one size's results, beside each the baseline runs paired with it."""
    lines = [
        f"#### N = {size:,}",
        "",
        "| command | median (s) | baseline (s) | ratio | CPU (s) | baseline CPU (s) | CPU ratio "
        "| peak memory (MB) | runs | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for m in measurements:
        if not m.seconds:
            lines.append(f"| `{m.name}` | — | — | — | — | — | — | — | {m.note} | |")
            continue
        ratio = m.median / m.baseline_median
        cpu_ratio = m.median_cpu / m.baseline_median_cpu
        note = f" ({m.note})" if m.note else ""
        lines.append(f"| `{m.name}` | {m.median:.3f} | {m.baseline_median:.3f} | {ratio:.2f}× "
                     f"| {m.median_cpu:.3f} | {m.baseline_median_cpu:.3f} | {cpu_ratio:.2f}× "
                     f"| {m.peak_kb / 1024:.0f} | {len(m.seconds)}{note} | {target(size, m)} |")
    return "\n".join(lines + peer_lines(measurements))


def target(size: int, m: Measurement) -> str:
    """The scenario's target at this size, and whether it was met (peers have none)."""
    if m.name in PEERS:
        return ""
    goals, missed = [], []
    ratio_limit = RATIO_TARGETS.get(m.name) if size >= 10_000 else None
    if ratio_limit is not None:
        goals.append(f"≤ {ratio_limit:.2f}×")
        if m.median / m.baseline_median > ratio_limit:
            missed.append("time")
    seconds_limit = SECONDS_TARGETS.get(m.name) if size >= 10_000 else None
    if seconds_limit is not None:
        goals.append(f"≤ {seconds_limit} s")
        if m.median > seconds_limit:
            missed.append("time")
    memory_limit = LARGE_MEMORY_MB if size >= LARGE else MEMORY_MB
    goals.append(f"≤ {memory_limit} MB")
    if m.peak_kb / 1024 > memory_limit:
        missed.append("memory")
    return ", ".join(goals) + (f": missed ({' and '.join(missed)})" if missed else ": met")


def peer_lines(measurements: list[Measurement]) -> list[str]:
    """How much faster issuelog's `render` with no cache is than each peer, from the ratios to
    the paired baseline runs (seconds in brackets)."""
    by_name = {m.name: m for m in measurements if m.seconds}
    render = by_name.get("render, no cache")
    lines = []
    for name, goal in PEERS.items():
        peer = by_name.get(name)
        if render is None or peer is None:
            continue
        times = (peer.median / peer.baseline_median) / (render.median / render.baseline_median)
        verdict = "met" if times >= goal else "missed"
        faster = f"{times:.1f}× faster" if times >= 1 else f"{1 / times:.1f}× slower"
        lines.append(f"- `render, no cache` against `{name}`: {faster} "
                     f"({render.median:.3f} s against {peer.median:.3f} s; "
                     f"goal ≥ {goal:g}×: {verdict})")
    return ["", *lines] if lines else []


def main() -> None:
    """Command line: sizes, runs and where to generate the projects."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/issuelog-bench"))
    parser.add_argument("--scenarios", nargs="+", metavar="NAME_OR_PART",
                        help="only these scenarios: a whole name, or a part of names "
                             "(\"cold\", \"render\", \"towncrier\")")
    arguments = parser.parse_args()
    command = issuelog_command()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = [(size, bench_size(size, arguments.runs, arguments.workdir, command,
                                 arguments.scenarios))
               for size in arguments.sizes]
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    for size, measurements in results:
        print(table(size, measurements), end="\n\n")


if __name__ == "__main__":
    main()
