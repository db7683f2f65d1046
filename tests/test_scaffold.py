"""`scaffold.create_issue`: the optional body and preferred ID used by the importer."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from issuelog.core.config import Config
from issuelog.core.model import parse_issue, validate_issue
from issuelog.project.scaffold import create_issue, replace_body
from tests.conftest import issue_text

DAY = date(2026, 1, 10)


def _valid(path: Path, config: Config) -> None:
    issue, problems = parse_issue(path, path.read_text(encoding="utf-8"))
    assert issue is not None
    assert problems + validate_issue(issue, config, str(path)) == []


def test_without_body_the_template_sections_are_kept(config: Config) -> None:
    issue_id, path = create_issue(config, {"title": "Plain", "severity": "low"}, today=DAY)
    assert issue_id == "ISSUE-001"
    text = path.read_text(encoding="utf-8")
    assert "## Steps to Reproduce" in text and "<!-- Fill in when resolved. -->" in text
    _valid(path, config)


def test_body_replaces_the_template_body_verbatim(config: Config) -> None:
    body = "## Description\n\nIt *broke*:\n\n```python\nraise ValueError\n```\n"
    _, path = create_issue(config, {"title": "With body", "severity": "high"}, today=DAY,
                           extra={"legacy_id": "BUG-7"}, body=body)
    text = path.read_text(encoding="utf-8")
    assert text.endswith("---\n\n" + body)
    assert "Steps to Reproduce" not in text
    assert "legacy_id: BUG-7\n---\n" in text
    _valid(path, config)


def test_empty_body_leaves_only_the_frontmatter(config: Config) -> None:
    _, path = create_issue(config, {"title": "Bare", "severity": "high"}, today=DAY, body="")
    assert path.read_text(encoding="utf-8").endswith("files:\n---\n")
    _valid(path, config)


def test_replace_body_keeps_the_frontmatter_bytes() -> None:
    text = issue_text(body="## Old\n\nold\n")
    new = replace_body(text, "## New\n\nnew\n\n")
    assert new == text.split("---\n\n", 1)[0] + "---\n\n## New\n\nnew\n"


def test_preferred_id_is_used_when_free(config: Config) -> None:
    issue_id, path = create_issue(config, {"title": "Kept", "severity": "low"}, today=DAY,
                                  preferred_id="ISSUE-042")
    assert issue_id == "ISSUE-042"
    assert path.name == "ISSUE-042-kept.md"
    _valid(path, config)
    follow, _ = create_issue(config, {"title": "Next", "severity": "low"}, today=DAY)
    assert follow == "ISSUE-043"


def test_preferred_id_that_is_taken_gets_the_next_free_one(project: Path, config: Config) -> None:
    existing = project / "issues" / "ISSUE-002-other.md"
    existing.write_text(issue_text("ISSUE-002"), encoding="utf-8")
    before = existing.read_bytes()
    issue_id, _ = create_issue(config, {"title": "Clash", "severity": "low"}, today=DAY,
                               preferred_id="ISSUE-002")
    assert issue_id == "ISSUE-003"
    assert existing.read_bytes() == before


def test_preferred_id_outside_the_pattern_is_ignored(config: Config) -> None:
    issue_id, _ = create_issue(config, {"title": "Odd", "severity": "low"}, today=DAY,
                               preferred_id="BUG-9")
    assert issue_id == "ISSUE-001"
