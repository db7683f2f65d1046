"""Time `issuelog import --dry-run` of a hand-kept log of 3,000 entries, against the baseline.

Usage: python bench/import_speed.py [--entries 3000] [--runs 3] [--workdir /tmp/issuelog-bench-import]

Builds (once) a project of as many generated issues as the log has entries (so the paired
baseline, bench/baseline.py, reads a tree of that size) and an `ERRORS.md` of `--entries`
entries in the `Symptom:`/`Cause:`/`Fix:` shape, then times the dry run as bench/run.py does.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate  # noqa: E402 - beside this script
from run import HERE, Scenario, issuelog_command, measure, table  # noqa: E402

ENTRY = """## Error {n}: service {service}{n} fails with code {code}

Symptom: requests to `/api/{n}` fail with `HTTP {status}`.
Cause: the connection pool {n} was too small for the load.
Fix: raise the pool size in `conf/{n}.toml`.
Status: {state}
Reported: 2024-{month:02d}-{day:02d}
"""


def write_log(path: Path, entries: int, seed: int = 7) -> None:
    """A hand-kept log of `entries` entries, the same bytes for the same seed."""
    rng = random.Random(seed)
    parts = ["# Ops error notes\n"]
    for n in range(entries):
        parts.append(ENTRY.format(n=n, service=rng.choice("abcdefg"), code=n % 97,
                                  status=500 + n % 5, state=rng.choice(["fixed", "open"]),
                                  month=1 + n % 12, day=1 + n % 28))
    path.write_text("\n".join(parts), encoding="utf-8")


def main() -> None:
    """Command line: entries, runs, where to build the project."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/issuelog-bench-import"))
    arguments = parser.parse_args()
    project = arguments.workdir / f"e{arguments.entries}"
    if not (project / "ERRORS.md").is_file():
        print(f"building {arguments.entries} entries in {project} ...", file=sys.stderr, flush=True)
        generate(project, arguments.entries)
        write_log(project / "ERRORS.md", arguments.entries)
    baseline = Scenario("baseline", [sys.executable, str(HERE / "baseline.py"), "issues"],
                        baseline=True)
    dry_run = Scenario(f"import --dry-run, {arguments.entries:,} entries",
                       [*issuelog_command(), "import", "ERRORS.md", "--dry-run"])
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = [measure(scenario, baseline, project, arguments.runs) for scenario in (baseline, dry_run)]
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print(table(arguments.entries, results))


if __name__ == "__main__":
    main()
