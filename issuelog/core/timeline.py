"""Setting an incident's timeline moments (`issuelog ack`, `issuelog mitigate`)."""

from __future__ import annotations

import re
from datetime import datetime

from issuelog.core.clock import now
from issuelog.core.config import Config
from issuelog.core.edits import Edit, edit_issue
from issuelog.core.model import TIMELINE_FIELDS
from issuelog.errors import UsageError

#: How a moment is written in frontmatter and given to `--at`: to the minute.
MOMENT_FORMAT = "%Y-%m-%d %H:%M"
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}$")


def parse_moment(text: str, option: str = "--at") -> datetime:
    """A `YYYY-MM-DD HH:MM` moment (a `T` between them is accepted too)."""
    stripped = text.strip()
    try:
        if _MOMENT.match(stripped):
            return datetime.fromisoformat(stripped)
    except ValueError:
        pass
    raise UsageError(f"{option} must be a time like \"2026-03-01 14:05\" (YYYY-MM-DD HH:MM), "
                     f"got '{text}'")


def format_moment(moment: datetime) -> str:
    """A moment as a timeline key holds it: `2026-03-01 14:05`."""
    return moment.strftime(MOMENT_FORMAT)


def set_moment(config: Config, issue_id: str, key: str, at: datetime | None = None) -> Edit:
    """Record when a timeline moment happened: `at`, or now when the issue has none yet.

    Without `at`, a moment already recorded is kept (running `ack` twice changes nothing); with
    `at` it is replaced. The edit is refused, with `path:line`, if the timeline would run
    backwards (see `model.timeline_problems`).
    """
    if key not in TIMELINE_FIELDS or key == "resolved":
        raise UsageError(f"'{key}' is not a timeline moment these commands set")

    def plan(issue: object) -> dict[str, str]:
        if at is None and getattr(issue, key) is not None:
            return {}
        return {key: format_moment(at or now())}

    return edit_issue(config, issue_id, plan)
