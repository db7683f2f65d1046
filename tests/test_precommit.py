"""The shipped `.pre-commit-hooks.yaml`, run by the pre-commit package in a temporary repository.

The hooks are copied into a `repo: local` configuration (language `system`, entry pointing at
this interpreter) so that pre-commit needs no network to install anything.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import Invoke, issue_text, make_tree
from tests.git_helpers import commit_all, git

pytest.importorskip("pre_commit", reason="the pre-commit package is not installed")

SHIPPED = Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml"


def _local_config() -> str:
    hooks = yaml.safe_load(SHIPPED.read_text())
    for hook in hooks:
        assert hook["entry"].startswith("issuelog ")
        hook["entry"] = f"{sys.executable} -m issuelog {hook['entry'].removeprefix('issuelog ')}"
        hook["language"] = "system"
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False)


def _pre_commit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo,
                          capture_output=True, text=True, check=False)


@pytest.fixture
def precommit_repo(project: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed project with one issue, its log and the shipped hooks as a local pre-commit config."""
    monkeypatch.setenv("PRE_COMMIT_HOME", str(project.parent / "pre-commit-home"))
    make_tree(project, {"issues/ISSUE-001-a.md": issue_text("ISSUE-001"),
                        ".pre-commit-config.yaml": _local_config()})
    cli("render")
    commit_all(project, "start")
    return project


def test_shipped_hook_ids_and_entries() -> None:
    hooks = {hook["id"]: hook for hook in yaml.safe_load(SHIPPED.read_text())}
    assert set(hooks) == {"issuelog-check", "issuelog-render"}
    assert hooks["issuelog-check"]["entry"] == "issuelog check"
    assert hooks["issuelog-render"]["entry"] == "issuelog render"
    assert all(hook["pass_filenames"] is False for hook in hooks.values())


def test_render_hook_fails_when_it_refreshed_the_log_then_passes(precommit_repo: Path) -> None:
    make_tree(precommit_repo, {"issues/ISSUE-002-b.md": issue_text("ISSUE-002", title="Second")})
    git(precommit_repo, "add", "-A")
    first = _pre_commit(precommit_repo, "run", "--all-files")
    assert first.returncode == 1, first.stdout
    assert "issuelog render" in first.stdout and "files were modified by this hook" in first.stdout
    assert "| **Total** | **2** |" in (precommit_repo / "ISSUES.md").read_text()
    git(precommit_repo, "add", "-A")
    second = _pre_commit(precommit_repo, "run", "--all-files")
    assert second.returncode == 0, second.stdout


def test_check_hook_blocks_a_commit_of_an_invalid_issue(precommit_repo: Path) -> None:
    assert _pre_commit(precommit_repo, "install").returncode == 0
    make_tree(precommit_repo, {"issues/ISSUE-002-b.md": issue_text("ISSUE-002", severity="huge")})
    git(precommit_repo, "add", "-A")
    commit = subprocess.run(["git", "commit", "-q", "-m", "bad"], cwd=precommit_repo, capture_output=True,
                            text=True, check=False)
    assert commit.returncode != 0
    assert "issues/ISSUE-002-b.md:5: unknown severity 'huge'" in commit.stdout + commit.stderr
    assert git(precommit_repo, "log", "--format=%s").splitlines() == ["start"]
