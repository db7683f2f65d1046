"""Severities and statuses: their dataclasses and defaults, durations (`4h`, `3 days`), and the
loading of `[[severities]]` / `[[statuses]]` tables, merged into the defaults.

`config` builds on this module; names that misspell a known one get a "did you mean" hint here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

from issuelog.errors import ConfigError


@dataclass(frozen=True)
class Severity:
    """A severity level as shown in the Severity Levels table."""

    name: str
    label: str
    emoji: str = ""
    description: str = ""
    response_time: str = ""
    sla: timedelta | None = None
    #: `response_time` as a duration: the target for acknowledging an issue (None: no target).
    response_sla: timedelta | None = None


@dataclass(frozen=True)
class Status:
    """A status; `open` statuses count as open, `resolved` ones as fixed."""

    name: str
    label: str
    emoji: str = ""
    open: bool = True
    resolved: bool = False


DEFAULT_SEVERITIES = (
    Severity("critical", "Critical", "🔴", "App crashes, data loss, security vulnerability",
             "Immediate", timedelta(hours=4), timedelta(minutes=15)),
    Severity("high", "High", "🟠", "Feature broken, blocking development", "Same day",
             timedelta(hours=24), timedelta(hours=24)),
    Severity("medium", "Medium", "🟡", "Feature degraded, workaround exists", "Within 3 days",
             timedelta(weeks=1), timedelta(days=3)),
    Severity("low", "Low", "🟢", "Minor issue, cosmetic, nice-to-have fix", "When convenient",
             timedelta(weeks=2)),
)


DEFAULT_STATUSES = (
    Status("open", "Open", "🔴", open=True),
    Status("in_progress", "In Progress", "🟡", open=True),
    Status("resolved", "Resolved", "🟢", open=False, resolved=True),
    Status("wont_fix", "Won't Fix", "🔵", open=False),
    Status("duplicate", "Duplicate", "⚪", open=False),
)


#: The error tracker's words that `record` users bring along (`tracker_vocabulary = true`).
TRACKER_SEVERITIES = (
    Severity("info", "Info", "🔵", "For the record: no action needed", "None"),
)


TRACKER_STATUSES = (
    Status("investigating", "Investigating", "🟣", open=True),
)


_DURATION = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|weeks?)\s*$", re.I
)


_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """Parse `4h`, `24 hours`, `1w`, `3 days`, `30m` into a timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. '4h', '3 days', '1w')")
    amount, unit = float(match.group(1)), match.group(2)[0].lower()
    return timedelta(seconds=amount * _UNIT_SECONDS[unit])


def format_duration(delta: timedelta) -> str:
    """A duration for readers: `4 hours`, `24 hours`, `3 days`, `1 week`, `90 minutes`."""
    seconds = int(delta.total_seconds())
    for unit, size, smallest in (("week", 604800, 1), ("day", 86400, 2), ("hour", 3600, 1)):
        if seconds >= size * smallest and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    minutes = seconds // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


#: `before` places an added severity or status in the list (default: after the others).
_SEVERITY_KEYS = {f.name for f in fields(Severity)} | {"before"}


_STATUS_KEYS = {f.name for f in fields(Status)} | {"before"}


def closest_name(name: str, known: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The known name that `name` most likely misspells (difflib ratio >= cutoff), or None."""
    import difflib  # only for a name that is not known: every command loads this module

    found = difflib.get_close_matches(name, sorted(known), n=1, cutoff=cutoff)
    return found[0] if found else None


def unknown_key(where: str, key: str, known: set[str]) -> ConfigError:
    """The error for a key that is not an option, with a "did you mean" hint or the known keys."""
    hint = closest_name(key, known)
    suffix = f" Did you mean '{hint}'?" if hint else f" Known keys: {', '.join(sorted(known))}."
    return ConfigError(f"{where}: '{key}' is not a valid option.{suffix}")


def _before(where: str, key: str, index: int, item: dict[str, Any]) -> str | None:
    value = item.get("before")
    if value is not None and (not isinstance(value, str) or not value):
        raise ConfigError(f"{where}: {key}[{index}].before must be the name of a {key[:-1]}")
    return value


def _merged(where: str, key: str, base: tuple[Any, ...], configured: list[tuple[Any, str | None]]
            ) -> tuple[Any, ...]:
    """The base list with configured entries: a known name is replaced in place, a new one added.

    A new entry goes before the entry named by its `before` key, else after all the others:
    severities run from the most to the least severe, so a `blocker` says `before = "critical"`.
    """
    merged = list(base)
    for item, before in configured:
        names = [entry.name for entry in merged]
        if item.name in names and before is None:
            merged[names.index(item.name)] = item
            continue
        if item.name in names:
            del merged[names.index(item.name)]
            names.remove(item.name)
        if before is None:
            merged.append(item)
        elif before in names:
            merged.insert(names.index(before), item)
        else:
            hint = closest_name(before, names)
            raise ConfigError(f"{where}: {key} '{item.name}': before = '{before}' is not one of "
                              f"{', '.join(names)}" + (f". Did you mean '{hint}'?" if hint else ""))
    return tuple(merged)


def _table_list(where: str, key: str, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a non-empty array of tables ([[{key}]])")
    return value


def _severity(where: str, index: int, item: dict[str, Any]) -> Severity:
    for key in item:
        if key not in _SEVERITY_KEYS:
            raise unknown_key(f"{where}: severities[{index}]", key, _SEVERITY_KEYS)
    name = _required_str(where, f"severities[{index}]", item, "name")
    durations: dict[str, timedelta | None] = {"sla": None, "response_sla": None}
    for key in durations:
        if key in item:
            try:
                durations[key] = parse_duration(str(item[key]))
            except (ValueError, OverflowError) as error:
                raise ConfigError(f"{where}: severities[{index}].{key}: {error}") from None
    return Severity(
        name=name,
        label=str(item.get("label", name.replace("_", " ").title())),
        emoji=str(item.get("emoji", "")),
        description=str(item.get("description", "")),
        response_time=str(item.get("response_time", "")),
        sla=durations["sla"],
        response_sla=durations["response_sla"],
    )


def _status(where: str, index: int, item: dict[str, Any]) -> Status:
    for key in item:
        if key not in _STATUS_KEYS:
            raise unknown_key(f"{where}: statuses[{index}]", key, _STATUS_KEYS)
    name = _required_str(where, f"statuses[{index}]", item, "name")
    for flag in ("open", "resolved"):
        if flag in item and not isinstance(item[flag], bool):
            raise ConfigError(f"{where}: statuses[{index}].{flag} must be true or false")
    return Status(
        name=name,
        label=str(item.get("label", name.replace("_", " ").title())),
        emoji=str(item.get("emoji", "")),
        open=item.get("open", True),
        resolved=item.get("resolved", False),
    )


def _required_str(where: str, place: str, item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: {place}.{key} is required and must be a string")
    return value


def configured_levels(where: str, raw: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """The severities and statuses a raw configuration gives (only those it changes)."""
    values: dict[str, tuple[Any, ...]] = {}
    tracker = raw.get("tracker_vocabulary") is True
    for key, defaults, extra, build in (
            ("severities", DEFAULT_SEVERITIES, TRACKER_SEVERITIES, _severity),
            ("statuses", DEFAULT_STATUSES, TRACKER_STATUSES, _status)):
        replace = raw.get(f"{key}_replace") is True
        if replace and key not in raw:
            raise ConfigError(f"{where}: '{key}_replace' is true but there are no [[{key}]] to use")
        configured: list[tuple[Any, str | None]] = [
            (build(where, index, item), _before(where, key, index, item))
            for index, item in enumerate(_table_list(where, key, raw[key]))] if key in raw else []
        names = [item.name for item, _ in configured]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ConfigError(f"{where}: '{key}' lists {', '.join(duplicates)} more than once")
        base = () if replace else (*defaults, *(extra if tracker else ()))
        if configured or tracker:
            values[key] = _merged(where, key, base, configured)
    return values

