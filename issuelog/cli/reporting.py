"""How every command talks to its user, free of typer: output lines, problems and warnings as
`path:line: message`, and `fail`, the one place an error becomes a message and an exit code."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, NoReturn

from issuelog.errors import IssuelogError, exit_code

if TYPE_CHECKING:
    from issuelog.core.model import Problem

#: The exit status of a program killed by SIGPIPE, as git and the shell's tools give it.
EXIT_BROKEN_PIPE = 141
#: The exit status after Ctrl-C, as the shell gives it.
EXIT_INTERRUPTED = 130


def echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Write a line of output (to stderr with `err`), flushed at once, as typer's echo does:
    nothing where the stream is closed (`issuelog check >&-`), and a character the stream's
    encoding lacks (PYTHONIOENCODING=ascii, a Latin-1 locale) as `?`, never an error."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    line = text + "\n" if nl else text
    try:
        stream.write(line)
    except UnicodeEncodeError:
        encoding = stream.encoding or "utf-8"
        stream.write(line.encode(encoding, "replace").decode(encoding))
    stream.flush()


def print_problems(problems: list[Problem], err: bool = False) -> None:
    """Each problem as `path:line: message`, one a line."""
    for problem in problems:
        echo(str(problem), err=err)


def print_warnings(hints: list[Problem]) -> None:
    """Each did-you-mean hint as `path:line: warning: message`, on stderr: never a problem."""
    for hint in hints:
        echo(f"{hint.path}:{hint.line}: warning: {hint.message}", err=True)


def refuse_with_problems(problems: list[Problem], refusal: str) -> NoReturn:
    """Print every problem, then stop with exit 1: commands that read all issues need valid files."""
    print_problems(problems, err=True)
    raise IssuelogError(f"{refusal}: {len(problems)} problem(s) in the issue files "
                        "(see `issuelog check`)")


def fail(error: BaseException) -> NoReturn:
    """End the program after an error of any command: its message and exit code, never a
    traceback; quietly when the reader of the output went away (`issuelog list | head -1`)."""
    if isinstance(error, BrokenPipeError):
        # Python flushes stdout once more on the way out: to /dev/null, so it cannot fail again.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(EXIT_BROKEN_PIPE)
    if isinstance(error, KeyboardInterrupt):
        echo("issuelog: interrupted", err=True)
        raise SystemExit(EXIT_INTERRUPTED)
    if isinstance(error, IssuelogError):
        if str(error):
            echo(f"issuelog: {error}", err=True)
        raise SystemExit(exit_code(error)) from None
    echo(f"issuelog: internal error: {type(error).__name__}: {error}", err=True)
    echo("issuelog: please report this with the command you ran", err=True)
    raise SystemExit(exit_code(error)) from error
