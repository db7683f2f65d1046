"""Ideas with one home: the JSON encoder, the default severity, git's user name, update_log."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import Invoke, issue_text

from issuelog.core.config import load_config
from issuelog.git.gitrepo import user_name
from issuelog.importer import plan_import
from issuelog.project.logfile import update_log
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


def test_git_user_name_is_asked_through_gitrepo(project: Path, tmp_path_factory: pytest.TempPathFactory,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    subprocess.run(["git", "config", "user.name", "Ada Lovelace"], cwd=project, check=True)
    assert user_name(project) == "Ada Lovelace"
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")  # the fixture's global config is empty too
    outside = tmp_path_factory.mktemp("plain")
    assert user_name(outside) == ""  # outside git, with no name set: nothing, no error


def test_init_render_and_ci_share_update_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             cli: Invoke) -> None:
    """`init` writes the log `render` would write; a CRLF copy of it is current for both."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "home" / ".gitconfig"))
    (tmp_path / "issues").mkdir()
    (tmp_path / "issues" / "ISSUE-001-a.md").write_text(issue_text(title="Kept issue"), encoding="utf-8")
    cli("init")
    written = (tmp_path / "ISSUES.md").read_bytes()
    assert b"Kept issue" in written
    cli("render", "--check")
    (tmp_path / "ISSUES.md").write_bytes(written.replace(b"\n", b"\r\n"))
    cli("render", "--check")
    update = update_log(load_config(tmp_path), write=False)
    assert update.current and not update.written
