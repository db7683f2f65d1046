"""`issuelog ci`: the decisions from CI variables (pure), and whole runs in real git clones."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from issuelog.core.config import load_config
from issuelog.errors import UsageError
from issuelog.git.ci import CiContext, Mode, decide, detect_context
from tests.conftest import Invoke, issue_text, make_tree
from tests.git_helpers import commit_all, git, serve_from_bare

GITHUB_PR = {
    "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main",
    "GITHUB_HEAD_REF": "fix-login", "GITHUB_REF_NAME": "12/merge", "GITHUB_SHA": "abc123",
    "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/shop",
    "GITHUB_STEP_SUMMARY": "/tmp/step-summary",
}
GITHUB_PUSH = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_BASE_REF": "",
               "GITHUB_HEAD_REF": "", "GITHUB_REF_NAME": "main"}
GITLAB_MR = {"GITLAB_CI": "true", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
             "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "fix-login", "CI_DEFAULT_BRANCH": "main",
             "CI_PROJECT_URL": "https://gitlab.com/acme/shop", "CI_COMMIT_SHA": "def456"}
GITLAB_PUSH = {"GITLAB_CI": "true", "CI_COMMIT_BRANCH": "main", "CI_DEFAULT_BRANCH": "main"}


# --- what the environment says -------------------------------------------------------------------

def test_github_pull_request_is_read_from_its_variables() -> None:
    context = detect_context(GITHUB_PR)
    assert (context.service, context.branch, context.base) == ("GitHub Actions", "fix-login", "main")
    assert context.link_base == "https://github.com/acme/shop/blob/abc123/"
    assert (context.summary_path, context.append_summary) == ("/tmp/step-summary", True)


def test_github_push_has_no_base_and_names_the_pushed_branch() -> None:
    context = detect_context(GITHUB_PUSH)
    assert (context.branch, context.base, context.summary_path) == ("main", None, None)


def test_gitlab_merge_request_and_push() -> None:
    request = detect_context(GITLAB_MR)
    assert (request.service, request.branch, request.base) == ("GitLab CI", "fix-login", "main")
    assert request.link_base == "https://gitlab.com/acme/shop/-/blob/def456/"
    push = detect_context(GITLAB_PUSH)
    assert (push.branch, push.base, push.default_branch) == ("main", None, "main")


def test_options_win_over_the_variables() -> None:
    context = detect_context(GITHUB_PR, base="release", branch="x", summary="out.md", link_base="")
    assert (context.base, context.branch, context.summary_path, context.link_base) == (
        "release", "x", "out.md", "")
    assert not context.append_summary  # a file of one's own is replaced


def test_plain_ci_reads_no_service_variable() -> None:
    context = detect_context({"CI_COMMIT_BRANCH": "main", "GITHUB_BASE_REF": "main"})
    assert (context.service, context.branch, context.base) == ("CI", None, None)


@pytest.mark.parametrize(("branches", "branch", "expected"), [
    ((), "main", Mode.RENDER),                # every branch carries the log; main is the default
    ((), "feature", Mode.PULL_REQUEST),       # a push elsewhere: checked against the default
    (("main",), "main", Mode.RENDER),
    (("main",), "feature", Mode.PULL_REQUEST),
    (("main", "release/*"), "release/2", Mode.RENDER),
])
def test_pushes_render_only_where_the_log_is_rendered(
        project: Path, branches: tuple[str, ...], branch: str, expected: Mode) -> None:
    quoted = ", ".join(f'"{name}"' for name in branches)
    (project / "issuelog.toml").write_text(f'project = "Demo"\nrender_branches = [{quoted}]\n')
    decision = decide(CiContext("CI", branch, None), load_config(project), lambda: "main")
    assert decision.mode is expected
    assert decision.base == (None if expected is Mode.RENDER else "main")


def test_a_pull_request_is_never_rendered_even_into_main(project: Path) -> None:
    decision = decide(CiContext("CI", "main", "release"), load_config(project), lambda: None)
    assert (decision.mode, decision.base) == (Mode.PULL_REQUEST, "release")


def test_an_unknown_branch_is_a_usage_error(project: Path) -> None:
    with pytest.raises(UsageError, match="--branch"):
        decide(CiContext("CI", None, None), load_config(project), lambda: "main")


# --- whole runs in real clones -------------------------------------------------------------------

TEAM_CONFIG = 'project = "Demo"\nrender_branches = ["main"]\n'


@pytest.fixture
def team(project: Path, tmp_path: Path, cli: Invoke) -> Path:
    """A clone of a bare server whose main holds two issues and their rendered log."""
    git(project, "symbolic-ref", "HEAD", "refs/heads/main")
    (project / "issuelog.toml").write_text(TEAM_CONFIG)
    make_tree(project, {"issues/ISSUE-001-first.md": issue_text("ISSUE-001", title="First"),
                        "issues/ISSUE-002-second.md": issue_text("ISSUE-002", title="Second")})
    cli("render")
    commit_all(project, "first issues", when="2026-01-01T09:00:00")
    bare = serve_from_bare(project, tmp_path)
    return bare


def on_branch(project: Path, files: dict[str, str], name: str = "feature") -> None:
    git(project, "checkout", "-q", "-b", name)
    make_tree(project, files)
    commit_all(project, "work on the branch", when="2026-01-02T09:00:00")


def push_to_main(server: Path, tmp_path: Path, files: dict[str, str]) -> None:
    clone = tmp_path / f"other-{len(list(tmp_path.iterdir()))}"
    git(tmp_path, "clone", "-q", str(server), str(clone))
    git(clone, "config", "user.name", "Other")
    git(clone, "config", "user.email", "other@example.invalid")
    make_tree(clone, files)
    commit_all(clone, "other work", when="2026-01-03T09:00:00")
    git(clone, "push", "-q", "origin", "main")


def test_a_clean_pull_request_passes_and_summarises(
        team: Path, project: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    on_branch(project, {"issues/ISSUE-003-new.md": issue_text("ISSUE-003", title="Brand new")})
    summary = project.parent / "summary.md"
    summary.write_text("earlier step\n")
    for name, value in {**GITHUB_PR, "GITHUB_HEAD_REF": "feature",
                        "GITHUB_STEP_SUMMARY": str(summary)}.items():
        monkeypatch.setenv(name, value)
    result = cli("ci")
    text = summary.read_text()
    assert text.startswith("earlier step\n")  # GitHub's summary file is appended to
    assert "ISSUE-003" in text and "Brand new" in text
    assert "https://github.com/acme/shop/blob/abc123/issues/ISSUE-003-new.md" in text
    assert "pull request 'feature' into 'main'" in result.stderr
    assert "issuelog ci: ok" in result.stderr


def test_an_id_taken_on_main_fails_and_prints_the_fix(
        team: Path, project: Path, tmp_path: Path, cli: Invoke) -> None:
    on_branch(project, {"issues/ISSUE-003-mine.md": issue_text("ISSUE-003", title="Mine")})
    push_to_main(team, tmp_path, {"issues/ISSUE-003-theirs.md": issue_text("ISSUE-003", title="Theirs")})
    git(project, "fetch", "-q", "origin")
    result = cli("ci", "--base", "main", "--summary", "out.md", code=1)
    assert "issues/ISSUE-003-mine.md:2: id 'ISSUE-003' is already used on origin/main" in result.stdout
    fix = next(line for line in result.stdout.splitlines() if line.startswith("fix: "))
    assert "issuelog renumber --against origin/main" in fix
    assert "1 problem(s)" in (project / "out.md").read_text()  # the reviewer sees it too


def test_a_pull_request_that_edits_the_log_fails_in_render_on_main_mode(
        team: Path, project: Path, cli: Invoke) -> None:
    on_branch(project, {"issues/ISSUE-003-new.md": issue_text("ISSUE-003", title="New"),
                        "ISSUES.md": "hand-edited\n"})
    result = cli("ci", "--base", "main", "--branch", "feature", "--summary", "out.md", code=1)
    assert "ISSUES.md:1: changed by this pull request" in result.stdout
    fix = next(line for line in result.stdout.splitlines() if line.startswith("fix: "))
    assert "git checkout $(git merge-base origin/main HEAD) -- ISSUES.md" in fix
    subprocess.run(["bash", "-c", fix.removeprefix("fix: ").split(" && git commit")[0]],
                   cwd=project, check=True, capture_output=True)
    commit_all(project, "leave the log to CI")
    cli("ci", "--base", "main", "--branch", "feature", "--summary", "out.md")


def test_every_branch_mode_checks_the_log_is_current(
        team: Path, project: Path, cli: Invoke) -> None:
    (project / "issuelog.toml").write_text('project = "Demo"\n')
    commit_all(project, "log in every branch")
    on_branch(project, {"issues/ISSUE-003-new.md": issue_text("ISSUE-003", title="New")})
    result = cli("ci", "--base", "main", "--summary", "out.md", code=1)
    assert "ISSUES.md:1: stale" in result.stdout
    cli("render")
    commit_all(project, "render")
    cli("ci", "--base", "main", "--summary", "out.md")


def test_on_main_it_renders_the_log_for_the_job_to_commit(
        team: Path, project: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(project, {"issues/ISSUE-003-merged.md": issue_text("ISSUE-003", title="Merged")})
    commit_all(project, "a merge brought an issue")
    for name, value in GITHUB_PUSH.items():
        monkeypatch.setenv(name, value)
    result = cli("ci")
    assert "re-rendered" in result.stderr
    assert "Merged" in (project / "ISSUES.md").read_text()
    assert git(project, "status", "--porcelain").strip() == "M ISSUES.md"
    again = cli("ci")
    assert "up to date" in again.stderr


def test_on_main_invalid_files_fail_and_nothing_is_rendered(
        team: Path, project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-003-bad.md": "---\nid: ISSUE-003\n---\n"})
    before = (project / "ISSUES.md").read_bytes()
    result = cli("ci", "--branch", "main", code=1)
    assert "issues/ISSUE-003-bad.md" in result.stdout
    assert (project / "ISSUES.md").read_bytes() == before


def test_a_missing_base_branch_is_a_usage_error(team: Path, project: Path, cli: Invoke) -> None:
    result = cli("ci", "--base", "nowhere", "--branch", "feature", code=2)
    assert "'nowhere' is not in this clone" in result.stderr


# --- `init` writes the team workflow's setting inside git -----------------------------------------

def test_init_in_git_renders_on_the_default_branch_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Invoke) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "trunk")
    monkeypatch.chdir(repo)
    cli("init")
    assert load_config(repo).render_branches == ("trunk",)
    assert "ISSUES.md" in git(repo, "status", "--porcelain", "--untracked-files=all")
    git(repo, "checkout", "-q", "-b", "feature")
    assert "skipped on 'feature'" in cli("render").stderr


def test_init_outside_git_leaves_the_setting_as_a_hint(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Invoke) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    cli("init")
    assert load_config(tmp_path).render_branches == ()
    assert '# render_branches = []  # where the log is rendered and checked, e.g. ["main"]' in (
        tmp_path / "issuelog.toml").read_text()
