"""`issuelog diff`: issue changes since a revision, as Markdown for a PR comment and as JSON.

Refresh `tests/golden/diff.md` after an intended change of `diff.md.j2` with
`ISSUELOG_UPDATE_GOLDEN=1 pytest tests/test_diff.py` and review its diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from issuelog.core.config import load_config
from issuelog.core.model import Issue
from issuelog.log.changes import compare_issues
from tests.conftest import Invoke, issue_text, make_tree
from tests.git_helpers import commit_all, git

BASE_FILES = {
    "issues/ISSUE-001-login.md": issue_text("ISSUE-001", "Login fails", "open", "high"),
    "issues/ISSUE-002-slow.md": issue_text("ISSUE-002", "Slow page", "open", "medium"),
    "issues/ISSUE-003-typo.md": issue_text("ISSUE-003", "Typo", "resolved", "low",
                                           extra="resolved: 2026-01-11"),
    "issues/ISSUE-004-cache.md": issue_text("ISSUE-004", "Cache | stale", "open", "low"),
    "issues/ISSUE-005-gone.md": issue_text("ISSUE-005", "Filed by mistake", "open", "low"),
}
FEATURE_FILES = {
    "issues/ISSUE-001-login.md": issue_text("ISSUE-001", "Login fails", "resolved", "high",
                                            extra="resolved: 2026-01-12"),
    "issues/ISSUE-002-slow.md": issue_text("ISSUE-002", "Slow search page", "open", "critical"),
    "issues/ISSUE-003-typo.md": issue_text("ISSUE-003", "Typo", "open", "low"),
    "issues/ISSUE-004-cache.md": issue_text("ISSUE-004", "Cache | stale", "in_progress", "medium",
                                            extra="assignee: Grace"),
    "issues/ISSUE-006-new.md": issue_text("ISSUE-006", "Crash on save", "open", "critical"),
}

GOLDEN = Path(__file__).resolve().parent / "golden" / "diff.md"  # BASE: the merge base


@pytest.fixture
def history(project: Path) -> str:
    """main with five issues; `feature` changes them; main moves on with an issue of its own.

    Returns the commit where `feature` left main (the merge base).
    """
    git(project, "symbolic-ref", "HEAD", "refs/heads/main")
    make_tree(project, BASE_FILES)
    base = commit_all(project, "base", when="2026-01-10T09:00:00")
    git(project, "checkout", "-q", "-b", "feature")
    (project / "issues" / "ISSUE-005-gone.md").unlink()
    make_tree(project, FEATURE_FILES)
    commit_all(project, "feature work", when="2026-01-12T09:00:00")
    git(project, "checkout", "-q", "main")
    make_tree(project, {"issues/ISSUE-007-main.md": issue_text("ISSUE-007", "Only on main")})
    commit_all(project, "main moves on", when="2026-01-13T09:00:00")
    git(project, "checkout", "-q", "feature")
    return base


def test_diff_against_the_merge_base_as_markdown(history: str, cli: Invoke) -> None:
    result = cli("diff", "--link-base", "https://example.invalid/blob/feature/")
    if os.environ.get("ISSUELOG_UPDATE_GOLDEN"):
        GOLDEN.write_text(result.stdout.replace(history[:10], "BASE"), encoding="utf-8", newline="\n")
    assert result.stdout == GOLDEN.read_text(encoding="utf-8").replace("BASE", history[:10])


def test_diff_as_json(history: str, cli: Invoke) -> None:
    data = json.loads(cli("diff", "main", "--format", "json").stdout)
    assert data["commit"] != history  # main itself, not the merge base, when named
    assert data["counts"] == {"opened": 1, "added": 0, "resolved": 1, "reopened": 1, "renumbered": 0,
                              "changed": 2, "removed": 2}
    by_id = {change["id"]: change for change in data["changes"]}
    assert by_id["ISSUE-007"]["kind"] == "removed"  # on main but not on this branch
    assert by_id["ISSUE-004"] == {
        "kind": "changed", "id": "ISSUE-004", "title": "Cache | stale", "status": "in_progress",
        "severity": "medium", "link": "issues/ISSUE-004-cache.md", "resolved_by": None,
        "fields": [{"field": "status", "from": "open", "to": "in_progress"},
                   {"field": "severity", "from": "low", "to": "medium"},
                   {"field": "assignee", "from": "", "to": "Grace"}],
    }


def test_diff_with_no_change_and_from_a_subdirectory(history: str, cli: Invoke, project: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / "issues")
    result = cli("diff", "HEAD")
    assert result.stdout.endswith(
        "No issue was opened, added, resolved, reopened, renumbered, changed or removed.\n")


def test_diff_of_an_unknown_revision_is_a_usage_error(history: str, cli: Invoke) -> None:
    assert "'nope' is not a commit" in cli("diff", "nope", code=2).stderr


def test_compare_issues_counts_closing_as_won_t_fix_as_resolved(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    before = [Issue(tmp_path / "a.md", id="ISSUE-001", status="open", severity="low")]
    after = [Issue(tmp_path / "a.md", id="ISSUE-001", status="wont_fix", severity="low")]
    diff = compare_issues(before, after, config)
    assert [(change.kind, change.issue.id) for change in diff.changes] == [("resolved", "ISSUE-001")]
    assert compare_issues(after, after, config).changes == []


def test_diff_outside_git_is_a_usage_error(tmp_path: Path, cli: Invoke,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    (tmp_path / "issuelog.toml").write_text('project = "Plain"\n')
    assert "not in a git work tree" in cli("diff", code=2).stderr


def test_a_removed_issue_is_shown_without_a_link(history: str, cli: Invoke) -> None:
    # Its file is gone from the branch the links lead to: a link would lead nowhere.
    markdown = cli("diff", "main", "--link-base", "https://example.invalid/blob/feature/").stdout
    removed = markdown[markdown.index("#### Removed"):]
    assert "| ISSUE-005 | Filed by mistake |" in removed and "| ISSUE-007 | Only on main |" in removed
    assert "](" not in removed
    assert "[ISSUE-006](https://example.invalid/blob/feature/issues/ISSUE-006-new.md)" in markdown
    data = json.loads(cli("diff", "main", "--format", "json").stdout)
    links = {change["id"]: change["link"] for change in data["changes"]}
    assert links["ISSUE-005"] is None and links["ISSUE-007"] is None
    assert links["ISSUE-006"] == "issues/ISSUE-006-new.md"


def test_issues_filed_closed_are_added_not_opened(history: str, cli: Invoke, project: Path) -> None:
    make_tree(project, {
        "issues/ISSUE-008-fixed.md": issue_text("ISSUE-008", "Fixed before filing", status="resolved",
                                                extra="resolved: 2026-01-12"),
        "issues/ISSUE-009-known.md": issue_text(
            "ISSUE-009", "Known fix", status="resolved",
            extra="reference_only: true\nreference: {area: Db, cause: c, solution: s}"),
    })
    data = json.loads(cli("diff", "--format", "json").stdout)
    kinds = {change["id"]: change["kind"] for change in data["changes"]}
    assert kinds["ISSUE-008"] == kinds["ISSUE-009"] == "added"
    assert data["counts"]["added"] == 2 and data["counts"]["opened"] == 1
    text = cli("diff").stdout
    assert "**1 opened**, **2 added**" in text and "#### Added (2)" in text


def test_diff_of_two_refs_never_calls_two_issues_one_and_tells_a_renumbered_one(
        project: Path, cli: Invoke) -> None:
    """main and feature each file a different ISSUE-004; the feature's is renumbered after the merge."""
    git(project, "symbolic-ref", "HEAD", "refs/heads/main")
    make_tree(project, {"issues/ISSUE-001-a.md": issue_text("ISSUE-001", "A")})
    commit_all(project, "base")
    git(project, "checkout", "-q", "-b", "feature")
    make_tree(project, {"issues/ISSUE-004-mine.md": issue_text("ISSUE-004", "Mine", severity="critical",
                                                               reported="2026-01-12")})
    commit_all(project, "mine")
    git(project, "checkout", "-q", "main")
    make_tree(project, {"issues/ISSUE-004-theirs.md": issue_text("ISSUE-004", "Theirs",
                                                                 severity="high")})
    commit_all(project, "theirs")
    data = json.loads(cli("diff", "main", "feature", "--format", "json").stdout)
    assert [(c["kind"], c["id"], c["title"]) for c in data["changes"]] == [
        ("opened", "ISSUE-004", "Mine"), ("removed", "ISSUE-004", "Theirs")]

    git(project, "checkout", "-q", "feature")
    git(project, "merge", "-q", "--no-edit", "main")
    before = git(project, "rev-parse", "HEAD").strip()
    cli("renumber")
    commit_all(project, "renumber")
    data = json.loads(cli("diff", before, "HEAD", "--format", "json").stdout)
    assert data["counts"]["renumbered"] == 1 and data["counts"]["opened"] == 0
    assert data["changes"] == [{
        "kind": "renumbered", "id": "ISSUE-005", "title": "Mine", "status": "open",
        "severity": "critical", "link": "issues/ISSUE-005-mine.md", "resolved_by": None,
        "fields": [{"field": "id", "from": "ISSUE-004", "to": "ISSUE-005"}]}]
    markdown = cli("diff", before).stdout  # the work tree as HEAD
    assert "**1 renumbered**" in markdown and "id: ISSUE-004 → ISSUE-005" in markdown
    # Against main, the renumbered issue is simply new, and main's ISSUE-004 did not change.
    data = json.loads(cli("diff", "main", "--format", "json").stdout)
    assert [(c["kind"], c["id"], c["title"]) for c in data["changes"]] == [("opened", "ISSUE-005", "Mine")]


def test_diff_markdown_stays_short_at_any_scale(tmp_path: Path) -> None:
    from issuelog.log.render import DIFF_ROWS_PER_KIND, render_diff

    config = load_config(tmp_path)
    after = [Issue(tmp_path / f"ISSUE-{n:04d}-x.md", id=f"ISSUE-{n:04d}", title=f"Bug {n}",
                   status="open", severity="low") for n in range(1, 5001)]
    before = [Issue(tmp_path / "ISSUE-9999-y.md", id="ISSUE-9999", title="Gone", status="open",
                    severity="low")]
    markdown = render_diff(compare_issues(before, after, config), "main", "0" * 40, config)
    assert "**5000 opened**, **1 removed**" in markdown.splitlines()[2]
    assert "<details><summary>Show 5000 opened issues</summary>" in markdown
    assert markdown.count("| [ISSUE-") == DIFF_ROWS_PER_KIND
    assert f"…and {5000 - DIFF_ROWS_PER_KIND} more" in markdown
    assert "| ISSUE-9999 | Gone |" in markdown and markdown.count("<details>") == 1  # one row: open
    assert len(markdown.encode()) < 10_000
