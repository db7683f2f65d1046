"""`issuelog init`: the files a new project needs, created without overwriting anything."""

from __future__ import annotations

import shutil
from pathlib import Path

from issuelog.config import CONFIG_FILE, builtin_templates_dir, find_config_file, load_config
from issuelog.render import render_log
from issuelog.store import write_atomic

CONFIG_TEMPLATE = """\
# issuelog configuration. Every key is optional; the values shown are the defaults.
# README.md ("Configuration") lists every key.
project = "{project}"
# id_prefix = "ISSUE"              # IDs look like ISSUE-007
# id_width = 3
# issues_dir = "issues"
# output = "ISSUES.md"
# templates_dir = ".issuelog/templates"
# phases = ["Phase 1", "Phase 2"]  # when empty, any phase is accepted
# required = ["id", "title", "status", "severity", "reported"]
"""


def initialise(root: Path, *, copy_templates: bool = False) -> list[tuple[Path, bool]]:
    """Create the config, the issues directory and ISSUES.md under `root` when missing.

    Returns every path considered with whether it was created (False: it existed and was kept).
    """
    results: list[tuple[Path, bool]] = []
    existing = find_config_file(root)
    if existing is not None and existing.parent == root:
        results.append((existing, False))
    else:
        config_path = root / CONFIG_FILE
        write_atomic(config_path, CONFIG_TEMPLATE.format(project=root.name.replace('"', "")))
        results.append((config_path, True))
    config = load_config(root)
    issues = config.issues_path
    keep = issues / ".gitkeep"
    if issues.is_dir():
        results.append((issues, False))
    else:
        issues.mkdir(parents=True)
        keep.write_text("")
        results.append((issues, True))
    if copy_templates:
        source = builtin_templates_dir()
        for template in sorted(source.glob("*.j2")):
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
