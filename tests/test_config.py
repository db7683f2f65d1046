"""Loading and validating the configuration."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from issuelog.core.config import DEFAULT_SEVERITIES, format_duration, load_config
from issuelog.core.levels import parse_duration
from issuelog.errors import ConfigError
from tests.conftest import Invoke, make_tree


def test_defaults_mirror_a_hand_kept_log(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert [s.name for s in config.severities] == ["critical", "high", "medium", "low"]
    assert [s.emoji for s in config.severities] == ["🔴", "🟠", "🟡", "🟢"]
    assert [s.sla for s in config.severities] == [
        timedelta(hours=4), timedelta(hours=24), timedelta(weeks=1), timedelta(weeks=2)]
    assert config.open_statuses == ("open", "in_progress")
    assert config.format_id(7) == "ISSUE-007"
    assert config.format_id(1000) == "ISSUE-1000"
    assert config.root == tmp_path.resolve()


def test_config_is_found_walking_up(tmp_path: Path) -> None:
    make_tree(tmp_path, {"issuelog.toml": 'project = "Up"\n', "a/b/c/.keep": ""})
    config = load_config(tmp_path / "a" / "b" / "c")
    assert config.project == "Up"
    assert config.root == tmp_path.resolve()


def test_custom_severities_and_statuses_extend_the_defaults(tmp_path: Path) -> None:
    make_tree(tmp_path, {"issuelog.toml": """
        [[severities]]
        name = "blocker"
        emoji = "⛔"
        sla = "2h"
        before = "critical"

        [[severities]]
        name = "low"
        label = "Minor"

        [[statuses]]
        name = "new"

        [[statuses]]
        name = "done"
        open = false
        resolved = true
    """})
    config = load_config(tmp_path)
    assert [s.name for s in config.severities] == ["blocker", "critical", "high", "medium", "low"]
    assert config.severities[0].label == "Blocker"
    assert config.severities[0].sla == timedelta(hours=2)
    assert [s.label for s in config.severities][-1] == "Minor"  # replaced in place
    assert config.open_statuses == ("open", "in_progress", "new")
    assert config.default_status == "open"


def test_severities_replace_keeps_only_the_configured_ones(tmp_path: Path) -> None:
    make_tree(tmp_path, {"issuelog.toml": """
        severities_replace = true
        statuses_replace = true

        [[severities]]
        name = "blocker"

        [[statuses]]
        name = "new"

        [[statuses]]
        name = "done"
        open = false
        resolved = true
    """})
    config = load_config(tmp_path)
    assert [s.name for s in config.severities] == ["blocker"]
    assert [s.name for s in config.statuses] == ["new", "done"]
    assert config.default_status == "new"


def test_one_switch_brings_the_error_trackers_words(tmp_path: Path) -> None:
    make_tree(tmp_path, {"issuelog.toml": "tracker_vocabulary = true\n"})
    config = load_config(tmp_path)
    assert [s.name for s in config.severities][-1] == "info"
    assert config.status("investigating") is not None
    assert "investigating" in config.open_statuses
    assert config.severities[:4] == DEFAULT_SEVERITIES


def test_record_speaks_the_trackers_words_with_the_switch(project: Path, cli: Invoke) -> None:
    assert "unknown severity 'info'" in cli("record", "--error", "x", "-s", "info", code=2).stderr
    (project / "issuelog.toml").write_text('project = "Demo"\ntracker_vocabulary = true\n')
    cli("record", "--error", "KeyError: x", "-s", "info")
    cli("status", "1", "investigating")
    cli("check")


def test_a_new_severity_in_an_existing_project_leaves_its_issues_valid(project: Path, cli: Invoke) -> None:
    cli("new", "Old one", "-s", "high")
    (project / "issuelog.toml").write_text('project = "Demo"\n[[severities]]\nname = "blocker"\n'
                                           'before = "critical"\n')
    cli("check")
    cli("new", "New one", "-s", "blocker")
    cli("check")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('severities_replace = true\n', "'severities_replace' is true but there are no [[severities]]"),
        ('[[severities]]\nname = "x"\nbefore = "critcal"\n', "Did you mean 'critical'?"),
        ('[[statuses]]\nname = "x"\n[[statuses]]\nname = "x"\n', "'statuses' lists x more than once"),
    ],
)
def test_bad_severity_and_status_lists_are_refused(tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / "issuelog.toml").write_text(toml)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('projct = "x"\n', "'projct' is not a valid option. Did you mean 'project'?"),
        ("id_width = true\n", "'id_width' must be a int"),
        ("phases = [1, 2]\n", "'phases' must be a list of strings"),
        ('output = "../OUTSIDE.md"\n', "'output' must be a relative path inside the project"),
        ('issues_dir = "/etc"\n', "'issues_dir' must be a relative path inside the project"),
        ('templates_dir = "a/../../b"\n', "'templates_dir' must be a relative path"),
        ('required = ["id", "titel"]\n', "'required' lists 'titel'. Did you mean 'title'?"),
        ('default_status = "nope"\n', "'default_status' 'nope' is not a configured status"),
        ('id_prefix = "IS SUE"\n', "'id_prefix' must be letters"),
        ('[[severities]]\nname = "x"\nsla = "99999999999w"\n', "severities[0].sla"),
        ('[[severities]]\nname = "x"\nsla = "soon"\n', "not a duration: 'soon'"),
        ('[[statuses]]\nname = "odd"\nopen = true\nresolved = true\n', "cannot be both open and resolved"),
        ('tool = "x"\n', "'[tool]' must be a table"),
        ("phases = [\n", "invalid TOML"),
    ],
)
def test_bad_configuration_names_the_file_and_key(tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / "issuelog.toml").write_text(toml)
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    assert str(raised.value).startswith(str(tmp_path / "issuelog.toml"))
    assert message in str(raised.value)


def test_a_custom_required_key_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "issuelog.toml").write_text('required = ["id", "title", "customer"]\n')
    assert load_config(tmp_path).required == ("id", "title", "customer")


def test_config_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "issuelog.toml").write_bytes(b'project = "\xff"\n')
    with pytest.raises(ConfigError, match="not valid UTF-8"):
        load_config(tmp_path)


@pytest.mark.parametrize(("text", "shown"), [("4h", "4 hours"), ("24h", "24 hours"), ("1d", "24 hours"),
                                             ("3 days", "3 days"), ("1w", "1 week"), ("90m", "90 minutes")])
def test_durations(text: str, shown: str) -> None:
    assert format_duration(parse_duration(text)) == shown


def test_init_escapes_odd_directory_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          cli: Invoke) -> None:
    odd = tmp_path / 'we\\ird "name"'
    odd.mkdir()
    monkeypatch.chdir(odd)
    cli("init")
    assert load_config(odd).project == 'we\\ird "name"'
    cli("check")


def test_init_in_a_subdirectory_completes_the_existing_project(project: Path, cli: Invoke,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "src").mkdir()
    monkeypatch.chdir(project / "src")
    cli("init", "--templates")
    assert not (project / "src" / "issuelog.toml").exists()
    assert (project / "ISSUES.md").is_file()
    assert (project / ".issuelog" / "templates" / "export-filter.js").is_file()


def test_init_refuses_when_issues_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            cli: Invoke) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "issues").write_text("not a directory")
    result = cli("init", code=2)
    assert "issues: exists but is not a directory" in result.stderr
