"""Rough edges a new user met: slugs of titles in other scripts, a regression reopened by `record`
in the style of `reopen`, and the `list` table on a narrow terminal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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
