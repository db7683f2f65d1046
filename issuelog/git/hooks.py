"""Git integration that keeps ISSUES.md free of merge conflicts: a merge driver and git hooks.

`install_hooks` marks ISSUES.md in `.gitattributes` with a merge driver that never reports a
conflict (it keeps the current side), and installs four hooks:

- `pre-merge-commit` stops a merge commit that would bring duplicate IDs (exit 1, naming
  `issuelog renumber`); git leaves the merge in progress for the user to fix and commit.
- `post-merge` re-renders the log from the merged issue files and, when `git merge` has just
  made a merge commit that no remote has yet, amends that commit with the log, so the merge
  commit carries a current ISSUES.md. (A `pre-merge-commit` hook cannot add it: git writes an
  automatic merge's tree before that hook runs, and `git add` there reaches only the index.)
- `post-rewrite` does the same for the tip of a finished rebase.
- `post-commit` closes issues named in the new commit's trailers and, for a merge concluded by
  `git commit` (after a conflict, or `git merge --no-commit`), which runs neither merge hook, does
  `post-merge`'s work: duplicate IDs are reported (too late to stop the commit) and the merge
  commit is amended with the re-rendered log.

Everything honours `render_branches`: where the log is not rendered, only duplicates are checked.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from issuelog.core.atomic_write import write_atomic
from issuelog.core.cache import load_issues
from issuelog.core.config import Config
from issuelog.core.store import cross_file_problems, display_path, write_lock
from issuelog.errors import UsageError
from issuelog.git.gitrepo import (
    GitUnavailable,
    amend_head_with,
    hooks_directory,
    is_fresh_merge,
    is_unpublished,
    rebase_in_progress,
    relative_to_work_tree,
    set_config,
    work_tree_root,
)
from issuelog.project.logfile import render_skipped_on, update_log

DRIVER = "issuelog"
HOOKS = ("pre-merge-commit", "post-merge", "post-rewrite", "post-commit")
MARKER = "# installed by `issuelog install-hooks`"
ATTRIBUTES = ".gitattributes"


@dataclass(frozen=True)
class SetupStep:
    """One thing `install-hooks` did or left alone, for the user to read."""

    done: bool
    message: str


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
        f"{MARKER}: keeps ISSUES.md current in merges and rebases.\n"
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
class LogRefresh:
    """What a hook did to ISSUES.md."""

    written: bool
    message: str


def refresh_log(config: Config) -> LogRefresh:
    """Render ISSUES.md when it is stale; refuse (without failing) while issue files have problems."""
    shown = display_path(config.output_path, config)
    skipped = render_skipped_on(config)
    if skipped is not None:
        return LogRefresh(False, f"{shown} is rendered on {', '.join(config.render_branches)} only, "
                                 f"not on '{skipped}'")
    with write_lock(config):
        update = update_log(config)
    if update.text is None:
        return LogRefresh(False, f"{shown} not re-rendered: {len(update.problems)} problem(s) in "
                                 "the issue files; run `issuelog check` (and `issuelog renumber` "
                                 "for duplicate IDs), then `issuelog render`")
    return LogRefresh(True, f"re-rendered {shown}") if update.written else LogRefresh(False, "")


@dataclass(frozen=True)
class HookResult:
    """What a hook tells the user, and its exit status (non-zero stops a merge commit)."""

    message: str
    exit_code: int = 0


def duplicate_ids_message(config: Config) -> str:
    """A loud message naming the duplicate IDs in the issue files and the fix; empty if none."""
    problems = [p for p in cross_file_problems(load_issues(config, bodies=False).issues, config)
                if p.message.startswith("duplicate id")]
    if not problems:
        return ""
    lines = [f"issuelog: THIS MERGE BRINGS {len(problems)} DUPLICATE ID(S):"]
    lines += [f"  {problem}" for problem in problems]
    lines.append("issuelog: run `issuelog renumber` (the default branch's IDs stay), then "
                 f"`issuelog render`, `git add -A {config.issues_dir} {config.output}` and `git commit`")
    return "\n".join(lines)


def _close_from_new_commits(config: Config, revisions: list[str], advice: str) -> HookResult:
    """On the default branch, resolve the issues the new commits' messages close."""
    from issuelog.git.trailers import close_from_commits, on_default_branch, report_lines

    if not on_default_branch(config):
        return HookResult("")
    try:
        report = close_from_commits(config, revisions)
    except GitUnavailable:
        return HookResult("")  # ORIG_HEAD missing: nothing merged to read
    lines = [f"issuelog: {line}" for line in report_lines(report, config)]
    if report.paths:
        shown = " ".join(display_path(path, config) for path in report.paths)
        lines.append(f"issuelog: {shown} changed; {advice} (git commit {shown})")
    return HookResult("\n".join(lines))


def _joined(first: HookResult, second: HookResult) -> HookResult:
    """Two hook results as one: both messages, the worse exit status."""
    message = "\n".join(text for text in (first.message, second.message) if text)
    return HookResult(message, max(first.exit_code, second.exit_code))


def run_hook(name: str, arguments: list[str], config: Config) -> HookResult:
    """Do a hook's job; return what to tell the user and the hook's exit status."""
    if name not in HOOKS:
        raise UsageError(f"unknown hook '{name}' (known: {', '.join(HOOKS)})")
    if name == "post-rewrite" and arguments[:1] != ["rebase"]:
        return HookResult("")  # `git commit --amend` leaves the log as the author committed it
    if name == "post-commit":
        top = work_tree_root(config.root)
        if top is None or rebase_in_progress(top):
            return HookResult("")  # a rebase's commits are read once it is done (post-rewrite)
        if is_fresh_merge(top):
            # A merge concluded by `git commit` (after a conflict, or `git merge --no-commit`):
            # git runs neither pre-merge-commit nor post-merge for it, so this hook does their work.
            return _after_merge_or_rebase("post-merge", config)
        return _close_from_new_commits(config, ["-1", "HEAD"], "commit them")
    if name == "pre-merge-commit":
        duplicates = duplicate_ids_message(config)
        if duplicates:
            return HookResult(duplicates + "\nissuelog: the merge commit was stopped; the merge is "
                              "still in progress (`git merge --abort` undoes it)", 1)
        return HookResult("")
    return _after_merge_or_rebase(name, config)


def _after_merge_or_rebase(name: str, config: Config) -> HookResult:
    """After a merge commit or a rebase: report duplicate IDs, else re-render and close from trailers."""
    duplicates = duplicate_ids_message(config)
    if duplicates:
        return HookResult(duplicates, 1)  # after the fact: git no longer looks at the status
    result = _render_after(name, config)
    # After the merge commit or the rebased tip is final (amended with the log), so that a
    # trailer in its own message records the commit that stays. ORIG_HEAD is the tip before.
    closing = _close_from_new_commits(config, ["ORIG_HEAD..HEAD"], "commit them")
    if closing.message and refresh_log(config).written:
        closing = _joined(closing, HookResult(f"issuelog: re-rendered "
                                              f"{display_path(config.output_path, config)}"))
    return _joined(result, closing)


def _render_after(name: str, config: Config) -> HookResult:
    """Re-render the log after a merge or a rebase; amend the new commit with it when unpublished."""
    update = refresh_log(config)
    if not update.written:
        return HookResult(f"issuelog: {update.message}" if update.message else "")
    shown = display_path(config.output_path, config)
    top = work_tree_root(config.root)
    output = relative_to_work_tree(config.output_path, top) if top else None
    fresh = top is not None and (is_fresh_merge(top) if name == "post-merge" else is_unpublished(top))
    if top is not None and output is not None and fresh:
        try:
            amend_head_with(top, [output])
        except GitUnavailable as error:
            return HookResult(f"issuelog: re-rendered {shown} but could not amend the commit "
                              f"({error}); commit it (git commit {shown})")
        what = "merge commit" if name == "post-merge" else "rebased commit"
        return HookResult(f"issuelog: re-rendered {shown} and added it to the {what}")
    return HookResult(f"issuelog: {update.message}; commit it (git commit {shown})")
