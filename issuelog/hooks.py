"""Git integration that keeps ISSUES.md free of merge conflicts: a merge driver and git hooks.

`install_hooks` marks ISSUES.md in `.gitattributes` with a merge driver that never reports a
conflict (it keeps the current side), and installs hooks that re-render the log once the issue
files are merged: `post-merge` and `post-rewrite` (rebases). The fresh log is left in the work
tree for the user to commit: git builds an automatic merge commit's tree before the
`pre-merge-commit` hook runs, so no hook can put the log into that commit.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from issuelog.config import Config
from issuelog.errors import UsageError
from issuelog.gitrepo import (
    GitUnavailable,
    current_branch,
    hooks_directory,
    relative_to_work_tree,
    set_config,
    work_tree_root,
)
from issuelog.render import render_log
from issuelog.store import display_path, load_issues, write_atomic, write_lock

DRIVER = "issuelog"
HOOKS = ("post-merge", "post-rewrite")
MARKER = "# installed by `issuelog install-hooks`"
ATTRIBUTES = ".gitattributes"


@dataclass(frozen=True)
class SetupStep:
    """One thing `install-hooks` did or left alone, for the user to read."""

    done: bool
    message: str


def render_skipped_on(config: Config) -> str | None:
    """The current branch when `render_branches` says ISSUES.md is not rendered on it, else None."""
    if not config.render_branches:
        return None
    branch = current_branch(work_tree_root(config.root))
    return None if config.renders_on(branch) else branch


def install_hooks(config: Config, python: str = sys.executable) -> list[SetupStep]:
    """Configure the merge driver, mark ISSUES.md in .gitattributes and install the hooks."""
    top = work_tree_root(config.root)
    if top is None:
        raise UsageError(f"{config.root} is not in a git work tree: run `git init` first")
    output = relative_to_work_tree(config.output_path, top)
    project = relative_to_work_tree(config.root, top)
    if output is None or project is None:
        raise UsageError(f"{config.output} lies outside the git work tree {top}")
    steps = []
    try:
        set_config(top, f"merge.{DRIVER}.name", "issuelog: keep one side, the hooks re-render it")
        # `true` leaves the current side in place and reports no conflict; the hooks then
        # render the log from the merged issue files, which a merge driver cannot see.
        set_config(top, f"merge.{DRIVER}.driver", "true")
    except GitUnavailable as error:
        raise UsageError(f"cannot set the merge driver in git config: {error}") from None
    steps.append(SetupStep(True, f"git config merge.{DRIVER}.driver (keeps ISSUES.md free of conflicts)"))
    steps.append(_mark_attributes(top / ATTRIBUTES, f"/{output} merge={DRIVER}", config))
    directory = hooks_directory(top)
    directory.mkdir(parents=True, exist_ok=True)
    for name in HOOKS:
        steps.append(_install_hook(directory / name, name, project, python, config))
    return steps


def _mark_attributes(path: Path, line: str, config: Config) -> SetupStep:
    shown = display_path(path, config)
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if line in text.splitlines():
        return SetupStep(False, f"{shown} already has '{line}'")
    separator = "" if not text or text.endswith("\n") else "\n"
    write_atomic(path, f"{text}{separator}{line}\n")
    return SetupStep(True, f"{shown}: added '{line}' (commit it so that teammates get it)")


def hook_script(name: str, project: str, python: str) -> str:
    """The shell script of one hook: run issuelog, and never block git when it is missing."""
    change_directory = f"cd {shlex.quote(project)} || exit 0\n" if project else ""
    interpreter = shlex.quote(python)
    return (
        "#!/bin/sh\n"
        f"{MARKER}: re-renders ISSUES.md after merges and rebases.\n"
        f"{change_directory}"
        f"if [ -x {interpreter} ]; then exec {interpreter} -m issuelog git-hook {name} \"$@\"; fi\n"
        f"if command -v issuelog >/dev/null 2>&1; then exec issuelog git-hook {name} \"$@\"; fi\n"
        "echo 'issuelog: not installed here, ISSUES.md was not re-rendered: run `issuelog render`' >&2\n"
        "exit 0\n"
    )


def _install_hook(path: Path, name: str, project: str, python: str, config: Config) -> SetupStep:
    shown = display_path(path, config)
    if path.exists() and MARKER not in path.read_text(encoding="utf-8", errors="replace"):
        return SetupStep(False, f"{shown} exists and is not issuelog's: left alone; add the line "
                                f"`issuelog git-hook {name} \"$@\"` to it")
    write_atomic(path, hook_script(name, project, python))
    path.chmod(0o755)
    return SetupStep(True, f"{shown} installed")


@dataclass(frozen=True)
class LogUpdate:
    """What a hook did to ISSUES.md."""

    written: bool
    message: str


def refresh_log(config: Config) -> LogUpdate:
    """Render ISSUES.md when it is stale; refuse (without failing) while issue files have problems."""
    shown = display_path(config.output_path, config)
    skipped = render_skipped_on(config)
    if skipped is not None:
        return LogUpdate(False, f"{shown} is rendered on {', '.join(config.render_branches)} only, "
                                f"not on '{skipped}'")
    with write_lock(config):
        result = load_issues(config)
        if result.problems:
            return LogUpdate(False, f"{shown} not re-rendered: {len(result.problems)} problem(s) in "
                                    "the issue files; run `issuelog check` (and `issuelog renumber` "
                                    "for duplicate IDs), then `issuelog render`")
        text = render_log(result.issues, config)
        path = config.output_path
        if path.is_file() and path.read_bytes() == text.encode("utf-8"):
            return LogUpdate(False, "")
        write_atomic(path, text)
    return LogUpdate(True, f"re-rendered {shown}")


def run_hook(name: str, arguments: list[str], config: Config) -> str:
    """Do a hook's job; return what to tell the user (empty when there is nothing to say)."""
    if name not in HOOKS:
        raise UsageError(f"unknown hook '{name}' (known: {', '.join(HOOKS)})")
    if name == "post-rewrite" and arguments[:1] != ["rebase"]:
        return ""  # `git commit --amend` leaves the log as the author committed it
    update = refresh_log(config)
    if not update.written:
        return f"issuelog: {update.message}" if update.message else ""
    return f"issuelog: {update.message}; commit it (git commit {display_path(config.output_path, config)})"
