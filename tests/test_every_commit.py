"""`check`, `render` and `render --check` as hooks and CI call them run without typer, and say and
exit exactly what the typer commands say for the same command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import issue_text, make_tree

#: Runs the program as installed (`issuelog.entry`), or through typer only (`cli.app`).
ENTRY = "import sys; from issuelog.entry import main; sys.argv[0] = 'issuelog'; main()"
TYPER = "import sys; from issuelog.cli.app import main; sys.argv[0] = 'issuelog'; main()"
#: Also says, on the last line of stderr, whether typer was loaded.
ENTRY_TELLING = ("import sys, atexit; atexit.register(lambda: print('typer loaded:', 'typer' in "
                 "sys.modules, file=sys.stderr)); " + ENTRY)

COMMAND_LINES = (["check"], ["render", "--check"], ["render"])


def run(program: str, arguments: list[str], cwd: Path) -> tuple[int, str, str]:
    process = subprocess.run([sys.executable, "-c", program, *arguments], cwd=cwd,
                             capture_output=True, text=True, timeout=60,
                             env={**os.environ, "COLUMNS": "100"})
    return process.returncode, process.stdout, process.stderr


def both_ways(project: Path, arguments: list[str]) -> tuple[int, str, str]:
    """The command run from the entry point, then through typer on the project as it was before:
    their output, exit code and log, which must be the same."""
    before = project.parent / f"{project.name}-before"
    shutil.rmtree(before, ignore_errors=True)
    shutil.copytree(project, before, symlinks=True)
    fast = run(ENTRY_TELLING, arguments, project)
    assert fast[2].endswith("typer loaded: False\n"), fast
    fast = (fast[0], fast[1], fast[2].removesuffix("typer loaded: False\n"))
    after = (project / "ISSUES.md").read_bytes() if (project / "ISSUES.md").exists() else None
    shutil.rmtree(project)
    shutil.copytree(before, project, symlinks=True)
    assert run(TYPER, arguments, project) == fast
    assert ((project / "ISSUES.md").read_bytes() if (project / "ISSUES.md").exists() else None) == after
    return fast


@pytest.fixture
def rendered(project: Path) -> Path:
    make_tree(project, {"issues/ISSUE-001-first.md": issue_text("ISSUE-001", extra="sevirity: high\n"),
                        "issues/ISSUE-002-second.md": issue_text("ISSUE-002", status="resolved",
                                                                 extra="resolved: 2026-01-12\n")})
    assert run(ENTRY, ["render"], project)[0] == 0
    return project


@pytest.mark.parametrize("arguments", COMMAND_LINES)
def test_up_to_date(rendered: Path, arguments: list[str]) -> None:
    code, _, stderr = both_ways(rendered, arguments)
    assert code == 0
    assert "warning: unknown key 'sevirity'" in stderr  # the typo hint, as `check` gives it


@pytest.mark.parametrize("arguments", COMMAND_LINES)
def test_stale_log(rendered: Path, arguments: list[str]) -> None:
    path = rendered / "issues" / "ISSUE-001-first.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Something broke", "Disk full"),
                    encoding="utf-8")
    code, stdout, stderr = both_ways(rendered, arguments)
    if arguments == ["render", "--check"]:
        assert code == 1 and "+| [ISSUE-001]" in stdout and "is stale" in stderr
    else:
        assert code == 0


@pytest.mark.parametrize("arguments", COMMAND_LINES)
def test_problems_in_the_files(rendered: Path, arguments: list[str]) -> None:
    (rendered / "issues" / "ISSUE-003-broken.md").write_text("---\ntitle: [unclosed\n---\n",
                                                             encoding="utf-8")
    code, stdout, stderr = both_ways(rendered, arguments)
    assert code == 1 and "ISSUE-003-broken.md:3: invalid YAML" in stdout + stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("arguments", COMMAND_LINES)
def test_outside_a_project(tmp_path: Path, arguments: list[str]) -> None:
    (tmp_path / "empty").mkdir()
    code, _, stderr = both_ways(tmp_path / "empty", arguments)
    assert code == 2 and stderr.startswith("issuelog: ") and "Traceback" not in stderr


def test_any_other_command_line_goes_through_typer(rendered: Path) -> None:
    code, _, stderr = run(ENTRY_TELLING, ["check", "--strict"], rendered)
    assert code == 1 and stderr.endswith("typer loaded: True\n")
    assert run(ENTRY, ["render", "--bogus"], rendered)[0] == 2  # typer's usage error


@pytest.mark.parametrize("program", [ENTRY, TYPER])
def test_text_the_output_cannot_encode(rendered: Path, program: str) -> None:
    """A problem naming a value in an ASCII locale: `?` for what ASCII lacks, as typer's echo
    writes it, never an internal error."""
    (rendered / "issues" / "ISSUE-003-third.md").write_text(
        issue_text("ISSUE-003", severity="bögus"), encoding="utf-8")
    process = subprocess.run([sys.executable, "-c", program, "check"], cwd=rendered,
                             capture_output=True, timeout=60,
                             env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert process.returncode == 1, process.stderr
    assert b"ISSUE-003-third.md:5: unknown severity 'b?gus'" in process.stdout


@pytest.mark.parametrize("program", [ENTRY, TYPER])
@pytest.mark.parametrize(("arguments", "closed", "expected"), [
    (["check"], "2>&-", 0), (["render"], "2>&-", 0), (["render", "--check"], ">&-", 1)])
def test_a_closed_output(rendered: Path, program: str, arguments: list[str], closed: str,
                         expected: int) -> None:
    """Run with stdout or stderr closed, as some hook runners do: the exit code is still the
    command's (typer's echo writes nothing to a closed stream)."""
    if expected:  # a stale log: `render --check` writes the diff to stdout
        path = rendered / "issues" / "ISSUE-001-first.md"
        path.write_text(path.read_text(encoding="utf-8").replace("Something broke", "Disk full"),
                        encoding="utf-8")
    script = f'"$0" -c "$1" {" ".join(arguments)} {closed}'
    process = subprocess.run(["sh", "-c", script, sys.executable, program], cwd=rendered,
                             capture_output=True, timeout=60)
    assert process.returncode == expected, process
