"""The clock: the one place issuelog asks for today's date or the time (the rendered log never does).

Its own module, importing nothing heavy, so that the commands that count ages to today
(`list`, `metrics`, `export`) need not import the frontmatter editor to ask it.
"""

from __future__ import annotations

from datetime import date, datetime


def today() -> date:
    """Today's date."""
    return date.today()


def now() -> datetime:
    """The local time to the minute, for timeline moments (`issuelog ack`)."""
    return datetime.now().replace(second=0, microsecond=0)
