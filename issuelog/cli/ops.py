"""Errors in operation: `record` them, `analyze` them, export their `metrics` to Prometheus."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from issuelog.cli.common import Commands, Format, parse_date, parse_past_date
from issuelog.cli.database import DatabaseOption, RepoOption, issues_from, project_config
from issuelog.cli.reporting import print_problems, refuse_with_problems
from issuelog.core.clock import today as clock_today
from issuelog.core.config import Config, load_project
from issuelog.errors import ProblemsFound, UsageError

if TYPE_CHECKING:  # for annotations only: the commands import the core lazily
    from issuelog.core.outputs import KeptOutput
    from issuelog.ops.record import RecordResult

commands = Commands()


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


@commands.add(example='issuelog record --error "TimeoutError: db did not answer" --component db')
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
    from issuelog.ops.events import ErrorEvent, parse_context
    from issuelog.ops.record import record_event
    from issuelog.ops.stack_trace import read_stack_trace

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
        _refingerprint(config)
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
        seen=parse_past_date(seen, "--date"),
    )
    result = record_event(config, event)
    _print_result(result, config)
    if suggest:
        from issuelog.cli.search import print_known_fix

        print_known_fix(config, event, result)


def _refingerprint(config: Config) -> None:
    """`record --refingerprint`: each fingerprint changed, then the issues that share one."""
    from issuelog.ops.record import refingerprint, shared_fingerprints

    for item in refingerprint(config):
        typer.echo(f"{item.issue_id}: {item.old} (v{item.old_version}) -> {item.new}")
    for ids in shared_fingerprints(config):
        typer.echo(f"issuelog: {', '.join(ids)} share a fingerprint: merge them or mark "
                   "duplicates; new occurrences go to the first open one", err=True)


def _record_from(config: Config, source: str) -> None:
    """`record --from`: every line recorded on its own; bad lines reported, exit 1 if any."""
    from issuelog.core.model import Problem
    from issuelog.ops.events import read_event_lines
    from issuelog.ops.record import RecordTally, record_lines

    lines, shown = read_event_lines(source, sys.stdin)
    on_terminal = sys.stdout.isatty()
    tally = RecordTally()
    events = sum(1 for line in lines if line.strip())
    with typer.progressbar(record_lines(config, lines, shown), length=events,
                           label="recording", hidden=not on_terminal) as progress:
        for number, outcome in progress:
            tally.add(outcome)
            if not on_terminal and not isinstance(outcome, Problem):
                _print_result(outcome, config, prefix=f"{shown}:{number}: ")
    print_problems(tally.problems, err=True)
    typer.echo(tally.summary(), err=True)
    if tally.problems:
        raise ProblemsFound()


@commands.add(example="issuelog analyze --days 30")
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
    config = project_config(database)
    from issuelog.core.outputs import kept_output

    kept = kept_output(config, "analyze", days, output_format.value, today) if database is None else None
    text = kept.value() if kept is not None else None
    if not isinstance(text, str):
        text = _analysis(config, days, output_format, today, database, repo, kept)
    typer.echo(text, nl=False)


def _analysis(config: Config, days: int, output_format: Format, today: str | None,
              database: str | None, repo: list[str] | None, kept: KeptOutput | None) -> str:
    """`analyze`'s output, kept for the next run on the same files."""
    from issuelog.log.error_analysis import analyze as analyze_issues
    from issuelog.ops.analysis import analysis_data, analysis_text

    result = issues_from(config, database, repo, bodies=False,
                         stamps=kept.stamps if kept is not None else None)
    if result.problems:
        refuse_with_problems(result.problems, "not analysing")
    analysis = analyze_issues(result.issues, config, days, parse_date(today, "--today"))
    recurring = None
    if database is not None:
        # Across repositories: the errors that recur in several of them, by fingerprint.
        from issuelog.integrations.rows import recurring_errors

        recurring = recurring_errors(result.issues, config)
    if output_format is Format.json:
        from issuelog.log.listing import to_json

        data = analysis_data(analysis)
        if recurring is not None:
            from issuelog.integrations.rows import recurring_data

            data["recurring_across_repositories"] = recurring_data(recurring)
        return _kept(kept, to_json(data) + "\n")
    text = analysis_text(analysis)
    if recurring is not None:
        from issuelog.integrations.rows import recurring_text

        text += recurring_text(recurring)
    return _kept(kept, text)


def _kept(kept: KeptOutput | None, text: str) -> str:
    if kept is not None:
        kept.keep(text)
    return text


@commands.add(example="issuelog metrics -o /var/lib/node_exporter/issuelog.prom")
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
    from issuelog.core.atomic_write import write_atomic
    from issuelog.core.store import check_output_path

    if serve and output is not None:
        raise UsageError("--output cannot be combined with --serve")
    if serve and database is not None:
        raise UsageError("--database cannot be combined with --serve")
    config = project_config(database)
    if output is not None:
        check_output_path(output, config)
    if serve:
        _serve(config, host, port)
        return
    # Ages count to today: the day is part of what the kept output was made from.
    from issuelog.core.outputs import kept_output

    kept = (kept_output(config, "metrics", clock_today().isoformat(), libraries=("prometheus_client",))
            if database is None else None)
    text = kept.value() if kept is not None else None
    if not isinstance(text, str):
        from issuelog.ops.metrics import metrics_text

        result = issues_from(config, database, repo, bodies=False,
                             stamps=kept.stamps if kept is not None else None)
        if result.problems:
            refuse_with_problems(result.problems, "no metrics written")
        text = _kept(kept, metrics_text(result.issues, config))
    if output is None:
        typer.echo(text, nl=False)
        return
    write_atomic(output, text)
    typer.echo(f"wrote {output}", err=True)


def _serve(config: Config, host: str, port: int) -> None:
    """`metrics --serve`: the exporter, until Ctrl-C."""
    from issuelog.ops.metrics import serve_metrics

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
