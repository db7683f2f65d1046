"""New IDs above every branch's issues, read with git plumbing (issuelog/gitrepo.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from issuelog.core.config import load_config
from issuelog.core.store import id_file_pattern, state_dir
from issuelog.git.gitrepo import read_trees, tree_entry_pattern
from issuelog.project.ids import highest_id_anywhere
from tests.conftest import Invoke, issue_text, make_tree
from tests.git_helpers import commit_all, days_ago, git


def _branch_with_issue(committed_repo: Path, branch: str, number: int, age_days: int = 1) -> None:
    """Commit `ISSUE-<number>` on a new branch off main `age_days` ago, then come back to main."""
    git(committed_repo, "checkout", "-q", "-b", branch, "main")
    issue_id = f"ISSUE-{number:03d}"
    make_tree(committed_repo, {f"issues/{issue_id}-from-{branch}.md": issue_text(issue_id)})
    commit_all(committed_repo, f"{issue_id} on {branch}", when=days_ago(age_days))
    git(committed_repo, "checkout", "-q", "main")


def test_new_skips_ids_taken_on_other_local_branches(committed_repo: Path, cli: Invoke) -> None:
    _branch_with_issue(committed_repo, "feature", 7)
    assert not (committed_repo / "issues" / "ISSUE-007-from-feature.md").exists()
    path = cli("new", "Seen after a teammate's branch", "-s", "low").stdout.strip()
    assert path == "issues/ISSUE-008-seen-after-a-teammate-s-branch.md"
    cli("check")


def test_new_skips_ids_taken_on_remote_tracking_branches(committed_repo: Path, tmp_path: Path,
                                                          cli: Invoke) -> None:
    _branch_with_issue(committed_repo, "theirs", 12)
    # A remote-tracking ref only: the local branch is gone, as after `git fetch` of a teammate's work.
    tip = git(committed_repo, "rev-parse", "theirs").strip()
    git(committed_repo, "update-ref", "refs/remotes/origin/theirs", tip)
    git(committed_repo, "branch", "-q", "-D", "theirs")
    assert cli("new", "After a fetch", "-s", "low").stdout.strip().startswith("issues/ISSUE-013-")


def test_highest_id_outside_git_is_the_directory_only(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    make_tree(tmp_path, {"issuelog.toml": 'project = "Plain"\n',
                         "issues/ISSUE-004-a.md": issue_text("ISSUE-004")})
    assert highest_id_anywhere(load_config(tmp_path)) == 4


def test_branch_numbers_are_cached_by_tree_and_a_bad_cache_is_ignored(committed_repo: Path) -> None:
    _branch_with_issue(committed_repo, "feature", 5)
    config = load_config(committed_repo)
    assert highest_id_anywhere(config) == 5
    cache_file = state_dir(config) / "branch-ids-ISSUE.json"
    cached = json.loads(cache_file.read_text())
    assert sorted(cached.values()) == [1, 5]
    # The cache is trusted for trees it knows: a planted value shows it is read, not recomputed.
    cache_file.write_text(json.dumps({tree: 40 if value == 5 else value for tree, value in cached.items()}))
    assert highest_id_anywhere(config) == 40
    cache_file.write_text("{not json")
    assert highest_id_anywhere(config) == 5


def test_only_issue_file_names_count_in_a_tree(committed_repo: Path) -> None:
    """Other files, other prefixes and subdirectories do not raise the number."""
    git(committed_repo, "checkout", "-q", "-b", "noise")
    make_tree(committed_repo, {"issues/README.md": "About\n", "issues/ISSUE-900.txt": "not an issue\n",
                     "issues/BUG-950-other-prefix.md": "x\n", "issues/ISSUE-975/nested.md": "x\n",
                     "issues/ISSUE-004.md": issue_text("ISSUE-004")})
    commit_all(committed_repo, "noise", when=days_ago(1))
    tree = git(committed_repo, "rev-parse", "noise:issues").strip()
    content = read_trees(committed_repo, [tree])[tree]
    pattern = tree_entry_pattern(id_file_pattern(load_config(committed_repo)), tree)
    assert [number for number in pattern.findall(content) if number] == [b"001", b"004"]
    git(committed_repo, "checkout", "-q", "main")
    assert highest_id_anywhere(load_config(committed_repo)) == 4


def test_new_works_from_a_subdirectory_and_with_a_nested_project(committed_repo: Path, cli: Invoke,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The project may live below the repository root; branches are read at the right path."""
    make_tree(committed_repo, {"tools/log/issuelog.toml": 'project = "Nested"\n',
                     "tools/log/issues/ISSUE-002-nested.md": issue_text("ISSUE-002")})
    commit_all(committed_repo, "nested project")
    git(committed_repo, "checkout", "-q", "-b", "other")
    make_tree(committed_repo, {"tools/log/issues/ISSUE-009-other.md": issue_text("ISSUE-009")})
    commit_all(committed_repo, "on other", when=days_ago(1))
    git(committed_repo, "checkout", "-q", "main")
    (committed_repo / "tools" / "log" / "issues" / "deeper").mkdir()
    monkeypatch.chdir(committed_repo / "tools" / "log" / "issues" / "deeper")
    created = cli("new", "From deep inside", "-s", "low").stdout.strip()
        # Relative to the current directory, so that `$EDITOR "$(issuelog new ...)"` opens it here.
    assert created == "../ISSUE-010-from-deep-inside.md"
    assert (committed_repo / "tools" / "log" / "issues" / "deeper" / created).resolve().is_file()


def test_stale_branches_do_not_reserve_numbers(committed_repo: Path, cli: Invoke) -> None:
    """Only branches with a commit in the last id_branch_days (30) count; main and HEAD always do."""
    git(committed_repo, "checkout", "-q", "-b", "work")  # HEAD: work, at main's old commit
    git(committed_repo, "checkout", "-q", "main")
    make_tree(committed_repo, {"issues/ISSUE-020-on-main.md": issue_text("ISSUE-020")})
    commit_all(committed_repo, "an old issue on main", when=days_ago(400))
    _branch_with_issue(committed_repo, "abandoned", 40, age_days=31)
    _branch_with_issue(committed_repo, "recent", 12, age_days=29)
    git(committed_repo, "checkout", "-q", "work")
    assert cli("new", "Fresh", "-s", "low").stdout.strip() == "issues/ISSUE-021-fresh.md"

    (committed_repo / "issuelog.toml").write_text('project = "Demo"\nid_branch_days = 0\n')
    assert cli("new", "Every branch", "-s", "low").stdout.strip() == "issues/ISSUE-041-every-branch.md"
    (committed_repo / "issuelog.toml").write_text('project = "Demo"\nid_branch_days = 60\n')
    assert cli("new", "Sixty days", "-s", "low").stdout.strip() == "issues/ISSUE-042-sixty-days.md"
    (committed_repo / "issuelog.toml").write_text('project = "Demo"\nid_branch_days = -1\n')
    assert "'id_branch_days' must be 0" in cli("new", "Bad", "-s", "low", code=2).stderr


def test_an_old_current_branch_still_counts(committed_repo: Path, cli: Invoke) -> None:
    _branch_with_issue(committed_repo, "old-but-mine", 30, age_days=90)
    git(committed_repo, "checkout", "-q", "old-but-mine")
    # Not in the work tree: HEAD counts.
    (committed_repo / "issues" / "ISSUE-030-from-old-but-mine.md").unlink()
    assert cli("new", "Mine", "-s", "low").stdout.strip() == "issues/ISSUE-031-mine.md"
