"""A fixed clock for a whole issuelog process: `FAKE_TODAY=2026-03-01` on PYTHONPATH's front.

Python imports `sitecustomize` at start-up, before issuelog: `date.today()`, `datetime.now()` and
`time.time()` then give noon of that day, as `faketime` would. Used where `faketime` is missing.
"""

from __future__ import annotations

import datetime
import os
import time

_TODAY = os.environ.get("FAKE_TODAY")

if _TODAY:
    _NOON = datetime.datetime.fromisoformat(_TODAY).replace(hour=12)
    _EPOCH = _NOON.timestamp()
    _START = time.monotonic()

    def _now_seconds() -> float:
        return _EPOCH + (time.monotonic() - _START)

    class _Date(datetime.date):
        @classmethod
        def today(cls) -> _Date:
            day = _NOON.date()
            return cls(day.year, day.month, day.day)

    class _DateTime(datetime.datetime):
        @classmethod
        def now(cls, tz: datetime.tzinfo | None = None) -> _DateTime:  # type: ignore[override]
            return cls.fromtimestamp(_now_seconds(), tz)

        @classmethod
        def today(cls) -> _DateTime:
            return cls.fromtimestamp(_now_seconds())

    datetime.date = _Date  # type: ignore[misc]
    datetime.datetime = _DateTime  # type: ignore[misc]
    time.time = _now_seconds
