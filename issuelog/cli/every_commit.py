"""`check`, `render` and `git-hook`, the commands that hooks and CI run on every commit.

Free of typer: `issuelog check`, `issuelog render`, `issuelog render --check` and
`issuelog git-hook NAME ARGS...`, exactly as the hooks, the pre-commit hooks and CI call them,
run from `issuelog.entry` without loading typer and the other commands (a third of an unchanged
render's time at 10,000 issues). With any other argument, typer parses the command line and its
commands call the functions here.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from issuelog.cli.reporting import echo, fail, print_problems, print_warnings, refuse_with_problems
from issuelog.errors import ProblemsFound

if TYPE_CHECKING:
    from issuelog.core.config import Config
    from issuelog.core.model import Problem


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
        print_warnings(hints)
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
    print_warnings(update.warnings)  # as `check` warns
    shown = display_path(update.target.resolve(), config)
    counted = _issue_count(update.issue_count, update.reference_only)
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


def _issue_count(issues: int, references: int) -> str:
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
    except (Exception, KeyboardInterrupt) as error:  # noqa: BLE001 - as the typer commands' errors
        fail(error)
    raise SystemExit(0)
