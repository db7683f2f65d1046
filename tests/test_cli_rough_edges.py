"""Rough edges a new user met: slugs of titles in other scripts, a regression reopened by `record`
in the style of `reopen`, and the `list` table on a narrow terminal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from issuelog.frontmatter_edit import edit_frontmatter, split_document
from issuelog.store import slugify
from tests.conftest import Invoke

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
