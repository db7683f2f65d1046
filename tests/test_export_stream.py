"""The HTML page written as it renders: each body read when its article is reached, articles
kept in the cache, and the same bytes as the page rendered in one piece from issues in memory."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from issuelog.core.cache import load_issues, scan_issue_files
from issuelog.core.config import Config, load_config
from issuelog.log.articles import ARTICLE_CACHE
from issuelog.log.export import export_html, html_page
from tests.conftest import Invoke, issue_text, make_tree

BENCH = Path(__file__).resolve().parents[1] / "bench"
TODAY = date(2026, 1, 31)


def _streamed(config: Config) -> str:
    """The page as `issuelog export --format html` writes it: issues loaded without bodies."""
    stamps = scan_issue_files(config)
    issues = load_issues(config, bodies=False, stamps=stamps).issues
    assert all(issue.body == "" for issue in issues)
    pieces = html_page(issues, config, TODAY, stamps=dict(stamps))
    return "".join(pieces)


def _age(root: Path) -> None:
    """Files older than the caches' racy window, so that their entries are kept."""
    for path in (root / "issues").iterdir():
        os.utime(path, ns=(path.stat().st_mtime_ns - 10**10,) * 2)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated project of 300 issues (every status, severity and section)."""
    root = tmp_path_factory.mktemp("generated") / "n300"
    subprocess.run([sys.executable, str(BENCH / "generate.py"), str(root), "300"], check=True,
                   capture_output=True)
    _age(root)
    return root


def test_the_streamed_page_is_the_page_rendered_in_one_piece(generated: Path) -> None:
    config = load_config(generated)
    whole = export_html(load_issues(config).issues, config, today=TODAY)
    cache = generated / ".issuelog" / "cache" / ARTICLE_CACHE
    cache.unlink(missing_ok=True)
    assert _streamed(config) == whole  # every article rendered, and kept
    assert cache.is_file()
    kept = cache.stat().st_mtime_ns
    assert _streamed(config) == whole  # every article from the cache, which is left as it was
    assert cache.stat().st_mtime_ns == kept
    assert whole.count('<article class="issue"') == 300 and "<h4>Description</h4>" in whole


def test_an_article_follows_its_file_and_the_links_it_names(project: Path) -> None:
    make_tree(project, {
        "issues/ISSUE-001-a.md": issue_text(extra="related: [ISSUE-003]",
                                            body="## Description\n\nSee [two](ISSUE-002-b.md).\n"),
        "issues/ISSUE-002-b.md": issue_text("ISSUE-002", "Two"),
    })
    _age(project)
    config = load_config(project)
    first = _streamed(config)
    assert 'See <a href="#ISSUE-002">two</a>' in first and "<dd>ISSUE-003</dd>" in first
    # The linked file goes and the related issue arrives: the cached article no longer holds.
    (project / "issues" / "ISSUE-002-b.md").rename(project / "issues" / "ISSUE-002-renamed.md")
    make_tree(project, {"issues/ISSUE-003-c.md": issue_text("ISSUE-003", "Three")})
    _age(project)
    second = _streamed(config)
    assert 'See <a href="ISSUE-002-b.md">two</a>' in second
    assert '<dd><a href="#ISSUE-003">ISSUE-003</a></dd>' in second
    assert second == export_html(load_issues(config).issues, config, today=TODAY)
    # An edited body is read again (a new size and mtime).
    path = project / "issues" / "ISSUE-003-c.md"
    path.write_text(issue_text("ISSUE-003", "Three", body="## Description\n\nEdited.\n"),
                    encoding="utf-8")
    _age(project)
    assert "<p>Edited.</p>" in _streamed(config)


def test_a_damaged_cache_is_ignored_and_replaced(generated: Path) -> None:
    config = load_config(generated)
    whole = export_html(load_issues(config).issues, config, today=TODAY)
    cache = generated / ".issuelog" / "cache" / ARTICLE_CACHE
    _streamed(config)
    data = cache.read_bytes()
    foreign = data.replace(b"articles\n", b"articles\n0", 1)  # another key: other code or config
    for damaged in (data[:100], data[:-5] + b"xxxxx", b"", foreign, data[:-9] + b"\xff" * 9):
        cache.write_bytes(damaged)
        assert _streamed(config) == whole
        assert cache.read_bytes() == data  # replaced by a sound one


def test_a_failure_mid_export_leaves_the_old_file(project: Path, cli: Invoke) -> None:
    make_tree(project, {f"issues/ISSUE-00{n}-x.md": issue_text(f"ISSUE-00{n}", f"Issue {n}")
                        for n in range(1, 4)})
    cli("export", "--format", "html", "-o", "out/log.html")
    target = project / "out" / "log.html"
    before = target.read_bytes()
    # An article template that fails on the third issue, after the page has begun to be written.
    make_tree(project, {".issuelog/templates/export-issue.html.j2":
                        '<article id="{{ issue.id }}">{{ 1 // 0 if issue.id == "ISSUE-003" }}'
                        "</article>\n"})
    result = cli("export", "--format", "html", "-o", "out/log.html", code=1)
    assert "export-issue.html.j2" in result.stderr and "by zero" in result.stderr
    assert target.read_bytes() == before
    assert sorted(path.name for path in target.parent.iterdir()) == ["log.html"]


def test_a_project_page_template_still_gets_the_bodies(project: Path, cli: Invoke) -> None:
    make_tree(project, {
        "issues/ISSUE-001-x.md": issue_text(body="## Description\n\nThe body.\n"),
        ".issuelog/templates/export.html.j2":
            "{% for issue in issues %}{{ issue.body | markdown(anchors) }}{% endfor %}\n",
    })
    assert "<p>The body.</p>" in cli("export", "--format", "html").stdout
