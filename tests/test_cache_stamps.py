"""The caches see every change of a file, also those that keep its size and mtime (ISSUE-049).

Each case warms every cache (parse cache, rendered log, kept outputs, search index, the HTML
articles), changes the files in a way that keeps each file's size and mtime, and compares what
each command says with what it says with no cache at all.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from test_cache import age_files
from typer.testing import CliRunner

from issuelog.cli.app import app

COMMANDS = (
    ("check",),
    ("list", "--format", "json", "--all"),
    ("render", "--check"),
    ("search", "token"),
    ("export", "--format", "html"),
)

Outputs = list[tuple[int, str, str]]


def outputs() -> Outputs:
    """What each command prints, and its exit code."""
    runner = CliRunner()
    results = []
    for command in COMMANDS:
        result = runner.invoke(app, list(command))
        assert result.exit_code in (0, 1), result.output  # no crash
        results.append((result.exit_code, result.stdout, result.stderr))
    return results


def warm_all(project: Path) -> None:
    """Age the files past the racy window and fill every cache."""
    age_files(project)
    outputs()
    outputs()  # served from the caches


def pair_of_same_size(issues: Path) -> tuple[Path, Path]:
    """Two issue files of the same size and mtime (one padded to the other's size)."""
    first, second = sorted(issues.glob("ISSUE-00[34]-*.md"))
    padding = first.stat().st_size - second.stat().st_size
    with (second if padding > 0 else first).open("a", encoding="utf-8") as handle:
        handle.write("\n" * abs(padding))
    moment = first.stat().st_mtime_ns
    os.utime(second, ns=(moment, moment))
    assert first.stat().st_size == second.stat().st_size
    return first, second


def swap_with_mv(project: Path) -> None:
    first, second = pair_of_same_size(project / "issues")
    warm_all(project)
    swap = first.with_suffix(".tmp")
    os.rename(first, swap)
    os.rename(second, first)
    os.rename(swap, second)


def restore_with_copy_keeping_times(project: Path) -> None:
    first, second = pair_of_same_size(project / "issues")
    warm_all(project)
    saved = project / "saved.md"
    shutil.copy2(second, saved)
    shutil.copy2(first, second)  # as `cp -p`, `tar x` or `rsync -t` do
    shutil.copy2(saved, first)
    saved.unlink()


def edit_then_set_the_mtime_back(project: Path) -> None:
    path = next((project / "issues").glob("ISSUE-004-*.md"))
    warm_all(project)
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Secrets written to logs", "Secrets printed to logs"),
                    encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size


def make_unreadable(project: Path) -> None:
    warm_all(project)
    next((project / "issues").glob("ISSUE-004-*.md")).chmod(0)


@pytest.mark.parametrize("change", [swap_with_mv, restore_with_copy_keeping_times,
                                    edit_then_set_the_mtime_back, make_unreadable])
def test_a_change_that_keeps_size_and_mtime_is_seen(golden_project: Path,
                                                    change: Callable[[Path], None]) -> None:
    try:
        change(golden_project)
        warm = outputs()
        shutil.rmtree(golden_project / ".issuelog" / "cache")
        cold = outputs()
    finally:
        for path in (golden_project / "issues").iterdir():
            path.chmod(0o644)
    assert warm == cold
    if change in (swap_with_mv, restore_with_copy_keeping_times):
        # Each of the two IDs now lives in the other's file.
        assert cold[0][0] == 1 and "does not match" in cold[0][1]
    if change is edit_then_set_the_mtime_back:
        assert "Secrets printed to logs" in cold[1][1]
    if change is make_unreadable and os.geteuid() != 0:  # root reads it all the same
        assert cold[0][0] == 1 and "cannot read" in cold[0][1]
