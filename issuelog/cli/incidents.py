"""Incident commands: `ack` and `mitigate` (timeline moments), `close-from-commits`, `history`."""

from __future__ import annotations

from typing import Annotated

import typer

from issuelog.cli.common import Commands, Format, IdArgument, print_edit
from issuelog.core.config import load_project
from issuelog.errors import UsageError

AtOption = Annotated[str | None, typer.Option(
    "--at", metavar="TIME",
    help='When it happened, as "YYYY-MM-DD HH:MM" (default: now, unless already recorded).')]


commands = Commands()


def _set(issue_id: str, key: str, at: str | None) -> None:
    from issuelog.core.timeline import parse_moment, set_moment

    config = load_project()
    moment = parse_moment(at) if at is not None else None
    print_edit(set_moment(config, issue_id, key, moment), config)


@commands.add(example='issuelog ack 7\nissuelog ack 7 --at "2026-03-01 14:05"')
def ack(issue_id: IdArgument, at: AtOption = None) -> None:
    """Record when an issue was acknowledged (`acknowledged`): now, or --at a past time."""
    _set(issue_id, "acknowledged", at)


@commands.add(example='issuelog mitigate 7 --at "2026-03-01 14:40"')
def mitigate(issue_id: IdArgument, at: AtOption = None) -> None:
    """Record when an issue's impact was mitigated (`mitigated`): now, or --at a past time."""
    _set(issue_id, "mitigated", at)


@commands.add("close-from-commits", example=(
    "issuelog close-from-commits\nissuelog close-from-commits --commits v1.2..main"))
def close_from_commits_command(
    commits: Annotated[str | None, typer.Option(
        "--commits", metavar="RANGE", help="The commits to read, as git log names them "
        "(v1.2..main, HEAD^!); default: the default branch.")] = None,
) -> None:
    """Resolve the issues that commit messages close (`Fixes: ISSUE-007`); running again changes
    nothing. An ID that names no issue is reported, never guessed."""
    from issuelog.git.gitrepo import default_branch, work_tree_root
    from issuelog.git.trailers import close_from_commits, report_lines

    if commits is not None and (commits.startswith("-") or not commits.strip()):
        raise UsageError(f"--commits must name commits (v1.2..main, HEAD^!), got '{commits}'")
    config = load_project()
    if commits is None:
        top = work_tree_root(config.root)
        commits = default_branch(top, config.default_branch) if top is not None else "HEAD"
    report = close_from_commits(config, [commits])
    lines = report_lines(report, config)  # the issues closed first, then the rest
    for index, line in enumerate(lines):
        typer.echo(line, err=index >= len(report.closed))
    if not report.closed:
        typer.echo("no issue closed", err=True)


@commands.add(example="issuelog history 7\nissuelog history 7 --format json")
def history(
    issue_id: IdArgument,
    output_format: Annotated[Format, typer.Option(
        "--format", metavar="FORMAT", help="text or json.")] = Format.text,
) -> None:
    """Each commit that changed an issue's file, field by field (who, when, from → to); follows
    renumbering."""
    from issuelog.core.store import resolve_id
    from issuelog.git.issue_history import history_data, history_text, issue_history
    from issuelog.log.listing import to_json

    config = load_project()
    entries = issue_history(config, issue_id)
    if output_format is Format.json:
        typer.echo(to_json(history_data(entries)))
    elif entries:
        typer.echo(history_text(entries), nl=False)
    else:
        typer.echo(f"{resolve_id(issue_id, config)}: no commit has its file yet", err=True)

