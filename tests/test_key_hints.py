"""Did-you-mean hints for frontmatter keys that look like typos of known fields (`ocurrences`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from issuelog.core.config import closest_name, load_config
from issuelog.core.model import key_hints, misspelt_field, parse_issue
from issuelog.errors import ConfigError
from tests.conftest import Invoke, issue_text, make_tree


@pytest.mark.parametrize(("key", "field"), [
    ("ocurrences", "occurrences"), ("serverity", "severity"), ("asignee", "assignee"),
    ("tag", "tags"), ("file", "files"), ("relatd", "related"), ("resolve", "resolved"),
    ("categroy", "category"), ("stauts", "status"), ("titel", "title"), ("Status", "status"),
    ("componet", "component"), ("last_sen", "last_seen"), ("referance", "reference"),
])
def test_typos_of_known_fields_are_recognised(key: str, field: str) -> None:
    assert misspelt_field(key) == field


@pytest.mark.parametrize("key", [
    "customer_ref", "legacy_id", "legacy_status", "legacy_resolved", "legacy_category",
    "legacy_title", "imported_from", "title_en", "component_owner", "priority", "reviewer",
    "status_note", "occurrences", "reference",
])
def test_keys_of_their_own_get_no_hint(key: str) -> None:
    # The importer's legacy_* keys and clearly different user keys are data, not typos;
    # known fields are not unknown keys at all.
    assert misspelt_field(key) is None


def test_hints_name_the_line_of_the_key(tmp_path: Path) -> None:
    text = issue_text(extra="customer_ref: AB-1\nocurrences: 3\nasignee: grace\n")
    issue, problems = parse_issue(tmp_path / "ISSUE-001.md", text, "issues/ISSUE-001.md")
    assert issue is not None and problems == []
    assert [str(hint) for hint in key_hints(issue, "issues/ISSUE-001.md")] == [
        "issues/ISSUE-001.md:8: unknown key 'ocurrences' (kept as your own data): "
        "did you mean 'occurrences'?",
        "issues/ISSUE-001.md:9: unknown key 'asignee' (kept as your own data): "
        "did you mean 'assignee'?",
    ]
    assert issue.occurrences == 1 and issue.extra["ocurrences"] == 3  # kept, not taken as the field


def test_configuration_typos_use_the_same_helper(tmp_path: Path) -> None:
    assert closest_name("projet", ["project", "phases"]) == "project"
    assert closest_name("zzz", ["project", "phases"]) is None
    (tmp_path / "issuelog.toml").write_text('projet = "Demo"\n')
    with pytest.raises(ConfigError, match="'projet' is not a valid option. Did you mean 'project'?"):
        load_config(tmp_path)


def test_check_warns_on_stderr_and_still_passes(project: Path, cli: Invoke) -> None:
    make_tree(project, {
        "issues/ISSUE-001-a.md": issue_text(extra="customer_ref: AB-1\nocurrences: 3\n"),
        "issues/ISSUE-002-b.md": issue_text("ISSUE-002", extra="customer_ref: AB-2\n"),
    })
    for _ in range(2):  # the second run reads the parse cache: the hint must survive it
        result = cli("check")
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            "issues/ISSUE-001-a.md:8: warning: unknown key 'ocurrences' (kept as your own data): "
            "did you mean 'occurrences'?",
            "2 issue(s) checked, no problems, 1 warning(s)",
        ]
    data = cli("check", "--format", "json")
    assert json.loads(data.stdout) == []
    assert "warning: unknown key 'ocurrences'" in data.stderr


def test_check_without_typos_prints_no_warning(project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-001-a.md": issue_text(extra="customer_ref: AB-1\n")})
    result = cli("check")
    assert result.stderr == "1 issue(s) checked, no problems\n"


def test_strict_check_makes_hints_problems(project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-001-a.md": issue_text(extra="serverity: low\n")})
    result = cli("check", "--strict", code=1)
    assert result.stdout == ("issues/ISSUE-001-a.md:7: unknown key 'serverity' (kept as your own "
                             "data): did you mean 'severity'?\n")
    assert result.stderr == "1 problem(s) in 1 file(s)\n"
    data = json.loads(cli("check", "--strict", "--format", "json", code=1).stdout)
    assert data == [{"path": "issues/ISSUE-001-a.md", "line": 7,
                     "message": "unknown key 'serverity' (kept as your own data): "
                                "did you mean 'severity'?"}]


def test_set_warns_about_a_misspelt_key_and_keeps_it(project: Path, cli: Invoke) -> None:
    cli("new", "Crash", "-s", "high")
    result = cli("set", "1", "ocurrences=3")
    lines = next((project / "issues").glob("ISSUE-001-*.md")).read_text().splitlines()
    line = lines.index("ocurrences: 3") + 1
    # As the README says and as `check` and `edit` warn: the file and line of the key.
    assert result.stderr == (f"issues/ISSUE-001-crash.md:{line}: warning: unknown key "
                             "'ocurrences' (kept as your own data): did you mean 'occurrences'?\n")
    assert "warning" not in cli("set", "1", "customer_ref=AB-1").stderr


def test_edit_warns_about_a_misspelt_key(project: Path, cli: Invoke,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(project, {"issues/ISSUE-001-a.md": issue_text()})
    editor = project / "fake_editor.py"
    edited = issue_text(extra="asignee: grace\n")
    editor.write_text(f"import sys, pathlib\npathlib.Path(sys.argv[1]).write_text({edited!r})\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    result = cli("edit", "1")
    assert result.stderr == ("issues/ISSUE-001-a.md:7: warning: unknown key 'asignee' (kept as your "
                             "own data): did you mean 'assignee'?\n")
