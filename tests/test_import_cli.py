"""`issuelog import` end to end: dry runs, JSON, messages, exit codes, check and render after."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import Invoke, files_snapshot

FIXTURES = Path(__file__).parent / "fixtures" / "import"


def _copy(project: Path, name: str) -> str:
    shutil.copy(FIXTURES / name, project / name)
    return name


def test_dry_run_prints_a_table_and_writes_nothing(project: Path, cli: Invoke) -> None:
    name = _copy(project, "error-log-filled.md")
    before = files_snapshot(project)
    result = cli("import", name, "--dry-run")
    assert files_snapshot(project) == before
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["LINE", "ID", "LEGACY", "SEVERITY", "STATUS", "PHASE", "REPORTED",
                                "TITLE"]
    assert lines[1].split() == ["20", "ISSUE-001", "1", "medium", "resolved", "2024-01-15",
                                "Docker", "Memory", "Issues", "on", "Windows"]
    assert len(lines) == 11
    assert ("would create 10 issue(s) from error-log-filled.md; 0 unreadable heading(s)"
            in result.stderr)


def test_dry_run_json_lists_the_drafts(project: Path, cli: Invoke) -> None:
    name = _copy(project, "shape-id-bold.md")
    drafts = json.loads(cli("import", name, "--dry-run", "--format", "json").stdout)
    summary_keys = ("line", "id", "title", "legacy_id", "severity", "status", "phase", "category",
                    "reported", "resolved", "reference_only")
    assert {key: drafts[1][key] for key in summary_keys} == {
        "line": 51, "id": "ISSUE-013", "title": "Migration runs twice on startup",
        "legacy_id": "ISSUE-013", "severity": "critical", "status": "resolved", "phase": "Phase 1",
        "category": None, "reported": "2026-01-05", "resolved": "2026-01-06 14:30",
        "reference_only": False,
    }
    # What else the file will hold: nothing is hidden from the dry run.
    assert drafts[1]["sections"] == [line[3:] for line in drafts[1]["body"].splitlines()
                                     if line.startswith("## ")]
    assert drafts[1]["kept"] == {}
    assert list(project.joinpath("issues").iterdir()) == []


def test_import_then_check_and_render(project: Path, cli: Invoke) -> None:
    name = _copy(project, "mixed.md")
    result = cli("import", name)
    created = result.stdout.splitlines()
    assert created[0].startswith("issues/ISSUE-008-cron-runs-in-the-wrong-zone.md")
    assert len(created) == 6
    # `Issue 7` keeps its number; the others follow the highest ID, in document order.
    assert created[2].startswith("issues/ISSUE-007-emails-sent-twice.md")
    assert "mixed.md:68: date '10/01/2026' is ambiguous" in result.stderr
    assert "imported 6 issue(s) from mixed.md; 0 unreadable heading(s)" in result.stderr
    cli("check")
    cli("render")
    cli("render", "--check")
    log = (project / "ISSUES.md").read_text(encoding="utf-8")
    # The reference row `Cron runs in the wrong zone` is listed, not counted.
    assert "| **Total** | **5** |" in log
    assert "Not counted in any figure: 1 reference-only entry" in log
    assert "| Cron runs in the wrong zone ([ISSUE-008](" in log
    again = cli("import", name)
    assert again.stdout == ""
    assert "mixed.md:30: already imported as ISSUE-009; skipped" in again.stderr


def test_unreadable_headings_are_reported_and_the_rest_imported(project: Path, cli: Invoke) -> None:
    name = _copy(project, "shape-numbered.md")
    result = cli("import", name)
    assert ("shape-numbered.md:33: heading '4. Placeholder for the next error' looks like an entry "
            "but has nothing under it; not imported") in result.stderr
    assert len(result.stdout.splitlines()) == 3
    cli("check")


def test_bad_arguments_are_usage_errors(project: Path, cli: Invoke) -> None:
    name = _copy(project, "shape-numbered.md")
    missing = cli("import", "nowhere.md", code=2)
    assert missing.stderr.strip() == "issuelog: nowhere.md: no such file"
    directory = cli("import", "issues", code=2)
    assert directory.stderr.strip() == (
        "issuelog: issues: is a directory; give the Markdown log to import")
    bad = cli("import", name, "--default-status", "later", code=2)
    assert "issuelog: unknown status 'later' (allowed: open, in_progress" in bad.stderr
    assert list(project.joinpath("issues").iterdir()) == []


def test_a_log_that_is_not_utf8_names_the_line(project: Path, cli: Invoke) -> None:
    (project / "old.md").write_bytes(b"# Log\n\n## BUG-1: caf\xe9\n")
    result = cli("import", "old.md", code=1)
    assert result.stderr.strip() == "issuelog: old.md:3: not valid UTF-8 (byte 20)"


def test_console_script_imports_without_traceback(project: Path) -> None:
    name = _copy(project, "shape-register.md")
    script = Path(sys.executable).with_name("issuelog")
    done = subprocess.run([str(script), "import", name], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert subprocess.run([str(script), "check"], capture_output=True, check=False).returncode == 0


def test_import_json_lists_the_files_created(project: Path, cli: Invoke) -> None:
    name = _copy(project, "shape-register.md")
    created = json.loads(cli("import", name, "--format", "json").stdout)
    assert [(row["id"], row["path"], row["line"]) for row in created] == [
        ("ISSUE-001", "issues/ISSUE-001-connection-pool-exhaustion.md", 5),
        ("ISSUE-002", "issues/ISSUE-002-payment-webhook-signature-rejected.md", 13),
        ("ISSUE-003", "issues/ISSUE-003-search-results-lag-behind-edits.md", 21),
    ]
    assert all((project / row["path"]).is_file() for row in created)
