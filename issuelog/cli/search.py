"""The `search`, `similar` and `mcp` commands: finding past issues, for people and for agents."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from issuelog.cli.common import Commands, Format
from issuelog.core.config import Config, load_project
from issuelog.errors import ProblemsFound, UsageError

if TYPE_CHECKING:
    from issuelog.ops.events import ErrorEvent
    from issuelog.ops.record import RecordResult

commands = Commands()


@commands.add(example='issuelog search "connection refused" --all\n'
                      "issuelog search timeout --component api --format json --limit 5")
def search(
    query: Annotated[list[str], typer.Argument(metavar="QUERY...", help="Words to look for.")],
    status: Annotated[list[str] | None, typer.Option(
        "--status", metavar="STATUS", help="Only this status (repeatable); closed ones too.")] = None,
    severity: Annotated[list[str] | None, typer.Option(
        "--severity", "-s", metavar="SEVERITY", help="Only this severity (repeatable).")] = None,
    component: Annotated[list[str] | None, typer.Option(
        "--component", metavar="COMPONENT", help="Only this component (repeatable).")] = None,
    show_all: Annotated[bool, typer.Option(
        "--all", help="Closed issues too (reference entries are always searched).")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", metavar="N", help="At most N issues.")] = 10,
    offset: Annotated[int, typer.Option("--offset", metavar="N", help="Skip the first N.")] = 0,
    output_format: Annotated[Format, typer.Option(
        "--format", metavar="FORMAT", help="text or json.")] = Format.text,
) -> None:
    """Ranked full-text search: the best issues with the sections and words that matched."""
    from issuelog.log.listing import Filters, check_filters, to_json
    from issuelog.search.index import SearchFilters
    from issuelog.search.index import search as run_search

    config = load_project()
    check_filters(Filters(status=tuple(status or ()), severity=tuple(severity or ())), config)
    filters = SearchFilters(tuple(status or ()), tuple(severity or ()), tuple(component or ()),
                            show_all)
    hits = run_search(config, " ".join(query), filters, limit=limit, offset=offset)
    if output_format is Format.json:
        typer.echo(to_json([hit.to_dict() for hit in hits]))
        return
    if not hits:
        typer.echo("no matching issues", err=True)
        return
    for hit in hits:
        typer.echo(f"{hit.issue_id}  {hit.score:5.2f}  [{hit.status}] {hit.title}")
        for match in hit.sections:
            typer.echo(f"    {match.section} ({', '.join(match.words)}): {match.excerpt}")


def _read_message(message: str | None, stack_trace: str | None) -> tuple[str, str]:
    """The message and stack trace `similar` compares: arguments, a file, or standard input."""
    from issuelog.ops.stack_trace import read_stack_trace

    trace = read_stack_trace(stack_trace, sys.stdin.buffer) if stack_trace else ""
    text = message or ""
    if not text.strip() and not trace.strip():
        raise UsageError("give an error message, free text, or --stack-trace PATH ('-': stdin)")
    return text, trace


@commands.add(example="issuelog similar \"KeyError: 'user_42'\"\n"
                      "issuelog similar --stack-trace trace.txt --format json")
def similar(
    message: Annotated[str | None, typer.Argument(
        metavar="MESSAGE", help="The error message or free text (quoted).")] = None,
    stack_trace: Annotated[str | None, typer.Option(
        "--stack-trace", metavar="PATH", help="Read a stack trace from PATH ('-': stdin).")] = None,
    error_type: Annotated[str | None, typer.Option(
        "--error-type", metavar="TYPE", help="The error's type (default: from 'Type: message').")] = None,
    component: Annotated[str | None, typer.Option(
        "--component", metavar="COMPONENT", help="Where it happened.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", metavar="N", help="At most N issues.")] = 5,
    output_format: Annotated[Format, typer.Option(
        "--format", metavar="FORMAT", help="text or json.")] = Format.text,
) -> None:
    """Past issues closest to an error, with their Root Cause and Resolution (exit 1: none)."""
    from issuelog.log.listing import to_json
    from issuelog.search.similar import SAME_ISSUE_SCORE, similar_in_project

    if limit < 1:
        raise UsageError("--limit must be at least 1")
    text, trace = _read_message(message, stack_trace)
    config = load_project()
    found = similar_in_project(config, text, stack_trace=trace, error_type=error_type or "",
                               component=component or "", limit=limit)
    if output_format is Format.json:
        typer.echo(to_json([item.to_dict() for item in found]))
    elif not found:
        typer.echo("no similar issue", err=True)
    for item in found if output_format is Format.text else ():
        kind = "exact fingerprint" if item.exact else (
            "same issue" if item.same else f"related, under {SAME_ISSUE_SCORE}")
        typer.echo(f"{item.issue_id}  {item.score:.2f} ({kind})  [{item.status}] {item.title}")
        typer.echo(f"    Root Cause: {item.root_cause or '(not written)'}")
        typer.echo(f"    Resolution: {item.resolution or '(not written)'}")
    if not found:
        raise ProblemsFound()


def print_known_fix(config: Config, event: ErrorEvent, result: RecordResult) -> None:
    """After `record`: the Resolution of the same issue seen before, when one is written."""
    from issuelog.search.similar import best_known_fix

    fix = best_known_fix(config, event.error, stack_trace=event.stack_trace,
                         error_type=event.error_type, component=event.component,
                         recorded_id=result.issue_id)
    if fix is not None:
        typer.echo(f"known fix ({fix.issue_id}, score {fix.score:.2f}): {fix.resolution}", err=True)


@commands.add(example="issuelog mcp                      # started by an agent client over stdio")
def mcp(
    directory: Annotated[Path | None, typer.Option(
        "--directory", "-C", metavar="PATH", help="The project to serve (default: here).")] = None,
) -> None:
    """Serve the issue log to coding agents: a Model Context Protocol server over stdio."""
    try:
        from issuelog.integrations.mcp import serve
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in ("mcp", "pydantic", "anyio"):
            raise
        raise UsageError("the MCP server needs the optional extra: pip install 'issuelog[mcp]' "
                         f"(missing module '{error.name}')") from None
    serve(directory)
