"""Errors are caught once, by the app's group: a command needs no decorator to get exit codes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from issuelog.cli.app import app
from issuelog.cli.common import Commands
from issuelog.errors import (
    EXIT_INTERNAL,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    ConfigError,
    IssuelogError,
    ProblemsFound,
    UsageError,
    exit_code,
)

#: A command group as a feature module would write it: plain functions, no error handling.
extra = Commands()


@extra.add("fail-with", example="issuelog fail-with usage")
def fail_with(
    kind: Annotated[str, typer.Argument(metavar="KIND", help="What to raise.")],
) -> None:
    """Raise the error KIND names."""
    errors: dict[str, Exception] = {
        "usage": UsageError("--thing must be a number"),
        "problems": ProblemsFound(),
        "stale": ProblemsFound("ISSUES.md is stale: run `issuelog render`"),
        "config": ConfigError("issuelog.toml: severities: not a list"),
        "bug": KeyError("no such key"),
    }
    raise errors[kind]


@pytest.fixture
def with_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app with `fail-with` registered as app.py registers a module's commands."""
    monkeypatch.setattr(app, "registered_commands",
                        [*app.registered_commands, *extra.registered_commands])


@pytest.mark.parametrize(("kind", "code", "stderr"), [
    ("usage", EXIT_USAGE, "issuelog: --thing must be a number\n"),
    ("problems", EXIT_PROBLEMS, ""),  # already shown by the command: nothing more to say
    ("stale", EXIT_PROBLEMS, "issuelog: ISSUES.md is stale: run `issuelog render`\n"),
    ("config", EXIT_USAGE, "issuelog: issuelog.toml: severities: not a list\n"),
    ("bug", EXIT_INTERNAL, "issuelog: internal error: KeyError: 'no such key'\n"
                           "issuelog: please report this with the command you ran\n"),
])
def test_a_command_without_a_decorator_gets_the_exit_code_and_the_message(
        with_extra: None, kind: str, code: int, stderr: str) -> None:
    result = CliRunner().invoke(app, ["fail-with", kind])
    assert isinstance(result.exception, SystemExit)  # never the error itself: no traceback
    assert (result.exit_code, result.stdout, result.stderr) == (code, "", stderr)


def test_typer_usage_errors_keep_exit_2(with_extra: None) -> None:
    result = CliRunner().invoke(app, ["fail-with"])
    assert result.exit_code == EXIT_USAGE and "Missing argument 'KIND'" in result.stderr


def test_the_new_command_has_git_style_help_with_its_example(with_extra: None) -> None:
    text = CliRunner().invoke(app, ["fail-with", "--help"], prog_name="issuelog").stdout
    assert text.startswith("Usage: issuelog fail-with [OPTIONS] KIND\n")
    assert text.endswith("\nExample:\n  issuelog fail-with usage\n")


def test_an_internal_error_in_the_installed_program_shows_no_traceback(tmp_path: Path) -> None:
    script = textwrap.dedent("""
        import sys
        from issuelog.cli.app import app, main
        from issuelog.cli.common import Commands

        extra = Commands()

        @extra.add("crash", example="issuelog crash")
        def crash() -> None:
            \"\"\"Fail as a bug would.\"\"\"
            raise ZeroDivisionError("division by zero")

        app.registered_commands.extend(extra.registered_commands)
        sys.argv = ["issuelog", "crash"]
        main()
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                            text=True, check=False)
    assert result.returncode == EXIT_INTERNAL
    assert result.stderr == ("issuelog: internal error: ZeroDivisionError: division by zero\n"
                             "issuelog: please report this with the command you ran\n")


def test_exit_codes_are_decided_in_errors_py() -> None:
    assert [exit_code(error) for error in (IssuelogError("x"), ProblemsFound(), UsageError("x"),
                                           ConfigError("x"), ValueError("x"))] == [
        EXIT_PROBLEMS, EXIT_PROBLEMS, EXIT_USAGE, EXIT_USAGE, EXIT_INTERNAL]
