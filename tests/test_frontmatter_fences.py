"""One frontmatter splitter: `check`, `set` and `status` give the same answer for each fence."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Invoke, issue_text

from issuelog.core.frontmatter_edit import edit_frontmatter, split_document
from issuelog.core.frontmatter_read import split_frontmatter
from issuelog.errors import IssueFileError

FOUR_DASHES = issue_text().replace("---\n", "----\n", 1)
DOTS_CLOSING = issue_text().replace("\n---\n", "\n...\n", 1)
GOOD = issue_text()


@pytest.mark.parametrize(("text", "message"), [
    (FOUR_DASHES, "the frontmatter must open with a line of exactly '---', not '----'"),
    (DOTS_CLOSING, "frontmatter is not closed: '...' does not close it; write '---' instead"),
])
def test_check_set_and_status_refuse_alike(project: Path, cli: Invoke, text: str, message: str) -> None:
    path = project / "issues" / "ISSUE-001-something-broke.md"
    path.write_text(text, encoding="utf-8")
    checked = cli("check", code=1)
    line = text.split("\n").index("...") + 1 if "\n...\n" in text else 1  # the line to fix
    assert f"issues/ISSUE-001-something-broke.md:{line}: {message}" in checked.stdout + checked.stderr
    for args in (("set", "1", "severity=low"), ("status", "1", "resolved")):
        result = cli(*args, code=1)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert path.read_text(encoding="utf-8") == text  # nothing written


def test_readers_and_editors_split_at_the_same_line() -> None:
    parts = split_frontmatter(GOOD)
    assert parts is not None
    head, body = split_document(GOOD)
    assert head.endswith("reported: 2026-01-10\n---\n")
    assert body == "\n## Description\n\nIt broke.\n"
    assert parts[1].lstrip("\n") == body.lstrip("\n")


def test_a_horizontal_rule_in_the_body_is_not_a_fence() -> None:
    text = GOOD + "\n----\n\nMore.\n"
    assert split_frontmatter(text) is not None
    edited = edit_frontmatter(text, {"severity": "low"}, name="x.md")
    assert edited.endswith("\n----\n\nMore.\n") and "severity: low" in edited


@pytest.mark.parametrize("text", [FOUR_DASHES, DOTS_CLOSING])
def test_the_editor_refuses_what_check_refuses(text: str) -> None:
    assert split_frontmatter(text) is None
    with pytest.raises(IssueFileError):
        edit_frontmatter(text, {"severity": "low"}, name="x.md")
