"""Time and peak memory of issuelog on hostile inputs, each measured in a fresh process.

    python bench/hostile_inputs.py

Every case prints how long `check` took on a project holding that one file, what it said, and
how much the process grew (peak resident memory after loading issuelog, to the end). The limits
these figures justify are documented in SECURITY.md.
"""

from __future__ import annotations

import json
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


def measure_one(root: Path) -> None:
    """Run `check` in this fresh process on a prepared project; print JSON figures."""
    from issuelog.config import load_config
    from issuelog.store import load_issues

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


if __name__ == "__main__":
    main()
