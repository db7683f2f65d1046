"""`issuelog init`: the files a new project needs, created without overwriting anything."""

from __future__ import annotations

from pathlib import Path

from issuelog.core.atomic_write import sweep_project, write_atomic, write_bytes_atomic
from issuelog.core.config import (
    CONFIG_FILE,
    builtin_templates_dir,
    default_config_text,
    find_config_file,
    load_config,
)
from issuelog.errors import UsageError
from issuelog.git.gitrepo import default_branch_name, work_tree_root
from issuelog.project.logfile import update_log


def _team_branch(root: Path) -> str | None:
    """The default branch inside git, where a team renders ISSUES.md; None outside git.

    Inside git the team's setting is the default: pull requests then carry issue files only, so
    a plain `git merge` never conflicts in ISSUES.md, and CI renders it after each merge.
    """
    top = work_tree_root(root)
    return default_branch_name(top, or_head=True) if top is not None else None


def initialise(root: Path, *, copy_templates: bool = False) -> list[tuple[Path, bool]]:
    """Create the config, the issues directory and ISSUES.md when missing.

    Inside a project that is already set up (a config file here or in a parent directory), the
    missing pieces are added to that project instead of starting a nested one. Returns every
    path considered with whether it was created (False: it existed and was kept).
    """
    results: list[tuple[Path, bool]] = []
    existing = find_config_file(root)
    if existing is not None:
        results.append((existing, False))
    else:
        config_path = root / CONFIG_FILE
        write_atomic(config_path, default_config_text(root.name, team_branch=_team_branch(root)))
        results.append((config_path, True))
    config = load_config(root)
    sweep_project(config)  # what a killed `init` (or any writer) left behind
    issues = config.issues_path
    if issues.is_dir():
        results.append((issues, False))
    elif issues.exists():
        raise UsageError(f"{config.issues_dir}: exists but is not a directory")
    else:
        issues.mkdir(parents=True)
        results.append((issues, True))
    if not any(issues.iterdir()):  # also after an `init` killed between the two steps
        write_atomic(issues / ".gitkeep", "")
    if copy_templates:
        source = builtin_templates_dir()
        for template in sorted(path for path in source.iterdir() if path.is_file()):
            target = config.templates_path / template.name
            # An empty file is what a copy killed half-way left before copies were atomic: no
            # template is empty on purpose (one that prints nothing still holds a `{# #}`).
            if target.exists() and not _is_empty_file(target):
                results.append((target, False))
            else:
                write_bytes_atomic(target, template.read_bytes())
                results.append((target, True))
    output = config.output_path
    if output.exists():
        results.append((output, False))
    else:
        # The log of the issues already there (none in a new project); nothing while they have
        # problems, which `issuelog check` then names.
        results.append((output, update_log(config).written))
    return results


def _is_empty_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink() and path.stat().st_size == 0
