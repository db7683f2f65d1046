"""`issuelog history ID`: field-level changes from git, across a renumber, as text and JSON."""

from __future__ import annotations

import json
from pathlib import Path

from issuelog.core.config import load_config
from issuelog.git.issue_history import issue_history
from tests.conftest import Invoke, issue_text, make_tree
from tests.git_helpers import commit_all, git


def test_history_lists_each_change_and_follows_a_renumber(project: Path, cli: Invoke) -> None:
    git(project, "symbolic-ref", "HEAD", "refs/heads/main")
    cli("new", "Base", "-s", "low", "--date", "2026-01-01")
    commit_all(project, "base", when="2026-01-01T09:00:00")
    git(project, "checkout", "-q", "-b", "feature")
    cli("new", "Feature bug", "-s", "high", "--date", "2026-01-02")
    commit_all(project, "feature bug", when="2026-01-02T09:00:00")
    git(project, "config", "user.name", "Grace Hopper")
    cli("set", "2", 'detected=2026-01-02 08:50')
    cli("ack", "2", "--at", "2026-01-02 09:10")
    commit_all(project, "ack", when="2026-01-02T09:11:00")
    git(project, "checkout", "-q", "main")
    # Filed meanwhile on main with the same ID (as by someone whose clone had not seen feature).
    make_tree(project, {"issues/ISSUE-002-main-bug.md": issue_text("ISSUE-002", "Main bug")})
    commit_all(project, "main bug", when="2026-01-03T09:00:00")
    git(project, "checkout", "-q", "feature")
    git(project, "merge", "-q", "main", "-m", "merge main", when="2026-01-04T09:00:00")
    cli("renumber")  # main's ISSUE-002 stays; the feature's becomes ISSUE-003
    commit_all(project, "renumber", when="2026-01-04T10:00:00")
    assert (project / "issues" / "ISSUE-003-feature-bug.md").is_file()

    entries = issue_history(load_config(project), "3")
    assert [(e.kind, e.path, e.author) for e in entries] == [
        ("created", "issues/ISSUE-002-feature-bug.md", "Ada Tester"),
        ("changed", "issues/ISSUE-002-feature-bug.md", "Grace Hopper"),
        ("renamed", "issues/ISSUE-003-feature-bug.md", "Grace Hopper"),
    ]
    assert [(c.field, c.old, c.new) for c in entries[1].changes] == [
        ("detected", "", "2026-01-02 08:50"), ("acknowledged", "", "2026-01-02 09:10")]
    assert ("id", "ISSUE-002", "ISSUE-003") in [(c.field, c.old, c.new) for c in entries[2].changes]

    text = cli("history", "ISSUE-003").stdout
    assert "Grace Hopper  changed\n    detected: (empty) → 2026-01-02 08:50\n" in text
    assert "    id: ISSUE-002 → ISSUE-003\n" in text
    data = json.loads(cli("history", "3", "--format", "json").stdout)
    assert [entry["kind"] for entry in data] == ["created", "changed", "renamed"]
    assert data[1]["date"].startswith("2026-01-02T09:11:00")
    assert data[1]["changes"][1] == {"field": "acknowledged", "from": "", "to": "2026-01-02 09:10"}
    assert data[0]["commit"] == git(project, "log", "--format=%H", "-1", "--grep=feature bug").strip()


def test_history_of_an_uncommitted_issue_says_so(project: Path, cli: Invoke) -> None:
    cli("new", "Fresh", "-s", "low")
    assert cli("history", "1").stderr == "ISSUE-001: no commit has its file yet\n"
    assert cli("history", "9", code=2).stderr.startswith("issuelog: no issue ISSUE-009")
