"""Closing issues from commit messages, in real git repositories: trailers and phrases, merge
commits, squash merges, rebased branches, repeats, closed and unknown issues, CI and the hook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from issuelog.core.config import load_config
from issuelog.git.trailers import referenced_ids
from tests.conftest import Invoke, issue_text, make_tree
from tests.git_helpers import commit_all, git


@pytest.fixture
def repo(project: Path) -> Path:
    """On main: ISSUE-001 to ISSUE-004, open, reported 2026-01-10."""
    git(project, "symbolic-ref", "HEAD", "refs/heads/main")
    make_tree(project, {f"issues/ISSUE-00{n}.md": issue_text(f"ISSUE-00{n}") for n in range(1, 5)})
    commit_all(project, "four issues", when="2026-01-10T09:00:00")
    return project


def _file(repo: Path, number: int) -> str:
    return (repo / "issues" / f"ISSUE-00{number}.md").read_text(encoding="utf-8")


def _commit(repo: Path, message: str, when: str = "2026-02-03T14:05:00", name: str = "f") -> str:
    (repo / name).write_text(message, encoding="utf-8")
    return commit_all(repo, message, when=when)


def test_the_patterns_read_trailers_and_phrases(project: Path) -> None:
    config = load_config(project)
    message = ("Retry the pool\n\nSee #12 for context. This prefixes ISSUE-008 and unfixes "
               "ISSUE-009.\nCloses ISSUE-002, resolves #3\nFixes: ISSUE-005, #6\nfixed issue-7\n")
    # `See #12` and `prefixes`/`unfixes` are no closing words; the prefix is matched in any case.
    assert referenced_ids(message, config) == ["ISSUE-002", "ISSUE-003", "ISSUE-005",
                                               "ISSUE-006", "ISSUE-007"]


def test_a_fixes_trailer_resolves_with_the_commits_date_and_sha(repo: Path, cli: Invoke) -> None:
    sha = _commit(repo, "Retry the pool\n\nFixes: ISSUE-001\n")
    out = cli("close-from-commits")
    assert out.stdout == f"ISSUE-001 resolved by {sha[:7]}\n"
    text = _file(repo, 1)
    assert "status: resolved\n" in text and "resolved: 2026-02-03 14:05\n" in text
    assert f"fixed_in: {sha}\n" in text
    cli("check")
    # Idempotent: a second run reads the same commit and changes nothing.
    again = cli("close-from-commits")
    assert again.stdout == "" and "no issue closed" in again.stderr
    assert _file(repo, 1) == text


def test_an_unknown_id_is_reported_never_guessed(repo: Path, cli: Invoke) -> None:
    sha = _commit(repo, "Closes ISSUE-002 and fixes ISSUE-009\n")
    out = cli("close-from-commits")
    assert out.stdout == f"ISSUE-002 resolved by {sha[:7]}\n"
    assert f"ISSUE-009 named by {sha[:7]}: no such issue in issues/ (not guessed)" in out.stderr
    # A range that git would take for an option is refused.
    assert "--commits must name commits" in cli("close-from-commits", "--commits=--output=x",
                                                 code=2).stderr
    assert "status: open" in _file(repo, 1) and not (repo / "issues" / "ISSUE-009.md").exists()


def test_trailers_in_a_merge_commit_and_in_the_merged_branch(repo: Path, cli: Invoke) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    fix = _commit(repo, "Fix one\n\nFixes: ISSUE-001\n", when="2026-02-01T10:00:00")
    git(repo, "checkout", "-q", "main")
    _commit(repo, "Unrelated", when="2026-02-01T11:00:00", name="g")
    git(repo, "merge", "-q", "--no-ff", "feature", "-m", "Merge feature\n\nResolves #2",
        when="2026-02-02T08:30:00")
    merge = git(repo, "rev-parse", "HEAD").strip()
    cli("close-from-commits")
    assert f"fixed_in: {fix}\n" in _file(repo, 1) and "resolved: 2026-02-01 10:00" in _file(repo, 1)
    assert f"fixed_in: {merge}\n" in _file(repo, 2) and "resolved: 2026-02-02 08:30" in _file(repo, 2)


def test_a_squash_merge_closes_with_the_squashed_commit(repo: Path, cli: Invoke) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    _commit(repo, "Start", when="2026-02-01T10:00:00")
    branch_fix = _commit(repo, "Finish\n\nCloses ISSUE-003", when="2026-02-01T11:00:00", name="g")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--squash", "feature")
    git(repo, "commit", "-q", "--no-edit", when="2026-02-04T16:45:00")
    squash = git(repo, "rev-parse", "HEAD").strip()
    cli("close-from-commits")  # reads main: the branch's own commits are not on it
    assert f"fixed_in: {squash}\n" in _file(repo, 3) and branch_fix not in _file(repo, 3)
    assert "resolved: 2026-02-04 16:45" in _file(repo, 3)


def test_a_rebased_branch_closes_with_the_rebased_commit(repo: Path, cli: Invoke) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    original = _commit(repo, "Fix four\n\nFixes: ISSUE-004", when="2026-02-01T10:00:00")
    git(repo, "checkout", "-q", "main")
    _commit(repo, "Meanwhile on main", when="2026-02-01T12:00:00", name="g")
    git(repo, "checkout", "-q", "feature")
    git(repo, "rebase", "-q", "main", when="2026-02-05T09:15:00")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--ff-only", "feature")
    rebased = git(repo, "rev-parse", "HEAD").strip()
    assert rebased != original
    cli("close-from-commits")
    assert f"fixed_in: {rebased}\n" in _file(repo, 4)
    assert "resolved: 2026-02-05 09:15" in _file(repo, 4)  # the committer's date, not the author's


def test_the_same_trailer_twice_closes_once(repo: Path, cli: Invoke) -> None:
    first = _commit(repo, "Fix\n\nFixes: ISSUE-001", when="2026-02-01T10:00:00")
    second = _commit(repo, "Fix again (cherry-picked)\n\nFixes: ISSUE-001", when="2026-02-02T10:00:00",
                     name="g")
    out = cli("close-from-commits")
    assert out.stdout == f"ISSUE-001 resolved by {first[:7]}\n"
    assert f"ISSUE-001 named by {second[:7]} left alone: already resolved by {first[:7]}" in out.stderr
    text = _file(repo, 1)
    assert f"fixed_in: {first}\n" in text
    cli("close-from-commits")
    assert _file(repo, 1) == text


def test_a_trailer_naming_a_closed_issue_leaves_it_alone(repo: Path, cli: Invoke) -> None:
    cli("resolve", "2", "--date", "2026-01-15")
    closed = _file(repo, 2)
    sha = _commit(repo, "Tidy\n\nCloses ISSUE-002")
    out = cli("close-from-commits")
    assert f"ISSUE-002 named by {sha[:7]} left alone: already resolved" in out.stderr
    assert _file(repo, 2) == closed


def test_a_reopened_issue_is_closed_only_by_a_newer_commit(repo: Path, cli: Invoke) -> None:
    older = _commit(repo, "Attempt\n\nFixes: ISSUE-001", when="2026-02-01T09:00:00", name="e")
    first = _commit(repo, "Fix\n\nFixes: ISSUE-001", when="2026-02-01T10:00:00")
    cli("close-from-commits", "--commits", "HEAD^!")  # as the post-commit hook reads: the new commit only
    assert f"fixed_in: {first}\n" in _file(repo, 1)
    cli("reopen", "1")
    commit_all(repo, "reopen 1", when="2026-02-02T10:00:00")
    out = cli("close-from-commits")  # the whole branch: `older` precedes the fix it reopened
    assert out.stdout == "" and "status: open" in _file(repo, 1)
    assert f"ISSUE-001 named by {older[:7]} left alone: reopened since {first[:7]}" in out.stderr
    second = _commit(repo, "Really fix\n\nFixes: ISSUE-001", when="2026-02-03T10:00:00", name="g")
    assert cli("close-from-commits").stdout == f"ISSUE-001 resolved by {second[:7]}\n"
    assert f"fixed_in: {second}\n" in _file(repo, 1)


def test_diff_shows_resolved_by(repo: Path, cli: Invoke) -> None:
    sha = _commit(repo, "Fixes: ISSUE-001")
    cli("close-from-commits")
    assert f"resolved by {sha[:7]}" in cli("diff", "HEAD").stdout
    data = json.loads(cli("diff", "HEAD", "--format", "json").stdout)
    assert [(c["id"], c["resolved_by"]) for c in data["changes"]] == [("ISSUE-001", sha)]


def test_ci_on_the_default_branch_closes_and_runs_idempotently(repo: Path, cli: Invoke) -> None:
    sha = _commit(repo, "Fixes: ISSUE-003")
    out = cli("ci", "--branch", "main")
    assert f"ISSUE-003 resolved by {sha[:7]}" in out.stdout + out.stderr
    text = _file(repo, 3)
    assert f"fixed_in: {sha}" in text
    cli("ci", "--branch", "main")
    assert _file(repo, 3) == text
    # A pull request's run closes nothing.
    git(repo, "checkout", "-q", "-b", "feature")
    _commit(repo, "Fixes: ISSUE-004", name="g")
    cli("ci", "--base", "main", "--branch", "feature")
    assert "status: open" in _file(repo, 4)


def test_the_post_commit_hook_closes_on_the_default_branch_only(repo: Path, cli: Invoke) -> None:
    cli("install-hooks")
    commit_all(repo, "hooks", when="2026-01-11T09:00:00")
    git(repo, "checkout", "-q", "-b", "feature")
    _commit(repo, "Fixes: ISSUE-001", name="g")
    assert "status: open" in _file(repo, 1)  # not the default branch
    git(repo, "checkout", "-q", "main")
    (repo / "h").write_text("x", encoding="utf-8")
    git(repo, "add", "h")
    git(repo, "commit", "-q", "-m", "Fix it\n\nFixes: ISSUE-002", when="2026-02-06T07:00:00")
    sha = git(repo, "rev-parse", "HEAD").strip()
    assert f"fixed_in: {sha}\n" in _file(repo, 2)
    cli("check")


def test_a_rebase_on_the_default_branch_closes_once_it_is_done(repo: Path, cli: Invoke) -> None:
    cli("install-hooks")
    commit_all(repo, "hooks", when="2026-01-11T09:00:00")
    git(repo, "checkout", "-q", "-b", "upstream")
    _commit(repo, "Someone else's work", when="2026-01-12T09:00:00", name="u")
    git(repo, "checkout", "-q", "main")
    (repo / "fix").write_text("fix", encoding="utf-8")
    git(repo, "add", "fix")
    # Committed without hooks, as a clone without them would: the rebase below replays it.
    git(repo, "-c", "core.hooksPath=/nonexistent", "commit", "-q", "-m", "Fix\n\nFixes: ISSUE-003",
        when="2026-01-13T09:00:00")
    assert "status: open" in _file(repo, 3)
    git(repo, "rebase", "-q", "upstream", when="2026-01-14T09:30:00")
    rebased = git(repo, "rev-parse", "HEAD").strip()
    assert f"fixed_in: {rebased}\n" in _file(repo, 3)
    assert "resolved: 2026-01-14 09:30" in _file(repo, 3)


def test_an_issue_whose_file_has_problems_is_not_called_unknown(repo: Path, cli: Invoke) -> None:
    path = repo / "issues" / "ISSUE-001.md"
    path.write_text(path.read_text(encoding="utf-8").replace("severity: high", "severity: [a"),
                    encoding="utf-8")
    sha = _commit(repo, "Fixes: ISSUE-001")
    out = cli("close-from-commits")
    assert f"ISSUE-001 named by {sha[:7]} left alone: its file has problems" in out.stderr
    assert "no such issue" not in out.stderr
