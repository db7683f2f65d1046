"""`issuelog init`: the files a new project needs, created without overwriting anything."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from issuelog.config import CONFIG_FILE, builtin_templates_dir, find_config_file, load_config
from issuelog.errors import UsageError
from issuelog.gitrepo import default_branch_name, work_tree_root
from issuelog.render import render_log
from issuelog.store import write_atomic

CONFIG_TEMPLATE = """\
# issuelog configuration. Every key is optional; the values shown are the defaults.
# README.md ("Configuration") lists every key.
project = {project}
# id_prefix = "ISSUE"              # IDs look like ISSUE-007
# id_width = 3
# issues_dir = "issues"
# output = "ISSUES.md"
# templates_dir = ".issuelog/templates"
# phases = ["Phase 1", "Phase 2"]  # when empty, any phase is accepted
# required = ["id", "title", "status", "severity", "reported"]
"""

# Inside git, a team's setting is the default: pull requests then carry issue files only, so a
# plain `git merge` never conflicts in ISSUES.md, and CI renders it after each merge.
TEAM_WORKFLOW = """\
# ISSUES.md is rendered on the default branch only: pull requests carry issue files and never
# conflict in it; CI renders and commits it after each merge (README: "Team workflow").
# Delete this line to render and commit ISSUES.md on every branch instead.
render_branches = [{branch}]
"""
NO_GIT_WORKFLOW = """\
# render_branches = ["main"]        # in git: render ISSUES.md on the default branch only
"""


def _workflow_lines(root: Path) -> str:
    """`render_branches` set to the default branch inside git; a commented hint elsewhere."""
    top = work_tree_root(root)
    branch = default_branch_name(top, or_head=True) if top is not None else None
    if branch is None:
        return NO_GIT_WORKFLOW
    return TEAM_WORKFLOW.format(branch=json.dumps(branch, ensure_ascii=False))


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
        # A JSON string is a valid TOML basic string: quotes and backslashes are escaped.
        write_atomic(config_path, CONFIG_TEMPLATE.format(project=json.dumps(root.name, ensure_ascii=False))
                     + _workflow_lines(root))
        results.append((config_path, True))
    config = load_config(root)
    issues = config.issues_path
    if issues.is_dir():
        results.append((issues, False))
    elif issues.exists():
        raise UsageError(f"{config.issues_dir}: exists but is not a directory")
    else:
        issues.mkdir(parents=True)
        (issues / ".gitkeep").write_text("")
        results.append((issues, True))
    if copy_templates:
        source = builtin_templates_dir()
        for template in sorted(path for path in source.iterdir() if path.is_file()):
            target = config.templates_path / template.name
            if target.exists():
                results.append((target, False))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(template, target)
                results.append((target, True))
    output = config.output_path
    if output.exists():
        results.append((output, False))
    else:
        write_atomic(output, render_log([], config))
        results.append((output, True))
    return results
