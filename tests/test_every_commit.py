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
from typer.testing import CliRunner

from issuelog.cli.app import app
from issuelog.cli.every_commit import run_without_typer

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


def without_typer(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """What `issuelog.entry` runs for these arguments, in this process."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        run_without_typer(arguments)
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), out, err


def both_ways(project: Path, arguments: list[str],
              capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The command run as `issuelog.entry` runs it, then through typer on the project as it was
    before: their output, exit code and log, which must be the same."""
    before = project.parent / f"{project.name}-before"
    shutil.rmtree(before, ignore_errors=True)
    shutil.copytree(project, before, symlinks=True)
    fast = without_typer(arguments, capsys)
    after = (project / "ISSUES.md").read_bytes() if (project / "ISSUES.md").exists() else None
    shutil.rmtree(project)
    shutil.copytree(before, project, symlinks=True)
    os.chdir(project)  # the directory it was in is gone
    typer = CliRunner().invoke(app, arguments)
    assert (typer.exit_code, typer.stdout, typer.stderr) == fast
    assert ((project / "ISSUES.md").read_bytes() if (project / "ISSUES.md").exists() else None) == after
    return fast


@pytest.fixture
def rendered(project: Path) -> Path:
    make_tree(project, {"issues/ISSUE-001-first.md": issue_text("ISSUE-001", extra="sevirity: high\n"),
                        "issues/ISSUE-002-second.md": issue_text("ISSUE-002", status="resolved",
                                                                 extra="resolved: 2026-01-12\n")})
    assert CliRunner().invoke(app, ["render"]).exit_code == 0
    return project


@pytest.mark.parametrize("arguments", COMMAND_LINES)
def test_up_to_date(rendered: Path, arguments: list[str],
                    capsys: pytest.CaptureFixture[str]) -> None:
    code, _, stderr = both_ways(rendered, arguments, capsys)
    assert code == 0
    assert "warning: unknown key 'sevirity'" in stderr  # the typo hint, as `check` gives it
    if arguments[0] == "render":
        assert "ISSUES.md is up to date" in stderr


@pytest.mark.parametrize("arguments", COMMAND_LINES)
def test_stale_log(rendered: Path, arguments: list[str],
                   capsys: pytest.CaptureFixture[str]) -> None:
    path = rendered / "issues" / "ISSUE-001-first.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Something broke", "Disk full"),
                    encoding="utf-8")
    code, stdout, stderr = both_ways(rendered, arguments, capsys)
    if arguments == ["render", "--check"]:
        assert code == 1 and "+| [ISSUE-001]" in stdout and "is stale" in stderr
    elif arguments == ["render"]:
        assert code == 0 and "wrote ISSUES.md (2 issues)" in stderr
        assert "Disk full" in (rendered / "ISSUES.md").read_text(encoding="utf-8")
    else:
        assert code == 0


@pytest.mark.parametrize("arguments", COMMAND_LINES)
def test_problems_in_the_files(rendered: Path, arguments: list[str],
                               capsys: pytest.CaptureFixture[str]) -> None:
    (rendered / "issues" / "ISSUE-003-broken.md").write_text("---\ntitle: [unclosed\n---\n",
                                                             encoding="utf-8")
    code, stdout, stderr = both_ways(rendered, arguments, capsys)
    assert code == 1 and "ISSUE-003-broken.md:2: invalid YAML" in stdout + stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("arguments", COMMAND_LINES)
def test_outside_a_project(tmp_path: Path, arguments: list[str], capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")
    code, _, stderr = both_ways(tmp_path / "empty", arguments, capsys)
    assert code == 2 and stderr.startswith("issuelog: ") and "Traceback" not in stderr


@pytest.mark.parametrize("arguments", [*COMMAND_LINES, ["git-hook", "post-merge", "0"]])
def test_the_entry_point_runs_them_without_typer(rendered: Path, arguments: list[str]) -> None:
    code, stdout, stderr = run(ENTRY_TELLING, arguments, rendered)
    assert code == 0 and stderr.endswith("typer loaded: False\n")
    if arguments[0] == "git-hook":  # what typer's `git-hook` says and does
        assert run(TYPER, arguments, rendered)[:2] == (code, stdout)


def test_any_other_command_line_goes_through_typer(rendered: Path) -> None:
    code, _, stderr = run(ENTRY_TELLING, ["check", "--strict"], rendered)
    assert code == 1 and stderr.endswith("typer loaded: True\n")
    assert run(ENTRY_TELLING, ["git-hook", "--help"], rendered)[2].endswith("typer loaded: True\n")
    assert run(ENTRY, ["render", "--bogus"], rendered)[0] == 2  # typer's usage error


def test_text_the_output_cannot_encode(rendered: Path) -> None:
    """A problem naming a value in an ASCII locale: `?` for what ASCII lacks, as typer's echo
    writes it, never an internal error."""
    (rendered / "issues" / "ISSUE-003-third.md").write_text(
        issue_text("ISSUE-003", severity="bögus"), encoding="utf-8")
    process = subprocess.run([sys.executable, "-c", ENTRY, "check"], cwd=rendered,
                             capture_output=True, timeout=60,
                             env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert process.returncode == 1, process.stderr
    assert b"ISSUE-003-third.md:5: unknown severity 'b?gus'" in process.stdout


@pytest.mark.parametrize(("arguments", "closed", "expected"), [
    (["check"], "2>&-", 0), (["render"], "2>&-", 0), (["render", "--check"], ">&-", 1)])
def test_a_closed_output(rendered: Path, arguments: list[str], closed: str, expected: int) -> None:
    """Run with stdout or stderr closed, as some hook runners do: the exit code is still the
    command's (typer's echo writes nothing to a closed stream)."""
    if expected:  # a stale log: `render --check` writes the diff to stdout
        path = rendered / "issues" / "ISSUE-001-first.md"
        path.write_text(path.read_text(encoding="utf-8").replace("Something broke", "Disk full"),
                        encoding="utf-8")
    script = f'"$0" -c "$1" {" ".join(arguments)} {closed}'
    process = subprocess.run(["sh", "-c", script, sys.executable, ENTRY], cwd=rendered,
                             capture_output=True, timeout=60)
    assert process.returncode == expected, process
