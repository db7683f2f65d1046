"""Running git in the temporary repositories of the tests."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path


def git(repo: Path, *args: str, when: str | None = None, check: bool = True) -> str:
    """Run git in `repo` and return its output; `when` fixes the author and committer dates."""
    env = None
    if when is not None:
        env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env)
    if check:
        assert result.returncode == 0, f"git {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def commit_all(repo: Path, message: str, when: str = "2026-01-01T12:00:00") -> str:
    """Stage everything and commit it at a fixed date; return the new commit ID."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, when=when)
    return git(repo, "rev-parse", "HEAD").strip()


def days_ago(days: float) -> str:
    """A commit date `days` before now: `new` counts a branch's age from the clock (id_branch_days)."""
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S+0000")


def serve_from_bare(project: Path, server_dir: Path) -> Path:
    """Clone `project` to a bare server `server_dir/server.git` and make it `project`'s origin."""
    bare = server_dir / "server.git"
    git(server_dir, "clone", "-q", "--bare", str(project), str(bare))
    git(project, "remote", "add", "origin", str(bare))
    git(project, "fetch", "-q", "origin")
    git(project, "remote", "set-head", "origin", "main")
    return bare
