"""Daily use: `new`, `list`, `show`, and the edits `status`, `resolve`, `reopen`, `assign`, `set`, `edit`."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from issuelog.cli.common import (
    Commands,
    Format,
    IdArgument,
    completer,
    parse_past_date,
    print_edit,
)
from issuelog.cli.database import DatabaseOption, RepoOption, issues_from, project_config
from issuelog.cli.reporting import print_problems, print_warnings
from issuelog.core.clock import today as clock_today
from issuelog.core.config import Config, load_project
from issuelog.errors import IssueFileError, ProblemsFound, UsageError

if TYPE_CHECKING:  # for annotations only: the commands import the core lazily
    from issuelog.core.model import Issue
    from issuelog.core.outputs import KeptOutput
    from issuelog.log.listing import Filters

commands = Commands()


def stdin_is_terminal() -> bool:
    """Whether a person can answer prompts."""
    return sys.stdin.isatty()


def stdout_is_terminal() -> bool:
    """Whether list output goes to a person (a rich table) rather than a pipe (plain columns)."""
    return sys.stdout.isatty()


# --- new ---------------------------------------------------------------------------------------

def _ask_missing(fields: dict[str, object], config: Config) -> None:
    """Ask for missing fields on a terminal, then confirm; elsewhere a missing one is a usage error."""
    from issuelog.project.scaffold import SUMMARY_FIELDS, questions, require_fields

    if not stdin_is_terminal():
        require_fields(fields, config)
        return
    asked = questions(fields, config)
    if not asked:
        return
    for question in asked:
        answer = _answer(question)
        if answer:
            fields[question.key] = answer
    # On stderr, as the questions: stdout holds only the new file's path, for $(issuelog new).
    typer.echo("", err=True)
    for key in SUMMARY_FIELDS:
        if fields.get(key):
            typer.echo(f"  {key + ':':<10} {fields[key]}", err=True)
    if _ask("Create this issue? [Y/n]").lower() not in ("", "y", "yes"):
        raise ProblemsFound("nothing written")


if TYPE_CHECKING:
    from issuelog.project.scaffold import Question


def _answer(question: Question) -> str:
    """Ask one question until it gets a valid answer; '' when an optional one is skipped."""
    from issuelog.project.scaffold import match_choice

    shown = f" ({'/'.join(question.choices)})" if question.choices else ""
    if not question.required and not question.default:
        shown += " (Enter to skip)"
    while True:
        answer = _ask(question.label + shown + (f" [{question.default}]" if question.default else ""))
        answer = answer or question.default
        if not answer and not question.required:
            return ""
        if question.choices:
            chosen = match_choice(answer, question.choices)
            if chosen is not None:
                return chosen
            typer.echo(f"Please choose one of: {', '.join(question.choices)}", err=True)
        elif answer:
            return answer
        else:
            typer.echo("A value is required.", err=True)


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


@commands.add(example='issuelog new "Login fails on Safari" -s high --component auth\n'
                      'issuelog new                     # on a terminal: asks for each field\n'
                      'issuelog new "Port 5432 refused" --reference --area Database '
                      '--solution "make up"')
def new(
    title: Annotated[str | None, typer.Argument(
        metavar="TITLE", help="The issue's title (asked for on a terminal when left out).")] = None,
    severity: Annotated[str | None, typer.Option(
        "--severity", "-s", metavar="SEVERITY", help="Severity.",
        autocompletion=completer("severity"))] = None,
    phase: Annotated[str | None, typer.Option(
        "--phase", "-p", metavar="PHASE", help="Phase.",
        autocompletion=completer("phase"))] = None,
    category: Annotated[str | None, typer.Option(
        "--category", "-c", metavar="CATEGORY", help="Category.",
        autocompletion=completer("category"))] = None,
    component: Annotated[str | None, typer.Option(
        "--component", metavar="COMPONENT", help="Affected component.")] = None,
    status: Annotated[str | None, typer.Option(
        "--status", metavar="STATUS", help="Status (default: open).",
        autocompletion=completer("status"))] = None,
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
    from issuelog.core.store import shell_path
    from issuelog.project.scaffold import create_issue, create_reference, new_issue_fields

    config = load_project()
    if error:
        from issuelog.ops.fingerprint import error_type_of

        error_type = error_type_of(error, error_type)  # for `analyze`, as `record` reads it
    fields = new_issue_fields(
        config, title=title, severity=severity, phase=phase, category=category,
        component=component, status=status, assignee=assignee, reporter=reporter, tags=tag,
        related=related, files=file, error=error, error_type=error_type,
        reported=parse_past_date(found, "--date"), reference=reference)
    if (area or cause or solution) and not reference:
        raise UsageError("--area, --cause and --solution need --reference")
    _ask_missing(fields, config)
    if reference:
        _, path = create_reference(config, fields, area=area, cause=cause, solution=solution)
    elif error:
        from issuelog.ops.record import create_error_issue

        _, path = create_error_issue(config, fields)
    else:
        _, path = create_issue(config, fields)
    typer.echo(shell_path(path))  # for `$EDITOR "$(issuelog new ...)"` in any subdirectory
    if edit:
        open_in_editor(path)
        _report_file_problems(path, config)


def _report_file_problems(path: Path, config: Config) -> None:
    """After an edit by hand: warn of misspelt keys, and stop with exit 1 if the file is invalid."""
    from issuelog.core.edits import file_problems
    from issuelog.core.store import display_path, read_text

    _warn_misspelt_keys(path, config)
    shown = display_path(path, config)
    text, problem = read_text(path, shown)
    problems = [problem] if problem is not None else file_problems(config, path, text or "")
    if problems:
        print_problems(problems, err=True)
        raise ProblemsFound(f"your edit is kept in {shown}; fix it and run `issuelog check`")


# --- list and show -----------------------------------------------------------------------------

class ListFormat(str, Enum):
    """Output formats of `list`."""

    table = "table"
    json = "json"
    csv = "csv"


@commands.add("list", example="issuelog list -s critical -s high --sort -reported")
def list_issues(
    status: Annotated[list[str] | None, typer.Option(
        "--status", metavar="STATUS", help="Only this status (repeatable); shows closed ones too.",
        autocompletion=completer("status"))] = None,
    severity: Annotated[list[str] | None, typer.Option(
        "--severity", "-s", metavar="SEVERITY", help="Only this severity (repeatable).",
        autocompletion=completer("severity"))] = None,
    phase: Annotated[list[str] | None, typer.Option(
        "--phase", "-p", metavar="PHASE", help="Only this phase (repeatable).",
        autocompletion=completer("phase"))] = None,
    category: Annotated[list[str] | None, typer.Option(
        "--category", "-c", metavar="CATEGORY", help="Only this category (repeatable).",
        autocompletion=completer("category"))] = None,
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
    from issuelog.log.listing import Filters

    config = project_config(database)
    filters = Filters(
        status=tuple(status or ()), severity=tuple(severity or ()), phase=tuple(phase or ()),
        category=tuple(category or ()), component=tuple(component or ()), tag=tuple(tag or ()),
        assignee=tuple(assignee or ()), include_closed=show_all, grep=grep,
    )
    terminal = output_format is ListFormat.table and stdout_is_terminal()
    # Ages in the table count to today: the day is part of what a kept output was made from.
    from issuelog.core.outputs import kept_output

    kept = (kept_output(config, "list", filters, sort, output_format.value, clock_today().isoformat())
            if database is None and not terminal else None)
    text = kept.value() if kept is not None else None
    if not isinstance(text, str):
        text = _listing(config, filters, sort, output_format, terminal, database, repo, kept)
    if text:
        typer.echo(text, nl=False)


def _listing(config: Config, filters: Filters, sort: str | None, output_format: ListFormat,
             terminal: bool, database: str | None, repo: list[str] | None,
             kept: KeptOutput | None) -> str:
    """`list`'s output for a pipe (kept while the files are unchanged and have no problems); on
    a terminal the table is printed here and nothing returned."""
    from issuelog.log.formatting import plain_table
    from issuelog.log.listing import TABLE_COLUMNS, issue_record, list_issues, table_rows, to_csv, to_json

    stamps = kept.stamps if kept is not None else None
    issues, problems = list_issues(
        config, filters, sort,
        load=lambda bodies: issues_from(config, database, repo, bodies=bodies, stamps=stamps))
    if problems:
        typer.echo(f"issuelog: {len(problems)} problem(s) in the issue files; "
                   "see `issuelog check`", err=True)
    if output_format is ListFormat.json:
        text = to_json([issue_record(issue, config) for issue in issues]) + "\n"
    elif output_format is ListFormat.csv:
        text = to_csv(issues, config)
    elif not issues:
        typer.echo("no matching issues", err=True)
        return ""
    elif terminal:
        _print_rich_table(issues, config)
        return ""
    else:
        text = plain_table([name.upper() for name in TABLE_COLUMNS], table_rows(issues))
    if kept is not None and not problems:
        kept.keep(text)
    return text


def _print_rich_table(issues: list[Issue], config: Config) -> None:
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


ResolutionOption = Annotated[str | None, typer.Option(
    "--resolution", metavar="TEXT", help="Text for the Resolution section (replaces it).")]
DateOption = Annotated[str | None, typer.Option(
    "--date", metavar="YYYY-MM-DD",
    help="Day it was closed (default: the date already there, else today).")]


@commands.add(example="issuelog show 7 --format json")
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


def _age(issue: Issue) -> int | None:
    """Days an issue has been (or was) open, counted to today (`stats.days_open`)."""
    from issuelog.core.clock import today
    from issuelog.log.stats import days_open

    return days_open(issue, today())


# --- edits -------------------------------------------------------------------------------------

@commands.add(example="issuelog status 7 in_progress")
def status(
    issue_id: IdArgument,
    new_status: Annotated[str, typer.Argument(metavar="STATUS", help="The new status.",
                                              autocompletion=completer("status"))],
    resolution: ResolutionOption = None,
    closed_on: DateOption = None,
) -> None:
    """Change an issue's status; a closed status sets `resolved`, an open one empties it."""
    from issuelog.core.edits import change_status

    config = load_project()
    edit = change_status(config, issue_id, new_status, resolution=resolution,
                         on=parse_past_date(closed_on, "--date"))
    print_edit(edit, config)


@commands.add(example='issuelog resolve 7 --resolution "Retry with backoff."')
def resolve(
    issue_id: IdArgument, resolution: ResolutionOption = None, closed_on: DateOption = None
) -> None:
    """Mark an issue resolved (sets `resolved`); --resolution fills its Resolution section."""
    from issuelog.core.edits import change_status, resolved_status

    config = load_project()
    edit = change_status(config, issue_id, resolved_status(config), resolution=resolution,
                         on=parse_past_date(closed_on, "--date"))
    print_edit(edit, config)


@commands.add(example="issuelog reopen 7")
def reopen(issue_id: IdArgument) -> None:
    """Reopen a closed issue: status back to open, `resolved` emptied."""
    from issuelog.core.edits import change_status, reopened_status

    config = load_project()
    print_edit(change_status(config, issue_id, reopened_status(config)), config)


@commands.add(example='issuelog assign 7 "Ada Lovelace"')
def assign(
    issue_id: IdArgument,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Who works on it ('' to unassign).")],
) -> None:
    """Set who works on an issue."""
    from issuelog.core.edits import update_issue
    from issuelog.core.frontmatter_edit import EMPTY

    config = load_project()
    print_edit(update_issue(config, issue_id, {"assignee": name.strip() or EMPTY}), config)


@commands.add("set", example="issuelog set 7 severity=high tags=db,timeout\n"
                             "issuelog set 7 --unset sevrity")
def set_fields(
    issue_id: IdArgument,
    assignments: Annotated[list[str] | None, typer.Argument(
        metavar="KEY=VALUE...", help="Values in YAML: severity=high, tags=a,b (a list), "
        "occurrences=3; an empty value empties the key.", autocompletion=completer("assignment"))] = None,
    unset: Annotated[list[str] | None, typer.Option(
        "--unset", metavar="KEY", help="Delete KEY from the frontmatter, such as a misspelt key "
        "(repeatable).")] = None,
) -> None:
    """Set frontmatter keys of an issue; every other byte of the file stays as it is."""
    from issuelog.core.edits import parse_assignments, related_as_ids, update_issue
    from issuelog.core.model import misspelt_field

    if not assignments and not unset:
        raise UsageError("say what to change: KEY=VALUE, or --unset KEY")
    config = load_project()
    assigned = related_as_ids(parse_assignments(assignments or []), config)
    both = sorted(set(assigned) & set(unset or []))
    if both:
        raise UsageError(f"'{both[0]}' is both set and unset: say one of them")
    changes = {**assigned, **dict.fromkeys(unset or [])}  # None deletes a key
    result = update_issue(config, issue_id, changes)
    print_edit(result, config)
    for key in unset or []:
        if key not in result.changed:
            typer.echo(f"issuelog: warning: {result.issue_id} has no key '{key}' to unset", err=True)
    misspelt = {key for key in assigned if misspelt_field(key) is not None}
    if misspelt:  # as `check` and `edit` warn: path:line, to jump to
        _warn_misspelt_keys(result.path, config, misspelt)


def _warn_misspelt_keys(path: Path, config: Config, keys: set[str] | None = None) -> None:
    """Warn, as `path:line: warning: ...`, of the file's keys (or of `keys`) that look like typos."""
    from issuelog.core.model import key_hints, parse_issue
    from issuelog.core.store import display_path, read_text

    shown = display_path(path, config)
    text, _ = read_text(path, shown)
    issue = parse_issue(path, text, shown)[0] if text is not None else None
    print_warnings(key_hints(issue, shown, only=keys) if issue is not None else [])


@commands.add(example="issuelog edit 7")
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
