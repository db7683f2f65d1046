"""Property: any sequence of `set`/`status` edits changes exactly the keys asked for.

Frontmatter is generated with comments, every quoting style, block and flow lists, unknown keys
and unicode; after each edit every untouched key keeps its bytes and its place, the body is
byte-identical, the values read back are the ones asked for, and the file passes `check`.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from conftest import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issuelog.core.clock import today
from issuelog.core.config import Config
from issuelog.core.edits import change_status, file_problems, update_issue
from issuelog.core.frontmatter_edit import EMPTY
from issuelog.core.frontmatter_read import split_frontmatter
from issuelog.core.yaml_loader import SafeIssueLoader
from issuelog.errors import IssueFileError

CONFIG = Config()
BODY = "## Description\n\nÜnïcode body   \n\n## Resolution\n\n<!-- later -->\n"


# Control, format and line-separator characters cannot stand in a one-line YAML value.
WORDS = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
    ),
    min_size=1,
    max_size=12,
)
PLAIN_WORDS = st.from_regex(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ0-9_ ]{0,10}[A-Za-zÀ-ÿ0-9]", fullmatch=True)
UNKNOWN_KEYS = st.from_regex(r"x_[a-z]{1,6}", fullmatch=True)


def _reads_as(text: str, value: Any) -> bool:
    try:
        return bool(yaml.load(f"k: {text}", Loader=SafeIssueLoader) == {"k": value})  # noqa: S506
    except yaml.YAMLError:
        return False


@st.composite
def styled(draw: st.DrawFn, values: st.SearchStrategy[str] = WORDS) -> tuple[str, str]:
    """A string and one way of writing it: plain, single-quoted or double-quoted."""
    value = draw(values)
    style = draw(st.sampled_from(["plain", "single", "double"]))
    if style == "plain" and _reads_as(value, value) and value == value.strip() and "#" not in value:
        return value, value
    if style == "double":
        return value, _double_quoted(value, escape_non_ascii=draw(st.booleans()))
    return value, "'" + value.replace("'", "''") + "'"


def _double_quoted(value: str, *, escape_non_ascii: bool) -> str:
    """A YAML double-quoted scalar, optionally with `\\u00e9` / `\\U0001f600` escapes."""
    written = value.replace("\\", "\\\\").replace('"', '\\"')
    if escape_non_ascii:
        written = "".join(
            c if ord(c) < 128 else f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}"
            for c in written
        )
    return f'"{written}"'


@dataclass
class Entry:
    """One top-level key as written: leading comment lines, then its line(s)."""

    key: str
    value: Any
    text: str


@st.composite
def entries(draw: st.DrawFn) -> list[Entry]:
    """Frontmatter entries of a valid issue, in a generated order, with comments."""
    reported = draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 1, 10)))
    status = draw(st.sampled_from([s.name for s in CONFIG.statuses]))
    title, title_text = draw(styled())
    severity = draw(st.sampled_from([s.name for s in CONFIG.severities]))
    found: list[Entry] = [
        Entry("id", "ISSUE-001", "id: ISSUE-001"),
        Entry("title", title, f"title: {title_text}"),
        Entry("status", status, f"status: {status}"),
        Entry(
            "severity", severity, f"severity: {draw(st.sampled_from([severity, repr(severity)]))}"
        ),
        Entry("reported", reported, f"reported: {reported.isoformat()}"),
    ]
    if CONFIG.status(status) and not CONFIG.status(status).open:  # type: ignore[union-attr]
        resolved = reported + timedelta(days=draw(st.integers(0, 30)))
        found.append(Entry("resolved", resolved, f"resolved: {resolved.isoformat()}"))
    elif draw(st.booleans()):
        found.append(Entry("resolved", None, "resolved:"))
    if draw(st.booleans()):
        assignee, text = draw(styled(PLAIN_WORDS))
        found.append(Entry("assignee", assignee, f"assignee: {text}"))
    if draw(st.booleans()):
        tags = draw(st.lists(styled(PLAIN_WORDS), min_size=1, max_size=3))
        if draw(st.booleans()):
            text = "tags: [" + ", ".join(written for _, written in tags) + "]"
        else:
            text = "tags:\n" + "\n".join(f"  - {written}" for _, written in tags)
        found.append(Entry("tags", [value for value, _ in tags], text))
    for key in draw(st.lists(UNKNOWN_KEYS, max_size=3, unique=True)):
        if draw(st.booleans()):
            value, text = draw(styled())
        else:
            value = {"n": draw(st.integers(0, 99)), "w": draw(PLAIN_WORDS)}
            word = _double_quoted(value["w"], escape_non_ascii=False)
            text = f"{{n: {value['n']}, w: {word}}}"
        found.append(Entry(key, value, f"{key}: {text}"))
    ordered = draw(st.permutations(found))
    for entry in ordered:
        comments = draw(st.lists(WORDS, max_size=2))
        leading = "".join(f"# {comment}\n" for comment in comments)
        if "\n" not in entry.text and draw(st.booleans()):
            entry.text += f"   # {draw(WORDS)}"
        entry.text = leading + entry.text + "\n"
    return list(ordered)


SET_KEYS = ["title", "assignee", "component", "phase", "tags", "occurrences", "x_new", "x_other"]


@st.composite
def operations(draw: st.DrawFn) -> list[tuple[str, Any]]:
    """A sequence of `set` (key, value) and `status` edits."""
    found: list[tuple[str, Any]] = []
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.booleans()):
            found.append(("status", draw(st.sampled_from([s.name for s in CONFIG.statuses]))))
            continue
        key = draw(st.sampled_from(SET_KEYS))
        if key == "tags":
            value: Any = draw(st.lists(WORDS, max_size=3))
        elif key == "occurrences":
            value = draw(st.integers(1, 10_000))
        else:
            value = draw(st.one_of(WORDS, st.just(EMPTY)))
        found.append(("set", {key: value}))
    return found


def _frontmatter(text: str) -> dict[str, Any]:
    parts = split_frontmatter(text)
    assert parts is not None
    loaded = yaml.load(parts[0], Loader=SafeIssueLoader)  # noqa: S506
    assert isinstance(loaded, dict)
    return loaded


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=entries(), edits=operations())
def test_edits_change_exactly_the_keys_asked_for(
    document: list[Entry], edits: list[tuple[str, Any]]
) -> None:
    text = "---\n" + "".join(entry.text for entry in document) + "---\n\n" + BODY
    expected = {entry.key: entry.value for entry in document}
    assert _frontmatter(text) == expected
    touched: set[str] = set()
    with tempfile.TemporaryDirectory() as directory:
        config = Config(root=Path(directory))
        path = config.issues_path / "ISSUE-001-generated.md"
        path.parent.mkdir()
        path.write_bytes(text.encode("utf-8"))
        assert file_problems(config, path, text) == []
        for kind, argument in edits:
            before = path.read_bytes()
            try:
                if kind == "status":
                    change_status(config, "1", argument)
                    changes = {"status": argument}
                    if not CONFIG.status(argument).open:  # type: ignore[union-attr]
                        changes["resolved"] = expected.get("resolved") or today()
                    elif "resolved" in expected:
                        changes["resolved"] = None
                else:
                    update_issue(config, "1", argument)
                    changes = {
                        key: None if value is EMPTY else value
                        for key, value in argument.items()
                        if not (value is EMPTY and key not in expected)
                    }
            except IssueFileError:
                assert path.read_bytes() == before
                continue
            now = path.read_text(encoding="utf-8")
            expected.update(changes)
            touched |= set(changes)
            assert _frontmatter(now) == expected
            assert list(_frontmatter(now)) == list(expected)
            assert now.endswith("---\n\n" + BODY)
            position = 0
            for entry in document:
                if entry.key not in touched:
                    found = now.find(entry.text, position)
                    assert found >= 0, f"{entry.key} lost its bytes:\n{entry.text}\n---\n{now}"
                    position = found + len(entry.text)
            assert file_problems(config, path, now) == []


NEW_VALUES = st.one_of(
    WORDS, PLAIN_WORDS, st.booleans(), st.integers(-10**6, 10**6),
    st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)),
    st.lists(PLAIN_WORDS, max_size=3),
)
NEW_KEYS = st.dictionaries(st.sampled_from(["imported_from", "reference_only", "x_new", "owner",
                                            "title", "tags", "<<"]), NEW_VALUES, min_size=1,
                           max_size=4)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=entries(), values=NEW_KEYS, crlf=st.booleans())
def test_adding_keys_quickly_writes_what_the_full_edit_writes(
    document: list[Entry], values: dict[str, Any], crlf: bool
) -> None:
    """`add_frontmatter_keys` (the import's quick path) gives exactly `edit_frontmatter`'s bytes,
    whether the keys are new, already there (it falls back) or a merge key is present."""
    from issuelog.core.frontmatter_edit import add_frontmatter_keys, edit_frontmatter

    text = "---\n" + "".join(entry.text for entry in document) + "---\n\n" + BODY
    if crlf:
        text = text.replace("\n", "\r\n")
    assert add_frontmatter_keys(text, values) == edit_frontmatter(text, values)
