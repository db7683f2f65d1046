"""The Issue model: parsing one issue file and validating it against the configuration."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from issuelog.core.config import ISSUE_FIELDS, Config, Status, closest_name
from issuelog.core.yaml_values import InvalidDate, YamlRefusal

FIELD_ORDER = ISSUE_FIELDS
TEXT_FIELDS = (
    "id", "title", "status", "severity", "phase", "category", "component",
    "reporter", "assignee", "error_type", "error_message", "fingerprint", "fixed_in",
)
#: An incident's timeline, in the order its moments happen (see `timeline_problems`).
TIMELINE_FIELDS = ("started", "detected", "acknowledged", "mitigated", "resolved")
DATE_FIELDS = ("reported", "resolved", "last_seen", "started", "detected", "acknowledged",
               "mitigated")
#: Dates a file may declare unknown with `<key>_unknown: true` (an imported log never said).
UNKNOWN_DATE_FIELDS = ("reported", "resolved")
#: The dates an issue may carry: date arithmetic (weeks back, ages) stays inside Python's range.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(9998, 12, 31)
LIST_FIELDS = ("tags", "related", "files")
REFERENCE_KEYS = ("area", "cause", "solution")
_KNOWN_FIELDS = frozenset(FIELD_ORDER)
_TEXT_FIELDS = frozenset(TEXT_FIELDS)
_DATE_FIELDS = frozenset(DATE_FIELDS)
_LIST_FIELDS = frozenset(LIST_FIELDS)
SECTIONS = (
    "Description", "Steps to Reproduce", "Expected Behavior", "Actual Behavior",
    "Error Message / Stack Trace", "Environment", "Root Cause", "Resolution", "Prevention",
)

#: Limits that keep one hostile file from exhausting time or memory (see SECURITY.md).
MAX_FILE_BYTES = 1024 * 1024
MAX_TITLE_LENGTH = 500
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?")

Day = date  # a `datetime` is a `date` too: both are accepted wherever a date is


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one file, reported as `path:line: message`."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Issue:
    """One issue file: typed frontmatter fields, unknown keys kept in `extra`, and the body."""

    path: Path
    id: str = ""
    title: str = ""
    status: str = ""
    severity: str = ""
    phase: str = ""
    category: str = ""
    component: str = ""
    reported: Day | None = None
    resolved: Day | None = None
    reporter: str = ""
    assignee: str = ""
    tags: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    error_type: str = ""
    error_message: str = ""
    fingerprint: str = ""
    fingerprint_version: int | None = None
    occurrences: int = 1
    last_seen: Day | None = None
    reference: dict[str, str] | None = None
    # Knowledge (symptom, cause, solution) rather than something that happened: shown in the
    # Common Issues Reference, left out of every figure, needs no dates (see the README).
    reference_only: bool = False
    # The incident timeline (`started` to `mitigated`; `reported` and `resolved` above) and the
    # commit whose message closed the issue.
    started: Day | None = None
    detected: Day | None = None
    acknowledged: Day | None = None
    mitigated: Day | None = None
    fixed_in: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    present: frozenset[str] = frozenset()
    key_lines: dict[str, int] = field(default_factory=dict, repr=False)

    def date_unknown(self, key: str) -> bool:
        """Whether the file says a date is unknown (`resolved_unknown: true`): not invented.

        An imported entry whose log never stated when it was fixed is closed with no `resolved`
        date; the flag says so, and every figure that needs the date leaves the issue out.
        """
        return self.extra.get(f"{key}_unknown") is True

    def line_of(self, key: str) -> int:
        """The 1-based line of a top-level frontmatter key, or 1 when it is absent."""
        return self.key_lines.get(key, 1)

    def to_dict(self) -> dict[str, Any]:
        """Every frontmatter field, known ones first in their usual order, then unknown keys."""
        data: dict[str, Any] = {}
        for name in FIELD_ORDER:
            if name in self.present:
                data[name] = getattr(self, name)
        data.update(self.extra)
        return data


def title_problem(title: str) -> str | None:
    """Why a title cannot be used, or None when it is fine."""
    if len(title) > MAX_TITLE_LENGTH:
        return (f"title is {len(title)} characters long; the limit is {MAX_TITLE_LENGTH} "
                "(put the details in the Description)")
    return None


#: git's conflict markers: `<<<<<<<`, an optional `|||||||` base, `=======` and `>>>>>>>`, each
#: starting a line, in that order (one marker alone, as in pasted text, is not a conflict).
_CONFLICT = re.compile(r"^<<<<<<<(?: [^\n]*)?\n(?:.*\n)*?={7}\r?\n(?:.*\n)*?>>>>>>>(?: |$)", re.MULTILINE)


def parse_issue(path: Path, text: str, display: str | None = None) -> tuple[Issue | None, list[Problem]]:
    """Parse the text of one issue file; return the issue (None if unusable) and its problems."""
    shown = display or str(path)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        return None, [Problem(shown, 1, "file is empty: an issue file starts with YAML frontmatter")]
    # Text about to be written is checked here too: never write what `check` refuses to read.
    if len(text) * 4 > MAX_FILE_BYTES and len(text.encode("utf-8")) > MAX_FILE_BYTES:
        return None, [Problem(shown, 1, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB, "
                                        "the most issuelog reads from one file")]
    if "<<<<<<<" in text:  # a cheap test first: this runs for every file on every read
        conflict = _CONFLICT.search(text)
        if conflict is not None:
            line = text.count("\n", 0, conflict.start()) + 1
            return None, [Problem(shown, line, "unresolved merge conflict: keep one side, delete the "
                                               "<<<<<<<, ======= and >>>>>>> lines, then `git add` it")]
    # Here, not above: a command that finds every issue in the cache never loads PyYAML.
    from issuelog.core.frontmatter_read import read_values, split_frontmatter

    parts = split_frontmatter(text)
    if parts is None:
        from issuelog.core.frontmatter_read import fence_hint, fence_line

        return None, [Problem(shown, fence_line(text), fence_hint(text))]
    fm, body = parts
    loaded = read_values(fm)
    if isinstance(loaded, YamlRefusal):
        return None, [Problem(shown, loaded.line, loaded.message)]
    data, lines = loaded
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [Problem(shown, 2, "frontmatter must be a mapping of keys to values")]
    return issue_from_mapping(path, data, body.lstrip("\r\n"), lines, shown)


def issue_from_mapping(
    path: Path, data: dict[Any, Any], body: str, lines: dict[str, int], shown: str
) -> tuple[Issue, list[Problem]]:
    """Coerce loaded frontmatter into an Issue, reporting every value of the wrong type."""
    issue = Issue(path=path, body=body, key_lines=lines)
    problems: list[Problem] = []

    def bad(key: str, message: str) -> None:
        problems.append(Problem(shown, lines.get(key, 1), message))

    present: set[str] = set()
    for raw_key, value in data.items():
        key = raw_key if type(raw_key) is str else str(raw_key)
        if key not in _KNOWN_FIELDS:
            issue.extra[key] = value.text if isinstance(value, InvalidDate) else value
            continue
        if value is None or value == "" or value == []:
            continue
        present.add(key)
        if type(value) is str and key in _TEXT_FIELDS:  # the usual case, first
            setattr(issue, key, value if key == "error_message" else value.strip())
            continue
        coerced, message = _coerce_field(key, value)
        if message is None:
            setattr(issue, key, coerced)
        else:
            bad(key, message)
    issue.present = frozenset(present)
    return issue, problems


def _coerce_text(key: str, value: Any) -> tuple[Any, str | None]:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return (str(value).strip() if key != "error_message" else str(value)), None
    return None, f"'{key}' must be a single value, not {_kind(value)}"


def _coerce_date(key: str, value: Any) -> tuple[Any, str | None]:
    if isinstance(value, InvalidDate):
        return None, (f"invalid date '{value.text}' in '{key}': {value.reason}; "
                      f"write a real day as YYYY-MM-DD, e.g. {key}: {nearest_day(value.text)}")
    parsed = _as_date(value)
    if parsed is None:
        example = '"2026-01-10 14:05"' if key in TIMELINE_FIELDS else "2026-01-10"
        return None, f"'{key}' must be a date like {example}, got {value!r}"
    return parsed, None


def _coerce_list(key: str, value: Any) -> tuple[Any, str | None]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, (str, int)) and not isinstance(v, bool) for v in value
    ):
        return None, f"'{key}' must be a list of text values"
    return [str(v) for v in value], None


def _coerce_count(key: str, value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        return None, f"'{key}' must be a whole number of at least 1, got {value!r}"
    return value, None


def _coerce_reference(key: str, value: Any) -> tuple[Any, str | None]:
    reference = _as_reference(value)
    if reference is None:
        return None, "'reference' must be a mapping with text keys area, cause and solution"
    return reference, None


def _coerce_flag(key: str, value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool):
        return value, None
    return None, f"'{key}' must be true or false, got {value!r}"


def _coerce_field(key: str, value: Any) -> tuple[Any, str | None]:
    """A known field's value as the Issue holds it, or the message saying why it cannot be."""
    if key in _TEXT_FIELDS:
        return _coerce_text(key, value)
    if key in _DATE_FIELDS:
        return _coerce_date(key, value)
    if key in _LIST_FIELDS:
        return _coerce_list(key, value)
    return _COERCERS[key](key, value)


_COERCERS: dict[str, Callable[[str, Any], tuple[Any, str | None]]] = {
    "occurrences": _coerce_count,
    "fingerprint_version": _coerce_count,
    "reference": _coerce_reference,
    "reference_only": _coerce_flag,
}


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def nearest_day(text: str) -> str:
    """The last real day of the month a bad date names (2026-02-30 -> 2026-02-28), else today's form."""
    import calendar

    match = re.match(r"^(\d{4})-(\d{1,2})-\d{1,2}", text.strip())
    if match is None or not 1 <= int(match[2]) <= 12:
        return "2026-01-10"
    year, month = int(match[1]), int(match[2])
    return f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"


def _as_date(value: Any) -> Day | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATETIME.match(value.strip()):
        text = value.strip()
        try:
            return datetime.fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)
        except ValueError:
            return None
    return None


def _as_reference(value: Any) -> dict[str, str] | None:
    if not isinstance(value, dict):
        return None
    reference: dict[str, str] = {}
    for key, item in value.items():
        if key not in REFERENCE_KEYS or not isinstance(item, (str, int, float)):
            return None
        reference[key] = str(item)
    return reference


def disallowed_values(fields: Mapping[str, Any], config: Config) -> list[tuple[str, str]]:
    """(key, message) for each status, severity, phase or category the configuration does not allow."""
    return [
        (key, unknown_value(key, fields[key], list(names)))
        for key, names in config.allowed_values.items()
        if fields.get(key) and names and fields[key] not in names
    ]


def validate_issue(issue: Issue, config: Config, shown: str) -> list[Problem]:
    """Problems of one issue against the configuration (values, required fields, dates, file name)."""
    status = config.status(issue.status)
    found = [*_field_problems(issue, config), *_reference_problems(issue, status),
             *_date_flag_problems(issue, status), *_date_problems(issue, status)]
    return [*(Problem(shown, issue.line_of(key), message) for key, message in found),
            *timeline_problems(issue, shown)]


def _field_problems(issue: Issue, config: Config) -> list[tuple[str, str]]:
    """Required fields, the title, configured values and the ID against its file name."""
    found: list[tuple[str, str]] = []
    for key in config.required:
        # A reference entry has no history: its dates are not required (nor invented).
        undated = (issue.reference_only and key in DATE_FIELDS) or (
            key in UNKNOWN_DATE_FIELDS and issue.date_unknown(key))
        if key not in issue.present and key not in issue.extra and not undated:
            found.append((key, f"missing required field '{key}'"))
    too_long = title_problem(issue.title)
    if too_long:
        found.append(("title", too_long))
    values = {key: getattr(issue, key) for key in ("status", "severity", "phase", "category")}
    found += disallowed_values(values, config)
    if issue.id:
        if not config.id_pattern.match(issue.id):
            found.append(("id", f"id '{issue.id}' does not match the pattern {config.id_prefix}-NNN"))
        stem = issue.path.stem
        if stem != issue.id and not stem.startswith(issue.id + "-"):
            found.append(("id", f"id '{issue.id}' does not match the file name '{issue.path.name}'"))
    return found


def _reference_problems(issue: Issue, status: Status | None) -> list[tuple[str, str]]:
    """A reference-only entry needs its reference and cannot be open."""
    found: list[tuple[str, str]] = []
    if issue.reference_only:
        if issue.reference is None:
            found.append(("reference_only", "'reference_only' is set but there is no 'reference' "
                                            "(area, cause, solution) to list the entry in"))
        if status is not None and status.open:
            found.append(("status", f"a reference-only entry cannot be {issue.status}: to track it "
                                    "as an issue, remove 'reference_only' and give it a 'reported' date"))
    return found


def _date_flag_problems(issue: Issue, status: Status | None) -> list[tuple[str, str]]:
    """The `*_unknown` flags: true or false, and never beside a date they say is unknown."""
    found: list[tuple[str, str]] = []
    for key in UNKNOWN_DATE_FIELDS:
        flag = f"{key}_unknown"
        if issue.extra.get(flag) not in (None, "") and not isinstance(issue.extra[flag], bool):
            found.append((flag, f"'{flag}' must be true or false, got {issue.extra[flag]!r}"))
        elif issue.date_unknown(key) and getattr(issue, key) is not None:
            found.append((flag, f"'{flag}' is true but '{key}' has a date: empty one of them"))
    if issue.date_unknown("resolved") and status is not None and status.open:
        found.append(("resolved_unknown", f"'resolved_unknown' is true but status '{issue.status}' is "
                                          "open: an open issue has no resolution date to be unknown"))
    return found


def _resolution_problem(issue: Issue, status: Status | None) -> tuple[str, str] | None:
    """A closed status needs a `resolved` date; an open one has none."""
    if status is None:
        return None
    # A `resolved` that is not a date (2026-02-30) is reported once, where it is written.
    unreadable_date = "resolved" in issue.present
    if (not status.open and issue.resolved is None and not issue.reference_only
            and not unreadable_date and not issue.date_unknown("resolved")):
        return "status", f"status '{issue.status}' needs a 'resolved' date"
    if status.open and issue.resolved is not None:
        return "resolved", f"'resolved' is set but status '{issue.status}' is open"
    return None


def _date_problems(issue: Issue, status: Status | None) -> list[tuple[str, str]]:
    """`resolved` against the status and `reported`; every date within the accepted range."""
    found: list[tuple[str, str]] = []
    status_problem = _resolution_problem(issue, status)
    if status_problem is not None:
        found.append(status_problem)
    for key in DATE_FIELDS:
        value = getattr(issue, key)
        # Statistics step back weeks from the newest date; near year 1 that is no date at all.
        if isinstance(value, date) and not EARLIEST_DATE <= as_date(value) <= LATEST_DATE:
            found.append((key, f"'{key}' {value} is outside the dates issuelog accepts "
                               f"({EARLIEST_DATE} to {LATEST_DATE})"))
    if issue.reported and issue.resolved and _before(issue.resolved, issue.reported):
        found.append(("resolved", f"resolved {issue.resolved} is before reported {issue.reported}"))
    return found


def timeline_problems(issue: Issue, shown: str) -> list[Problem]:
    """One problem for each timeline moment dated before an earlier one (`TIMELINE_FIELDS`).

    Missing moments are skipped: `mitigated` is compared with `acknowledged`, else `detected`,
    else `started`. `reported` may fall anywhere after `started` (a customer reports before or
    after the alert fires), so it is only checked against `started` and `resolved`.
    """
    problems: list[Problem] = []
    keys = [key for key in TIMELINE_FIELDS if getattr(issue, key) is not None]
    pairs = list(zip(keys, keys[1:], strict=False))
    if issue.reported is not None and issue.started is not None:
        pairs.insert(0, ("started", "reported"))
    for earlier, later in pairs:
        first, then = getattr(issue, earlier), getattr(issue, later)
        if _before(then, first):
            problems.append(Problem(shown, issue.line_of(later),
                                    f"'{later}' {_moment(then)} is before '{earlier}' "
                                    f"{_moment(first)}: the timeline runs "
                                    f"{' <= '.join(TIMELINE_FIELDS)}"))
    return problems


def _moment(value: Day) -> str:
    """A timeline value as it is written: `2026-03-01 14:05`, or the day alone."""
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else value.isoformat()


#: How alike (difflib's ratio) an unknown key and a known field must be for the key to be taken
#: for a typo: `ocurrences` (0.95) and `titel` (0.8) are; `title_en` (0.77), `legacy_status`
#: (0.63, written by the importer) and `customer_ref` are keys of their own.
KEY_TYPO_CUTOFF = 0.8


@lru_cache(maxsize=1024)
def misspelt_field(key: str) -> str | None:
    """The known field an unknown frontmatter key most likely misspells (`Status`, `ocurrences`)."""
    if key in FIELD_ORDER:
        return None
    return closest_name(key.lower(), FIELD_ORDER, cutoff=KEY_TYPO_CUTOFF)


def key_hints(issue: Issue, shown: str, only: Collection[str] | None = None) -> list[Problem]:
    """A did-you-mean hint for each unknown key (of `only`, if given) that looks like a typo of a
    known field.

    Unknown keys are the user's data and stay valid; the hint only says that `ocurrences: 3`
    is not counted as `occurrences`.
    """
    hints = []
    for key in issue.extra:
        if only is not None and str(key) not in only:
            continue
        field_name = misspelt_field(str(key))
        if field_name is not None:
            hints.append(Problem(shown, issue.line_of(str(key)),
                                 f"unknown key '{key}' (kept as your own data): "
                                 f"did you mean '{field_name}'?"))
    return hints


def _before(later: Day, earlier: Day) -> bool:
    """Compare to the minute when both values have a time of day, else by calendar day."""
    if (isinstance(later, datetime) and isinstance(earlier, datetime)
            and (later.tzinfo is None) == (earlier.tzinfo is None)):
        return later < earlier
    return as_date(later) < as_date(earlier)


def as_date(value: date) -> date:
    """The calendar day of a date or datetime."""
    return value.date() if isinstance(value, datetime) else value


def closest_value(value: str, allowed: list[str]) -> str | None:
    """The allowed value `value` most likely means: the same in another case, or a close typo.

    Names that differ only in their digits (`Phase 9`, `Phase 2`) are different values, not typos.
    """
    folded = [name for name in allowed if name.casefold() == value.casefold()]
    if len(folded) == 1:
        return folded[0]
    # The same letters in another order (`hihg`, two swapped), which difflib's ratio rates too
    # low for short names.
    swapped = [name for name in allowed if sorted(name.casefold()) == sorted(value.casefold())]
    if len(swapped) == 1:
        return swapped[0]
    near = closest_name(value.casefold(), [name.casefold() for name in allowed], cutoff=0.8)
    if near is None or re.sub(r"\d", "", near) == re.sub(r"\d", "", value.casefold()):
        return None
    return next(name for name in allowed if name.casefold() == near)


def unknown_value(kind: str, value: str, allowed: list[str]) -> str:
    """The message for a value of a configured kind (severity, status...) that is not allowed,
    with the allowed one it likely means."""
    near = closest_value(str(value), allowed)
    hint = f"; did you mean '{near}'?" if near else ""
    return f"unknown {kind} '{value}' (allowed: {', '.join(allowed)}){hint}"
