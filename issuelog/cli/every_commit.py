"""`check`, `render` and `git-hook`, the commands that hooks and CI run on every commit, and how
any command's errors reach the user.

Free of typer: `issuelog check`, `issuelog render`, `issuelog render --check` and
`issuelog git-hook NAME ARGS...`, exactly as the hooks, the pre-commit hooks and CI call them,
run from `issuelog.entry` without loading typer and the other commands (a third of an unchanged
render's time at 10,000 issues). With any other argument, typer parses the command line and its
commands call the functions here.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from issuelog.errors import IssuelogError, ProblemsFound, exit_code

if TYPE_CHECKING:
    from issuelog.core.config import Config
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


def check(*, as_json: bool = False, strict: bool = False, against: str | None = None) -> None:
    """`issuelog check`: print each problem of the issue files; exit 1 when there are any."""
    from issuelog.core.config import load_project

    config = load_project()
    found, hints, checked = _checked(config)
    problems = sorted(found + hints) if strict else found
    if against is not None:
        from issuelog.git.base_clashes import base_id_conflicts

        problems = sorted(problems + base_id_conflicts(config, against))
    if not strict:
        # Warnings, on stderr: the exit code and the JSON on stdout stay those of the problems.
        for hint in hints:
            echo(f"{hint.path}:{hint.line}: warning: {hint.message}", err=True)
    if as_json:
        from issuelog.log.listing import to_json

        echo(to_json([{"path": p.path, "line": p.line, "message": p.message} for p in problems]))
    else:
        print_problems(problems)
        files = len({p.path for p in problems})
        warned = f", {len(hints)} warning(s)" if hints and not strict else ""
        if problems:
            echo(f"{len(problems)} problem(s) in {files} file(s){warned}", err=True)
        else:
            echo(f"{checked} issue(s) checked, no problems{warned}", err=True)
    if problems:
        raise ProblemsFound()


def _checked(config: Config) -> tuple[list[Problem], list[Problem], int]:
    """The problems of the issue files, the typo hints and the number of issues checked; kept in
    the cache while the files, the configuration and the code are unchanged."""
    from issuelog.core.model import Problem
    from issuelog.core.outputs import kept_output

    kept = kept_output(config, "check")
    found = kept.value()
    if not (isinstance(found, tuple) and len(found) == 3):
        from issuelog.core.cache import load_issues
        from issuelog.core.store import typo_hints

        result = load_issues(config, bodies=False, stamps=kept.stamps)
        found = ([(p.path, p.line, p.message) for p in result.problems],
                 [(h.path, h.line, h.message) for h in typo_hints(result.issues, config)],
                 len(result.issues))
        kept.keep(found)
    problems, hints, checked = found
    return [Problem(*p) for p in problems], [Problem(*h) for h in hints], checked


def render(*, check_only: bool = False, output: Path | None = None) -> None:
    """`issuelog render`: write the log, or with `check_only` show how it is stale (exit 1)."""
    from issuelog.core.config import load_project
    from issuelog.core.store import check_output_path, display_path, shell_path
    from issuelog.project.logfile import render_skipped_on, update_log

    config = load_project()
    if output is not None:
        check_output_path(output, config, rendered_log=True)
        if output.resolve() == config.output_path.resolve():
            output = None  # the configured log, named: rendered on `render_branches` only too
    if output is None:
        branch = render_skipped_on(config)
        if branch is not None:
            echo(f"issuelog: {config.output} is rendered on {', '.join(config.render_branches)} "
                 f"only (render_branches): skipped on '{branch}'", err=True)
            return
    update = update_log(config, output=output, write=not check_only)
    if update.text is None:
        refuse_with_problems(update.problems, "not rendering")
    for hint in update.warnings:  # as `check` warns, on stderr
        echo(f"{hint.path}:{hint.line}: warning: {hint.message}", err=True)
    shown = display_path(update.target.resolve(), config)
    counted = issue_count(update.issue_count, update.reference_only)
    if update.current:
        echo(f"{shown} is up to date" + ("" if check_only else f" ({counted})"), err=True)
        return
    if check_only:
        from issuelog.log.formatting import unified_diff

        current = update.target.read_bytes() if update.target.is_file() else b""
        old = current.replace(b"\r\n", b"\n").decode("utf-8", "replace")
        echo(unified_diff(old, update.text or "", shown), nl=False)
        again = "issuelog render" + (f" --output {shlex.quote(shell_path(output))}" if output else "")
        raise ProblemsFound(f"{shown} is stale: run `{again}`")
    echo(f"wrote {shown} ({counted})", err=True)


def issue_count(issues: int, references: int) -> str:
    """`10 issues`, as the log's Total counts them, and the reference-only entries apart."""
    text = f"{issues} issue{'' if issues == 1 else 's'}"
    if references:
        text += f", {references} reference-only entr{'y' if references == 1 else 'ies'}"
    return text


def git_hook(name: str, arguments: list[str]) -> None:
    """`issuelog git-hook NAME ARGS...`, which the hooks of `install-hooks` run: keep ISSUES.md
    current in merges and rebases, and give git the hook's answer as the exit code."""
    from issuelog.core.config import load_project
    from issuelog.git.hooks import run_hook

    result = run_hook(name, arguments, load_project())
    if result.message:
        echo(result.message, err=True)
    if result.exit_code:  # the hook's own answer to git, not an error of issuelog's
        raise SystemExit(result.exit_code)


#: The command lines run without typer, exactly as hooks and CI write them.
WITHOUT_TYPER: dict[tuple[str, ...], Callable[[], None]] = {
    ("check",): check,
    ("render",): render,
    ("render", "--check"): lambda: render(check_only=True),
}


def _command_line(arguments: list[str]) -> Callable[[], None] | None:
    """What to run for a command line of WITHOUT_TYPER, or a `git-hook` as the installed hooks
    call it (a hook's name, then git's arguments, none of them an option); else None."""
    command = WITHOUT_TYPER.get(tuple(arguments))
    if command is None and len(arguments) >= 2 and arguments[0] == "git-hook" and not any(
            argument.startswith("-") for argument in arguments[1:]):
        return lambda: git_hook(arguments[1], arguments[2:])
    return command


def run_without_typer(arguments: list[str]) -> None:
    """Run a command line `_command_line` knows and exit; return at once for any other."""
    command = _command_line(arguments)
    if command is None:
        return
    try:
        command()
    except Exception as error:  # noqa: BLE001 - `fail` reports it as the typer commands' errors
        fail(error)
    except KeyboardInterrupt as error:
        fail(error)
    raise SystemExit(0)
