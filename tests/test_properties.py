"""Properties that hold for every input hypothesis can think of: frontmatter edits, section
edits and table escaping."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issuelog.core.config import Config
from issuelog.core.frontmatter_edit import edit_frontmatter
from issuelog.core.model import SECTIONS, parse_issue, validate_issue
from issuelog.core.sections import read_section, read_sections, replace_section
from issuelog.log.render import render_log
from tests.conftest import examples, issue_text

PATH = Path("issues/ISSUE-001-something-broke.md")
PROPERTY_SETTINGS = settings(max_examples=examples(150), deadline=None, derandomize=True,
                             suppress_health_check=[HealthCheck.too_slow])

# Text a person could type into a field: anything but surrogates and the control characters
# YAML cannot hold (issuelog refuses those when reading, see the bad-input corpus).
typed_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\x85\ufeff\u2028\u2029",
                  min_codepoint=0x20),
    min_size=1, max_size=40,
).filter(lambda text: text.strip() == text and text != "")
multiline_text = st.lists(typed_text, min_size=1, max_size=4).map("\n".join)
newlines = st.sampled_from(["\n", "\r\n"])
boms = st.sampled_from(["", "\ufeff"])


def original_issue(newline: str, bom: str) -> str:
    text = issue_text(extra="""
        # a comment the edit must keep
        component: api   # trailing comment
        tags: [db, startup]
        custom_key: {nested: [1, 2]}
    """, body="## Description\n\nIt broke.\n\n## Resolution\n\nNone yet.\n")
    return bom + text.replace("\n", newline)


@PROPERTY_SETTINGS
@given(
    newline=newlines, bom=boms, assignee=typed_text, component=typed_text,
    message=multiline_text, tags=st.lists(typed_text, max_size=4),
    remove_tags=st.booleans(),
)
def test_frontmatter_edits_round_trip(newline: str, bom: str, assignee: str, component: str,
                                      message: str, tags: list[str], remove_tags: bool) -> None:
    original = original_issue(newline, bom)
    changes: dict[str, Any] = {"assignee": assignee, "component": component, "error_message": message}
    if not remove_tags:
        changes["tags"] = tags
    edited = edit_frontmatter(original, changes, remove=["tags"] if remove_tags else ())
    issue, problems = parse_issue(PATH, edited)
    assert issue is not None and problems == [], problems
    assert validate_issue(issue, Config(), str(PATH)) == []
    assert (issue.assignee, issue.component, issue.error_message) == (assignee, component, message)
    assert issue.tags == ([] if remove_tags else tags)
    assert (issue.id, issue.title, issue.severity) == ("ISSUE-001", "Something broke", "high")
    assert issue.extra == {"custom_key": {"nested": [1, 2]}}
    assert edited.startswith(bom + "---" + newline)
    assert edited.endswith(original.split("---" + newline, 2)[2])  # the body, byte for byte
    assert "# a comment the edit must keep" + newline in edited
    assert len(edited.splitlines()) == edited.count(newline)  # one line-ending style throughout


section_line = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 .,;:!?()*_'\"/]{0,40}", fullmatch=True).map(str.rstrip)
section_content = st.lists(st.one_of(section_line, st.just("")), min_size=1, max_size=6).map(
    lambda lines: "\n".join(lines).strip("\n")
).filter(bool)


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A body of `## Title` sections with plain paragraphs, and its titles."""
    titles = draw(st.lists(st.sampled_from(SECTIONS), min_size=1, max_size=5, unique=True))
    parts = [f"## {title}\n\n{draw(section_content)}\n" for title in titles]
    return "\n".join(parts), titles


@PROPERTY_SETTINGS
@given(body=bodies(), target=st.sampled_from(SECTIONS), content=section_content,
       append=st.booleans(), newline=newlines)
def test_replacing_a_section_changes_that_section_only(body: tuple[str, list[str]], target: str,
                                                      content: str, append: bool, newline: str) -> None:
    text = body[0].replace("\n", newline)
    before = read_sections(text)
    edited = replace_section(text, target, content, append=append)
    after = read_sections(edited)
    old = before.get(target, "")
    expected = f"{old}\n\n{content}" if append and old else content
    assert read_section(edited, target) == expected
    assert {k: v for k, v in after.items() if k != target} == {k: v for k, v in before.items() if k != target}
    assert list(after)[: len(before)] == list(before)  # no section moved
    assert len(edited.splitlines()) == edited.count(newline)
    if not append:
        assert replace_section(edited, target, content) == edited  # idempotent


@settings(max_examples=examples(40), deadline=None, derandomize=True)
@given(title=typed_text, component=typed_text, assignee=typed_text, area=typed_text, cause=multiline_text)
def test_any_value_keeps_every_table_row_intact(tmp_path_factory: Any, title: str, component: str,
                                                assignee: str, area: str, cause: str) -> None:
    root = tmp_path_factory.mktemp("log")
    config = Config(root=root)
    issues = []
    for number, status in ((1, "open"), (2, "resolved")):
        path = root / "issues" / f"ISSUE-00{number}-x.md"
        values = {"title": title, "component": component, "assignee": assignee,
                  "reference": {"area": area, "cause": cause, "solution": title}}
        text = edit_frontmatter(issue_text(f"ISSUE-00{number}", status=status), values)
        if status == "resolved":
            text = edit_frontmatter(text, {"resolved": "2026-01-12"})
        issue, problems = parse_issue(path, text)
        assert issue is not None and problems == []
        issues.append(issue)
    log = render_log(issues, config)
    assert "<" not in re.sub(r"<br>|<!--.*?-->", "", log, flags=re.S)
    columns = 0
    for line in log.splitlines():
        if not line.startswith("|"):
            columns = 0
            continue
        cells = len(re.split(r"(?<!\\)\|", line.replace("\\\\", ""))) - 2
        columns = columns or cells
        assert cells == columns, line
