"""A `renumber` killed at any write leaves no duplicated issue, and running it again finishes the job.

The kills are injected with `strace -e inject=...:signal=KILL:when=N`: the real program dies as it
enters its Nth rename or unlink (every atomic write ends in a rename), for N = 1, 2, ... until a
run completes. The reliability round (issue 21, item 4) found the old renumber left both files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from issuelog.core.cache import load_issues
from issuelog.core.config import load_config
from tests.conftest import MINIMAL_CONFIG, issue_text, make_tree
from tests.git_helpers import commit_all, git

WRITE_CALLS = "rename,renameat,renameat2,unlink,unlinkat"


def _strace_works() -> bool:
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(["strace", "-qq", "-o", os.devnull, "true"], capture_output=True)
    return probe.returncode == 0  # ptrace may be forbidden in a container


needs_strace = pytest.mark.skipif(not _strace_works(), reason="needs strace with ptrace allowed")


def _renumber(project: Path, kill_at: int | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "issuelog", "renumber"]
    if kill_at is not None:
        command = ["strace", "-f", "-qq", "-o", os.devnull, "-e", f"trace={WRITE_CALLS}",
                   "-e", f"inject={WRITE_CALLS}:signal=KILL:when={kill_at}", *command]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(command, cwd=project, capture_output=True, text=True, env=env, timeout=120)


def _issues(project: Path) -> list[tuple[str, str, list[str]]]:
    return sorted((issue.title, issue.id, issue.related)
                  for issue in load_issues(load_config(project)).issues)


def _files(project: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in (project / "issues").iterdir()}


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """main publishes ISSUE-002 and ISSUE-003; the work tree adds two that collide, one linking."""
    project = tmp_path / "template"
    make_tree(project, {"issuelog.toml": MINIMAL_CONFIG,
                        "issues/ISSUE-001-first.md": issue_text("ISSUE-001", title="First"),
                        "issues/ISSUE-002-theirs.md": issue_text("ISSUE-002", title="Theirs"),
                        "issues/ISSUE-003-other.md": issue_text("ISSUE-003", title="Other")})
    git(project, "init", "-q", "-b", "main")
    git(project, "config", "user.name", "Ada")
    git(project, "config", "user.email", "ada@example.invalid")
    commit_all(project, "published")
    make_tree(project, {"issues/ISSUE-002-mine.md": issue_text("ISSUE-002", title="Mine"),
                        "issues/ISSUE-003-follow.md": issue_text("ISSUE-003", title="Follow",
                                                                 extra="related: [ISSUE-002]")})
    return project


@needs_strace
@pytest.mark.slow  # strace kills at every write: several seconds
def test_a_kill_at_each_write_never_duplicates_and_a_rerun_finishes(template: Path,
                                                                    tmp_path: Path) -> None:
    expected_run = tmp_path / "expected"
    shutil.copytree(template, expected_run, symlinks=True)
    assert _renumber(expected_run).returncode == 0
    expected = _files(expected_run)
    assert _issues(expected_run) == [("First", "ISSUE-001", []), ("Follow", "ISSUE-005", ["ISSUE-004"]),
                                     ("Mine", "ISSUE-004", []), ("Other", "ISSUE-003", []),
                                     ("Theirs", "ISSUE-002", [])]
    kills = 0
    for kill_at in range(1, 60):
        trial = tmp_path / f"kill-{kill_at}"
        shutil.copytree(template, trial, symlinks=True)
        result = _renumber(trial, kill_at)
        if result.returncode == 0:
            break  # the run got past its last write
        assert result.returncode in (-9, 137), result.stderr
        kills += 1
        titles = [title for title, _, _ in _issues(trial)]
        assert sorted(titles) == ["First", "Follow", "Mine", "Other", "Theirs"], f"kill {kill_at}"
        finished = _renumber(trial)
        assert finished.returncode == 0, finished.stderr
        assert _files(trial) == expected, f"kill at write {kill_at} was not finished by a re-run"
        assert not (trial / ".issuelog" / "cache" / "renumber-journal.json").exists()
    else:
        pytest.fail("renumber never completed")
    assert kills >= 5  # the journal, two renames, two in-place rewrites of the id, one link


def test_a_journal_that_leads_out_of_the_issues_directory_is_refused(template: Path) -> None:
    journal = template / ".issuelog" / "cache" / "renumber-journal.json"
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_text('{"renames": [["issues/ISSUE-002-mine.md", "../outside.md", "ISSUE-002", '
                       '"ISSUE-009"]], "references": []}\n')
    result = _renumber(template)
    assert result.returncode == 1
    assert "not a renumbering journal of this project's issue files" in result.stderr
    assert (template / "issues" / "ISSUE-002-mine.md").is_file()
    assert not (template.parent / "outside.md").exists()
