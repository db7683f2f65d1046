"""IDs on the default branch never move: `check --against`, `renumber` and `renumber --against`.

Every test plays a team: a bare server repository, clones that push to it and fetch from it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from issuelog.config import load_config
from issuelog.renumber import base_id_conflicts
from tests.conftest import Invoke, issue_text, make_tree
from tests.git_helpers import commit_all, git


@pytest.fixture
def server(project: Path, tmp_path: Path) -> Path:
    """A bare server whose main holds ISSUE-001 and ISSUE-002; `project` is a clone of it."""
    git(project, "symbolic-ref", "HEAD", "refs/heads/main")
    make_tree(project, {"issues/ISSUE-001-first.md": issue_text("ISSUE-001", title="First"),
                        "issues/ISSUE-002-second.md": issue_text("ISSUE-002", title="Second")})
    commit_all(project, "first issues", when="2026-01-01T09:00:00")
    bare = tmp_path / "server.git"
    git(tmp_path, "clone", "-q", "--bare", str(project), str(bare))
    git(project, "remote", "add", "origin", str(bare))
    git(project, "fetch", "-q", "origin")
    git(project, "remote", "set-head", "origin", "main")
    git(project, "branch", "-q", "--set-upstream-to", "origin/main", "main")
    return bare


def teammate(server: Path, tmp_path: Path, name: str) -> Path:
    """Another clone of the server, with its own identity."""
    clone = tmp_path / name
    git(tmp_path, "clone", "-q", str(server), str(clone))
    git(clone, "config", "user.name", name)
    git(clone, "config", "user.email", f"{name}@example.invalid")
    return clone


def publish_on_main(server: Path, tmp_path: Path, files: dict[str, str], when: str) -> None:
    """A teammate pushes issue files straight to main."""
    clone = teammate(server, tmp_path, f"pusher-{len(list(tmp_path.iterdir()))}")
    make_tree(clone, files)
    commit_all(clone, "published on main", when=when)
    git(clone, "push", "-q", "origin", "main")


def test_check_against_fails_when_the_base_took_the_id_since_the_branch_began(
        server: Path, project: Path, tmp_path: Path, cli: Invoke) -> None:
    git(project, "checkout", "-q", "-b", "feature")
    make_tree(project, {"issues/ISSUE-003-mine.md": issue_text("ISSUE-003", title="Mine"),
                        "issues/ISSUE-004-follow.md": issue_text(
                            "ISSUE-004", title="Follow", extra="related: [ISSUE-003]")})
    commit_all(project, "my issue")
    cli("check", "--against", "origin/main")  # the base has not moved yet
    publish_on_main(server, tmp_path, {"issues/ISSUE-003-theirs.md": issue_text(
        "ISSUE-003", title="Theirs")}, when="2026-01-02T09:00:00")
    git(project, "fetch", "-q", "origin")

    found = cli("check", "--against", "origin/main", code=1)
    assert found.stdout.splitlines() == [
        "issues/ISSUE-003-mine.md:2: id 'ISSUE-003' is already used on origin/main by a different "
        "issue (issues/ISSUE-003-theirs.md): run `issuelog renumber --against origin/main`",
    ]
    problems = base_id_conflicts(load_config(project), "origin/main")
    assert [(p.path, p.line) for p in problems] == [("issues/ISSUE-003-mine.md", 2)]
    cli("check")  # without --against the branch alone is fine


def test_check_against_accepts_the_same_issue_edited_on_both_sides(
        server: Path, project: Path, tmp_path: Path, cli: Invoke) -> None:
    git(project, "checkout", "-q", "-b", "feature")
    make_tree(project, {"issues/ISSUE-002-second.md": issue_text("ISSUE-002", title="Second",
                                                                  severity="critical")})
    commit_all(project, "raise the severity")
    publish_on_main(server, tmp_path, {"issues/ISSUE-002-second.md": issue_text(
        "ISSUE-002", title="Second", status="resolved", extra="resolved: 2026-01-11")},
        when="2026-01-02T09:00:00")
    git(project, "fetch", "-q", "origin")
    cli("check", "--against", "origin/main")


def test_check_against_accepts_a_file_the_branch_renamed(
        server: Path, project: Path, tmp_path: Path, cli: Invoke) -> None:
    git(project, "checkout", "-q", "-b", "feature")
    git(project, "mv", "issues/ISSUE-002-second.md", "issues/ISSUE-002-second-renamed.md")
    commit_all(project, "rename")
    publish_on_main(server, tmp_path, {"issues/ISSUE-002-second.md": issue_text(
        "ISSUE-002", title="Second", severity="low")}, when="2026-01-02T09:00:00")
    git(project, "fetch", "-q", "origin")
    cli("check", "--against", "origin/main")


def test_check_against_catches_the_same_name_filed_twice(
        server: Path, project: Path, tmp_path: Path, cli: Invoke) -> None:
    """Two people file "Crash" as ISSUE-003: same file name, two different issues."""
    git(project, "checkout", "-q", "-b", "feature")
    make_tree(project, {"issues/ISSUE-003-crash.md": issue_text("ISSUE-003", title="Crash",
                                                               reported="2026-01-05")})
    commit_all(project, "mine")
    publish_on_main(server, tmp_path, {"issues/ISSUE-003-crash.md": issue_text(
        "ISSUE-003", title="Crash", reported="2026-01-04")}, when="2026-01-02T09:00:00")
    git(project, "fetch", "-q", "origin")
    assert "renumber --against origin/main" in cli("check", "--against", "origin/main", code=1).stdout


def test_check_against_a_revision_that_does_not_exist_is_a_usage_error(
        server: Path, project: Path, cli: Invoke) -> None:
    result = cli("check", "--against", "origin/nope", code=2)
    assert "'origin/nope' is not a commit" in result.stderr
