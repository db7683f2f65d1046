"""The `issuelog` command line: parse arguments, call the core, print. Nothing else lives here."""

from __future__ import annotations

import functools
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from issuelog import __version__
from issuelog.config import Config, load_config, working_directory
from issuelog.errors import EXIT_INTERNAL, EXIT_PROBLEMS, IssuelogError, UsageError
from issuelog.model import Problem, parse_issue, validate_issue
from issuelog.store import display_path, load_issues, read_text

app = typer.Typer(
    name="issuelog",
    help="Markdown-native issue log: one file per issue under issues/, a rendered ISSUES.md.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
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


# --- init --------------------------------------------------------------------------------------

@app.command()
@reports_errors
def init(
    templates: Annotated[bool, typer.Option("--templates", help="Also copy the default templates "
                                            "into the project to customise them.")] = False,
) -> None:
    """Set up issuelog here: config, issues/ and an empty ISSUES.md. Never overwrites a file."""
    from issuelog.project_setup import initialise

    for path, created in initialise(working_directory(), copy_templates=templates):
        typer.echo(f"{'created' if created else 'kept   '} {display_path(path, load_config())}")


# --- new ---------------------------------------------------------------------------------------

def stdin_is_terminal() -> bool:
    """Whether a person can answer prompts."""
    return sys.stdin.isatty()


def _ask_missing(fields: dict[str, Any], config: Config) -> None:
    """Ask for missing required fields on a terminal; elsewhere it is a usage error."""
    from issuelog.scaffold import missing_required

    missing = missing_required(fields, config)
    if not missing:
        return
    if not stdin_is_terminal():
        hints = []
        for key in missing:
            choices = _choices(key, config)
            hints.append(f"--{key.replace('_', '-')}" + (f" ({'|'.join(choices)})" if choices else ""))
        raise UsageError(f"missing required field(s): {', '.join(hints)}")
    for key in missing:
        choices = _choices(key, config)
        prompt = key.replace("_", " ").capitalize() + (f" [{'/'.join(choices)}]" if choices else "")
        while True:
            answer = typer.prompt(prompt).strip()
            if answer and (not choices or answer in choices):
                fields[key] = answer
                break
            typer.echo(f"Please choose one of: {', '.join(choices)}" if choices else "A value is required.")


def _choices(key: str, config: Config) -> list[str]:
    if key == "severity":
        return [s.name for s in config.severities]
    if key == "status":
        return [s.name for s in config.statuses]
    if key == "phase":
        return list(config.phases)
    if key == "category":
        return list(config.categories)
    return []


def open_in_editor(path: Path) -> None:
    """Open a file in $VISUAL or $EDITOR and wait for it to close."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise UsageError("set $VISUAL or $EDITOR to edit issues")
    try:
        subprocess.run([*shlex.split(editor), str(path)], check=False)
    except OSError as error:
        raise UsageError(f"cannot start the editor '{editor}': {error.strerror}") from None


@app.command()
@reports_errors
def new(
    title: Annotated[str, typer.Argument(help="The issue's title.")],
    severity: Annotated[str | None, typer.Option("--severity", "-s", help="Severity name.")] = None,
    phase: Annotated[str | None, typer.Option("--phase", "-p", help="Phase name.")] = None,
    category: Annotated[str | None, typer.Option("--category", "-c", help="Category name.")] = None,
    component: Annotated[str | None, typer.Option("--component", help="Affected component.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="Status (default: open).")] = None,
    assignee: Annotated[str | None, typer.Option("--assignee", "-a", help="Who works on it.")] = None,
    reporter: Annotated[str | None, typer.Option(
        "--reporter", help="Who found it (default: git config user.name).")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="A tag (repeatable).")] = None,
    related: Annotated[list[str] | None, typer.Option(
        "--related", "-r", help="A related issue ID (repeatable).")] = None,
    file: Annotated[list[str] | None, typer.Option(
        "--file", "-f", help="An affected file (repeatable).")] = None,
    error: Annotated[str | None, typer.Option("--error", help="The error message seen.")] = None,
    error_type: Annotated[str | None, typer.Option("--error-type", help="The error's type.")] = None,
    found: Annotated[str | None, typer.Option(
        "--date", help="Date found, YYYY-MM-DD (default: today).")] = None,
    edit: Annotated[bool, typer.Option("--edit", help="Open the new file in $VISUAL/$EDITOR.")] = False,
) -> None:
    """Create a new issue file with the next free ID and print its path."""
    from issuelog.scaffold import create_issue, git_user_name
    from issuelog.store import resolve_id

    config = load_config()
    fields: dict[str, Any] = {
        "title": title, "severity": severity, "phase": phase, "category": category,
        "component": component, "status": status, "assignee": assignee,
        "reporter": reporter if reporter is not None else git_user_name(config.root),
        "tags": tag or [], "related": [resolve_id(r, config) for r in related or []],
        "files": file or [], "error_message": error, "error_type": error_type,
        "reported": _parse_date(found, "--date"),
    }
    _ask_missing(fields, config)
    issue_id, path = create_issue(config, fields)
    typer.echo(display_path(path, config))
    if edit:
        open_in_editor(path)
        _report_file_problems(path, config)


def _report_file_problems(path: Path, config: Config) -> None:
    shown = display_path(path, config)
    text, problem = read_text(path, shown)
    problems = [problem] if problem else []
    if text is not None:
        issue, problems = parse_issue(path, text, shown)
        if issue is not None:
            problems += validate_issue(issue, config, shown)
    if problems:
        _print_problems(problems, err=True)
        typer.echo(f"issuelog: your edit is kept in {shown}; fix it and run `issuelog check`", err=True)
        raise typer.Exit(EXIT_PROBLEMS)


# --- check and render --------------------------------------------------------------------------

@app.command()
@reports_errors
def check(
    output_format: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
) -> None:
    """Validate every issue file; print each problem as path:line: message."""
    config = load_config()
    result = load_issues(config)
    if output_format is Format.json:
        typer.echo(json.dumps([{"path": p.path, "line": p.line, "message": p.message}
                               for p in result.problems], indent=2))
    else:
        _print_problems(result.problems)
        files = len({p.path for p in result.problems})
        if result.problems:
            typer.echo(f"{len(result.problems)} problem(s) in {files} file(s)", err=True)
        else:
            typer.echo(f"{len(result.issues)} issue(s) checked, no problems", err=True)
    if result.problems:
        raise typer.Exit(EXIT_PROBLEMS)


@app.command()
@reports_errors
def render(
    check_only: Annotated[bool, typer.Option(
        "--check", help="Write nothing; show a diff and exit 1 when the output is stale.")] = False,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Where to write (default: the configured output, ISSUES.md).")] = None,
) -> None:
    """Rebuild ISSUES.md from the issue files and the templates."""
    from issuelog.render import render_log, unified_diff
    from issuelog.store import check_output_path, write_atomic

    config = load_config()
    if output is not None:
        check_output_path(output, config, rendered_log=True)
    if output is None:
        from issuelog.hooks import render_skipped_on

        branch = render_skipped_on(config)
        if branch is not None:
            typer.echo(f"issuelog: {config.output} is rendered on {', '.join(config.render_branches)} "
                       f"only (render_branches): skipped on '{branch}'", err=True)
            return
    result = load_issues(config)
    if result.problems:
        _print_problems(result.problems, err=True)
        typer.echo(f"issuelog: not rendering: {len(result.problems)} problem(s) in the issue files "
                   "(see `issuelog check`)", err=True)
        raise typer.Exit(EXIT_PROBLEMS)
    text = render_log(result.issues, config)
    target = output if output is not None else config.output_path
    shown = display_path(target.resolve(), config)
    current = target.read_bytes().decode("utf-8", "replace") if target.is_file() else None
    if current is not None:
        current = current.replace("\r\n", "\n")  # a checkout with core.autocrlf is not stale
    if check_only:
        if current == text:
            typer.echo(f"{shown} is up to date", err=True)
            return
        typer.echo(unified_diff(current or "", text, shown), nl=False)
        typer.echo(f"issuelog: {shown} is stale: run `issuelog render`", err=True)
        raise typer.Exit(EXIT_PROBLEMS)
    if current == text:
        typer.echo(f"{shown} is up to date ({len(result.issues)} issues)", err=True)
        return
    write_atomic(target, text)
    typer.echo(f"wrote {shown} ({len(result.issues)} issues)", err=True)


# --- collaboration: IDs across branches, merges, hooks, PR summaries ----------------------------

@app.command()
@reports_errors
def renumber(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan, change nothing.")] = False,
) -> None:
    """Give issues that share an ID (after a merge) the next free IDs; print every change."""
    from issuelog.renumber import renumber as renumber_issues

    config = load_config()
    plan = renumber_issues(config, dry_run=dry_run)
    if plan.empty and not plan.unclear:
        typer.echo("no duplicate IDs: nothing to renumber", err=True)
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
    from issuelog.hooks import install_hooks as install

    config = load_config()
    for step in install(config):
        typer.echo(f"{'done ' if step.done else 'kept '} {step.message}")


@app.command("git-hook", hidden=True)
@reports_errors
def git_hook(
    name: Annotated[str, typer.Argument(help="The git hook being run.")],
    arguments: Annotated[list[str] | None, typer.Argument(help="The hook's arguments.")] = None,
) -> None:
    """Run by the hooks `install-hooks` installs: re-render ISSUES.md after merges and rebases."""
    from issuelog.hooks import run_hook

    message = run_hook(name, arguments or [], load_config())
    if message:
        typer.echo(message, err=True)


@app.command()
@reports_errors
def diff(
    rev: Annotated[str | None, typer.Argument(
        metavar="REV",
        help="Compare with this revision (default: the merge base with the default branch).")] = None,
    output_format: Annotated[Format, typer.Option("--format", help="text (Markdown) or json.")] = Format.text,
    link_base: Annotated[str, typer.Option(
        "--link-base", metavar="URL", help="Put before each issue's path in links, e.g. "
        "https://github.com/OWNER/REPO/blob/BRANCH/")] = "",
) -> None:
    """Markdown for a pull request comment: issues opened, resolved, reopened or changed since REV."""
    from issuelog.history import diff_as_data, diff_since
    from issuelog.render import render_diff

    config = load_config()
    result = diff_since(config, rev)
    if output_format is Format.json:
        typer.echo(json.dumps(diff_as_data(result, config, link_base), indent=2, ensure_ascii=False))
    else:
        typer.echo(render_diff(result.diff, result.base, result.commit, config, link_base), nl=False)


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
        "--format", help="json (every field and body section), csv (one row per issue) "
        "or html (one self-contained page).")],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file instead of standard output.")] = None,
) -> None:
    """Export every issue as JSON, CSV or a browsable HTML page."""
    from issuelog.export import export as export_issues
    from issuelog.store import check_output_path, write_atomic

    config = load_config()
    if output is not None:
        check_output_path(output, config)
    result = load_issues(config)
    if result.problems:
        _print_problems(result.problems, err=True)
        typer.echo(f"issuelog: not exporting: {len(result.problems)} problem(s) in the issue files "
                   "(see `issuelog check`)", err=True)
        raise typer.Exit(EXIT_PROBLEMS)
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
    path: Annotated[Path, typer.Argument(help="The hand-kept Markdown log to import.")],
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show what would be created and write nothing.")] = False,
    default_severity: Annotated[str | None, typer.Option(
        "--default-severity", help="Severity of entries that give none (default: medium).")] = None,
    default_status: Annotated[str | None, typer.Option(
        "--default-status", help="Status of entries that give none and have no solution "
        "(default: the configured default_status).")] = None,
    output_format: Annotated[Format, typer.Option(
        "--format", help="text or json: the drafts (with --dry-run) or the files created.")
    ] = Format.text,
) -> None:
    """Create one issue file per entry of a hand-kept log (ERRORS.md, ISSUES.md, ...)."""
    from issuelog.importer import import_drafts, plan_import

    config = load_config()
    plan = plan_import(path, config, default_severity=default_severity,
                       default_status=default_status)
    shown = display_path(path.resolve(), config)
    for notice in sorted(plan.warnings + plan.unreadable, key=lambda n: n.line):
        typer.echo(f"{shown}:{notice.line}: {notice.message}", err=True)
    for draft, issue_id in plan.skipped:
        typer.echo(f"{shown}:{draft.line}: already imported as {issue_id}; skipped", err=True)
    if dry_run:
        if output_format is Format.json:
            typer.echo(json.dumps([_draft_json(draft) for draft in plan.drafts], indent=2,
                                  ensure_ascii=False))
        else:
            _print_draft_table(plan.drafts)
        typer.echo(f"would create {len(plan.drafts)} issue(s) from {shown}; "
                   f"{len(plan.unreadable)} unreadable heading(s)", err=True)
        return
    created = import_drafts(plan, config)
    if output_format is Format.json:
        typer.echo(json.dumps([{**_draft_json(draft), "id": issue_id,
                                "path": display_path(created_path, config)}
                               for draft, issue_id, created_path in created],
                              indent=2, ensure_ascii=False))
    else:
        for draft, _, created_path in created:
            typer.echo(f"{display_path(created_path, config)}  (line {draft.line})")
    typer.echo(f"imported {len(created)} issue(s) from {shown}; "
               f"{len(plan.unreadable)} unreadable heading(s)", err=True)


def _draft_json(draft: Any) -> dict[str, Any]:
    from issuelog.render import format_value

    return {
        "line": draft.line, "id": draft.planned_id, "title": draft.title,
        "legacy_id": draft.legacy_id or None,
        **{key: (format_value(draft.value(key)) if draft.value(key) is not None else None)
           for key in ("severity", "status", "phase", "category", "reported", "resolved")},
    }


def _print_draft_table(drafts: list[Any]) -> None:
    rows = [["LINE", "ID", "LEGACY", "SEVERITY", "STATUS", "PHASE", "REPORTED", "TITLE"]]
    for draft in drafts:
        data = _draft_json(draft)
        rows.append([str(draft.line), draft.planned_id, draft.legacy_id,
                     *(data[key] or "" for key in ("severity", "status", "phase", "reported")),
                     draft.title])
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        typer.echo("  ".join([*cells, row[-1]]))


# --- recording and analysing errors -------------------------------------------------------------

if TYPE_CHECKING:  # for annotations only: the commands import the core lazily
    from issuelog.record import RecordResult


def _print_result(result: RecordResult, config: Config, prefix: str = "") -> None:
    """One line per recorded event: what happened and to which issue."""
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
    error: Annotated[str | None, typer.Option("--error", help="The error message.")] = None,
    title: Annotated[str | None, typer.Option(
        "--title", help="Title of a new issue (default: type, component and message).")] = None,
    error_type: Annotated[str | None, typer.Option(
        "--error-type", help="The error's type (default: read from 'Type: message').")] = None,
    component: Annotated[str | None, typer.Option("--component", help="Where it happened.")] = None,
    severity: Annotated[str | None, typer.Option(
        "--severity", "-s", help="Severity of a new issue (default: medium).")] = None,
    category: Annotated[str | None, typer.Option(
        "--category", "-c", help="Category name.")] = None,
    phase: Annotated[str | None, typer.Option("--phase", "-p", help="Phase of a new issue.")] = None,
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", "-t", help="A tag (repeatable).")] = None,
    fix: Annotated[list[str] | None, typer.Option(
        "--fix", help="A suggested fix (repeatable).")] = None,
    change: Annotated[list[str] | None, typer.Option(
        "--change", help="A system change needed (repeatable).")] = None,
    stack_trace: Annotated[str | None, typer.Option(
        "--stack-trace", metavar="FILE|-",
        help="Read a stack trace from FILE or standard input.")] = None,
    context: Annotated[str | None, typer.Option(
        "--context", metavar="JSON",
        help='Context as a JSON object, e.g. \'{"host": "web-1"}\'.')] = None,
    seen: Annotated[str | None, typer.Option(
        "--date", help="When it happened, YYYY-MM-DD (default: today).")] = None,
    from_file: Annotated[str | None, typer.Option(
        "--from", metavar="FILE.jsonl",
        help="Record one event per JSON line of FILE ('-': stdin).")] = None,
    refingerprint_all: Annotated[bool, typer.Option(
        "--refingerprint",
        help="Recompute fingerprints made with older rules, then stop.")] = False,
) -> None:
    """Record an error: count it on its issue, reopen it as a regression, or create an issue."""
    from issuelog.record import (
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
    config = load_config()
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
    stdin_text = sys.stdin.read() if stack_trace == "-" else None
    event = ErrorEvent(
        error=error or "", title=title or "", error_type=error_type or "",
        component=component or "", severity=severity or "", category=category or "",
        phase=phase or "",
        tags=tag or [], fixes=fix or [], changes=change or [],
        stack_trace=read_stack_trace(stack_trace, stdin_text) if stack_trace else "",
        context=parse_context(context) if context else {},
        seen=_parse_date(seen, "--date"),
    )
    _print_result(record_event(config, event), config)


def _record_from(config: Config, source: str) -> None:
    """`record --from`: every line recorded on its own; bad lines reported, exit 1 if any."""
    from issuelog.model import Problem
    from issuelog.record import json_lines, record_lines

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
    days: Annotated[int, typer.Option("--days", min=1, max=3660, help="Days of the trend (1 to 3660).")] = 7,
    output_format: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
    today: Annotated[str | None, typer.Option(
        "--today", help="Last day of the trend (default: the newest date in the data).")] = None,
) -> None:
    """Statistics, most common errors and components, trend, time to resolve, suggestions."""
    from issuelog.analysis import analysis_data, analysis_text
    from issuelog.stats import analyze as analyze_issues

    config = load_config()
    result = load_issues(config)
    if result.problems:
        _print_problems(result.problems, err=True)
        raise IssuelogError(f"not analysing: {len(result.problems)} problem(s) in the issue files "
                         "(see `issuelog check`)")
    analysis = analyze_issues(result.issues, config, days, _parse_date(today, "--today"))
    if output_format is Format.json:
        typer.echo(json.dumps(analysis_data(analysis), indent=2, ensure_ascii=False))
    else:
        typer.echo(analysis_text(analysis), nl=False)


@app.command()
@reports_errors
def metrics(
    output: Annotated[Path | None, typer.Option(
        "--output", "-o",
        help="Write to FILE atomically (for node_exporter's textfile collector).")] = None,
    serve: Annotated[bool, typer.Option(
        "--serve", help="Run an exporter that re-reads the issues at each scrape.")] = False,
    host: Annotated[str, typer.Option(
        "--host", help="Address to listen on with --serve.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(
        "--port", min=0, max=65535,
        help="Port to listen on with --serve (0: any free port).")] = 9108,
) -> None:
    """Prometheus metrics of the issues: print them, write them, or serve them."""
    from issuelog.metrics import metrics_text, serve_metrics
    from issuelog.store import check_output_path, write_atomic

    if serve and output is not None:
        raise UsageError("--output cannot be combined with --serve")
    config = load_config()
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
    result = load_issues(config)
    if result.problems:
        _print_problems(result.problems, err=True)
        raise IssuelogError(f"no metrics written: {len(result.problems)} problem(s) in the "
                            "issue files (see `issuelog check`)")
    text = metrics_text(result.issues, config)
    if output is None:
        typer.echo(text, nl=False)
        return
    write_atomic(output, text)
    typer.echo(f"wrote {output}", err=True)


def main() -> None:
    """Console entry point: never lets a Python traceback reach the user."""
    try:
        app()
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
