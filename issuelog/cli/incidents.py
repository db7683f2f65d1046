"""Incident commands: `ack` and `mitigate` (timeline moments), `history`, `close-from-commits`."""

from __future__ import annotations

from typing import Annotated

import typer

from issuelog.cli.app import EXAMPLES, GitStyleCommand, IdArgument, _print_edit, app, reports_errors
from issuelog.core.config import load_project

AtOption = Annotated[str | None, typer.Option(
    "--at", metavar="TIME",
    help='When it happened, as "YYYY-MM-DD HH:MM" (default: now, unless already recorded).')]


def _set(issue_id: str, key: str, at: str | None) -> None:
    from issuelog.core.timeline import parse_moment, set_moment

    config = load_project()
    moment = parse_moment(at) if at is not None else None
    _print_edit(set_moment(config, issue_id, key, moment), config)


@app.command(cls=GitStyleCommand)
@reports_errors
def ack(issue_id: IdArgument, at: AtOption = None) -> None:
    """Record when an issue was acknowledged (`acknowledged`): now, or --at a past time."""
    _set(issue_id, "acknowledged", at)


@app.command(cls=GitStyleCommand)
@reports_errors
def mitigate(issue_id: IdArgument, at: AtOption = None) -> None:
    """Record when an issue's impact was mitigated (`mitigated`): now, or --at a past time."""
    _set(issue_id, "mitigated", at)


EXAMPLES.update({
    "ack": 'issuelog ack 7\nissuelog ack 7 --at "2026-03-01 14:05"',
    "mitigate": 'issuelog mitigate 7 --at "2026-03-01 14:40"',
})
