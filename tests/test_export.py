"""`issuelog export`: JSON, CSV and the HTML page, with hostile values from issue files."""

from __future__ import annotations

import base64
import csv
import functools
import hashlib
import io
import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from issuelog.core.cache import load_issues
from issuelog.core.config import Config, load_config
from issuelog.core.model import FIELD_ORDER, Issue
from issuelog.core.sections import markdown_to_html
from issuelog.log.export import export_csv, export_html, export_json
from issuelog.log.listing import CSV_COLUMNS
from tests.conftest import GOLDEN_TREE, Invoke, examples, files_snapshot, issue_text, make_tree

HOSTILE_TITLE = "<script>alert(1)</script> a | b\nsecond line"
HOSTILE_BODY = """\
## Description

<script>alert("body")</script> <img src=x onerror=alert(2)>
![tracker](https://tracker.example/pixel.png) see [the other one](ISSUE-002-plain.md)
and [docs](https://docs.example/page).

## Root Cause

| a | b |
|---|---|
| `x` | y |
"""


@pytest.fixture
def hostile(project: Path) -> Path:
    """A project with one issue whose title and body try to break every format."""
    make_tree(project, {
        "issues/ISSUE-001-hostile.md": issue_text(
            title='"<script>alert(1)</script> a | b\\nsecond line"', severity="critical",
            extra="""\
                related: [ISSUE-002]
                tags: [x, "=cmd|' /C calc'!A0"]
                component: "@SUM(1+1)"
                custom_date: 2026-01-11
                custom: {nested: [1, 2]}
            """,
            body=HOSTILE_BODY),
        "issues/ISSUE-002-plain.md": issue_text(
            "ISSUE-002", "Plain", status="resolved", severity="low", reported="2026-01-12",
            extra="resolved: 2026-01-14 12:00\nphase: Phase 1"),
    })
    return project


def _load(root: Path) -> tuple[list[Issue], Config]:
    config = load_config(root)
    result = load_issues(config)
    assert result.problems == []
    return result.issues, config


# --- JSON ----------------------------------------------------------------------------------------

def test_json_has_every_field_in_a_stable_order(hostile: Path) -> None:
    issues, config = _load(hostile)
    document = json.loads(export_json(issues, config))
    assert list(document) == ["issuelog_export", "project", "last_updated", "issues"]
    assert document["issuelog_export"] == 1
    assert document["last_updated"] == "2026-01-14"
    first, second = document["issues"]
    assert list(first) == [*FIELD_ORDER, "time_to_resolve_hours", "extra", "path", "sections",
                           "body"]
    assert first["title"] == HOSTILE_TITLE
    assert first["tags"] == ["x", "=cmd|' /C calc'!A0"]
    assert first["resolved"] is None and first["reporter"] is None
    assert first["extra"] == {"custom_date": "2026-01-11", "custom": {"nested": [1, 2]}}
    assert first["path"] == "issues/ISSUE-001-hostile.md"
    assert list(first["sections"]) == ["Description", "Root Cause"]
    assert first["sections"]["Description"].startswith('<script>alert("body")</script>')
    assert second["resolved"] == "2026-01-14T12:00:00"
    assert second["time_to_resolve_hours"] == 48.0  # a plain reported date: whole days


def test_json_does_not_depend_on_file_order(golden_project: Path) -> None:
    issues, config = _load(golden_project)
    text = export_json(issues, config)
    assert export_json(list(reversed(issues)), config) == text
    ids = [issue["id"] for issue in json.loads(text)["issues"]]
    assert ids == [f"ISSUE-{n:03d}" for n in range(1, 14)]
    assert text.endswith("}\n") and "\r" not in text


# --- CSV -----------------------------------------------------------------------------------------

def test_csv_is_one_row_per_issue_and_keeps_hostile_text(hostile: Path) -> None:
    issues, config = _load(hostile)
    text = export_csv(issues, config)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert rows[0]["title"] == HOSTILE_TITLE  # the newline survives, quoted, inside its cell
    assert rows[0]["related"] == "ISSUE-002"
    assert rows[1]["resolved"] == "2026-01-14T12:00:00"
    assert rows[1]["time_to_resolve_hours"] == "48.0"
    assert "\r" not in text.replace('"', "")


def test_csv_cells_never_run_as_spreadsheet_formulas(hostile: Path) -> None:
    issues, config = _load(hostile)
    row = next(csv.DictReader(io.StringIO(export_csv(issues, config))))
    assert row["component"] == "'@SUM(1+1)"
    assert row["tags"] == "x; =cmd|' /C calc'!A0"  # a joined list starts with a plain value
    assert not any(value.startswith(("=", "+", "@")) for value in row.values())


def test_a_list_starting_with_a_formula_is_guarded_too(project: Path) -> None:
    make_tree(project, {"issues/ISSUE-001-a.md": issue_text(
        extra='tags: ["=HYPERLINK(\\"http://x\\",\\"y\\")", plain]\nfiles: ["-2+3"]')})
    config = load_config(project)
    row = next(csv.DictReader(io.StringIO(export_csv(load_issues(config).issues, config))))
    assert row["tags"] == "'=HYPERLINK(\"http://x\",\"y\"); plain"
    assert row["files"] == "'-2+3"


# --- HTML ----------------------------------------------------------------------------------------

class _Collector(HTMLParser):
    """Every start tag with its attributes, and the text of each <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def _parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def test_html_escapes_everything_taken_from_issue_files(hostile: Path) -> None:
    issues, config = _load(hostile)
    html = export_html(issues, config)
    page = _parse(html)
    assert len(page.scripts) == 1 and "alert" not in page.scripts[0]
    assert not [attrs for _, attrs in page.tags if any(k.startswith("on") for k in attrs)]
    assert [tag for tag, _ in page.tags].count("img") == 0
    assert "&lt;script&gt;alert(1)&lt;/script&gt; a | b\nsecond line" in html
    assert "&lt;script&gt;alert(&quot;body&quot;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_html_links_related_issues_and_issue_files_to_anchors(hostile: Path) -> None:
    issues, config = _load(hostile)
    page = _parse(export_html(issues, config))
    ids = {attrs.get("id") for tag, attrs in page.tags if tag == "article"}
    assert ids == {"ISSUE-001", "ISSUE-002"}
    hrefs = [attrs.get("href") for tag, attrs in page.tags if tag == "a"]
    assert "#ISSUE-002" in hrefs  # from `related` and from the body's link to the file
    assert "ISSUE-002-plain.md" not in hrefs
    assert "https://tracker.example/pixel.png" in hrefs  # an image becomes a link, never a load
    articles = {attrs["id"]: attrs for tag, attrs in page.tags if tag == "article"}
    assert articles["ISSUE-001"]["data-severity"] == "critical"
    assert articles["ISSUE-002"]["data-status"] == "resolved"


def test_html_page_is_self_contained(golden_project: Path) -> None:
    issues, config = _load(golden_project)
    html = export_html(issues, config)
    page = _parse(html)
    loads = [(tag, attrs.get("src") or attrs.get("href")) for tag, attrs in page.tags
             if tag in ("script", "img", "link", "iframe", "source", "object", "embed")]
    assert loads == [("link", "data:,"), ("script", None)]
    assert not re.search(r"url\(|@import", html)
    policy = next(str(attrs["content"]) for tag, attrs in page.tags
                  if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy")
    digest = base64.b64encode(hashlib.sha256(page.scripts[0].encode()).digest()).decode()
    assert policy.startswith("default-src 'none';")
    assert f"script-src 'sha256-{digest}'" in policy


def test_html_shows_the_log_and_its_charts(golden_project: Path) -> None:
    issues, config = _load(golden_project)
    html = export_html(issues, config)
    assert "<title>OmniStack Backend — Issue Log</title>" in html
    assert '<tr><td>🔴 Open</td><td class="number">4</td></tr>' in html
    assert '<tr><th>Total</th><th class="number">13</th></tr>' in html
    assert html.count("<svg ") == 2
    assert "High: 2 (40.0%)" in html  # the pie's legend, from stats' shares
    assert "2026-01-05 to 2026-01-11: 4 opened" in html
    assert html.count('<article class="issue"') == 13
    assert export_html(list(reversed(issues)), config) == html


def test_html_of_an_empty_log_draws_no_broken_chart(project: Path) -> None:
    html = export_html([], load_config(project))
    assert "No open issues</text>" in html and "No dated issues yet</text>" in html
    assert "<path" not in html and "<polyline" not in html
    assert "No issues yet" in html


# --- CLI -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("output_format", ["json", "csv", "html"])
def test_cli_exports_to_stdout_and_to_a_file(hostile: Path, cli: Invoke,
                                             output_format: str) -> None:
    issues, config = _load(hostile)
    expected = {"json": export_json, "csv": export_csv, "html": export_html}[output_format]
    before = files_snapshot(hostile)
    assert cli("export", "--format", output_format).stdout == expected(issues, config)
    result = cli("export", "--format", output_format, "--output", f"out/log.{output_format}")
    assert f"wrote out/log.{output_format} (2 issues, {output_format})" in result.stderr
    written = hostile / "out" / f"log.{output_format}"
    assert written.read_bytes() == expected(issues, config).encode("utf-8")
    after = files_snapshot(hostile)
    assert {name: data for name, data in after.items() if not name.startswith("out/")} == before
    cli("check")


def test_cli_refuses_to_export_invalid_issues(project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-001-x.md": issue_text(severity="urgent")})
    result = cli("export", "--format", "json", "-o", "out.json", code=1)
    assert "issues/ISSUE-001-x.md:5: unknown severity 'urgent'" in result.stderr
    assert "not exporting" in result.stderr
    assert not (project / "out.json").exists()


@pytest.mark.parametrize(
    ("target", "message"),
    [("ISSUES.md", "is the rendered log"), ("issues/ISSUE-001-x.md", "every .md file is an issue"),
     ("issues", "is a directory")],
)
def test_cli_never_overwrites_issue_files_or_the_log(project: Path, cli: Invoke, target: str,
                                                    message: str) -> None:
    make_tree(project, {"issues/ISSUE-001-x.md": issue_text(), "ISSUES.md": "kept\n"})
    before = files_snapshot(project)
    result = cli("export", "--format", "html", "--output", target, code=2)
    assert message in result.stderr
    assert files_snapshot(project) == before


def test_cli_rejects_an_unknown_format(project: Path, cli: Invoke) -> None:
    result = cli("export", "--format", "xml", code=2)
    assert "xml" in result.stderr


# --- any title, every format ---------------------------------------------------------------------

_TEXT = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)
_TRICKY = st.sampled_from(["<script>alert(1)</script>", "|", "\n", "\r\n", "\r", "&amp;", '"',
                           "'", "</article>", "<!--", "=1+1", "`", "\\", "{{ 1 }}", "]]>"])
_TITLES = st.lists(st.one_of(_TEXT, _TRICKY), min_size=1, max_size=6).map("".join)
_CONFIG = Config(root=GOLDEN_TREE)


def _titled(title: str) -> Issue:
    return Issue(path=GOLDEN_TREE / "issues" / "ISSUE-001-x.md", id="ISSUE-001", title=title,
                 status="open", severity="high", reported=date(2026, 1, 10),
                 present=frozenset({"id", "title", "status", "severity", "reported"}))


@functools.cache
def _benign_page() -> _Collector:
    return _parse(export_html([_titled("Plain")], _CONFIG))


@settings(max_examples=examples(40), deadline=None)
@given(title=_TITLES)
@example(title="`0` and `<b>x</b>`")
def test_any_title_survives_every_format(title: str) -> None:
    issue = _titled(title)
    assert json.loads(export_json([issue], _CONFIG))["issues"][0]["title"] == title
    rows = list(csv.DictReader(io.StringIO(export_csv([issue], _CONFIG))))
    assert len(rows) == 1
    one_newline = title.replace("\r\n", "\n").replace("\r", "\n")
    guarded = one_newline.startswith(("=", "+", "-", "@", "\t"))
    assert rows[0]["title"] == ("'" + one_newline if guarded else one_newline)
    page = _parse(export_html([issue], _CONFIG))
    # The title added no element and no attribute, except the <code> of its code spans.
    assert [tag for tag in page.tags if tag != ("code", {})] == _benign_page().tags
    assert page.scripts == _benign_page().scripts


def test_markdown_to_html_escapes_html_and_loads_nothing() -> None:
    html = markdown_to_html(
        "## Steps\n\n<b>bold</b> ![logo](https://cdn.example/l.png) [next](../issues/B-002-x.md#top)",
        heading_offset=2, rewrite_href=lambda href: "#B-002" if "B-002" in href else href)
    assert html.startswith("<h4>Steps</h4>")
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert '<a href="https://cdn.example/l.png">logo</a>' in html and "<img" not in html
    assert '<a href="#B-002">next</a>' in html


def test_html_hides_comments_such_as_the_placeholders_of_new_issues() -> None:
    html = markdown_to_html("Seen at <!-- note --> noon.\n\n<!-- What should happen. -->\n\n"
                            "`<!-- code stays -->`\n")
    assert "What should happen" not in html and "note" not in html
    assert "<p>Seen at  noon.</p>" in html and "&lt;!-- code stays --&gt;" in html
    assert "<p></p>" not in html
