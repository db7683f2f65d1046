"""Ideas with one home: the JSON encoder, the configured default severity, git's user name."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import Invoke, issue_text

from issuelog.core.config import load_config
from issuelog.git.gitrepo import user_name
from issuelog.importer.reader import plan_import
from issuelog.project.scaffold import default_severity


def test_check_json_keeps_non_ascii_text_as_utf8(project: Path, cli: Invoke) -> None:
    """`check --format json` prints text as `list`, `show`, `diff` and `export` do: unescaped."""
    (project / "issues" / "ISSUE-001-a.md").write_text(issue_text(status="fermé"), encoding="utf-8")
    output = cli("check", "--format", "json", code=1).stdout
    assert "fermé" in output and "\\u00e9" not in output
    assert any("fermé" in problem["message"] for problem in json.loads(output))


def test_list_json_keeps_non_ascii_text_as_utf8(project: Path, cli: Invoke) -> None:
    (project / "issues" / "ISSUE-001-a.md").write_text(issue_text(title="Café crash"), encoding="utf-8")
    output = cli("list", "--format", "json").stdout
    assert "Café crash" in output and json.loads(output)[0]["title"] == "Café crash"


def test_import_and_record_default_to_the_same_severity(project: Path) -> None:
    """Without a `medium`, import and record (and `new`'s prompt) take the middle severity."""
    (project / "issuelog.toml").write_text(
        'project = "Demo"\nseverities_replace = true\n'
        + "".join(f'[[severities]]\nname = "{name}"\n' for name in ("blocker", "major", "minor")),
        encoding="utf-8")
    config = load_config(project)
    assert default_severity(config) == "major"
    log = project / "OLD.md"
    log.write_text("# Issues\n\n## ISSUE-001: Crash on start\n\n**Status:** Open\n"
                   "**Reported:** 2026-01-10\n\nIt crashes.\n", encoding="utf-8")
    plan = plan_import(log, config)
    assert [draft.fields.get("severity") for draft in plan.drafts] == ["major"]


def test_git_user_name_is_asked_through_gitrepo(project: Path, tmp_path: Path) -> None:
    subprocess.run(["git", "config", "user.name", "Ada Lovelace"], cwd=project, check=True)
    assert user_name(project) == "Ada Lovelace"
    outside = tmp_path / "plain"
    outside.mkdir()
    assert isinstance(user_name(outside), str)  # outside git: the global setting or nothing
