"""markdown-it-py's one home, `core/markdown.py`: the parsers and token helpers everyone uses."""

from __future__ import annotations

import ast
from pathlib import Path

from issuelog.core import markdown

PACKAGE = Path(__file__).resolve().parent.parent / "issuelog"


def test_only_core_markdown_imports_markdown_it() -> None:
    importers = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(name.split(".")[0] == "markdown_it" for name in names):
                importers.add(path.relative_to(PACKAGE).as_posix())
    assert importers == {"core/markdown.py"}


def test_tables_are_read_only_where_asked() -> None:
    text = "# Log\n\n| Issue | Fix |\n|---|---|\n| Login fails | restart |\n"
    plain = [kind for _, kind, _, _ in markdown.top_level_blocks(markdown.parse(text))]
    tables = list(markdown.top_level_blocks(markdown.parse(text, tables=True)))
    assert "table" not in plain
    assert [(kind, start, stop) for _, kind, start, stop in tables] == [
        ("heading", 0, 1), ("table", 2, 5)]
    assert markdown.table_rows(tables[1][0]) == [(2, ["Issue", "Fix"]), (4, ["Login fails", "restart"])]


def test_heading_levels_give_line_level_and_title() -> None:
    text = "# Top\n\nText\n\nSub\n---\n\n### Deep *one*\n"
    assert list(markdown.heading_levels(markdown.parse(text))) == [
        (0, 1, "Top"), (4, 2, "Sub"), (7, 3, "Deep *one*")]
