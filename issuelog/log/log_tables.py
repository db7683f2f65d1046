"""The capped tables of ISSUES.md: at most `log_rows` rows each, newest first, and the
`issuelog list` command that shows the rest.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from issuelog.core.config import Config, Severity
from issuelog.core.model import Issue
from issuelog.log.stats import NO_PHASE


@dataclass(frozen=True)
class Capped:
    """The rows one table of ISSUES.md shows (at most `log_rows`), of `total`, and where the rest are.

    `command` is the `issuelog` command that lists all `total` in the table's order.
    """

    rows: list[Issue]
    total: int
    command: str

    @property
    def more(self) -> int:
        """How many issues the table leaves out."""
        return self.total - len(self.rows)


def capped(members: list[Issue], limit: int, newest_by: str | None, command: str) -> Capped:
    """The first `limit` of `members` (0: all), newest first by the date field `newest_by`.

    Ordered as `issuelog list --sort=-FIELD` orders them, so that the "more" line's command
    continues the table: by the value's ISO text, ties in ID order, issues without it last.
    Without `newest_by` the members keep their order (by ID).
    """
    if newest_by is not None:
        dated = [issue for issue in members if getattr(issue, newest_by) is not None]
        undated = [issue for issue in members if getattr(issue, newest_by) is None]
        dated.sort(key=lambda issue: getattr(issue, newest_by).isoformat(), reverse=True)
        members = [*dated, *undated]
    shown = members[:limit] if limit > 0 else members
    return Capped(shown, len(members), command)


def list_command(*arguments: str) -> str:
    """An `issuelog list` command line with its arguments quoted for a POSIX shell."""
    return " ".join(["issuelog list", *(shlex.quote(argument) for argument in arguments)])


def log_tables(
    open_by_severity: list[tuple[Severity, list[Issue]]],
    resolved_by_phase: list[tuple[str, list[Issue]]],
    closed_unresolved: list[Issue],
    reference: list[tuple[str, list[Issue]]],
    config: Config,
) -> dict[str, Any]:
    """The capped tables of ISSUES.md: the newest open, recently closed, first reference rows.

    Newest first so that a reader sees what is current; a new or closed issue then adds or takes
    one row and moves the last shown one in or out, and the "more" line's count changes.
    """
    limit = config.log_rows
    resolved_options = [f"--status={s.name}" for s in config.statuses if s.resolved]
    closed_options = [f"--status={s.name}" for s in config.statuses
                      if not s.open and not s.resolved]
    return {
        "open_shown": {
            severity.name: capped(members, limit, "reported", list_command(
                f"--severity={severity.name}", "--sort=-reported"))
            for severity, members in open_by_severity},
        "resolved_shown": {
            phase: capped(members, limit, "resolved", list_command(
                *resolved_options, f"--phase={'' if phase == NO_PHASE else phase}",
                "--sort=-resolved"))
            for phase, members in resolved_by_phase},
        "closed_shown": capped(closed_unresolved, limit, "resolved",
                               list_command(*closed_options, "--sort=-resolved")),
        "reference_shown": {area: capped(members, limit, None, "issuelog export --format html")
                            for area, members in reference},
    }
