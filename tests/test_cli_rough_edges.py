"""Rough edges a new user met: slugs of titles in other scripts, a regression reopened by `record`
in the style of `reopen`, and the `list` table on a narrow terminal."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.cells import cell_len

import issuelog.cli.daily as cli_module
from issuelog.core.frontmatter_edit import edit_frontmatter, split_document
from issuelog.core.store import slugify
from issuelog.log.listing import fit_column_widths
from tests.conftest import Invoke, issue_text, make_tree

# --- slugs: titles in any script give readable, portable file names ------------------------------


@pytest.mark.parametrize(("title", "slug"), [
    ("Ошибка подключения к базе", "oshibka-podklyucheniya-k-baze"),
    ("Σφάλμα σύνδεσης", "sfalma-syndesis"),
    ("连接被拒绝", "lian-jie-bei-ju-jue"),
    ("数据库 timeout", "shu-ju-ku-timeout"),
    ("ファイルが見つかりません", "fuairuga-jian-tsukarimasen"),
    ("안녕하세요 세계", "annyeonghaseyo-segye"),
    ("Crème brûlée ☕ on straße", "creme-brulee-on-strasse"),
    ("TimeoutError in db: query", "timeouterror-in-db-query"),  # ASCII titles as before
    ("🔥🔥", "issue"),
])
def test_titles_in_any_script_are_transliterated(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_a_slug_is_safe_on_every_file_system_and_short() -> None:
    slug = slugify("Ошибка: <CON> | \"aux\" * ? 连接被拒绝 " * 10)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug) and len(slug) <= 60


def test_new_with_a_cyrillic_title_names_the_file_after_it(project: Path, cli: Invoke) -> None:
    result = cli("new", "Ошибка подключения к базе данных", "-s", "high", "--date", "2026-01-10")
    path = "issues/ISSUE-001-oshibka-podklyucheniya-k-baze-dannykh.md"
    assert result.stdout.strip() == path
    assert 'title: "Ошибка подключения к базе данных"' in (project / path).read_text(encoding="utf-8")
    cli("check")


# --- record reopens a regression exactly as `reopen` does ----------------------------------------

ERROR = ["--error", "TimeoutError: query timed out after 30s", "--component", "database"]


def _frontmatter(path: Path) -> str:
    return split_document(path.read_text(encoding="utf-8"))[0]


def test_record_keeps_flow_style_and_an_empty_resolved_key(project: Path, cli: Invoke) -> None:
    cli("record", *ERROR, "--date", "2026-01-10")
    path = next((project / "issues").glob("ISSUE-001-*.md"))
    text = path.read_text(encoding="utf-8")
    assert "tags:\n" in text and "resolved:\n" in text  # both empty
    cli("resolve", "1", "--date", "2026-01-12")
    resolved = _frontmatter(path)
    cli("reopen", "1")
    by_reopen = _frontmatter(path)
    cli("resolve", "1", "--date", "2026-01-12")
    assert _frontmatter(path) == resolved
    result = cli("record", *ERROR, "--date", "2026-01-20")
    assert result.stdout.startswith("reopened ISSUE-001 as a regression")
    by_record = _frontmatter(path)
    # The same status and empty `resolved:` line as `reopen` writes; the tag added in flow style;
    # only the counting keys differ besides.
    expected = (by_reopen.replace("tags:\n", "tags: [regression]\n")
                .replace("occurrences: 1\n", "occurrences: 2\n")
                .replace("last_seen: 2026-01-10\n", "last_seen: 2026-01-20\n"))
    assert by_record == expected
    assert "status: open\n" in by_record and "resolved:\n" in by_record
    cli("check")


@pytest.mark.parametrize("written", ["tags: []", "tags:", "tags: [db]"])
def test_a_list_replacing_a_flow_or_empty_list_is_written_in_flow_style(written: str) -> None:
    text = f"---\nid: ISSUE-001\n{written}\nstatus: open\n---\nBody\n"
    edited = edit_frontmatter(text, {"tags": ["db", "regression"]})
    assert edited == "---\nid: ISSUE-001\ntags: [db, regression]\nstatus: open\n---\nBody\n"


def test_record_adds_to_a_block_list_as_a_block_list(project: Path, cli: Invoke) -> None:
    cli("record", *ERROR, "--date", "2026-01-10")
    path = next((project / "issues").glob("ISSUE-001-*.md"))
    path.write_text(path.read_text(encoding="utf-8").replace("tags:\n", "tags:\n  - db\n"),
                    encoding="utf-8")
    cli("resolve", "1", "--date", "2026-01-12")
    cli("record", *ERROR, "--date", "2026-01-20")
    assert "tags:\n  - db\n  - regression\n" in path.read_text(encoding="utf-8")
    cli("check")


# --- list on a narrow terminal -------------------------------------------------------------------

LONG_TITLE = ("Connection refused on startup when the database container is still booting and "
              "the API gives up after three retries")


@pytest.fixture
def narrow_terminal(project: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> Path:
    cli("new", LONG_TITLE, "-s", "critical", "--component", "database", "-a", "grace hopper",
        "--date", "2026-01-10")
    cli("new", "Typo", "-s", "low", "--status", "in_progress", "--date", "2026-01-11")
    monkeypatch.setattr(cli_module, "stdout_is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "60")
    return project


def test_list_on_a_narrow_terminal_keeps_one_line_per_issue(narrow_terminal: Path, cli: Invoke) -> None:
    lines = cli("list").stdout.splitlines()
    assert len(lines) == 3  # the header and one line per issue
    assert all(cell_len(line.rstrip()) <= 60 for line in lines), lines
    first = lines[1]
    assert first.startswith("ISSUE-001 🔴 critical open") and "2026-01-10" in first
    assert "Connection ref…" in first
    assert LONG_TITLE not in first
    assert "in_progress" in lines[2] and "2026-01-11" in lines[2]  # whole, never cut


def test_a_wide_terminal_shows_every_column_whole(narrow_terminal: Path, cli: Invoke,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    output = cli("list").stdout
    assert LONG_TITLE in output and "grace hopper" in output and "…" not in output


def test_json_csv_and_piped_output_never_cut_titles(narrow_terminal: Path, cli: Invoke,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    assert json.loads(cli("list", "--format", "json").stdout)[0]["title"] == LONG_TITLE
    rows = list(csv.DictReader(io.StringIO(cli("list", "--format", "csv").stdout)))
    assert rows[0]["title"] == LONG_TITLE
    monkeypatch.setattr(cli_module, "stdout_is_terminal", lambda: False)
    assert LONG_TITLE in cli("list").stdout


def test_column_widths_give_way_title_last() -> None:
    natural = {"id": 9, "severity": 11, "status": 11, "title": 100, "component": 9,
               "assignee": 12, "reported": 10}
    assert fit_column_widths(natural, 300) == natural
    wide = fit_column_widths(natural, 120)
    assert wide == {**natural, "title": 57, "component": 8, "assignee": 8}
    assert sum(wide.values()) + len(wide) - 1 == 120
    narrow = fit_column_widths(natural, 60)
    assert narrow == {"id": 9, "severity": 11, "status": 11, "title": 15, "reported": 10}
    assert sum(narrow.values()) + len(narrow) - 1 == 60
    # A short title keeps its own width; the others stay whole once everything fits.
    assert fit_column_widths({**natural, "title": 20}, 100)["title"] == 20


# --- the second new-user trial's rough edges (ISSUE-041) -----------------------------------------


def test_the_piped_list_table_aligns_wide_characters(project: Path, cli: Invoke) -> None:
    cli("new", "连接被拒绝 on start", "-s", "high")
    cli("new", "Plain title here", "-s", "low")
    lines = cli("list").stdout.splitlines()
    # Every column starts at the same terminal column: CJK characters take two cells each.
    starts = {cell_len(line[:line.index("high" if "连接" in line else "low")]) for line in lines[1:]}
    assert len(starts) == 1, lines


def test_grep_does_not_match_the_placeholder_comments_of_new(project: Path, cli: Invoke) -> None:
    cli("new", "Untouched issue", "-s", "low")
    text = next((project / "issues").glob("*.md")).read_text()
    placeholder = re.search(r"<!--\s*(\w+ \w+ \w+)", text)
    assert placeholder, text
    assert cli("list", "--grep", placeholder[1]).stdout.strip() == ""  # only in a comment
    assert "Untouched issue" in cli("list", "--grep", "untouched").stdout


def test_import_of_a_log_outside_the_project_records_its_name_only(
    project: Path, cli: Invoke, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "ERRORS.md"
    outside.write_text("# Errors\n\n## Login fails\n\nCause: a bad token.\nFix: renew it.\n")
    cli("import", str(outside))
    text = next((project / "issues").glob("*.md")).read_text()
    assert "imported_from: ERRORS.md\n" in text
    cli("check")


@pytest.mark.parametrize(("toml", "place"), [
    ('project = "x"\nphases = ["a"\n', "toml:2: invalid TOML: Unclosed array at the end of the file"),
    ('project = "x\n', "issuelog.toml:1: invalid TOML: Illegal character"),
    ('project = "x"\nlog_rows = \n', "issuelog.toml:2: invalid TOML: Invalid value (column 12)"),
])
def test_a_toml_error_names_its_line(project: Path, cli: Invoke, toml: str, place: str) -> None:
    (project / "issuelog.toml").write_text(toml)
    assert place in cli("check", code=2).stderr


def test_an_unclosed_template_block_is_reported_at_its_opening_line(project: Path, cli: Invoke) -> None:
    templates = project / ".issuelog" / "templates"
    templates.mkdir(parents=True)
    (templates / "ISSUES.md.j2").write_text("# Log\n{% for issue in issues %}\n{% if issue %}x{% endif %}\n"
                                            "more\nlines\n")
    assert "ISSUES.md.j2:2: Unexpected end of template" in cli("render", code=1).stderr


def test_render_warns_of_misspelt_keys_as_check_does_cached_or_not(project: Path, cli: Invoke) -> None:
    cli("new", "A bug", "-s", "high")
    path = next((project / "issues").glob("*.md"))
    path.write_text(path.read_text().replace("assignee:", "asignee: bob\nassignee:", 1))
    past = time.time_ns() - 60_000_000_000  # older than the caches' racy window: kept by stamp
    os.utime(path, ns=(past, past))
    warning = cli("check").stderr.splitlines()[0]
    assert "warning: unknown key 'asignee'" in warning and "did you mean 'assignee'?" in warning
    assert warning in cli("render").stderr.splitlines()
    assert warning in cli("render").stderr.splitlines()  # the log reused from the cache


# --- a newcomer's third trial ----------------------------------------------------------------------


def test_output_piped_into_head_stops_quietly(project: Path, cli: Invoke) -> None:
    """`issuelog export --format html | head -1`: the reader goes away after one line; issuelog
    stops as a program killed by SIGPIPE does (141), without an internal error."""
    make_tree(project, {f"issues/ISSUE-{n:03d}-issue-{n}.md": issue_text(f"ISSUE-{n:03d}", f"Issue {n}")
                        for n in range(1, 301)})
    process = subprocess.Popen([sys.executable, "-m", "issuelog", "export", "--format", "html"],
                               cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith(b"<!DOCTYPE html>")
    process.stdout.close()  # more than a pipe's 64 KiB is still to come
    error = process.stderr.read().decode()
    assert process.wait() == 141, error
    assert error == ""


def test_similar_ignores_the_placeholders_of_untouched_issues(project: Path, cli: Invoke) -> None:
    """An issue that names no error is no match for one: the template's hint in its Error section
    ("Paste the error here") is not its text."""
    cli("new", "Bare one", "-s", "low")
    result = cli("similar", "KeyError: zebra", code=1)
    assert "no similar issue" in result.stderr
    assert "Bare one" not in cli("search", "paste").stdout
