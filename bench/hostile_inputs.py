"""Time and peak memory of issuelog on hostile inputs, each measured in a fresh process.

    python bench/hostile_inputs.py

Every case prints how long `check` took on a project holding that one file, what it said, and
how much the process grew (peak resident memory after loading issuelog, to the end). A second
table runs whole commands on hostile input (traces, templates, JSON, dates, configuration) and
prints the exit code, the peak memory of the process and the first line it wrote to stderr.
The limits these figures justify are documented in SECURITY.md.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HEADER = ("---\nid: ISSUE-001\ntitle: {title}\nstatus: open\nseverity: high\nreported: 2026-01-10\n"
          "{extra}---\n\n")


def issue(title: str = "Hostile", extra: str = "", body: str = "## Description\n\nx\n") -> str:
    """An issue file with the given title, extra frontmatter lines and body."""
    return HEADER.format(title=title, extra=extra) + body


def billion_laughs() -> str:
    """Ten levels of ten aliases each: 10**10 strings if anything expanded them."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 10)]
    return issue(extra="\n".join(lines) + "\n")


CASES: dict[str, Callable[[], str]] = {
    "alias bomb (10**10 strings)": billion_laughs,
    "flow nesting 100 000 deep": lambda: issue(extra="x: " + "[" * 100_000 + "]" * 100_000 + "\n"),
    "10 MB body (refused)": lambda: issue(body="y" * 10_000_000),
    "1 MiB file, at the limit": lambda: issue(body="y" * (1024 * 1024 - 200)),
    "100 KB title (refused)": lambda: issue(title="t" * 102_400),
    "250 KiB frontmatter, at the limit": lambda: issue(extra=f"error_message: {'e' * 250_000}\n"),
    "5000-digit integer": lambda: issue(extra=f"occurrences: {'9' * 5000}\n"),
}


TEMPLATE = ".issuelog/templates/ISSUES.md.j2"
TRACE = "Traceback (most recent call last):\n" + '  File "app.py", line 1, in f\n    g()\n' * 60_000
DEEP_CONTEXT = '{"a": ' + "[" * 60_000 + "]" * 60_000 + "}"
DEEP_JSON = '{"error": "x", "context": ' + DEEP_CONTEXT + "}"
#: Whole commands on hostile input: (files to write, arguments of `issuelog`, standard input).
COMMAND_CASES: dict[str, tuple[dict[str, str], list[str], str]] = {
    "2.3 MB stack trace file": ({"trace.txt": TRACE}, ["record", "--stack-trace", "trace.txt"], ""),
    "2.3 MB stack trace on stdin": ({}, ["record", "--stack-trace", "-"], TRACE),
    "stack trace from /dev/zero": ({}, ["record", "--stack-trace", "/dev/zero"], ""),
    "60 000-deep JSON line in --from": ({"e.jsonl": DEEP_JSON + "\n"}, ["record", "--from", "e.jsonl"], ""),
    "60 000-deep JSON in --context": ({}, ["record", "--error", "E: x", "--context", DEEP_CONTEXT], ""),
    "template: nested range(100000) loops": (
        {TEMPLATE: "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"},
        ["render"], ""),
    "template: '{:>1000000000}'.format(1)": ({TEMPLATE: "{{ '{:>1000000000}'.format(1) }}"}, ["render"], ""),
    "template: 'x'.ljust(1000000000)": ({TEMPLATE: "{{ 'x'.ljust(1000000000) }}"}, ["render"], ""),
    "template: '%0100000000d' % 1": ({TEMPLATE: "{{ '%0100000000d' % 1 }}"}, ["render"], ""),
    "template: 'x'.center(10**9)": ({TEMPLATE: "{{ 'x'.center(1000000000) }}"}, ["render"], ""),
    "template: '%*d' % (10**9, 1)": ({TEMPLATE: "{{ '%*d' % (1000000000, 1) }}"}, ["render"], ""),
    "template: 6.4 GB of output": (
        {TEMPLATE: "{% for n in range(100000) %}{% for m in range(64) %}{{ 'x' * 1000 }}{% endfor %}"
                   "{% endfor %}"}, ["render"], ""),
    "reported: 0001-01-02, then render": (
        {"issues/ISSUE-001-hostile.md": issue().replace("2026-01-10", "0001-01-02")}, ["render"], ""),
    "alias inside a merge key": ({"issues/ISSUE-001-hostile.md": issue(extra="x: {<<: [&a {k: v}, *a]}\n")},
                                 ["check"], ""),
    "top-level merge key, then set": ({"issues/ISSUE-001-hostile.md": issue(extra="<<: {merged: m}\n")},
                                      ["set", "1", "merged=x"], ""),
    "100 000 phases in the config": (
        {"issuelog.toml": 'project = "Bench"\nphases = ['
                          + ", ".join(f'"P{n}"' for n in range(100_000)) + "]\n"}, ["check"], ""),
}


def run_command_case(files: dict[str, str], arguments: list[str], stdin: str) -> tuple[int, float, str]:
    """Exit code, peak memory (MiB) and first stderr line of `issuelog ARGS` on a fresh project."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "issuelog.toml").write_text('project = "Bench"\n')
        (root / "issues").mkdir()
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        with tempfile.TemporaryFile() as errors:
            process = subprocess.Popen([sys.executable, "-m", "issuelog", *arguments], cwd=root,
                                       stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors)
            assert process.stdin is not None
            try:
                process.stdin.write(stdin.encode())
                process.stdin.close()
            except BrokenPipeError:
                pass
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            errors.seek(0)
            said = errors.read().decode("utf-8", "replace").strip().splitlines()
    return process.returncode, usage.ru_maxrss / 1024, said[0] if said else "(nothing)"


def measure_one(root: Path) -> None:
    """Run `check` in this fresh process on a prepared project; print JSON figures."""
    from issuelog.core.cache import load_issues
    from issuelog.core.config import load_config

    config = load_config(root)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result = load_issues(config)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    said = str(result.problems[0]).split(": ", 1)[1] if result.problems else "accepted"
    print(json.dumps({"seconds": elapsed, "grew_kib": peak - baseline, "said": said}))


def main() -> None:
    """Write each case into a project, measure `check` on it in its own process, print a table."""
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        measure_one(Path(sys.argv[2]))
        return
    print(f"{'case':36} {'time':>9} {'memory':>10}  result")
    for name, build in CASES.items():
        with tempfile.TemporaryDirectory() as directory:
            root = Path(directory)
            (root / "issuelog.toml").write_text('project = "Bench"\n')
            (root / "issues").mkdir()
            (root / "issues" / "ISSUE-001-hostile.md").write_text(build())
            output = subprocess.run([sys.executable, __file__, "--one", directory], capture_output=True,
                                    text=True, check=True).stdout
        figures = json.loads(output)
        print(f"{name:36} {figures['seconds'] * 1000:7.1f}ms {figures['grew_kib'] / 1024:8.1f}MiB  "
              f"{figures['said'][:70]}")
    print(f"\n{'command case':40} {'exit':>4} {'peak':>9}  first line on stderr")
    for name, (files, arguments, stdin) in COMMAND_CASES.items():
        code, peak, said = run_command_case(files, arguments, stdin)
        print(f"{name:40} {code:>4} {peak:7.1f}MiB  {said[:90]}")


if __name__ == "__main__":
    main()
