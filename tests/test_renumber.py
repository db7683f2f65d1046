"""Duplicate IDs after a merge: `check` reports them, `renumber` resolves them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from issuelog.core.cache import load_issues
from issuelog.core.config import load_config
from issuelog.git.renumber import plan_renumbering
from tests.conftest import Invoke, files_snapshot, issue_text, make_tree
from tests.git_helpers import commit_all, git


def test_done_when_two_branches_collide_merge_and_renumber(
    hooked_repo: Path, tmp_path: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A teammate's clone and this one both take ISSUE-002; the merge, check, renumber, render."""
    clone = tmp_path / "teammate"
    git(tmp_path, "clone", "-q", str(hooked_repo), str(clone))
    git(clone, "config", "user.name", "Grace")
    git(clone, "config", "user.email", "grace@example.invalid")
    monkeypatch.chdir(clone)
    cli("new", "Beta bug", "-s", "medium", "--date", "2026-01-03")
    cli("new", "Beta follow-up", "-s", "low", "-r", "ISSUE-002", "--date", "2026-01-03")
    cli("render")
    commit_all(clone, "beta issues", when="2026-01-03T10:00:00")

    monkeypatch.chdir(hooked_repo)
    git(hooked_repo, "checkout", "-q", "-b", "alpha")
    alpha_path = cli("new", "Alpha bug", "-s", "critical", "--date", "2026-01-02").stdout.strip()
    assert alpha_path == "issues/ISSUE-002-alpha-bug.md"  # the clone's work is not fetched yet
    cli("new", "Alpha follow-up", "-s", "low", "-r", "ISSUE-002", "--date", "2026-01-02")
    cli("render")
    commit_all(hooked_repo, "alpha issue", when="2026-01-02T10:00:00")

    git(hooked_repo, "fetch", "-q", str(clone), "main:refs/remotes/teammate/main")
    merge = subprocess.run(["git", "merge", "--no-edit", "teammate/main"], cwd=hooked_repo,
                           capture_output=True, text=True)
    assert "CONFLICT" not in merge.stdout
    # The installed pre-merge-commit hook stops the merge commit: it would bring duplicate IDs.
    assert merge.returncode != 0 and "DUPLICATE ID" in merge.stderr
    log = (hooked_repo / "ISSUES.md").read_text()
    assert "<<<<<<<" not in log and ">>>>>>>" not in log

    found = cli("check", code=1)
    assert ("issues/ISSUE-002-beta-bug.md:2: duplicate id 'ISSUE-002' "
            "(also in issues/ISSUE-002-alpha-bug.md)") in found.stdout

    fixed = cli("renumber")
    assert fixed.stdout.splitlines() == [
        "rename issues/ISSUE-002-beta-bug.md -> issues/ISSUE-004-beta-bug.md "
        "(ISSUE-002 -> ISSUE-004; issues/ISSUE-002-alpha-bug.md keeps ISSUE-002)",
        "rename issues/ISSUE-003-beta-follow-up.md -> issues/ISSUE-005-beta-follow-up.md "
        "(ISSUE-003 -> ISSUE-005; issues/ISSUE-003-alpha-follow-up.md keeps ISSUE-003)",
        "update issues/ISSUE-005-beta-follow-up.md: related ISSUE-002 -> ISSUE-004",
    ]
    cli("check")
    issues = {issue.id: issue for issue in load_issues(load_config(hooked_repo)).issues}
    assert issues["ISSUE-004"].title == "Beta bug"
    assert [(i.id, i.title, i.related) for i in issues.values() if i.related] == [
        ("ISSUE-003", "Alpha follow-up", ["ISSUE-002"]),  # meant the issue that kept the ID
        ("ISSUE-005", "Beta follow-up", ["ISSUE-004"]),  # came with the renumbered one: follows it
    ]
    assert issues["ISSUE-002"].title == "Alpha bug"
    cli("render")
    cli("render", "--check")
    git(hooked_repo, "add", "-A", "issues", "ISSUES.md")
    git(hooked_repo, "commit", "-q", "--no-edit")  # concludes the merge
    assert git(hooked_repo, "status", "--porcelain") == ""
    assert "<<<<<<<" not in (hooked_repo / "ISSUES.md").read_text()
    assert "| **Total** | **5** |" in (hooked_repo / "ISSUES.md").read_text()


def test_dry_run_prints_the_plan_and_changes_nothing(project: Path, cli: Invoke) -> None:
    make_tree(project, {
        "issues/ISSUE-001-old.md": issue_text("ISSUE-001", title="Old"),
        "issues/ISSUE-001-new.md": issue_text("ISSUE-001", title="New"),
    })
    os.utime(project / "issues" / "ISSUE-001-old.md", (1_000_000, 1_000_000))
    before = files_snapshot(project)
    plan = cli("renumber", "--dry-run")
    assert plan.stdout.splitlines() == [
        "would rename issues/ISSUE-001-new.md -> issues/ISSUE-002-new.md "
        "(ISSUE-001 -> ISSUE-002; issues/ISSUE-001-old.md keeps ISSUE-001)",
    ]
    assert files_snapshot(project) == before


def test_committed_file_keeps_its_id_over_an_older_uncommitted_one(project: Path) -> None:
    make_tree(project, {"issues/ISSUE-003-committed.md": issue_text("ISSUE-003")})
    commit_all(project, "committed")
    make_tree(project, {"issues/ISSUE-003-local.md": issue_text("ISSUE-003")})
    os.utime(project / "issues" / "ISSUE-003-local.md", (1_000_000, 1_000_000))  # older on disk
    plan = plan_renumbering(load_config(project))
    assert [(r.old_path.name, r.new_path.name, r.kept_by.name) for r in plan.renames] == [
        ("ISSUE-003-local.md", "ISSUE-004-local.md", "ISSUE-003-committed.md"),
    ]


def test_three_way_collision_and_unclear_references(project: Path, cli: Invoke) -> None:
    """Without history nobody knows which issue a reference meant: it is reported, not changed."""
    make_tree(project, {
        "issues/ISSUE-001-a.md": issue_text("ISSUE-001", title="A"),
        "issues/ISSUE-001-b.md": issue_text("ISSUE-001", title="B"),
        "issues/ISSUE-001-c.md": issue_text("ISSUE-001", title="C"),
        "issues/ISSUE-005-ref.md": issue_text("ISSUE-005", extra="related: [ISSUE-001]"),
    })
    for offset, name in enumerate(("a", "b", "c")):
        os.utime(project / "issues" / f"ISSUE-001-{name}.md", (1_000_000 + offset,) * 2)
    result = cli("renumber")
    assert result.stdout.splitlines()[:2] == [
        "rename issues/ISSUE-001-b.md -> issues/ISSUE-006-b.md "
        "(ISSUE-001 -> ISSUE-006; issues/ISSUE-001-a.md keeps ISSUE-001)",
        "rename issues/ISSUE-001-c.md -> issues/ISSUE-007-c.md "
        "(ISSUE-001 -> ISSUE-007; issues/ISSUE-001-a.md keeps ISSUE-001)",
    ]
    assert "left issues/ISSUE-005-ref.md: related ISSUE-001 may mean either issue" in result.stdout
    assert (project / "issues" / "ISSUE-005-ref.md").read_text() == issue_text(
        "ISSUE-005", extra="related: [ISSUE-001]")
    cli("check")
    # The renamed files changed only in their id line.
    assert (project / "issues" / "ISSUE-007-c.md").read_text() == issue_text("ISSUE-007", title="C")


def test_renumber_without_duplicates_changes_nothing(project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-001-a.md": issue_text("ISSUE-001")})
    before = files_snapshot(project)
    assert "nothing to renumber" in cli("renumber").stderr
    assert files_snapshot(project) == before


def test_a_file_renamed_in_history_still_counts_as_committed(project: Path) -> None:
    make_tree(project, {"issues/ISSUE-003-draft.md": issue_text("ISSUE-003")})
    commit_all(project, "draft", when="2026-01-01T09:00:00")
    git(project, "mv", "issues/ISSUE-003-draft.md", "issues/ISSUE-003-final.md")
    commit_all(project, "rename", when="2026-01-02T09:00:00")
    make_tree(project, {"issues/ISSUE-003-local.md": issue_text("ISSUE-003")})
    os.utime(project / "issues" / "ISSUE-003-local.md", (1_000_000, 1_000_000))
    plan = plan_renumbering(load_config(project))
    assert [(r.old_path.name, r.kept_by.name) for r in plan.renames] == [
        ("ISSUE-003-local.md", "ISSUE-003-final.md"),
    ]
