"""IDs on the default branch never move: `check --against`, `renumber` and `renumber --against`.

Every test plays a team: a bare server repository, clones that push to it and fetch from it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from issuelog.core.cache import load_issues
from issuelog.core.config import load_config
from issuelog.git.base_clashes import base_id_conflicts
from tests.conftest import Invoke, issue_text, make_tree
from tests.git_helpers import commit_all, git, serve_from_bare


@pytest.fixture
def server(project: Path, tmp_path: Path) -> Path:
    """A bare server whose main holds ISSUE-001 and ISSUE-002; `project` is a clone of it."""
    git(project, "symbolic-ref", "HEAD", "refs/heads/main")
    make_tree(project, {"issues/ISSUE-001-first.md": issue_text("ISSUE-001", title="First"),
                        "issues/ISSUE-002-second.md": issue_text("ISSUE-002", title="Second")})
    commit_all(project, "first issues", when="2026-01-01T09:00:00")
    bare = serve_from_bare(project, tmp_path)
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


def diverge(server: Path, project: Path, tmp_path: Path, mine: dict[str, str],
            theirs: dict[str, str]) -> None:
    """`feature` commits `mine`; then a teammate publishes `theirs` on main; `project` fetches."""
    git(project, "checkout", "-q", "-b", "feature")
    make_tree(project, mine)
    commit_all(project, "mine", when="2026-01-02T09:00:00")
    publish_on_main(server, tmp_path, theirs, when="2026-01-05T09:00:00")
    git(project, "fetch", "-q", "origin")


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
    diverge(server, project, tmp_path,
            {"issues/ISSUE-002-second.md": issue_text("ISSUE-002", title="Second", severity="critical")},
            {"issues/ISSUE-002-second.md": issue_text("ISSUE-002", title="Second", status="resolved",
                                                      extra="resolved: 2026-01-11")})
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
    diverge(server, project, tmp_path,
            {"issues/ISSUE-003-crash.md": issue_text("ISSUE-003", title="Crash", reported="2026-01-05")},
            {"issues/ISSUE-003-crash.md": issue_text("ISSUE-003", title="Crash", reported="2026-01-04")})
    assert "renumber --against origin/main" in cli("check", "--against", "origin/main", code=1).stdout


def test_check_against_a_revision_that_does_not_exist_is_a_usage_error(
        server: Path, project: Path, cli: Invoke) -> None:
    result = cli("check", "--against", "origin/nope", code=2)
    assert "'origin/nope' is not a commit" in result.stderr


def _feature_and_main_take_003(server: Path, project: Path, tmp_path: Path) -> None:
    """The branch files ISSUE-003 (and a follow-up linking it) on 2 January; main publishes a
    different ISSUE-003 (and its own link to it) on 5 January: the branch's commit is older."""
    diverge(server, project, tmp_path, {
        "issues/ISSUE-003-mine.md": issue_text("ISSUE-003", title="Mine"),
        "issues/ISSUE-004-my-follow-up.md": issue_text("ISSUE-004", title="My follow-up",
                                                       extra="related: [ISSUE-003]"),
    }, {
        "issues/ISSUE-003-theirs.md": issue_text("ISSUE-003", title="Theirs"),
        "issues/ISSUE-002-second.md": issue_text("ISSUE-002", title="Second",
                                                 extra="related: [ISSUE-003]"),
    })


def _titles(project: Path) -> dict[str, tuple[str, list[str]]]:
    return {issue.id: (issue.title, issue.related) for issue in load_issues(load_config(project)).issues}


MAIN_KEEPS = {
    "ISSUE-001": ("First", []),
    "ISSUE-002": ("Second", ["ISSUE-003"]),  # main's own link: still to main's issue
    "ISSUE-003": ("Theirs", []),  # published: keeps its ID although the branch's is older
    "ISSUE-004": ("My follow-up", ["ISSUE-005"]),  # came with the branch: follows its issue
    "ISSUE-005": ("Mine", []),
}


def test_renumber_mid_merge_keeps_the_published_id_whatever_the_dates(
        server: Path, project: Path, tmp_path: Path, cli: Invoke) -> None:
    _feature_and_main_take_003(server, project, tmp_path)
    git(project, "merge", "--no-commit", "--no-ff", "origin/main", when="2026-01-06T09:00:00")
    assert "duplicate id 'ISSUE-003'" in cli("check", code=1).stdout
    out = cli("renumber").stdout
    assert ("rename issues/ISSUE-003-mine.md -> issues/ISSUE-005-mine.md (ISSUE-003 -> ISSUE-005; "
            "issues/ISSUE-003-theirs.md keeps ISSUE-003)") in out
    assert "update issues/ISSUE-004-my-follow-up.md: related ISSUE-003 -> ISSUE-005" in out
    assert _titles(project) == MAIN_KEEPS
    cli("check")


def test_renumber_after_the_merge_commit_keeps_the_published_id(
        server: Path, project: Path, tmp_path: Path, cli: Invoke) -> None:
    _feature_and_main_take_003(server, project, tmp_path)
    git(project, "merge", "--no-edit", "origin/main", when="2026-01-06T09:00:00")
    cli("renumber")
    assert _titles(project) == MAIN_KEEPS


def test_renumber_on_the_default_branch_after_merging_a_branch_into_it(
        server: Path, project: Path, tmp_path: Path, cli: Invoke) -> None:
    """A local merge into main: main holds both files; the one on its first-parent line first wins."""
    _feature_and_main_take_003(server, project, tmp_path)
    git(project, "checkout", "-q", "main")
    git(project, "merge", "-q", "--ff-only", "origin/main")
    git(project, "merge", "--no-ff", "--no-edit", "feature", when="2026-01-06T09:00:00")
    # origin/main lags behind, as before a push; no origin at all must give the same answer.
    git(project, "remote", "remove", "origin")
    cli("renumber")
    assert _titles(project) == MAIN_KEEPS


def test_renumber_refuses_when_both_arrived_on_main_together(
        server: Path, project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-003-a.md": issue_text("ISSUE-003", title="A"),
                        "issues/ISSUE-003-b.md": issue_text("ISSUE-003", title="B")})
    commit_all(project, "two at once")
    git(project, "remote", "remove", "origin")
    result = cli("renumber", code=1)
    assert "cannot tell which of issues/ISSUE-003-a.md, issues/ISSUE-003-b.md" in result.stderr
    assert "nothing was changed" in result.stderr
    assert (project / "issues" / "ISSUE-003-b.md").is_file()


def test_renumber_against_the_base_before_merging(
        server: Path, project: Path, tmp_path: Path, cli: Invoke) -> None:
    _feature_and_main_take_003(server, project, tmp_path)
    out = cli("renumber", "--against", "origin/main").stdout
    assert out.splitlines() == [
        "rename issues/ISSUE-003-mine.md -> issues/ISSUE-005-mine.md (ISSUE-003 -> ISSUE-005; "
        "issues/ISSUE-003-theirs.md keeps ISSUE-003)",
        "update issues/ISSUE-004-my-follow-up.md: related ISSUE-003 -> ISSUE-005",
    ]
    cli("check", "--against", "origin/main")
    assert "nothing to renumber" in cli("renumber", "--against", "origin/main").stderr
    commit_all(project, "renumbered")
    git(project, "merge", "--no-edit", "origin/main")
    cli("check")
    assert _titles(project) == MAIN_KEEPS


def test_conflict_markers_are_reported_as_a_conflict_at_their_line(
        server: Path, project: Path, tmp_path: Path, cli: Invoke) -> None:
    diverge(server, project, tmp_path,
            {"issues/ISSUE-002-second.md": issue_text("ISSUE-002", title="Second", severity="critical")},
            {"issues/ISSUE-002-second.md": issue_text("ISSUE-002", title="Second", severity="low")})
    git(project, "merge", "origin/main", check=False)
    text = (project / "issues" / "ISSUE-002-second.md").read_text()
    marker_line = text.splitlines().index("<<<<<<< HEAD") + 1
    expected = f"issues/ISSUE-002-second.md:{marker_line}: unresolved merge conflict"
    found = cli("check", code=1).stdout
    assert found.startswith(expected) and "invalid YAML" not in found
    # Every reader says so: the JSON view, an edit, the log.
    assert expected in cli("show", "2", "--format", "json", code=1).stderr
    assert expected in cli("set", "2", "severity=high", code=1).stderr
    assert expected in cli("render", code=1).stdout + cli("render", code=1).stderr


def test_a_lone_marker_in_a_body_is_not_a_conflict(project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-001-a.md": issue_text(
        body="## Description\n\ngit printed:\n\n    <<<<<<< HEAD\n\nand stopped.\n")})
    cli("check")


def test_renumber_refuses_without_a_default_branch_and_follows_a_configured_one(
        project: Path, cli: Invoke) -> None:
    git(project, "symbolic-ref", "HEAD", "refs/heads/trunk")
    make_tree(project, {"issues/ISSUE-001-published.md": issue_text("ISSUE-001", title="Published")})
    commit_all(project, "on trunk", when="2026-01-05T09:00:00")
    git(project, "checkout", "-q", "-b", "topic")
    make_tree(project, {"issues/ISSUE-001-older.md": issue_text("ISSUE-001", title="Older")})
    commit_all(project, "older date, other branch", when="2026-01-01T09:00:00")
    assert "cannot tell the default branch" in cli("renumber", code=1).stderr
    (project / "issuelog.toml").write_text('project = "Demo"\ndefault_branch = "trunk"\n')
    assert "issues/ISSUE-001-published.md keeps ISSUE-001" in cli("renumber").stdout


def test_check_against_in_the_trial_merge_that_ci_checks_out(
        server: Path, project: Path, tmp_path: Path, cli: Invoke) -> None:
    """GitHub checks out refs/pull/N/merge: the base merged with the branch, base first."""
    diverge(server, project, tmp_path, {"issues/ISSUE-003-mine.md": issue_text("ISSUE-003", title="Mine")},
            {"issues/ISSUE-003-theirs.md": issue_text("ISSUE-003", title="Theirs")})
    git(project, "checkout", "-q", "--detach", "origin/main")
    git(project, "merge", "-q", "--no-ff", "--no-edit", "feature")
    problems = base_id_conflicts(load_config(project), "origin/main")
    assert [(p.path, p.line) for p in problems] == [("issues/ISSUE-003-mine.md", 2)]
    assert "run `issuelog renumber --against origin/main`" in problems[0].message


def test_renumber_without_origin_head_trusts_origin_over_a_stale_local_main(
        server: Path, project: Path, tmp_path: Path, cli: Invoke) -> None:
    _feature_and_main_take_003(server, project, tmp_path)
    git(project, "remote", "set-head", "origin", "--delete")  # as after `git remote add` + fetch
    assert git(project, "rev-parse", "main") != git(project, "rev-parse", "origin/main")
    git(project, "merge", "--no-commit", "--no-ff", "origin/main")
    cli("renumber")
    assert _titles(project) == MAIN_KEEPS
