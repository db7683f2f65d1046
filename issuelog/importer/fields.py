"""The words of hand-kept logs: field labels, status and severity words, written dates.

Pure functions from what people write (`**Date Found:**`, `🟢 RESOLVED`, `Jan 10, 2026`) to
issuelog's field names and values under the configuration in force; the importer uses them.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta

from issuelog.core.config import Config

# Field labels as people write them (normalized: lower case, letters and digits only) -> field.
_META_KEYS: dict[str, tuple[str, ...]] = {
    "id": ("id", "issue id", "ticket", "ref", "reference id"),
    "title": ("title", "summary title"),
    "status": ("status", "state", "current status"),
    "severity": ("severity", "priority", "sev", "severity level", "impact level"),
    "phase": ("phase", "milestone", "sprint", "stage"),
    "category": ("category", "error type", "type", "issue type", "kind", "error category"),
    "component": ("component", "area", "module", "service", "subsystem"),
    "reported": ("date", "date found", "date reported", "reported", "reported on", "found",
                 "found on", "date opened", "opened", "created", "date created", "discovered",
                 "first seen", "date discovered", "when"),
    "resolved": ("date resolved", "resolved", "resolved on", "date fixed", "fixed", "fixed on",
                 "date closed", "closed", "closed on", "resolution date", "fixed date"),
    "reporter": ("reporter", "reported by", "found by", "author", "raised by"),
    "assignee": ("assignee", "assigned to", "owner", "fixed by", "assigned"),
    "tags": ("tags", "labels", "keywords"),
    "related": ("related issues", "related", "see also", "related issue", "duplicates"),
    "files": ("files affected", "related files", "affected files", "files", "files changed",
              "files modified", "changed files", "modified files", "location", "locations",
              "where", "file", "affected code", "code location", "file location"),
}
_SECTION_KEYS: dict[str, tuple[str, ...]] = {
    "Description": ("description", "problem", "issue", "summary", "symptoms", "symptom",
                    "details", "what happened", "problem description", "error description",
                    "observation", "observations", "original problem", "problem statement",
                    "what we saw", "what went wrong", "bug description", "issue description"),
    "Steps to Reproduce": ("steps to reproduce", "reproduction", "repro", "steps",
                           "how to reproduce", "reproduction steps"),
    "Expected Behavior": ("expected behavior", "expected behaviour", "expected",
                          "expected result"),
    "Actual Behavior": ("actual behavior", "actual behaviour", "actual", "actual result"),
    "Error Message / Stack Trace": ("error message stack trace", "error message", "stack trace",
                                    "error", "traceback", "error output", "log output"),
    "Environment": ("environment", "env", "versions", "platform"),
    "Root Cause": ("root cause", "cause", "why", "reason", "root cause analysis", "analysis"),
    "Resolution": ("resolution", "solution", "fix", "resolution steps", "how it was fixed",
                   "how fixed", "the fix", "fix applied", "what to do", "remedy",
                   "what worked", "what fixed it", "how i fixed it", "how we fixed it"),
    "Prevention": ("prevention", "preventive measures", "lessons learned", "lesson learned",
                   "how to prevent", "prevention measures", "follow up", "follow ups"),
}
FIELD_LABELS = {alias: name for name, aliases in _META_KEYS.items() for alias in aliases}
SECTION_LABELS = {alias: name for name, aliases in _SECTION_KEYS.items() for alias in aliases}

# Words that qualify a label without changing what it names: "Permanent Fix", "Day 3 fix",
# "Fix (after release)", "✅ FIX APPLIED (2024-05-02)", "Root Causes".
_QUALIFIERS = re.compile(r"^(?:(?:permanent|final|actual|real|proper|quick|temporary|interim|"
                         r"short term|long term|initial|applied|implemented|day \d+|step \d+|"
                         r"the)\s+)+")


@functools.lru_cache(maxsize=4096)
def _label_variants(label: str) -> tuple[str, ...]:
    """A normalized label, then the forms it may stand for, most literal first.

    Remembered: a log of thousands of entries asks about the same few labels on every line.
    """
    text = normalize_label(label)
    bare = normalize_label(re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", label))  # "(after release)"
    bare = re.sub(r"\b\d{4}(?: \d{1,2}){1,2}\b", " ", bare).strip()  # a date in it
    unqualified = _QUALIFIERS.sub("", bare).strip()
    singular = " ".join(word[:-1] if len(word) > 3 and word.endswith("s")
                        and not word.endswith("ss") else word for word in unqualified.split())
    variants = [text, bare, unqualified, singular]
    # "Analysis and Resolution", "Cause & Fix": the part that says how it ended wins.
    parts = [part.strip() for part in re.split(r"\band\b", singular) if part.strip()]
    if len(parts) > 1:
        variants += parts[::-1]
    return tuple(variant for variant in dict.fromkeys(variants) if variant)


def field_of(label: str) -> str | None:
    """The frontmatter field a label names (`Date Found` -> reported, `Location` -> files)."""
    return next((FIELD_LABELS[v] for v in _label_variants(label) if v in FIELD_LABELS), None)


def label_qualifies(label: str) -> bool:
    """Whether a label says more than the section it maps to (`Fix (after release)`)."""
    variants = _label_variants(label)
    plain = variants[0]
    plural = " ".join(word[:-1] if word.endswith("s") else word for word in plain.split())
    return plain not in SECTION_LABELS and plural not in SECTION_LABELS


def section_of(label: str) -> str | None:
    """The body section a label names, allowing qualifiers and plurals (`Permanent Fix`)."""
    return next((SECTION_LABELS[v] for v in _label_variants(label) if v in SECTION_LABELS), None)

# Words people use for statuses and severities -> the default configuration's names.
_STATUS_WORDS = {
    "open": ("open", "new", "todo", "to do", "reported", "active", "unresolved", "pending",
             "not started", "outstanding", "known"),
    "in_progress": ("in progress", "inprogress", "wip", "ongoing", "investigating", "working",
                    "under investigation", "in review", "started", "doing"),
    "resolved": ("resolved", "fixed", "done", "closed", "solved", "complete", "completed",
                 "mitigated", "verified", "fixed and verified"),
    "wont_fix": ("wont fix", "won t fix", "will not fix", "wontfix", "known limitation",
                 "known limitations", "by design", "not a bug", "rejected", "cancelled",
                 "canceled", "works as intended"),
    "duplicate": ("duplicate", "dup", "dupe", "duplicated"),
}
_SEVERITY_WORDS = {
    "critical": ("critical", "blocker", "urgent", "p0", "sev0", "sev 0", "sev1", "sev 1",
                 "showstopper", "crit"),
    "high": ("high", "major", "p1", "sev2", "sev 2", "important", "high priority"),
    "medium": ("medium", "moderate", "normal", "p2", "sev3", "sev 3", "med"),
    "low": ("low", "minor", "trivial", "p3", "p4", "sev4", "sev 4", "cosmetic", "nice to have"),
}

_MISSING = re.compile(r"^(?:\[?\s*(?:tbd|tba|todo|n/?a|none|-+|—|\?+|"
                      r"yyyy-mm-dd.*|\.\.\.|…)\s*\]?|\(.*\)|)$", re.I)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?")


def strip_links(text: str) -> str:
    """`[text](url)` -> `text`."""
    return _LINK.sub(r"\1", text)


def strip_list_marker(line: str) -> str:
    """`- item`, `1. item`, `- [x] item` -> `item`."""
    return _LIST_MARKER.sub("", line, count=1)


def normalize_label(text: str) -> str:
    """Compare labels loosely: case, emoji, punctuation and spacing do not matter."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", " ", folded.lower()).strip()


def is_missing(value: str) -> bool:
    """`[TBD]`, `N/A`, `-`, `YYYY-MM-DD`, `(fill in later)` and empty values count as absent."""
    return bool(_MISSING.match(strip_links(value).strip().strip("*_`").strip()))


_MONTHS = {name: number for number, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
     ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
     ("oct", "october"), ("nov", "november"), ("dec", "december")), start=1) for name in names}
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?"
                  r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?\b")
_NUMERIC = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b")
_WORDY = re.compile(r"^(?:(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s+(?P<m1>[A-Za-z]+)\.?,?\s+(?P<y1>\d{4})|"
                    r"(?P<m2>[A-Za-z]+)\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{4}))\b")


def parse_date(text: str) -> tuple[date | datetime | None, str]:
    """A written date -> (the date, '') or (None, why not); missing values give (None, '')."""
    found, why, _ = parse_date_and_rest(text)
    return found, why


def parse_date_and_rest(text: str) -> tuple[date | datetime | None, str, str]:
    """Like parse_date, plus the words after the date (`2025-04-02 by Tom` -> `by Tom`)."""
    value = strip_links(text).strip().strip("*_`").strip()
    if is_missing(value):
        return None, "", ""
    value = re.sub(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", "", value, flags=re.I)
    found, why, end = _date_prefix(value)
    return found, why, value[end:].strip(" \t.,;:()[]–—-") if found is not None else ""


def _date_prefix(value: str) -> tuple[date | datetime | None, str, int]:
    value = re.sub(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", "", value, flags=re.I)
    try:
        match = _ISO.match(value)
        if match:
            year, month, day = (int(match.group(i)) for i in (1, 2, 3))
            if match.group(4) is None:
                return date(year, month, day), "", match.end()
            moment = datetime(year, month, day, int(match.group(4)), int(match.group(5)),
                              int(match.group(6) or 0))
            zone = match.group(7)
            if zone and zone.upper() not in ("Z", "UTC", "GMT"):
                sign = 1 if zone[0] == "+" else -1
                digits = zone[1:].replace(":", "")
                offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
                moment = moment.replace(tzinfo=UTC) - timedelta(minutes=offset)
                moment = moment.replace(tzinfo=None)
            return moment, "", match.end()
        match = _WORDY.match(value)
        if match:
            month_name = (match.group("m1") or match.group("m2")).lower()
            if month_name in _MONTHS:
                day = int(match.group("d1") or match.group("d2"))
                year = int(match.group("y1") or match.group("y2"))
                return date(year, _MONTHS[month_name], day), "", match.end()
        match = _NUMERIC.match(value)
        if match:
            first, second, year = (int(match.group(i)) for i in (1, 2, 3))
            if first <= 12 and second <= 12 and first != second:
                return None, (f"date '{value}' is ambiguous (day/month or month/day?); "
                              "write it as YYYY-MM-DD"), 0
            day, month = (first, second) if first > 12 or first == second else (second, first)
            return date(year, month, day), "", match.end()
    except ValueError:
        return None, f"'{value}' is not a real date", 0
    return None, f"cannot read the date '{value}'", 0


_MONTH_ONLY = re.compile(r"^(?:(\d{4})[-/.](\d{1,2})|(\d{1,2})[-/.](\d{4})|([A-Za-z]+)\.?,?\s+(\d{4}))$")


def month_only(text: str) -> str | None:
    """`2024-11`, `11/2024`, `Nov 2024`, `November, 2024` -> `2024-11`; None for anything else.

    Such a date names a month, not a day: the importer keeps it as written and treats the day
    as unknown rather than inventing the first of the month.
    """
    match = _MONTH_ONLY.match(strip_links(text).strip().strip("*_`").strip())
    if not match:
        return None
    if match.group(5):
        month = _MONTHS.get(match.group(5).lower())
        year = int(match.group(6))
    else:
        year = int(match.group(1) or match.group(4))
        month = int(match.group(2) or match.group(3))
    return f"{year:04d}-{month:02d}" if month and 1 <= month <= 12 else None


def _match_word(value: str, names: list[tuple[str, str, str]],
                words: dict[str, tuple[str, ...]]) -> str | None:
    """Map a written value to a configured name via names, labels, common words, then emoji."""
    text = normalize_label(value)
    for name, label, _ in names:
        if text in (normalize_label(name), normalize_label(label)):
            return name
    configured = {name for name, _, _ in names}
    for name, aliases in words.items():
        if name in configured and text in aliases:
            return name
    # A word inside a longer value (`Fixed (2025-04-04)`, `won't fix: removed in v3`): the
    # longest phrase wins, so that "won t fix" is not read as "fix".
    phrases = [(normalize_label(label), name) for name, label, _ in names]
    phrases += [(alias, name) for name, aliases in words.items() if name in configured
                for alias in aliases]
    for phrase, name in sorted(phrases, key=lambda item: -len(item[0])):
        if text and phrase and re.search(rf"\b{re.escape(phrase)}\b", text):
            return name
    for name, _, emoji in names:
        if emoji and emoji in value:
            return name
    return None


def map_status(value: str, config: Config) -> str | None:
    """'🟢 Resolved', 'RESOLVED', "Won't Fix", 'In Progress' -> a configured status name."""
    return _match_word(value, [(s.name, s.label, s.emoji) for s in config.statuses], _STATUS_WORDS)


def map_severity(value: str, config: Config) -> str | None:
    """'🔴 Critical', 'CRITICAL', 'P1', 'Major' -> a configured severity name."""
    return _match_word(value, [(s.name, s.label, s.emoji) for s in config.severities],
                       _SEVERITY_WORDS)


def map_phase(value: str, config: Config) -> str | None:
    """A phase as written -> the configured phase (any phase when none are configured)."""
    text = " ".join(value.split())
    if not config.phases:
        return text
    for phase in config.phases:
        if normalize_label(phase) in (normalize_label(text), normalize_label(f"phase {text}")):
            return phase
    return None


def map_category(value: str, config: Config) -> str | None:
    """A category as written -> the configured category, when there is one of that name."""
    text = normalize_label(value).replace(" ", "_")
    if not config.categories:
        return text or None
    return next((name for name in config.categories
                 if normalize_label(name).replace(" ", "_") == text), None)


def split_list(value: str, content: str) -> list[str]:
    """Items of `a, b` or of a Markdown list, without backticks, links or list markers."""
    rows = [value] if value else []
    rows += [line for line in content.splitlines() if line.strip()]
    items: list[str] = []
    for row in rows:
        row = strip_links(strip_list_marker(row))
        for part in re.split(r",\s*|;\s*", row) if len(rows) == 1 else [row]:
            part = part.strip().strip("`*_").strip()
            if part and not is_missing(part):
                items.append(part)
    return items


_CODE_SPAN = re.compile(r"`([^`]+)`")


def split_files(value: str, content: str) -> tuple[list[str], bool]:
    """Paths of a files field, and whether notes came with them.

    `` `src/a.py` - closes the watcher, adds a lock `` gives `src/a.py` (the note is not part of
    the path, and its commas split nothing); `` `a.py` (**FIXED**), `b.py` `` gives both paths.
    Without backticks, items are split as `split_list` does.
    """
    rows = [value] if value else []
    rows += [line for line in content.splitlines() if line.strip()]
    if not any(_CODE_SPAN.search(row) for row in rows):
        return split_list(value, content), False
    paths: list[str] = []
    noted = False
    for row in rows:
        row = strip_links(strip_list_marker(row)).strip()
        # Commas separate items only where the next item starts with a path in backticks.
        for part in re.split(r"[,;]\s*(?=`)", row) if len(rows) == 1 else [row]:
            match = _CODE_SPAN.match(part.strip())
            if match is None:
                noted = noted or bool(part.strip())
                continue
            paths.append(match.group(1).strip())
            noted = noted or bool(part.strip()[match.end():].strip(" -–—:,;"))
    return list(dict.fromkeys(paths)), noted


def named_exactly(text: str, config: Config, kind: str, *, heading: bool = True) -> str | None:
    """The status or severity a whole normalized text names; headings ignore 'known', 'fixed'."""
    if kind == "status":
        names = [(s.name, s.label, s.emoji) for s in config.statuses]
        words = _STATUS_WORDS
    else:
        names = [(s.name, s.label, s.emoji) for s in config.severities]
        words = _SEVERITY_WORDS
    for name, label, _ in names:
        if text in (normalize_label(name), normalize_label(label)):
            return name
    configured = {name for name, _, _ in names}
    return next((name for name, aliases in words.items()
                 if name in configured and text in aliases
                 and not (heading and text in ("known", "fixed"))), None)
