"""Shared fixtures: a temporary project, a CLI runner and file trees built from dicts."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
import typer.testing
from typer.testing import CliRunner, Result

from issuelog.cli.app import app
from issuelog.core.config import Config, load_config
from issuelog.errors import EXIT_INTERNAL

MINIMAL_CONFIG = 'project = "Demo"\n'
#: A project whose thirteen issues touch every section of the log; tests/golden/ISSUES.md is its log.
GOLDEN_TREE = Path(__file__).parent / "fixtures" / "golden"


def examples(count: int) -> int:
    """How many examples a property test tries: all `count` in CI (`.ci/run` sets
    ISSUELOG_ALL_EXAMPLES=1), a third of them in the default run, which stays within a minute."""
    return count if os.environ.get("ISSUELOG_ALL_EXAMPLES") else max(10, count // 3)


def make_tree(root: Path, files: dict[str, str]) -> None:
    """Create files from `{relative path: text}`; text is dedented."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def issue_text(
    issue_id: str = "ISSUE-001",
    title: str = "Something broke",
    status: str = "open",
    severity: str = "high",
    reported: str = "2026-01-10",
    extra: str = "",
    body: str = "## Description\n\nIt broke.\n",
) -> str:
    """The text of a valid issue file, with optional extra frontmatter lines."""
    lines = [
        "---",
        f"id: {issue_id}",
        f"title: {title}",
        f"status: {status}",
        f"severity: {severity}",
        f"reported: {reported}",
    ]
    if extra:
        lines.extend(textwrap.dedent(extra).strip("\n").splitlines())
    return "\n".join(lines) + "\n---\n\n" + body


#: Click commands typer built, with the app and the registered commands each was built from.
_BUILT_COMMANDS: list[tuple[Any, tuple[Any, ...], Any]] = []


def _reused_command(typer_app: Any) -> Any:
    """`typer.main.get_command`, built once for each set of registered commands.

    typer's `CliRunner.invoke` builds the whole command tree on every call (about 30 ms of CPU,
    over a thousand calls in a run); the tree is the same while the registered commands are (a
    test that registers one more gets a tree of its own). Help reads the configuration when it is
    formatted (`common.GitStyleCommand`), so a tree serves every project.
    """
    registered = (typer_app.registered_callback, *typer_app.registered_commands,
                  *typer_app.registered_groups)
    for app_built, commands, command in _BUILT_COMMANDS:
        if app_built is typer_app and len(commands) == len(registered) and all(
                a is b for a, b in zip(commands, registered, strict=True)):
            return command
    command = typer.main.get_command(typer_app)
    _BUILT_COMMANDS.append((typer_app, registered, command))
    return command


# typer has no public hook for it; should its internals move, each call builds the tree again.
if hasattr(typer.testing, "_get_command"):
    typer.testing._get_command = _reused_command


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty project (a git repository with a minimal issuelog.toml) as the current directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "home" / ".gitconfig"))
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    # What `git config user.name` and `user.email` write, without two more git processes.
    with (tmp_path / ".git" / "config").open("a", encoding="utf-8") as git_config:
        git_config.write("[user]\n\tname = Ada Tester\n\temail = ada@example.invalid\n")
    (tmp_path / "issuelog.toml").write_text(MINIMAL_CONFIG)
    (tmp_path / "issues").mkdir()
    yield tmp_path


@pytest.fixture
def config(project: Path) -> Config:
    """The configuration in force in the project fixture."""
    return load_config(project)


Invoke = Callable[..., Result]


@pytest.fixture
def cli() -> Invoke:
    """Run `issuelog ARGS`; assert the exit code (default 0) and show tracebacks on failure."""
    runner = CliRunner()

    def invoke(*args: str, code: int = 0, input: str | None = None) -> Result:
        result = runner.invoke(app, list(args), input=input, catch_exceptions=True)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            traceback.print_exception(*result.exc_info)
            raise AssertionError(f"issuelog {' '.join(args)} crashed: {result.exception!r}")
        if result.exit_code == EXIT_INTERNAL and code != EXIT_INTERNAL and result.exc_info:
            traceback.print_exception(*result.exc_info)  # the bug behind "internal error", chained
        assert result.exit_code == code, (
            f"exit {result.exit_code} != {code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
        return result

    return invoke


@pytest.fixture
def committed_repo(project: Path) -> Path:
    """The project fixture on branch main with one committed issue (ISSUE-001-first.md)."""
    from tests.git_helpers import commit_all, git

    git(project, "symbolic-ref", "HEAD", "refs/heads/main")
    make_tree(project, {"issues/ISSUE-001-first.md": issue_text("ISSUE-001")})
    commit_all(project, "first issue")
    return project


@pytest.fixture
def hooked_repo(project: Path, cli: Invoke) -> Path:
    """A project on main with one issue, a rendered log and the hooks installed and committed."""
    from tests.git_helpers import commit_all, git

    git(project, "symbolic-ref", "HEAD", "refs/heads/main")
    cli("new", "Base issue", "-s", "high", "--date", "2026-01-01")
    cli("render")
    cli("install-hooks")
    commit_all(project, "base", when="2026-01-01T09:00:00")
    return project


@pytest.fixture
def golden_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the golden tree (GOLDEN_TREE) as the current directory; no git repository."""
    target = tmp_path / "golden"
    shutil.copytree(GOLDEN_TREE, target)
    monkeypatch.chdir(target)
    return target


def files_snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root (outside .git and issuelog's cache) with its bytes."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.parts and "cache" not in path.parts
    }


@pytest.fixture(autouse=True)
def _no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setitem(os.environ, "COLUMNS", "200")
