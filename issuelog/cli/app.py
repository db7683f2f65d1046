"""The `issuelog` command line: parse arguments, call the core, print. Nothing else lives here."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from issuelog import __version__
from issuelog.cli.completion import BASH_SCRIPT
from issuelog.cli.database import DatabaseOption, RepoOption, issues_from, project_config
from issuelog.core.config import Config, load_config, load_project, working_directory
from issuelog.errors import EXIT_INTERNAL, EXIT_PROBLEMS, IssueFileError, IssuelogError, UsageError

if TYPE_CHECKING:
    from issuelog.core.model import Problem

# Our bash script: `set 7 sev<Tab>` gives `severity=` with no space (see issuelog.cli.completion).
# typer has no public hook for it; should its internals move, typer's own script is used.
with contextlib.suppress(AttributeError, TypeError):
    typer._completion_shared._completion_scripts["bash"] = BASH_SCRIPT

app = typer.Typer(
    name="issuelog",
    help="Markdown-native issue log: one file per issue under issues/, a rendered ISSUES.md.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    # Plain help: formatting it with rich imports rich and markdown-it, tripling `--help`'s time.
    rich_markup_mode=None,
)

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(function: F) -> F:
    """Turn issuelog's errors into `issuelog: message` on stderr and their exit code."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except IssuelogError as error:
            typer.echo(f"issuelog: {error}", err=True)
            raise typer.Exit(error.exit_code) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"issuelog {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Markdown-native issue log: one file per issue under issues/, a rendered ISSUES.md."""


class OldLog(str, Enum):
    """What `import --old-log` does with the imported log (see importer.OLD_LOG_CHOICES)."""

    keep = "keep"
    delete = "delete"
    link = "link"


class Format(str, Enum):
    """Output formats of commands that list data."""

    text = "text"
    json = "json"


def _parse_date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} must be a date like 2026-01-10, got '{text}'") from None


def _print_problems(problems: list[Problem], err: bool = False) -> None:
    for problem in problems:
        typer.echo(str(problem), err=err)


def _refuse_with_problems(problems: list[Problem], refusal: str) -> NoReturn:
    """Print every problem, then stop with exit 1: commands that read all issues need valid files."""
    _print_problems(problems, err=True)
    raise IssuelogError(f"{refusal}: {len(problems)} problem(s) in the issue files "
                        "(see `issuelog check`)")


# --- init --------------------------------------------------------------------------------------

@app.command()
@reports_errors
def init(
    templates: Annotated[bool, typer.Option("--templates", help="Also copy the default templates "
                                            "into the project to customise them.")] = False,
) -> None:
    """Set up issuelog here: issuelog.toml, issues/ and ISSUES.md; never overwrites a file.

    issuelog.toml shows every key at its default, commented out; ISSUES.md is the log with
    no issues yet (every section, zero counts).
    """
    from issuelog.core.store import display_path
    from issuelog.project.setup import initialise

    for path, created in initialise(working_directory(), copy_templates=templates):
        typer.echo(f"{'created' if created else 'kept   '} {display_path(path, load_config())}")


# --- new ---------------------------------------------------------------------------------------

def stdin_is_terminal() -> bool:
    """Whether a person can answer prompts."""
    return sys.stdin.isatty()


def _ask_missing(fields: dict[str, Any], config: Config) -> None:
    """Ask for missing fields on a terminal, then confirm; elsewhere a missing one is a usage error."""
    from issuelog.project.scaffold import match_choice, missing_required, questions

    if not stdin_is_terminal():
        if not str(fields.get("title") or "").strip():
            raise UsageError("missing argument TITLE (try `issuelog new --help`)")
        hints = []
        for key in missing_required(fields, config):
            choices = config.allowed_values.get(key, ())
            hints.append(f"--{key.replace('_', '-')}" + (f" ({'|'.join(choices)})" if choices else ""))
        if hints:
            raise UsageError(f"missing required field(s): {', '.join(hints)}")
        return
    asked = questions(fields, config)
    if not asked:
        return
    for question in asked:
        shown = f" ({'/'.join(question.choices)})" if question.choices else ""
        if not question.required and not question.default:
            shown += " (Enter to skip)"
        while True:
            answer = _ask(question.label + shown + (f" [{question.default}]" if question.default else ""))
            answer = answer or question.default
            if not answer and not question.required:
                break
            if question.choices:
                chosen = match_choice(answer, question.choices)
                if chosen is not None:
                    fields[question.key] = chosen
                    break
                typer.echo(f"Please choose one of: {', '.join(question.choices)}", err=True)
            elif answer:
                fields[question.key] = answer
                break
            else:
                typer.echo("A value is required.", err=True)
    # On stderr, as the questions: stdout holds only the new file's path, for $(issuelog new).
    typer.echo("", err=True)
    for key in ("title", "severity", "phase", "category", "component", "status", "assignee",
                "reporter"):
        if fields.get(key):
            typer.echo(f"  {key + ':':<10} {fields[key]}", err=True)
    if _ask("Create this issue? [Y/n]").lower() not in ("", "y", "yes"):
        typer.echo("issuelog: nothing written", err=True)
        raise typer.Exit(EXIT_PROBLEMS)


def _ask(prompt: str) -> str:
    """One answer typed on the terminal; the prompt on stderr (click's prompt puts a space on stdout)."""
    typer.echo(f"{prompt}: ", nl=False, err=True)
    line = sys.stdin.readline()
    if not line:  # end of input (Ctrl-D): stop as Ctrl-C does, nothing written
        typer.echo("", err=True)
        raise KeyboardInterrupt
    return line.strip()


def open_in_editor(path: Path) -> bool:
    """Open a file in $VISUAL, $EDITOR, `editor` or `vi` (as git does) and wait for it to close;
    False if the editor failed."""
    from issuelog.core.edits import editor_command

    editor = editor_command(os.environ)
    if not editor:
        raise UsageError("no editor found: set $VISUAL or $EDITOR (neither `editor` nor `vi` "
                         "is installed)")
    try:
        return subprocess.run([*shlex.split(editor), str(path)], check=False).returncode == 0
    except OSError as error:
        raise UsageError(f"cannot start the editor '{editor}': {error.strerror}") from None


@app.command()
@reports_errors
def new(
    title: Annotated[str | None, typer.Argument(
        metavar="TITLE", help="The issue's title (asked for on a terminal when left out).")] = None,
    severity: Annotated[str | None, typer.Option(
        "--severity", "-s", metavar="SEVERITY", help="Severity.",
        autocompletion=_completer("severity"))] = None,
    phase: Annotated[str | None, typer.Option(
        "--phase", "-p", metavar="PHASE", help="Phase.",
        autocompletion=_completer("phase"))] = None,
    category: Annotated[str | None, typer.Option(
        "--category", "-c", metavar="CATEGORY", help="Category.",
        autocompletion=_completer("category"))] = None,
    component: Annotated[str | None, typer.Option(
        "--component", metavar="COMPONENT", help="Affected component.")] = None,
    status: Annotated[str | None, typer.Option(
        "--status", metavar="STATUS", help="Status (default: open).",
        autocompletion=_completer("status"))] = None,
    assignee: Annotated[str | None, typer.Option(
        "--assignee", "-a", metavar="NAME", help="Who works on it.")] = None,
    reporter: Annotated[str | None, typer.Option(
        "--reporter", metavar="NAME", help="Who found it (default: git config user.name).")] = None,
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", "-t", metavar="TAG", help="A tag (repeatable).")] = None,
    related: Annotated[list[str] | None, typer.Option(
        "--related", "-r", metavar="ID", help="A related issue ID (repeatable).")] = None,
    file: Annotated[list[str] | None, typer.Option(
        "--file", "-f", metavar="PATH", help="An affected file (repeatable).")] = None,
    error: Annotated[str | None, typer.Option(
        "--error", metavar="MESSAGE", help="The error message seen.")] = None,
    error_type: Annotated[str | None, typer.Option(
        "--error-type", metavar="TYPE",
        help="The error's type (default: from a `Type: message` error).")] = None,
    found: Annotated[str | None, typer.Option(
        "--date", metavar="YYYY-MM-DD", help="Date found (default: today).")] = None,
    edit: Annotated[bool, typer.Option("--edit", help="Open the new file in $VISUAL/$EDITOR.")] = False,
    reference: Annotated[bool, typer.Option(
        "--reference", help="A knowledge entry for the Common Issues Reference: closed, no dates, "
        "counted in no figure.")] = False,
    area: Annotated[str, typer.Option(
        "--area", metavar="AREA", help="With --reference: its heading in the reference "
        "(default: the component, else General).")] = "",
    cause: Annotated[str, typer.Option(
        "--cause", metavar="TEXT", help="With --reference: what causes it.")] = "",
    solution: Annotated[str, typer.Option(
        "--solution", metavar="TEXT", help="With --reference: what to do about it.")] = "",
) -> None:
    """Create a new issue file with the next free ID and print its path."""
    from issuelog.core.store import resolve_id, shell_path
    from issuelog.git.gitrepo import user_name as git_user_name
    from issuelog.project.scaffold import create_issue, create_reference, least_severe

    config = load_project()
    if error and not error_type:
        from issuelog.ops.fingerprint import split_error_line

        # As `record` does: `TimeoutError: ...` is of type TimeoutError, for `analyze`.
        error_type = split_error_line(error)[0] or None
    fields: dict[str, Any] = {
        "title": title, "severity": severity, "phase": phase, "category": category,
        "component": component, "status": status, "assignee": assignee,
        "reporter": reporter if reporter is not None else git_user_name(config.root),
        "tags": tag or [], "related": [resolve_id(r, config) for r in related or []],
        "files": file or [], "error_message": error, "error_type": error_type,
        "reported": _parse_date(found, "--date"),
    }
    if (area or cause or solution) and not reference:
        raise UsageError("--area, --cause and --solution need --reference")
    if reference:
        fields["severity"] = fields["severity"] or least_severe(config)
    _ask_missing(fields, config)
    if reference:
        issue_id, path = create_reference(config, fields, area=area, cause=cause, solution=solution)
    else:
        issue_id, path = create_issue(config, fields)
    typer.echo(shell_path(path))  # for `$EDITOR "$(issuelog new ...)"` in any subdirectory
    if edit:
        open_in_editor(path)
        _report_file_problems(path, config)


def _report_file_problems(path: Path, config: Config) -> None:
    from issuelog.core.edits import file_problems
    from issuelog.core.model import key_hints, parse_issue
    from issuelog.core.store import display_path, read_text

    shown = display_path(path, config)
    text, problem = read_text(path, shown)
    problems = [problem] if problem is not None else file_problems(config, path, text or "")
    issue = parse_issue(path, text, shown)[0] if text is not None else None
    for hint in key_hints(issue, shown) if issue is not None else []:
        typer.echo(f"{hint.path}:{hint.line}: warning: {hint.message}", err=True)
    if problems:
        _print_problems(problems, err=True)
        typer.echo(f"issuelog: your edit is kept in {shown}; fix it and run `issuelog check`", err=True)
        raise typer.Exit(EXIT_PROBLEMS)


# --- check and render --------------------------------------------------------------------------

@app.command()
@reports_errors
def check(
    output_format: Annotated[Format, typer.Option(
        "--format", metavar="FORMAT", help="text or json.")] = Format.text,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Unknown keys that look like typos of known fields are problems too.")] = False,
    against: Annotated[str | None, typer.Option(
        "--against", metavar="REF",
        help="Also fail when an issue of this branch takes an ID that REF (the pull request's "
             "base, e.g. origin/main) uses for a different issue.")] = None,
) -> None:
    """Validate every issue file; print each problem as path:line: message."""
    from issuelog.core.cache import load_issues
    from issuelog.core.store import typo_hints

    config = load_project()
    result = load_issues(config, bodies=False)
    hints = typo_hints(result.issues, config)
    problems = sorted(result.problems + hints) if strict else result.problems
    if against is not None:
        from issuelog.git.renumber import base_id_conflicts

        problems = sorted(problems + base_id_conflicts(config, against))
    if not strict:
        # Warnings, on stderr: the exit code and the JSON on stdout stay those of the problems.
        for hint in hints:
            typer.echo(f"{hint.path}:{hint.line}: warning: {hint.message}", err=True)
    if output_format is Format.json:
        from issuelog.log.listing import to_json

        typer.echo(to_json([{"path": p.path, "line": p.line, "message": p.message} for p in problems]))
    else:
        _print_problems(problems)
        files = len({p.path for p in problems})
        warned = f", {len(hints)} warning(s)" if hints and not strict else ""
        if problems:
            typer.echo(f"{len(problems)} problem(s) in {files} file(s){warned}", err=True)
        else:
            typer.echo(f"{len(result.issues)} issue(s) checked, no problems{warned}", err=True)
    if problems:
        raise typer.Exit(EXIT_PROBLEMS)


@app.command()
@reports_errors
def render(
    check_only: Annotated[bool, typer.Option(
        "--check", help="Write nothing; show a diff and exit 1 when the output is stale.")] = False,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="PATH",
        help="Where to write (default: the configured output, ISSUES.md).")] = None,
) -> None:
    """Rebuild ISSUES.md from the issue files and the templates."""
    from issuelog.core.store import check_output_path, display_path
    from issuelog.project.logfile import render_skipped_on, update_log

    config = load_project()
    if output is not None:
        check_output_path(output, config, rendered_log=True)
    if output is None:
        branch = render_skipped_on(config)
        if branch is not None:
            typer.echo(f"issuelog: {config.output} is rendered on {', '.join(config.render_branches)} "
                       f"only (render_branches): skipped on '{branch}'", err=True)
            return
    update = update_log(config, output=output, write=not check_only)
    if update.text is None:
        _refuse_with_problems(update.problems, "not rendering")
    shown = display_path(update.target.resolve(), config)
    counted = _issue_count(update.issue_count, update.reference_only)
    if update.current:
        typer.echo(f"{shown} is up to date" + ("" if check_only else f" ({counted})"), err=True)
        return
    if check_only:
        from issuelog.log.formatting import unified_diff

        current = update.target.read_bytes() if update.target.is_file() else b""
        old = current.replace(b"\r\n", b"\n").decode("utf-8", "replace")
        typer.echo(unified_diff(old, update.text or "", shown), nl=False)
        typer.echo(f"issuelog: {shown} is stale: run `issuelog render`", err=True)
        raise typer.Exit(EXIT_PROBLEMS)
    typer.echo(f"wrote {shown} ({counted})", err=True)


def _issue_count(issues: int, references: int) -> str:
    """`10 issues`, as the log's Total counts them, and the reference-only entries apart."""
    text = f"{issues} issue{'' if issues == 1 else 's'}"
    if references:
        text += f", {references} reference-only entr{'y' if references == 1 else 'ies'}"
    return text


# --- collaboration: IDs across branches, merges, hooks, PR summaries ----------------------------

@app.command()
@reports_errors
def renumber(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan, change nothing.")] = False,
    against: Annotated[str | None, typer.Option(
        "--against", metavar="REF",
        help="Before merging REF (e.g. origin/main): renumber this branch's issues whose IDs REF "
             "uses for different issues.")] = None,
) -> None:
    """Give issues that share an ID new IDs; the one on the default branch keeps it. Print every change."""
    from issuelog.core.store import display_path
    from issuelog.git.renumber import renumber as renumber_issues

    config = load_project()
    plan = renumber_issues(config, dry_run=dry_run, against=against)
    if plan.empty and not plan.unclear:
        typer.echo(f"no ID that {against} uses for another issue: nothing to renumber" if against
                   else "no duplicate IDs: nothing to renumber", err=True)
        return
    would = "would " if dry_run else ""
    for rename in plan.renames:
        typer.echo(f"{would}rename {display_path(rename.old_path, config)} -> "
                   f"{display_path(rename.new_path, config)} ({rename.old_id} -> {rename.new_id}; "
                   f"{display_path(rename.kept_by, config)} keeps {rename.old_id})")
    for update in plan.references:
        typer.echo(f"{would}update {display_path(plan.final_path(update.path), config)}: related "
                   f"{update.old_id} -> {update.new_id}")
    for unclear in plan.unclear:
        shown = display_path(plan.final_path(unclear.path), config)
        typer.echo(f"left {shown}: related {unclear.issue_id} may mean either issue; check it by hand")
    if not dry_run and not plan.empty:
        typer.echo("issuelog: now run `issuelog render` and commit the renamed files "
                   "(git add -A " f"{config.issues_dir})", err=True)


@app.command("install-hooks")
@reports_errors
def install_hooks() -> None:
    """Set up git so that merges and rebases never leave a conflict in ISSUES.md."""
    from issuelog.git.hooks import install_hooks as install

    config = load_project()
    for step in install(config):
        typer.echo(f"{'done ' if step.done else 'kept '} {step.message}")


@app.command("git-hook", hidden=True)
@reports_errors
def git_hook(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The git hook being run.")],
    arguments: Annotated[list[str] | None, typer.Argument(
        metavar="ARGS...", help="The hook's arguments.")] = None,
) -> None:
    """Run by the hooks `install-hooks` installs: keep ISSUES.md current in merges and rebases."""
    from issuelog.git.hooks import run_hook

    result = run_hook(name, arguments or [], load_project())
    if result.message:
        typer.echo(result.message, err=True)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


@app.command()
@reports_errors
def diff(
    rev: Annotated[str | None, typer.Argument(
        metavar="REV",
        help="Compare with this revision (default: the merge base with the default branch).")] = None,
    head: Annotated[str | None, typer.Argument(
        metavar="[HEAD]", help="Compare the issues of this revision (default: the files on disk).")] = None,
    output_format: Annotated[Format, typer.Option(
        "--format", metavar="FORMAT", help="text (Markdown) or json.")] = Format.text,
    link_base: Annotated[str, typer.Option(
        "--link-base", metavar="URL", help="Put before each issue's path in links, e.g. "
        "https://github.com/OWNER/REPO/blob/BRANCH/")] = "",
) -> None:
    """Markdown for a pull request comment: issues opened, resolved, renumbered or changed since REV."""
    from issuelog.git.history import diff_as_data, diff_since
    from issuelog.log.render import render_diff

    config = load_project()
    result = diff_since(config, rev, head)
    if output_format is Format.json:
        from issuelog.log.listing import to_json

        typer.echo(to_json(diff_as_data(result, config, link_base)))
    else:
        typer.echo(render_diff(result.diff, result.base, result.commit, config, link_base), nl=False)


@app.command()
@reports_errors
def ci(
    base: Annotated[str | None, typer.Option(
        "--base", metavar="BRANCH", help="Check as a pull request into BRANCH (default: from the "
        "CI variables; none on a branch where ISSUES.md is rendered).")] = None,
    branch: Annotated[str | None, typer.Option(
        "--branch", metavar="BRANCH", help="The branch being built (default: from the CI "
        "variables, else HEAD).")] = None,
    summary: Annotated[str | None, typer.Option(
        "--summary", metavar="FILE", help="Write the reviewer's summary to FILE (default: "
        "$GITHUB_STEP_SUMMARY, else standard output).")] = None,
    link_base: Annotated[str | None, typer.Option(
        "--link-base", metavar="URL", help="Put before each issue's path in the summary's links "
        "(default: the commit's page on GitHub or GitLab).")] = None,
) -> None:
    """One CI step: check a pull request (IDs, ISSUES.md, summary) or render ISSUES.md on main."""
    from issuelog.git.ci import detect_context, run_ci, write_summary
    from issuelog.git.gitrepo import current_branch, work_tree_root

    config = load_project()
    context = detect_context(os.environ, base=base, branch=branch, summary=summary,
                             link_base=link_base)
    if context.branch is None:  # plain CI, or a service that did not say: ask git
        context = dataclasses.replace(context, branch=current_branch(work_tree_root(config.root)))
    report = run_ci(config, context)
    for line in report.log:
        typer.echo(f"issuelog ci: {line}", err=True)
    github = os.environ.get("GITHUB_ACTIONS") == "true"
    for problem in report.problems:
        typer.echo(str(problem))
        if github:  # an annotation on the pull request's files
            typer.echo(f"::error file={problem.path},line={problem.line}::{problem.message}")
    for fix in report.fixes:
        typer.echo(f"fix: {fix}")
    if report.summary is not None:
        if context.summary_path is None:
            typer.echo(report.summary, nl=False)
        else:
            write_summary(context, report.summary)
            typer.echo(f"issuelog ci: summary written to {context.summary_path}", err=True)
    if not report.ok:
        typer.echo(f"issuelog ci: failed: {len(report.problems)} problem(s)", err=True)
        raise typer.Exit(EXIT_PROBLEMS)
    typer.echo("issuelog ci: ok", err=True)


# --- daily use: list, show, status changes, set, edit --------------------------------------------

# typer's own completion, for shells and scripts that issuelog.entry leaves to it (PowerShell,
# bash scripts installed before 0.2.0): the same answers, from issuelog.cli.completion.

def _complete_ids(incomplete: str) -> list[str]:
    """Issue IDs for tab completion (from the file names: no file is parsed)."""
    from issuelog.cli.completion import issue_ids

    try:
        return issue_ids(load_project(), incomplete)
    except (IssuelogError, OSError):
        return []


def _completer(key: str) -> Callable[[str], list[str]]:
    """Tab completion of a field's configured values (severity, status, phase, category)."""

    def complete(incomplete: str) -> list[str]:
        from issuelog.cli.completion import read_cache, values_of

        try:
            config = load_project()
        except (IssuelogError, OSError):
            return []
        return values_of(key, incomplete, config, read_cache(config) or {})

    return complete


def _complete_assignments(incomplete: str) -> list[str]:
    """Tab completion of `key=value` for `set`: field names, then the values the key takes."""
    return _completer("assignment")(incomplete)


def stdout_is_terminal() -> bool:
    """Whether list output goes to a person (a rich table) rather than a pipe (plain columns)."""
    return sys.stdout.isatty()


class ListFormat(str, Enum):
    """Output formats of `list`."""

    table = "table"
    json = "json"
    csv = "csv"


IdArgument = Annotated[str, typer.Argument(metavar="ID", help="ISSUE-007, 7 or 007.",
                                           autocompletion=_complete_ids)]
ResolutionOption = Annotated[str | None, typer.Option(
    "--resolution", metavar="TEXT", help="Text for the Resolution section (replaces it).")]
DateOption = Annotated[str | None, typer.Option(
    "--date", metavar="YYYY-MM-DD",
    help="Day it was closed (default: the date already there, else today).")]


@app.command("list")
@reports_errors
def list_issues(
    status: Annotated[list[str] | None, typer.Option(
        "--status", metavar="STATUS", help="Only this status (repeatable); shows closed ones too.",
        autocompletion=_completer("status"))] = None,
    severity: Annotated[list[str] | None, typer.Option(
        "--severity", "-s", metavar="SEVERITY", help="Only this severity (repeatable).",
        autocompletion=_completer("severity"))] = None,
    phase: Annotated[list[str] | None, typer.Option(
        "--phase", "-p", metavar="PHASE", help="Only this phase (repeatable).",
        autocompletion=_completer("phase"))] = None,
    category: Annotated[list[str] | None, typer.Option(
        "--category", "-c", metavar="CATEGORY", help="Only this category (repeatable).",
        autocompletion=_completer("category"))] = None,
    component: Annotated[list[str] | None, typer.Option(
        "--component", metavar="COMPONENT", help="Only this component (repeatable).")] = None,
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", "-t", metavar="TAG", help="Only issues with this tag (repeatable).")] = None,
    assignee: Annotated[list[str] | None, typer.Option(
        "--assignee", "-a", metavar="NAME",
        help="Only issues assigned to NAME (repeatable).")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Closed issues too.")] = False,
    grep: Annotated[str | None, typer.Option(
        "--grep", metavar="TEXT",
        help="Only issues whose title or body contains TEXT (any case).")] = None,
    sort: Annotated[str | None, typer.Option(
        "--sort", metavar="FIELD",
        help="Sort by FIELD, '-FIELD' in reverse (default: -severity, most severe first).")] = None,
    output_format: Annotated[ListFormat, typer.Option(
        "--format", metavar="FORMAT", help="table, json or csv.")] = ListFormat.table,
    database: DatabaseOption = None,
    repo: RepoOption = None,
) -> None:
    """List issues: the open ones by default, most severe first."""
    from issuelog.log.formatting import plain_table
    from issuelog.log.listing import (
        TABLE_COLUMNS,
        Filters,
        check_filters,
        issue_record,
        select_issues,
        sort_issues,
        table_rows,
        to_csv,
        to_json,
    )

    config = project_config(database)
    filters = Filters(
        status=tuple(status or ()), severity=tuple(severity or ()), phase=tuple(phase or ()),
        category=tuple(category or ()), component=tuple(component or ()), tag=tuple(tag or ()),
        assignee=tuple(assignee or ()), include_closed=show_all, grep=grep,
    )
    check_filters(filters, config)
    # Only --grep looks into the bodies: reading ten thousand of them costs more than the rest.
    result = issues_from(config, database, repo, bodies=bool(grep))
    issues = sort_issues(select_issues(result.issues, config, filters), config, sort)
    if result.problems:
        typer.echo(f"issuelog: {len(result.problems)} problem(s) in the issue files; "
                   "see `issuelog check`", err=True)
    if output_format is ListFormat.json:
        typer.echo(to_json([issue_record(issue, config) for issue in issues]))
    elif output_format is ListFormat.csv:
        typer.echo(to_csv(issues, config), nl=False)
    elif not issues:
        typer.echo("no matching issues", err=True)
    elif stdout_is_terminal():
        _print_rich_table(issues, config)
    else:
        headers = [name.upper() for name in TABLE_COLUMNS]
        typer.echo(plain_table(headers, table_rows(issues)), nl=False)


def _print_rich_table(issues: list[Any], config: Config) -> None:
    """The terminal view: a table with each severity's emoji (rich honours NO_COLOR)."""
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table

    from issuelog.log.listing import TABLE_COLUMNS, fit_column_widths, table_rows

    rows = [dict(zip(TABLE_COLUMNS, row, strict=True)) for row in table_rows(issues)]
    # A column that is empty for every issue shown only takes room from the titles.
    columns = [name for name in TABLE_COLUMNS if name == "title" or any(row[name] for row in rows)]
    for cells in rows:
        severity = config.severity(cells["severity"])
        if severity is not None and severity.emoji:
            cells["severity"] = f"{severity.emoji} {cells['severity']}"
    console = Console(highlight=False)
    natural = {name: max(cell_len(text) for text in [name, *(cells[name] for cells in rows)])
               for name in columns}
    # One line per issue: the free-text columns are cut with an ellipsis to fit the terminal.
    widths = fit_column_widths(natural, console.width)
    table = Table(box=None, header_style="bold underline", pad_edge=False, collapse_padding=True)
    shown = [name for name in columns if name in widths]
    for name in shown:
        table.add_column(name.title(), width=widths[name], no_wrap=True, overflow="ellipsis")
    for cells in rows:
        table.add_row(*(cells[name] for name in shown))
    console.print(table)


@app.command()
@reports_errors
def show(
    issue_id: IdArgument,
    output_format: Annotated[Format, typer.Option(
        "--format", metavar="FORMAT", help="text (the file) or json.")] = Format.text,
) -> None:
    """Print one issue: the file as it is, or with --format json its fields, path and body."""
    from issuelog.core.store import display_path, find_issue_file, load_issue, read_text
    from issuelog.log.listing import issue_record, to_json

    config = load_project()
    path = find_issue_file(config, issue_id)
    if output_format is Format.json:
        _, issue = load_issue(config, path)
        typer.echo(to_json({**issue_record(issue, config), "age_days": _age(issue),
                            "body": issue.body}))
        return
    text, problem = read_text(path, display_path(path, config), config.root)
    if problem is not None or text is None:
        raise IssueFileError(str(problem))
    typer.echo(text.removeprefix("\ufeff"), nl=not text.endswith("\n"))
    if stdout_is_terminal():  # a reader's note; a pipe gets the file exactly as it is
        _, issue = load_issue(config, path)
        days = _age(issue)
        if days is not None:
            how = "was open" if issue.resolved is not None else "open for"
            typer.echo(f"{issue.id} {how} {days} day{'' if days == 1 else 's'}", err=True)


def _age(issue: Any) -> int | None:
    """Days an issue has been (or was) open, counted to today (`stats.days_open`)."""
    from issuelog.core.frontmatter_edit import today
    from issuelog.log.stats import days_open

    return days_open(issue, today())


def _print_edit(edit: Any, config: Config) -> None:
    """One line per changed key (`ISSUE-007 status: open -> resolved`), or say nothing changed."""
    from issuelog.core.store import display_path

    shown = display_path(edit.path, config)
    if edit.unchanged:
        typer.echo(f"{edit.issue_id} unchanged ({shown} already says so)", err=True)
        return
    for key, (before, after) in edit.changed.items():
        typer.echo(f"{edit.issue_id} {key}: {_shown_value(before)} -> {_shown_value(after)}")
    if edit.resolution_changed:
        typer.echo(f"{edit.issue_id} Resolution section updated")


def _shown_value(value: Any) -> str:
    if value in (None, "", []):
        return "(empty)"
    if isinstance(value, bool):
        return "true" if value else "false"  # as YAML writes it
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(str(item) for item in value) + "]"
    return str(value)


@app.command()
@reports_errors
def status(
    issue_id: IdArgument,
    new_status: Annotated[str, typer.Argument(metavar="STATUS", help="The new status.",
                                              autocompletion=_completer("status"))],
    resolution: ResolutionOption = None,
    closed_on: DateOption = None,
) -> None:
    """Change an issue's status; a closed status sets `resolved`, an open one empties it."""
    from issuelog.core.edits import change_status

    config = load_project()
    edit = change_status(config, issue_id, new_status, resolution=resolution,
                         on=_parse_date(closed_on, "--date"))
    _print_edit(edit, config)


@app.command()
@reports_errors
def resolve(
    issue_id: IdArgument, resolution: ResolutionOption = None, closed_on: DateOption = None
) -> None:
    """Mark an issue resolved (sets `resolved`); --resolution fills its Resolution section."""
    from issuelog.core.edits import change_status, resolved_status

    config = load_project()
    edit = change_status(config, issue_id, resolved_status(config), resolution=resolution,
                         on=_parse_date(closed_on, "--date"))
    _print_edit(edit, config)


@app.command()
@reports_errors
def reopen(issue_id: IdArgument) -> None:
    """Reopen a closed issue: status back to open, `resolved` emptied."""
    from issuelog.core.edits import change_status, reopened_status

    config = load_project()
    _print_edit(change_status(config, issue_id, reopened_status(config)), config)


@app.command()
@reports_errors
def assign(
    issue_id: IdArgument,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Who works on it ('' to unassign).")],
) -> None:
    """Set who works on an issue."""
    from issuelog.core.edits import update_issue
    from issuelog.core.frontmatter_edit import EMPTY

    config = load_project()
    _print_edit(update_issue(config, issue_id, {"assignee": name.strip() or EMPTY}), config)


@app.command("set")
@reports_errors
def set_fields(
    issue_id: IdArgument,
    assignments: Annotated[list[str], typer.Argument(
        metavar="KEY=VALUE...", help="Values in YAML: severity=high, tags=a,b (a list), "
        "occurrences=3; an empty value empties the key.", autocompletion=_complete_assignments)],
) -> None:
    """Set frontmatter keys of an issue; every other byte of the file stays as it is."""
    from issuelog.core.edits import parse_assignments, update_issue
    from issuelog.core.model import misspelt_field

    config = load_project()
    changes = parse_assignments(assignments)
    _print_edit(update_issue(config, issue_id, changes), config)
    for key in changes:
        field_name = misspelt_field(key)
        if field_name is not None:
            typer.echo(f"issuelog: warning: '{key}' is not a known field (kept as your own data): "
                       f"did you mean '{field_name}'?", err=True)


@app.command()
@reports_errors
def edit(issue_id: IdArgument) -> None:
    """Open an issue in $VISUAL, $EDITOR, `editor` or `vi`, then check it; an invalid edit is kept
    and explained."""
    from issuelog.core.edits import edit_with_editor
    from issuelog.core.store import display_path

    config = load_project()
    result = edit_with_editor(config, issue_id, open_in_editor)
    if result.outcome == "merged":
        typer.echo(f"issuelog: {display_path(result.path, config)} changed while you edited it; "
                   "both changes were kept", err=True)
    _report_file_problems(result.path, config)


# --- views: export ----------------------------------------------------------------------------

class ExportFormat(str, Enum):
    """Formats of `issuelog export`."""

    json = "json"
    csv = "csv"
    html = "html"


@app.command()
@reports_errors
def export(
    output_format: Annotated[ExportFormat, typer.Option(
        "--format", metavar="FORMAT", help="json (every field and body section), csv (one row per issue) "
        "or html (one self-contained page).")],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="PATH",
        help="Write to PATH instead of standard output.")] = None,
) -> None:
    """Export every issue as JSON, CSV or a browsable HTML page."""
    from issuelog.core.cache import load_issues
    from issuelog.core.store import check_output_path, display_path, write_atomic
    from issuelog.log.export import export as export_issues

    config = load_project()
    if output is not None:
        check_output_path(output, config)
    result = load_issues(config)
    if result.problems:
        _refuse_with_problems(result.problems, "not exporting")
    text = export_issues(result.issues, config, output_format.value)
    if output is None:
        typer.echo(text, nl=False)
        return
    write_atomic(output, text)
    typer.echo(f"wrote {display_path(output.resolve(), config)} "
               f"({len(result.issues)} issues, {output_format.value})", err=True)


# --- import ------------------------------------------------------------------------------------

@app.command("import")
@reports_errors
def import_log(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="The hand-kept Markdown log to import.")],
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show what would be created and write nothing.")] = False,
    default_severity: Annotated[str | None, typer.Option(
        "--default-severity", metavar="SEVERITY",
        help="Severity of entries that give none (default: medium).")] = None,
    default_status: Annotated[str | None, typer.Option(
        "--default-status", metavar="STATUS", help="Status of entries that give none and have no solution "
        "(default: the configured default_status).")] = None,
    output_format: Annotated[Format, typer.Option(
        "--format", metavar="FORMAT", help="text or json: the drafts (with --dry-run) or the files created.")
    ] = Format.text,
    old_log: Annotated[OldLog, typer.Option(
        "--old-log", metavar="ACTION", help="After the import: keep the log untouched, delete "
        "it, or replace it with a link to the issue files and the master log. One of: keep, "
        "delete, link.")] = OldLog.keep,
) -> None:
    """Create one issue file per entry of a hand-kept log (ERRORS.md, ISSUES.md, ...)."""
    from issuelog.core.store import display_path
    from issuelog.importer import (
        import_drafts,
        plan_import,
        refusals,
        retire_log,
        upgrade_reference_entries,
    )

    config = load_project()
    plan = plan_import(path, config, default_severity=default_severity,
                       default_status=default_status)
    shown = display_path(path.resolve(), config)
    for notice in sorted(plan.warnings + plan.unreadable, key=lambda n: n.line):
        typer.echo(f"{shown}:{notice.line}: {notice.message}", err=True)
    upgrades = {issue_id for _, issue_id in plan.upgrades}
    for draft, issue_id in plan.skipped:
        upgrade = (" (was imported before reference entries: made one, its import-day dates "
                   "emptied)" if issue_id in upgrades else "")
        if upgrade and dry_run:
            upgrade = " (would be made a reference entry, its import-day dates emptied)"
        typer.echo(f"{shown}:{draft.line}: already imported as {issue_id}; skipped{upgrade}",
                   err=True)
    if dry_run:
        if output_format is Format.json:
            from issuelog.log.listing import to_json

            typer.echo(to_json([_draft_json(draft) for draft in plan.drafts]))
        else:
            _print_draft_table(plan.drafts)
        typer.echo(f"would create {len(plan.drafts)} issue(s) from {shown}; "
                   f"{len(plan.unreadable)} unreadable heading(s)", err=True)
        refused = refusals(plan, config)  # the same check the import makes before writing
        if refused:
            raise UsageError("nothing would be imported:\n" + "\n".join(refused))
        return
    retire_log(path, plan, config, old_log.value, check_only=True)  # refuse before writing
    created = import_drafts(plan, config)
    for issue_id in plan.relinked:
        typer.echo(f"{shown}: linked {issue_id} to the entries its log names (an earlier import "
                   "was interrupted before linking)", err=True)
    upgraded = upgrade_reference_entries(plan, config)
    if output_format is Format.json:
        from issuelog.log.listing import to_json

        typer.echo(to_json([{**_draft_json(draft), "id": issue_id, "path": display_path(created_path, config)}
                            for draft, issue_id, created_path in created]))
    else:
        for draft, _, created_path in created:
            typer.echo(f"{display_path(created_path, config)}  (line {draft.line})")
    made_reference = f"; {len(upgraded)} earlier one(s) made reference entries" if upgraded else ""
    typer.echo(f"imported {len(created)} issue(s) from {shown}; "
               f"{len(plan.unreadable)} unreadable heading(s){made_reference}", err=True)
    if old_log is not OldLog.keep:
        typer.echo(retire_log(path, plan, config, old_log.value), err=True)


def _draft_json(draft: Any) -> dict[str, Any]:
    from issuelog.log.formatting import format_value

    return {
        "line": draft.line, "id": draft.planned_id, "title": draft.title,
        "legacy_id": draft.legacy_id or None,
        **{key: (format_value(draft.value(key)) if draft.value(key) is not None else None)
           for key in ("severity", "status", "phase", "category", "reported", "resolved")},
        "reference_only": bool(draft.extra.get("reference_only")),
        **{key: draft.value(key) or None for key in ("component", "files", "tags")},
        # Everything else the file will hold: legacy_* keys, unknown-date flags, the body.
        "kept": {key: format_value(value) if not isinstance(value, (dict, list, bool)) else value
                 for key, value in draft.extra.items()
                 if key not in ("imported_from", "reference_only", "legacy_id")},
        "sections": [line[3:] for line in draft.body.splitlines() if line.startswith("## ")],
        "body": draft.body,
    }


def _print_draft_table(drafts: list[Any]) -> None:
    rows = [["LINE", "ID", "LEGACY", "SEVERITY", "STATUS", "PHASE", "REPORTED", "TITLE"]]
    for draft in drafts:
        data = _draft_json(draft)
        rows.append([str(draft.line), draft.planned_id, draft.legacy_id,
                     *(data[key] or "" for key in ("severity", "status", "phase", "reported")),
                     draft.title])
    from issuelog.log.formatting import plain_table

    typer.echo(plain_table(rows[0], rows[1:]), nl=False)


# --- recording and analysing errors -------------------------------------------------------------

if TYPE_CHECKING:  # for annotations only: the commands import the core lazily
    from issuelog.ops.record import RecordResult


def _print_result(result: RecordResult, config: Config, prefix: str = "") -> None:
    """One line per recorded event: what happened and to which issue."""
    from issuelog.core.store import display_path

    shown = display_path(result.path, config)
    if result.action == "created":
        typer.echo(f"{prefix}created {result.issue_id} ({shown})")
    elif result.action == "reopened":
        typer.echo(f"{prefix}reopened {result.issue_id} as a regression "
                   f"(occurrence {result.occurrences}, {shown})")
    else:
        typer.echo(f"{prefix}counted occurrence {result.occurrences} of {result.issue_id} "
                   f"({shown})")


@app.command()
@reports_errors
def record(
    error: Annotated[str | None, typer.Option(
        "--error", metavar="MESSAGE", help="The error message.")] = None,
    title: Annotated[str | None, typer.Option(
        "--title", metavar="TITLE",
        help="Title of a new issue (default: type, component and message).")] = None,
    error_type: Annotated[str | None, typer.Option(
        "--error-type", metavar="TYPE",
        help="The error's type (default: read from 'Type: message').")] = None,
    component: Annotated[str | None, typer.Option(
        "--component", metavar="COMPONENT", help="Where it happened.")] = None,
    severity: Annotated[str | None, typer.Option(
        "--severity", "-s", metavar="SEVERITY", help="Severity of a new issue (default: medium).")] = None,
    category: Annotated[str | None, typer.Option(
        "--category", "-c", metavar="CATEGORY", help="Category of a new issue.")] = None,
    phase: Annotated[str | None, typer.Option(
        "--phase", "-p", metavar="PHASE", help="Phase of a new issue.")] = None,
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", "-t", metavar="TAG", help="A tag (repeatable).")] = None,
    fix: Annotated[list[str] | None, typer.Option(
        "--fix", metavar="TEXT", help="A suggested fix (repeatable).")] = None,
    change: Annotated[list[str] | None, typer.Option(
        "--change", metavar="TEXT", help="A system change needed (repeatable).")] = None,
    stack_trace: Annotated[str | None, typer.Option(
        "--stack-trace", metavar="PATH",
        help="Read a stack trace from PATH ('-': standard input).")] = None,
    context: Annotated[str | None, typer.Option(
        "--context", metavar="JSON",
        help='Context as a JSON object, e.g. \'{"host": "web-1"}\'.')] = None,
    seen: Annotated[str | None, typer.Option(
        "--date", metavar="YYYY-MM-DD", help="When it happened (default: today).")] = None,
    from_file: Annotated[str | None, typer.Option(
        "--from", metavar="PATH",
        help="Record one event per JSON line of PATH, a .jsonl file ('-': standard input).")] = None,
    refingerprint_all: Annotated[bool, typer.Option(
        "--refingerprint",
        help="Recompute fingerprints made with older rules, then stop.")] = False,
    suggest: Annotated[bool, typer.Option(
        "--suggest/--no-suggest",
        help="Print the best known fix of the same issue, if one is written (on stderr).")] = True,
) -> None:
    """Record an error: count it on its issue, reopen it as a regression, or create an issue."""
    from issuelog.ops.record import (
        ErrorEvent,
        parse_context,
        read_stack_trace,
        record_event,
        refingerprint,
        shared_fingerprints,
    )

    event_options = {"--error": error, "--title": title, "--error-type": error_type,
                     "--component": component, "--severity": severity, "--category": category,
                     "--phase": phase,
                     "--tag": tag, "--fix": fix, "--change": change, "--stack-trace": stack_trace,
                     "--context": context, "--date": seen}
    given = [name for name, value in event_options.items() if value]
    for mode, active in (("--refingerprint", refingerprint_all), ("--from", from_file is not None)):
        if active and given:
            raise UsageError(f"{mode} cannot be combined with {', '.join(given)}")
    if refingerprint_all and from_file is not None:
        raise UsageError("--refingerprint cannot be combined with --from")
    config = load_project()
    if refingerprint_all:
        for item in refingerprint(config):
            typer.echo(f"{item.issue_id}: {item.old} (v{item.old_version}) -> {item.new}")
        for ids in shared_fingerprints(config):
            typer.echo(f"issuelog: {', '.join(ids)} share a fingerprint: merge them or mark "
                       "duplicates; new occurrences go to the first open one", err=True)
        return
    if from_file is not None:
        _record_from(config, from_file)
        return
    event = ErrorEvent(
        error=error or "", title=title or "", error_type=error_type or "",
        component=component or "", severity=severity or "", category=category or "",
        phase=phase or "",
        tags=tag or [], fixes=fix or [], changes=change or [],
        stack_trace=read_stack_trace(stack_trace, sys.stdin.buffer) if stack_trace else "",
        context=parse_context(context) if context else {},
        seen=_parse_date(seen, "--date"),
    )
    result = record_event(config, event)
    _print_result(result, config)
    if suggest:
        from issuelog.cli.search import print_known_fix

        print_known_fix(config, event, result)


def _record_from(config: Config, source: str) -> None:
    """`record --from`: every line recorded on its own; bad lines reported, exit 1 if any."""
    from issuelog.core.model import Problem
    from issuelog.ops.record import json_lines, record_lines

    if source == "-":
        lines, shown = json_lines(sys.stdin.read()), "<stdin>"
    else:
        try:
            lines = json_lines(Path(source).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise UsageError(f"{source}: cannot read: {reason}") from None
        shown = source
    on_terminal = sys.stdout.isatty()
    actions = {"created": 0, "counted": 0, "reopened": 0}
    problems: list[Problem] = []
    events = sum(1 for line in lines if line.strip())
    with typer.progressbar(record_lines(config, lines, shown), length=events,
                           label="recording", hidden=not on_terminal) as progress:
        for number, outcome in progress:
            if isinstance(outcome, Problem):
                problems.append(outcome)
                continue
            actions[outcome.action] += 1
            if not on_terminal:
                _print_result(outcome, config, prefix=f"{shown}:{number}: ")
    _print_problems(problems, err=True)
    typer.echo(f"recorded {sum(actions.values())} event(s): {actions['created']} created, "
               f"{actions['counted']} counted, {actions['reopened']} reopened; "
               f"{len(problems)} bad line(s)", err=True)
    if problems:
        raise typer.Exit(EXIT_PROBLEMS)


@app.command()
@reports_errors
def analyze(
    days: Annotated[int, typer.Option(
        "--days", metavar="DAYS", min=1, max=3660, help="Days of the trend (1 to 3660).")] = 7,
    output_format: Annotated[Format, typer.Option(
        "--format", metavar="FORMAT", help="text or json.")] = Format.text,
    today: Annotated[str | None, typer.Option(
        "--today", metavar="YYYY-MM-DD",
        help="Last day of the trend (default: the newest date in the data).")] = None,
    database: DatabaseOption = None,
    repo: RepoOption = None,
) -> None:
    """Statistics, most common errors and components, trend, time to resolve, suggestions."""
    from issuelog.integrations.rows import recurring_data, recurring_errors, recurring_text
    from issuelog.log.stats import analyze as analyze_issues
    from issuelog.ops.analysis import analysis_data, analysis_text

    config = project_config(database)
    result = issues_from(config, database, repo, bodies=False)
    if result.problems:
        _refuse_with_problems(result.problems, "not analysing")
    analysis = analyze_issues(result.issues, config, days, _parse_date(today, "--today"))
    # Across repositories: the errors that recur in several of them, by fingerprint.
    recurring = recurring_errors(result.issues, config) if database is not None else None
    if output_format is Format.json:
        from issuelog.log.listing import to_json

        data = analysis_data(analysis)
        if recurring is not None:
            data["recurring_across_repositories"] = recurring_data(recurring)
        typer.echo(to_json(data))
    else:
        typer.echo(analysis_text(analysis), nl=False)
        if recurring is not None:
            typer.echo(recurring_text(recurring), nl=False)


@app.command()
@reports_errors
def metrics(
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="PATH",
        help="Write to PATH atomically (for node_exporter's textfile collector).")] = None,
    serve: Annotated[bool, typer.Option(
        "--serve", help="Run an exporter that re-reads the issues at each scrape.")] = False,
    host: Annotated[str, typer.Option(
        "--host", metavar="HOST", help="Address to listen on with --serve.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(
        "--port", metavar="PORT", min=0, max=65535,
        help="Port to listen on with --serve (0: any free port).")] = 9108,
    database: DatabaseOption = None,
    repo: RepoOption = None,
) -> None:
    """Prometheus metrics of the issues: print them, write them, or serve them."""
    from issuelog.core.store import check_output_path, write_atomic
    from issuelog.ops.metrics import metrics_text, serve_metrics

    if serve and output is not None:
        raise UsageError("--output cannot be combined with --serve")
    if serve and database is not None:
        raise UsageError("--database cannot be combined with --serve")
    config = project_config(database)
    if output is not None:
        check_output_path(output, config)
    if serve:
        try:
            server, thread = serve_metrics(config, host, port)
        except OSError as error:
            raise UsageError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
        typer.echo(f"serving metrics on http://{host}:{server.server_port}/metrics "
                   "(Ctrl-C to stop)", err=True)
        try:
            thread.join()
        finally:
            server.shutdown()
        return
    result = issues_from(config, database, repo, bodies=False)
    if result.problems:
        _refuse_with_problems(result.problems, "no metrics written")
    text = metrics_text(result.issues, config)
    if output is None:
        typer.echo(text, nl=False)
        return
    write_atomic(output, text)
    typer.echo(f"wrote {output}", err=True)


#: The value each metavariable stands for, for Tab completion (`issuelog.cli.completion`).
_COMPLETED_METAVARS = {
    "ID": "id", "SEVERITY": "severity", "STATUS": "status", "PHASE": "phase",
    "CATEGORY": "category", "COMPONENT": "component", "NAME": "assignee", "TAG": "tags",
    "KEY=VALUE": "assignment", "PATH": "path", "FILE": "path",
}


def completion_table() -> dict[str, Any]:
    """Every command with its options and arguments and what their values are, for the cache."""

    def kind(param: Any) -> Any:
        if getattr(param, "is_flag", False):
            return "flag"
        choices = getattr(param.type, "choices", None)
        if choices:
            return [str(getattr(choice, "value", choice)) for choice in choices]
        return _COMPLETED_METAVARS.get(str(param.metavar or "").rstrip("."), "text")

    def describe(command: Any) -> dict[str, Any]:
        options = {name: kind(param) for param in command.params
                   if param.param_type_name == "option"
                   for name in [*param.opts, *param.secondary_opts]}
        options["--help"] = "flag"
        arguments = [param for param in command.params if param.param_type_name == "argument"]
        return {"options": options, "arguments": [kind(param) for param in arguments],
                "variadic": bool(arguments) and arguments[-1].nargs == -1,
                "hidden": bool(command.hidden)}

    group: Any = typer.main.get_command(app)
    context = group.make_context("issuelog", [], resilient_parsing=True)
    table = {name: describe(group.get_command(context, name)) for name in group.list_commands(context)}
    return {"": describe(group), **table}


# --- help as git writes it ----------------------------------------------------------------------

#: Examples of each command (one a line), shown at the end of its --help.
EXAMPLES = {
    "init": "issuelog init --templates",
    "new": 'issuelog new "Login fails on Safari" -s high --component auth\n'
           'issuelog new                     # on a terminal: asks for each field\n'
           'issuelog new "Port 5432 refused" --reference --area Database --solution "make up"',
    "check": "issuelog check --strict\nissuelog check --against origin/main",
    "ci": "issuelog ci                       # in GitHub Actions or GitLab CI: reads their variables\n"
          "issuelog ci --base origin/main --summary summary.md",
    "render": "issuelog render --check",
    "renumber": "issuelog renumber --dry-run\nissuelog renumber --against origin/main",
    "install-hooks": "issuelog install-hooks",
    "git-hook": "issuelog git-hook post-merge",
    "diff": "issuelog diff origin/main --format json\nissuelog diff v1.0 v1.1",
    "list": "issuelog list -s critical -s high --sort -reported",
    "show": "issuelog show 7 --format json",
    "status": "issuelog status 7 in_progress",
    "resolve": 'issuelog resolve 7 --resolution "Retry with backoff."',
    "reopen": "issuelog reopen 7",
    "assign": 'issuelog assign 7 "Ada Lovelace"',
    "set": "issuelog set 7 severity=high tags=db,timeout",
    "edit": "issuelog edit 7",
    "export": "issuelog export --format html -o issues.html",
    "import": "issuelog import ERRORS.md --dry-run",
    "record": 'issuelog record --error "TimeoutError: db did not answer" --component db',
    "analyze": "issuelog analyze --days 30",
    "metrics": "issuelog metrics -o /var/lib/node_exporter/issuelog.prom",
}

#: Options whose values come from the configuration: their help lists the allowed ones.
_CONFIGURED_METAVARS = {"SEVERITY": "severity", "STATUS": "status", "PHASE": "phase",
                        "CATEGORY": "category"}


class GitStyleCommand(typer.core.TyperCommand):
    """Help as git writes it: `ID` not `{ID}`, allowed values listed, an example at the end."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """The usage line without typer's braces around required arguments."""
        return [piece[1:-1] if piece.startswith("{") and piece.endswith("}") else piece
                for piece in super().collect_usage_pieces(ctx)]

    def get_short_help_str(self, limit: int = 45) -> str:
        """The whole first line of the description in the command list, never cut with '...'."""
        return (self.short_help or self.help or "").strip().split("\n\n")[0].replace("\n", " ")

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """The help, with the configured values of severity, status, phase and category."""
        allowed = _allowed_values()
        for param in self.params:
            key = _CONFIGURED_METAVARS.get(str(param.metavar))
            if key is None:
                continue
            # Set on each call from the text first given: help shown twice in one process (tests)
            # lists the values once.
            base = getattr(param, "_base_help", None) or getattr(param, "help", None) or ""
            names = allowed.get(key, ())
            param._base_help = base  # type: ignore[attr-defined]
            param.help = f"{base} One of: {', '.join(names)}." if names else base  # type: ignore[attr-defined]
        super().format_help(ctx, formatter)

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        """An Examples section after the options."""
        super().format_epilog(ctx, formatter)
        lines = EXAMPLES.get(self.name or "", "").splitlines()
        if lines:
            formatter.write_paragraph()
            formatter.write_text("Examples:" if len(lines) > 1 else "Example:")
            with formatter.indentation():
                for line in lines:  # as typed: never rewrapped
                    formatter.write(f"{' ' * formatter.current_indent}{line}\n")


def _allowed_values() -> dict[str, tuple[str, ...]]:
    """The configured values of the project here (the defaults outside a project)."""
    try:
        return load_config().allowed_values
    except (IssuelogError, OSError):
        return Config().allowed_values


from issuelog.cli import search as _search_commands  # noqa: E402, F401 - search, similar, mcp

for _info in app.registered_commands:
    _info.cls = GitStyleCommand


def main() -> None:
    """Console entry point: never lets a Python traceback reach the user."""
    try:
        # One name however it is started (`python -m issuelog` too): in usage lines, and in the
        # completion scripts, which call the program and name its variable _ISSUELOG_COMPLETE.
        app(prog_name="issuelog")
    except KeyboardInterrupt:
        typer.echo("issuelog: interrupted", err=True)
        sys.exit(130)
    except IssuelogError as error:
        typer.echo(f"issuelog: {error}", err=True)
        sys.exit(error.exit_code)
    except Exception as error:  # noqa: BLE001 - the last line of defence for users
        typer.echo(f"issuelog: internal error: {type(error).__name__}: {error}", err=True)
        typer.echo("issuelog: please report this with the command you ran", err=True)
        sys.exit(EXIT_INTERNAL)


from issuelog.cli import incidents as _incidents  # noqa: E402,F401  (registers its commands)
from issuelog.cli import publish as _publish  # noqa: E402, F401 (registers `publish`)
