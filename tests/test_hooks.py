"""`install-hooks`: real `git merge` and `git rebase` never leave a conflict in ISSUES.md."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from issuelog.core.config import ConfigError, config_from_mapping, load_config
from issuelog.errors import UsageError
from issuelog.git.hooks import MARKER, run_hook
from tests.conftest import Invoke, files_snapshot, issue_text, make_tree
from tests.git_helpers import commit_all, days_ago, git


def _two_branches(hooked_repo: Path, cli: Invoke) -> None:
    """`left` adds ISSUE-002, `right` (which sees it) ISSUE-003 and resolves ISSUE-001; both render."""
    git(hooked_repo, "checkout", "-q", "-b", "left", "main")
    cli("new", "Left bug", "-s", "medium", "--date", "2026-01-02")
    cli("render")
    commit_all(hooked_repo, "left", when=days_ago(2))  # recent: `new` on right must skip its ID
    git(hooked_repo, "checkout", "-q", "-b", "right", "main")
    cli("new", "Right bug", "-s", "low", "--date", "2026-01-03")
    base = hooked_repo / "issues" / "ISSUE-001-base-issue.md"
    base.write_text(base.read_text().replace("status: open", "status: resolved")
                    .replace("resolved:\n", "resolved: 2026-01-03\n"))
    cli("render")
    commit_all(hooked_repo, "right", when=days_ago(1))


def _assert_log_is_clean_and_fresh(hooked_repo: Path, cli: Invoke) -> str:
    log = (hooked_repo / "ISSUES.md").read_text()
    assert "<<<<<<<" not in log and "=======" not in log and ">>>>>>>" not in log
    cli("render", "--check")
    return log


def test_install_hooks_sets_driver_attributes_and_hooks(hooked_repo: Path, cli: Invoke) -> None:
    assert git(hooked_repo, "config", "merge.issuelog.driver").strip() == "true"
    assert (hooked_repo / ".gitattributes").read_text() == "/ISSUES.md merge=issuelog\n"
    for name in ("pre-merge-commit", "post-merge", "post-rewrite"):
        hook = hooked_repo / ".git" / "hooks" / name
        assert MARKER in hook.read_text()
        assert hook.stat().st_mode & 0o111
    before = files_snapshot(hooked_repo)
    again = cli("install-hooks")
    assert "already has '/ISSUES.md merge=issuelog'" in again.stdout
    assert files_snapshot(hooked_repo) == before


def test_install_hooks_leaves_a_foreign_hook_alone(hooked_repo: Path, cli: Invoke) -> None:
    hook = hooked_repo / ".git" / "hooks" / "post-merge"
    hook.write_text("#!/bin/sh\necho mine\n")
    result = cli("install-hooks")
    assert "exists and is not issuelog's: left alone" in result.stdout
    assert hook.read_text() == "#!/bin/sh\necho mine\n"


def test_install_hooks_outside_git_is_a_usage_error(tmp_path: Path, cli: Invoke,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    (tmp_path / "issuelog.toml").write_text('project = "Plain"\n')
    assert "not in a git work tree" in cli("install-hooks", code=2).stderr


def test_merge_of_two_branches_that_both_rendered_has_no_conflict(hooked_repo: Path, cli: Invoke) -> None:
    _two_branches(hooked_repo, cli)
    git(hooked_repo, "checkout", "-q", "left")
    merge = subprocess.run(["git", "merge", "--no-edit", "right"], cwd=hooked_repo, capture_output=True,
                           text=True, check=True)
    assert "re-rendered ISSUES.md and added it to the merge commit" in merge.stderr
    log = _assert_log_is_clean_and_fresh(hooked_repo, cli)
    assert "| **Total** | **3** |" in log
    assert git(hooked_repo, "status", "--porcelain") == ""  # nothing left to commit
    assert git(hooked_repo, "show", "HEAD:ISSUES.md") == log  # the merge commit itself carries it
    assert len(git(hooked_repo, "rev-list", "--no-walk", "--parents", "HEAD").split()) == 3  # still a merge


@pytest.mark.parametrize("how", ["conflict", "no-commit"])
def test_a_merge_concluded_by_git_commit_carries_the_rendered_log(hooked_repo: Path, cli: Invoke,
                                                                   how: str) -> None:
    """git runs neither merge hook when `git commit` concludes a merge: post-commit does their work."""
    _two_branches(hooked_repo, cli)
    if how == "conflict":  # both branches change another file: the merge stops on it
        for branch in ("left", "right"):
            git(hooked_repo, "checkout", "-q", branch)
            (hooked_repo / "NOTES.txt").write_text(f"{branch}\n")
            commit_all(hooked_repo, f"notes on {branch}")
    git(hooked_repo, "checkout", "-q", "left")
    flag = "--no-commit" if how == "no-commit" else "--no-edit"
    merge = subprocess.run(["git", "merge", flag, "right"], cwd=hooked_repo, capture_output=True, text=True)
    assert merge.returncode == (1 if how == "conflict" else 0)
    if how == "conflict":
        (hooked_repo / "NOTES.txt").write_text("both\n")
        git(hooked_repo, "add", "NOTES.txt")
    conclude = subprocess.run(["git", "commit", "--no-edit"], cwd=hooked_repo, capture_output=True,
                              text=True, check=True)
    assert "re-rendered ISSUES.md and added it to the merge commit" in conclude.stderr
    log = _assert_log_is_clean_and_fresh(hooked_repo, cli)
    assert "| **Total** | **3** |" in log
    assert git(hooked_repo, "status", "--porcelain") == ""
    assert git(hooked_repo, "show", "HEAD:ISSUES.md") == log
    assert len(git(hooked_repo, "rev-list", "--no-walk", "--parents", "HEAD").split()) == 3


def test_rebase_onto_a_branch_that_rendered_too_has_no_conflict(hooked_repo: Path, cli: Invoke) -> None:
    _two_branches(hooked_repo, cli)
    git(hooked_repo, "checkout", "-q", "left")
    result = git(hooked_repo, "rebase", "right")
    assert "CONFLICT" not in result
    log = _assert_log_is_clean_and_fresh(hooked_repo, cli)
    assert "| **Total** | **3** |" in log
    assert git(hooked_repo, "status", "--porcelain") == ""
    assert git(hooked_repo, "show", "HEAD:ISSUES.md") == log  # the rebased tip carries it
    assert git(hooked_repo, "log", "--format=%s", "-3").split() == ["left", "right", "base"]


def test_render_branches_skips_render_and_check_elsewhere(hooked_repo: Path, cli: Invoke,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("ISSUELOG_BRANCH", "GITHUB_HEAD_REF", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"):
        monkeypatch.delenv(variable, raising=False)
    (hooked_repo / "issuelog.toml").write_text('project = "Demo"\nrender_branches = ["main", "release/*"]\n')
    git(hooked_repo, "checkout", "-q", "-b", "feature")
    cli("new", "Only the issue file", "-s", "low", "--date", "2026-01-05")
    skipped = cli("render", "--check")
    assert "skipped on 'feature'" in skipped.stderr
    # The configured log named with --output is the same log: skipped as well.
    assert "skipped on 'feature'" in cli("render", "--check", "--output", "./ISSUES.md").stderr
    stale = cli("render", "--check", "--output", "other.md", code=1).stderr
    assert "other.md is stale: run `issuelog render --output other.md`" in stale
    before = files_snapshot(hooked_repo)
    cli("render")
    assert files_snapshot(hooked_repo) == before
    monkeypatch.setenv("ISSUELOG_BRANCH", "release/2.0")  # what CI says wins over HEAD
    assert "is stale" in cli("render", "--check", code=1).stderr


def test_render_branches_must_be_a_list_of_names(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'render_branches' must be a list of strings"):
        config_from_mapping({"render_branches": "main"}, root=tmp_path)
    with pytest.raises(ConfigError, match="must not contain empty names"):
        config_from_mapping({"render_branches": [""]}, root=tmp_path)


def test_without_the_merge_driver_the_same_merge_conflicts(hooked_repo: Path, cli: Invoke) -> None:
    """The control experiment: the driver is what keeps the conflict away."""
    (hooked_repo / ".gitattributes").unlink()
    commit_all(hooked_repo, "no driver", when="2026-01-01T10:00:00")
    _two_branches(hooked_repo, cli)
    git(hooked_repo, "checkout", "-q", "left")
    merge = git(hooked_repo, "merge", "--no-edit", "right", check=False)
    assert "CONFLICT (content): Merge conflict in ISSUES.md" in merge
    git(hooked_repo, "merge", "--abort")


def test_hooks_of_a_project_below_the_repository_root(project: Path, cli: Invoke,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """install-hooks run from a subdirectory of a nested project; the hooks find the project."""
    git(project, "symbolic-ref", "HEAD", "refs/heads/main")
    nested = project / "tools" / "log"
    nested.mkdir(parents=True)
    (project / "issuelog.toml").rename(nested / "issuelog.toml")
    (project / "issues").rename(nested / "issues")
    monkeypatch.chdir(nested / "issues")
    cli("render")
    cli("install-hooks")
    assert (project / ".gitattributes").read_text() == "/tools/log/ISSUES.md merge=issuelog\n"
    commit_all(project, "nested base")
    monkeypatch.chdir(nested)  # git removes issues/ itself when a checkout empties it
    git(project, "checkout", "-q", "-b", "other")
    cli("new", "Other side", "-s", "low", "--date", "2026-01-02")
    cli("render")
    commit_all(project, "other", when=days_ago(2))
    git(project, "checkout", "-q", "main")
    cli("new", "This side", "-s", "high", "--date", "2026-01-03")
    cli("render")
    commit_all(project, "this", when="2026-01-03T09:00:00")
    git(project, "merge", "--no-edit", "other", when="2026-01-04T09:00:00")
    assert "| **Total** | **2** |" in _assert_log_is_clean_and_fresh(nested, cli)


def test_hook_after_an_amend_leaves_the_log_and_unknown_hooks_are_refused(hooked_repo: Path,
                                                                          cli: Invoke) -> None:
    cli("new", "Stale log", "-s", "low", "--date", "2026-01-05")
    config = load_config(hooked_repo)
    before = files_snapshot(hooked_repo)
    assert run_hook("post-rewrite", ["amend"], config).message == ""
    assert files_snapshot(hooked_repo) == before
    git(hooked_repo, "remote", "add", "origin", str(hooked_repo))
    git(hooked_repo, "fetch", "-q", "origin")  # HEAD is published: the hook must not amend it
    assert run_hook("post-rewrite", ["rebase"], config).message == (
        "issuelog: re-rendered ISSUES.md; commit it (git commit ISSUES.md)")
    cli("render", "--check")
    with pytest.raises(UsageError, match="unknown hook 'pre-push'"):
        run_hook("pre-push", [], config)


def test_a_merge_that_brings_duplicate_ids_is_stopped_loudly(hooked_repo: Path, cli: Invoke) -> None:
    git(hooked_repo, "checkout", "-q", "-b", "left")
    make_tree(hooked_repo, {"issues/ISSUE-002-left.md": issue_text("ISSUE-002", title="Left")})
    commit_all(hooked_repo, "left", when=days_ago(2))
    git(hooked_repo, "checkout", "-q", "-b", "right", "main")
    make_tree(hooked_repo, {"issues/ISSUE-002-right.md": issue_text("ISSUE-002", title="Right")})
    commit_all(hooked_repo, "right", when=days_ago(1))
    merge = subprocess.run(["git", "merge", "--no-edit", "left"], cwd=hooked_repo, capture_output=True,
                           text=True)
    assert merge.returncode != 0
    assert "THIS MERGE BRINGS 1 DUPLICATE ID(S)" in merge.stderr
    assert "run `issuelog renumber`" in merge.stderr
    assert (hooked_repo / ".git" / "MERGE_HEAD").is_file()  # stopped before the commit, still in progress
    assert "keeps ISSUE-002" in cli("renumber").stdout
    cli("render")
    git(hooked_repo, "add", "-A", "issues", "ISSUES.md")
    git(hooked_repo, "commit", "-q", "--no-edit")
    cli("check")
    cli("render", "--check")
    assert len(git(hooked_repo, "rev-list", "--no-walk", "--parents", "HEAD").split()) == 3


def test_merge_hooks_respect_render_branches(hooked_repo: Path, cli: Invoke,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("ISSUELOG_BRANCH", "GITHUB_HEAD_REF", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"):
        monkeypatch.delenv(variable, raising=False)
    (hooked_repo / "issuelog.toml").write_text('project = "Demo"\nrender_branches = ["main"]\n')
    commit_all(hooked_repo, "render on main only", when=days_ago(3))
    git(hooked_repo, "checkout", "-q", "-b", "left")
    cli("new", "Left bug", "-s", "medium", "--date", "2026-01-02")
    commit_all(hooked_repo, "left", when=days_ago(2))
    git(hooked_repo, "checkout", "-q", "-b", "right", "main")
    cli("new", "Right bug", "-s", "low", "--date", "2026-01-03")
    commit_all(hooked_repo, "right", when=days_ago(1))
    before = (hooked_repo / "ISSUES.md").read_bytes()
    git(hooked_repo, "merge", "--no-edit", "left")  # on a feature branch: the log is not rendered
    assert (hooked_repo / "ISSUES.md").read_bytes() == before
    assert git(hooked_repo, "status", "--porcelain") == ""
    git(hooked_repo, "checkout", "-q", "main")
    git(hooked_repo, "merge", "--no-ff", "--no-edit", "right")  # on main: the merge commit carries it
    cli("render", "--check")
    assert git(hooked_repo, "status", "--porcelain") == ""
