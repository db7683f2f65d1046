"""The configuration documents itself: `Config`'s field metadata makes the loader's checks, the
`issuelog.toml` that `init` writes and the README's configuration table.

After changing a key's documentation, refresh the README's table with
`ISSUELOG_UPDATE_GOLDEN=1 python -m pytest tests/test_config_docs.py`, and read the diff.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from issuelog.core.config import (
    Config,
    config_from_mapping,
    config_keys,
    configuration_table,
    default_config_text,
    key_kind,
)
from issuelog.errors import ConfigError

README = Path(__file__).resolve().parent.parent / "README.md"
TABLE = re.compile(r"^\| key \| default \| meaning \|\n(?:\|.*\|\n)+", re.M)


def test_the_readme_table_is_made_from_the_config_metadata() -> None:
    text = README.read_text(encoding="utf-8")
    found = TABLE.search(text)
    assert found is not None, "README.md has no configuration table"
    if os.environ.get("ISSUELOG_UPDATE_GOLDEN"):
        README.write_text(text[:found.start()] + configuration_table() + text[found.end():],
                          encoding="utf-8")
        found = TABLE.search(README.read_text(encoding="utf-8"))
    assert found is not None and found.group(0) == configuration_table(), (
        "README.md's configuration table is stale: run "
        "`ISSUELOG_UPDATE_GOLDEN=1 python -m pytest tests/test_config_docs.py`")


def test_every_key_is_documented_with_its_default_in_the_readme() -> None:
    table = configuration_table()
    rows = table.splitlines()[2:]
    documented = [item for item in fields(Config) if item.name not in ("root", "source")]
    assert [item.name for item in config_keys()] == [item.name for item in documented]
    assert len(rows) == len(documented)
    for item, row in zip(documented, rows, strict=True):
        key, default, meaning = (cell.strip() for cell in row.strip("|").split(" | ", 2))
        assert item.name in key and meaning == item.metadata["doc"] and default
        if key_kind(item) in ("integer", "boolean"):
            assert default == f"`{str(item.default).lower()}`"


def test_init_comments_every_setting_with_its_note_and_default() -> None:
    text = default_config_text("Demo")
    for item in config_keys():
        if item.name == "project":
            assert 'project = "Demo"' in text
        elif key_kind(item) == "tables":
            assert f"# [[{item.name}]]" in text
        else:
            line = next(line for line in text.splitlines() if line.startswith(f"# {item.name} = "))
            assert line.endswith(f"  # {item.metadata['note']}")
            value = line.removeprefix("# ").split("  # ")[0]
            assert tomllib.loads(value)[item.name] == (
                list(item.default) if isinstance(item.default, tuple) else item.default)


def test_init_inside_git_renders_on_the_default_branch_only() -> None:
    text = default_config_text("Demo", team_branch="trunk")
    assert '\nrender_branches = ["trunk"]\n' in text
    assert "# render_branches" not in text


@pytest.mark.parametrize(("key", "value", "message"), [
    ("id_width", "3", "'id_width' must be a int, got '3'"),
    ("project", 7, "'project' must be a str, got 7"),
    ("charts", "yes", "'charts' must be true or false, got 'yes'"),
    ("tracker_vocabulary", 1, "'tracker_vocabulary' must be true or false, got 1"),
    ("phases", ["a", 2], "'phases' must be a list of strings"),
    ("render_brunches", [], "'render_brunches' is not a valid option. Did you mean 'render_branches'?"),
    ("severities_replaced", True, "Did you mean 'severities_replace'?"),
])
def test_the_loader_checks_each_key_by_the_kind_of_its_field(tmp_path: Path, key: str, value: object,
                                                           message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        config_from_mapping({key: value}, root=tmp_path)


def test_every_key_the_metadata_names_is_loaded(tmp_path: Path) -> None:
    config = config_from_mapping({"log_rows": 7, "charts": False, "phases": ["A"],
                                  "tracker_vocabulary": True}, root=tmp_path)
    assert (config.log_rows, config.charts, config.phases) == (7, False, ("A",))
    assert config.tracker_vocabulary and config.severity("info") is not None
