"""End-to-end tests of `init`, `new`, `check` and `render` in temporary git repositories."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from issuelog.core.cache import load_issues
from issuelog.core.config import load_config
from tests.conftest import Invoke, files_snapshot, issue_text, make_tree


def test_init_creates_config_issues_and_empty_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  cli: Invoke) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("init")
    assert "created issuelog.toml" in result.stdout
    assert (tmp_path / "issues").is_dir()
    log = (tmp_path / "ISSUES.md").read_text()
    assert "| **Total** | **0** |" in log
    cli("check")
    cli("render", "--check")


def test_init_is_idempotent_and_never_overwrites(project: Path, cli: Invoke) -> None:
    (project / "ISSUES.md").write_text("hand-written\n")
    cli("init", "--templates")
    assert (project / "ISSUES.md").read_text() == "hand-written\n"
    assert (project / "issuelog.toml").read_text() == 'project = "Demo"\n'
    copied = project / ".issuelog" / "templates" / "ISSUES.md.j2"
    assert copied.is_file()
    copied.write_text("custom {{ project }}\n")
    before = files_snapshot(project)
    second = cli("init", "--templates")
    assert "created" not in second.stdout
    assert files_snapshot(project) == before


def test_done_when_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Invoke) -> None:
    """The foundation's acceptance run: init, three new issues, render, render --check."""
    monkeypatch.chdir(tmp_path)
    cli("init")
    cli("new", "Database refuses connections", "--severity", "critical", "--date", "2026-01-10")
    cli("new", "Slow listing", "-s", "medium", "--status", "in_progress", "--date", "2026-01-11")
    path = cli("new", "Typo in help", "-s", "low", "--status", "resolved",
               "--date", "2026-01-12").stdout.strip()
    cli("render")
    log = (tmp_path / "ISSUES.md").read_text()
    assert "| 🔴 Open | 1 |" in log
    assert "| 🟡 In Progress | 1 |" in log
    assert "| 🟢 Resolved | 1 |" in log
    assert "| **Total** | **3** |" in log
    cli("render", "--check")
    issue_file = tmp_path / path
    issue_file.write_text(issue_file.read_text().replace("Typo in help", "Typo in the help"))
    stale = cli("render", "--check", code=1)
    assert "-| [ISSUE-003](issues/ISSUE-003-typo-in-help.md) | Typo in help |" in stale.stdout
    assert "+| [ISSUE-003](issues/ISSUE-003-typo-in-help.md) | Typo in the help |" in stale.stdout
    assert "is stale" in stale.stderr


def test_new_writes_a_file_that_passes_check(project: Path, cli: Invoke) -> None:
    cli("new", "Connection refused", "-s", "high")
    path = cli("new", "Pool exhausted", "-s", "critical", "--phase", "Phase 2", "-c", "reliability",
               "--component", "db", "-a", "grace", "-t", "db", "-t", "pool", "-r", "1",
               "-f", "app/db.py", "--error", "TimeoutError: pool timed out after 30s",
               "--error-type", "TimeoutError", "--date", "2026-02-01").stdout.strip()
    assert path == "issues/ISSUE-002-pool-exhausted.md"
    cli("check")
    issue = {i.id: i for i in load_issues(load_config(project)).issues}["ISSUE-002"]
    assert issue.reporter == "Ada Tester"
    assert issue.related == ["ISSUE-001"]
    assert issue.tags == ["db", "pool"]
    assert issue.error_message == "TimeoutError: pool timed out after 30s"
    assert str(issue.reported) == "2026-02-01"
    assert "pool timed out after 30s" in issue.body


@pytest.mark.parametrize(
    "title",
    ["../../etc/passwd", "a/b\\c", "🔥🔥🔥", "'quoted' \"title\": yes", "x" * 300, "Title --- with dashes",
     "yes"],
)
def test_hostile_titles_give_safe_short_slugs(project: Path, cli: Invoke, title: str) -> None:
    path = Path(cli("new", title, "-s", "low").stdout.strip())
    assert path.parent == Path("issues")
    assert len(path.name) <= 80
    assert path.resolve().parent == (project / "issues").resolve()
    cli("check")
    issue = load_issues(load_config(project)).issues[0]
    assert issue.title == " ".join(title.split())


def test_new_refuses_bad_values_and_writes_nothing(project: Path, cli: Invoke) -> None:
    for args, message in [
        (["-s", "urgent"], "unknown severity 'urgent'"),
        (["-s", "low", "--status", "stuck"], "unknown status 'stuck'"),
        (["-s", "low", "-c", "weather"], "unknown category 'weather'"),
        (["-s", "low", "--date", "2026-02-30"], "--date must be a date"),
        (["-s", "low", "-r", "ISSUE-042"], "related issue 'ISSUE-042' does not exist"),
        (["-s", "low", "-r", "banana"], "'banana' is not an issue ID"),
        ([], "missing required field(s): --severity (critical|high|medium|low)"),
    ]:
        result = cli("new", "Title", *args, code=2)
        assert message in result.stderr
        assert "Traceback" not in result.output
    assert list((project / "issues").iterdir()) == []


def test_new_asks_for_missing_fields_on_a_terminal(project: Path, cli: Invoke,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("issuelog.cli.daily.stdin_is_terminal", lambda: True)
    result = cli("new", "Asked", input="urgent\nhigh\n\n\n")  # component skipped, confirmed
    assert "Please choose one of" in result.stderr
    issue = load_issues(load_config(project)).issues[0]
    assert issue.severity == "high"


def test_new_with_edit_opens_the_editor_and_validates(project: Path, cli: Invoke,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    editor = project / "editor.sh"
    editor.write_text('#!/bin/sh\nsed -i "s/^severity: .*/severity: urgent/" "$1"\n')
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    result = cli("new", "Edited", "-s", "low", "--edit", code=1)
    assert "unknown severity 'urgent'" in result.stderr
    assert "your edit is kept" in result.stderr
    assert "severity: urgent" in (project / "issues" / "ISSUE-001-edited.md").read_text()


def test_ids_continue_past_the_width(project: Path, cli: Invoke) -> None:
    (project / "issues" / "ISSUE-999-last.md").write_text(issue_text("ISSUE-999"))
    assert cli("new", "Next", "-s", "low").stdout.strip() == "issues/ISSUE-1000-next.md"
    cli("check")


@pytest.mark.slow
def test_concurrent_new_never_shares_an_id(project: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}

    def run(index: int) -> str:
        result = subprocess.run(
            [sys.executable, "-c", "from issuelog.cli.app import main; main()", "new", f"Race {index}",
             "-s", "low"], cwd=project, env=env, capture_output=True, text=True, check=True,
        )
        return result.stdout.strip()

    with ThreadPoolExecutor(max_workers=6) as pool:
        paths = list(pool.map(run, range(12)))
    ids = sorted(Path(p).name[:9] for p in paths)
    assert ids == [f"ISSUE-{n:03d}" for n in range(1, 13)]
    assert load_issues(load_config(project)).problems == []


BAD_INPUTS = {
    "invalid-yaml": ("---\nid: ISSUE-001\ntitle: [oops\n---\n", ":3: invalid YAML"),
    "no-frontmatter": ("# Title only\n", ":1: no YAML frontmatter"),
    "missing-field": (issue_text().replace("severity: high\n", ""), ":1: missing required field 'severity'"),
    "unknown-severity": (issue_text(severity="urgent"), ":5: unknown severity 'urgent'"),
    "unknown-status": (issue_text(status="stuck"), ":4: unknown status 'stuck'"),
    "unknown-category": (issue_text(extra="category: weather"), ":7: unknown category 'weather'"),
    "malformed-date": (issue_text(reported="2026-02-30"), ":6: invalid date '2026-02-30' in 'reported'"),
    "resolved-before-reported": (issue_text(status="resolved", extra="resolved: 2026-01-01"),
                                 ":7: resolved 2026-01-01 is before reported 2026-01-10"),
    "resolved-without-date": (issue_text(status="resolved"), ":4: status 'resolved' needs a 'resolved' date"),
    "date-without-resolved": (issue_text(extra="resolved: 2026-01-11"), ":7: 'resolved' is set but status"),
    "id-mismatch": (issue_text("ISSUE-009"), ":2: id 'ISSUE-009' does not match the file name"),
    "related-missing": (issue_text(extra="related: [ISSUE-077]"),
                        ":7: related issue 'ISSUE-077' does not exist"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_each_bad_input_is_reported_with_path_and_line(project: Path, cli: Invoke, case: str) -> None:
    text, message = BAD_INPUTS[case]
    make_tree(project, {
        "issues/ISSUE-001-broken.md": text,
        "issues/ISSUE-002-fine.md": issue_text("ISSUE-002"),
    })
    before = files_snapshot(project)
    result = cli("check", code=1)
    assert f"issues/ISSUE-001-broken.md{message}" in result.stdout
    assert "ISSUE-002" not in result.stdout
    assert "Traceback" not in result.output
    rendered = cli("render", code=1)
    assert "not rendering" in rendered.stderr
    assert files_snapshot(project) == before


def test_duplicate_ids_are_reported(project: Path, cli: Invoke) -> None:
    make_tree(project, {
        "issues/ISSUE-001-first.md": issue_text(),
        "issues/ISSUE-001-second.md": issue_text(),
    })
    result = cli("check", code=1)
    assert ("issues/ISSUE-001-second.md:2: duplicate id 'ISSUE-001' (also in issues/ISSUE-001-first.md)"
            in result.stdout)


def test_check_reports_every_problem_and_json(project: Path, cli: Invoke) -> None:
    make_tree(project, {
        "issues/ISSUE-001-a.md": issue_text(severity="urgent", status="stuck"),
        "issues/ISSUE-002-b.md": "no frontmatter\n",
    })
    result = cli("check", code=1)
    assert len(result.stdout.strip().splitlines()) == 3
    assert "3 problem(s) in 2 file(s)" in result.stderr
    data = cli("check", "--format", "json", code=1).stdout
    assert '"line": 4' in data and '"message": "no YAML frontmatter' in data


def test_render_output_option_and_up_to_date_message(project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-001-a.md": issue_text()})
    cli("render", "--output", "docs/LOG.md")
    assert (project / "docs" / "LOG.md").is_file()
    assert not (project / "ISSUES.md").exists()
    assert "up to date" in cli("render", "-o", "docs/LOG.md").stderr
    cli("render", "--check", code=1)


def test_commands_work_from_a_subdirectory(project: Path, cli: Invoke,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(project, {"issues/ISSUE-001-a.md": issue_text(), "src/pkg/x.py": ""})
    monkeypatch.chdir(project / "src" / "pkg")
    cli("new", "From below", "-s", "low")
    cli("render")
    assert (project / "ISSUES.md").is_file()
    assert (project / "issues" / "ISSUE-002-from-below.md").is_file()


def test_bad_config_is_a_usage_error_naming_the_key(project: Path, cli: Invoke) -> None:
    (project / "issuelog.toml").write_text('projct = "x"\n')
    result = cli("check", code=2)
    assert "issuelog.toml: 'projct' is not a valid option. Did you mean 'project'?" in result.stderr


def test_pyproject_configuration_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          cli: Invoke) -> None:
    make_tree(tmp_path, {
        "pyproject.toml": ('[project]\nname = "x"\n\n[tool.issuelog]\nproject = "From pyproject"\n'
                           'id_prefix = "BUG"\n'),
        "issues/.keep": "",
    })
    monkeypatch.chdir(tmp_path)
    assert cli("new", "A bug", "-s", "low").stdout.strip() == "issues/BUG-001-a-bug.md"
    cli("render")
    assert "# From pyproject — Issue Log" in (tmp_path / "ISSUES.md").read_text()


def test_console_script_has_no_traceback_on_bad_input(project: Path) -> None:
    make_tree(project, {"issues/ISSUE-001-a.md": "---\nid: [\n---\n"})
    result = subprocess.run([sys.executable, "-m", "issuelog", "check"], cwd=project,
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "issues/ISSUE-001-a.md:" in result.stdout


def test_a_deleted_current_directory_is_a_clear_error(project: Path, cli: Invoke,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    gone = project / "issues" / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    result = cli("new", "Anything", "-s", "low", code=2)
    assert "the current directory no longer exists" in result.stderr
    cli("init", code=2)


@pytest.mark.parametrize("command", [["render"], ["metrics"], ["export", "--format", "csv"]])
@pytest.mark.parametrize("target", ["issues/ISSUE-001-a.md", "issuelog.toml", "issues",
                                    ".issuelog/templates/ISSUES.md.j2"])
def test_output_never_replaces_issue_files_config_or_templates(project: Path, cli: Invoke,
                                                              command: list[str], target: str) -> None:
    make_tree(project, {"issues/ISSUE-001-a.md": issue_text(),
                        ".issuelog/templates/ISSUES.md.j2": "# {{ project }}\n"})
    before = files_snapshot(project)
    result = cli(*command, "--output", target, code=2)
    assert "write elsewhere" in result.stderr or "is a directory" in result.stderr
    assert files_snapshot(project) == before


def test_unwritable_output_is_a_clear_error(project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-001-a.md": issue_text(), "blocker": "a file, not a directory\n"})
    result = cli("render", "--output", "blocker/ISSUES.md", code=1)
    assert "blocker/ISSUES.md: cannot write" in result.stderr


def test_render_check_accepts_crlf_checkouts(project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-001-a.md": issue_text()})
    cli("render")
    log = project / "ISSUES.md"
    log.write_bytes(log.read_bytes().replace(b"\n", b"\r\n"))
    cli("render", "--check")


def test_resolved_before_reported_within_a_day(project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-001-a.md": issue_text(
        status="resolved", reported="2026-01-10 12:00:00", extra="resolved: 2026-01-10 08:00:00")})
    result = cli("check", code=1)
    assert "resolved 2026-01-10 08:00:00 is before reported 2026-01-10 12:00:00" in result.stdout


def test_new_keeps_a_comma_inside_one_tag_and_control_characters(project: Path, cli: Invoke) -> None:
    cli("new", "Bell\x7f and next\x85line", "-s", "low", "-t", "db, cache", "-t", "plain",
        "-f", "a.py, b.py")
    cli("check")
    issue = load_issues(load_config(project)).issues[0]
    assert issue.tags == ["db, cache", "plain"]
    assert issue.files == ["a.py, b.py"]
    assert issue.title == "Bell\x7f and next line"  # titles are one line: \x85 is a line break


@pytest.mark.parametrize("command", [["new", "X", "-s", "low"], ["render"], ["record", "--error", "boom"],
                                     ["list"], ["check"]])
def test_outside_any_project_commands_say_so_and_write_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Invoke, command: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli(*command, code=2)
    assert "no issuelog project here" in result.stderr and "issuelog init" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_set_refuses_an_impossible_date(project: Path, cli: Invoke) -> None:
    cli("new", "X", "-s", "low")
    before = files_snapshot(project)
    result = cli("set", "1", "reported=2026-02-30", code=2)
    assert "'2026-02-30' is not a valid date" in result.stderr
    assert files_snapshot(project) == before
