"""Kill a command at each of its writes, exactly: strace's fault injection (`inject=...:signal=KILL`).

A clean run counts the calls of each writing system call; then one run per call is killed by
SIGKILL as it makes that call (the call does not happen). Tests skip with their reason where
strace is missing or cannot trace (CI installs it: see .ci/run).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

#: The system calls through which a command changes files.
WRITE_CALLS = ("write", "pwrite64", "fsync", "fdatasync", "rename", "renameat", "renameat2",
               "link", "linkat", "unlink", "unlinkat", "mkdir", "mkdirat", "chmod", "fchmod",
               "fchmodat", "sendfile", "copy_file_range", "ftruncate")
_CALL = re.compile(r"^\d+\s+(\w+)\(")


@functools.cache
def strace_problem() -> str | None:
    """Why kill points cannot be injected here, or None when they can."""
    if shutil.which("strace") is None:
        return "strace is not installed (apt-get install strace)"
    probe = subprocess.run(["strace", "-f", "-qq", "-o", os.devnull, "-e", "trace=none", "true"],
                           capture_output=True, text=True)
    return None if probe.returncode == 0 else f"strace cannot trace here: {probe.stderr.strip()}"


def issuelog_command(*args: str) -> list[str]:
    """The console program, as a fresh process."""
    return [sys.executable, "-m", "issuelog", *args]


def _environment() -> dict[str, str]:
    # No bytecode files: their writes would differ between the counting run and the trials.
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1"}


def count_writes(command: list[str], cwd: Path) -> dict[str, int]:
    """How many times a clean run of `command` makes each writing system call."""
    log = cwd.parent / f".strace-{os.getpid()}.log"
    subprocess.run(["strace", "-f", "-qq", "-o", str(log), "-e", f"trace={','.join(WRITE_CALLS)}",
                    *command], cwd=cwd, env=_environment(), capture_output=True, timeout=120,
                   check=True)
    counts: dict[str, int] = {}
    for line in log.read_text().splitlines():
        match = _CALL.match(line)
        if match:
            counts[match.group(1)] = counts.get(match.group(1), 0) + 1
    log.unlink()
    return counts


def kill_points(counts: dict[str, int]) -> list[tuple[str, int]]:
    """Every (system call, n-th call) of a run: one trial each."""
    return [(call, number) for call, total in sorted(counts.items()) for number in range(1, total + 1)]


def run_killed_at(command: list[str], cwd: Path, call: str, number: int) -> int:
    """Run `command`, SIGKILLed at its `number`-th `call`; its exit status (negative: the signal)."""
    result = subprocess.run(["strace", "-f", "-qq", "-o", os.devnull, "-e", f"trace={call}",
                             "-e", f"inject={call}:signal=KILL:when={number}", *command],
                            cwd=cwd, env=_environment(), capture_output=True, timeout=120)
    return result.returncode


def chosen_points(points: list[tuple[str, int]], default: int = 16) -> list[tuple[str, int]]:
    """The kill points a test run tries: `ISSUELOG_KILL_POINTS` of them (else `default`; `all`:
    every one), drawn with the seed `ISSUELOG_KILL_SEED` (default 0; CI passes a random one)."""
    wanted = os.environ.get("ISSUELOG_KILL_POINTS", str(default))
    if wanted == "all" or int(wanted) >= len(points):
        return points
    import random

    rng = random.Random(int(os.environ.get("ISSUELOG_KILL_SEED", "0")))
    return sorted(rng.sample(points, int(wanted)))
