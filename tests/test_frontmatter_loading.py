"""`load_frontmatter` (the fast reader, else SafeIssueLoader) gives what PyYAML's own construction gives."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from issuelog.core.frontmatter_read import load_frontmatter
from issuelog.core.model import parse_issue
from issuelog.core.yaml_loader import SafeIssueLoader
from issuelog.core.yaml_values import InvalidDate
from tests.conftest import issue_text
from tests.test_properties import PROPERTY_SETTINGS


def fully_constructed(fm: str) -> Any:
    """The value PyYAML's own construction gives with issuelog's loader."""
    loader = SafeIssueLoader(fm)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def outcome(load: Any, fm: str) -> tuple[str, Any]:
    try:
        return "value", load(fm)
    except yaml.YAMLError as error:
        return "error", str(error)


TRICKY = [
    "a: 1\nb: 0x1F\nc: 1_000\nd: 0o17\ne: -0\n",
    "a: 1.5\nb: .inf\nc: -.Inf\nd: 6.8523015e+5\n",
    "a: yes\nb: No\nc: ~\nd: null\ne: on\nf: ''\n",
    "a: 2026-01-10\nb: 2026-01-10 09:30:00\nc: 2026-01-10T09:30:00+02:00\nd: 2026-02-30\n",
    "1: one\n'1': quoted one\n",
    "a: 1\na: 2\n",
    "? [1, 2]\n: complex key\n",
    "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",
    "merged:\n  <<: {x: 1}\n  y: 2\n",
    "s: !!set {a, b}\n",
    "o: !!omap [a: 1, b: 2]\n",
    "b: !!binary aGVsbG8=\n",
    "t: !!str 2026-01-10\nn: !!int '7'\n",
    "u: !custom thing\n",
    "nested: {list: [1, [2, [3, {deep: true}]]], text: \"quoted\\ttab\"}\n",
    "block: |\n  line one\n  line two\nfolded: >\n  a\n  b\n",
    "- just\n- a list\n",
    "plain text\n",
    "",
    "a: [1, 2\n",
    "big: 1" + "0" * 5000 + "\n",
    "2026-01-10: date key\nnull: null key\ntrue: bool key\n",
    # Two faults: PyYAML's constructor finds the repeated key first; so must issuelog.
    "title: first\ncount: 1" + "0" * 5000 + "\ntitle: second\n",
    "title: first\nx: [!!float abc]\ntitle: second\n",
    "k: !!bool maybe\n",
    "k: !!timestamp abc\n",
    "k: !!int ''\n",
    "k: !!int abc\n",
]


@pytest.mark.parametrize("fm", TRICKY)
def test_tricky_frontmatter_loads_as_the_full_constructor_loads_it(fm: str) -> None:
    quick = outcome(lambda text: load_frontmatter(text)[0], fm)
    assert quick == outcome(fully_constructed, fm)


def test_an_invalid_date_is_kept_for_validation_to_report() -> None:
    value, _ = load_frontmatter("\nreported: 2026-02-30\n")
    assert isinstance(value["reported"], InvalidDate) and value["reported"].text == "2026-02-30"


def test_key_lines_are_file_lines_of_top_level_keys() -> None:
    fm = '\nid: ISSUE-001\n# a comment\n"title": quoted key\nreference:\n  area: Auth\ntags:\n  - a\n'
    _, lines = load_frontmatter(fm)
    # The frontmatter starts after the opening `---`, which is line 1 of the file.
    assert lines == {"id": 2, "title": 4, "reference": 5, "tags": 7}


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
    st.text(max_size=20), st.dates(),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
)
documents = st.dictionaries(
    st.one_of(st.text(max_size=10), st.integers()),
    st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
        max_leaves=12),
    max_size=8,
)


@PROPERTY_SETTINGS
@given(document=documents, flow=st.booleans())
def test_any_document_loads_as_the_full_constructor_loads_it(document: dict[Any, Any],
                                                             flow: bool) -> None:
    fm = "\n" + yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    quick = outcome(lambda text: load_frontmatter(text)[0], fm)
    assert quick == outcome(fully_constructed, fm)


@pytest.mark.parametrize(("value", "message"), [
    ("!!bool maybe", "'maybe' is not a valid !!bool value"),
    ("!!float abc", "'abc' is not a valid !!float value"),
    ("!!timestamp abc", "'abc' is not a valid !!timestamp value"),
    ("!!int ''", "'' is not a valid !!int value"),
    ("!!int abc", "'abc' is not a whole number"),
])
def test_a_value_its_tag_cannot_hold_is_a_problem_with_its_line(value: str, message: str) -> None:
    text = issue_text(extra=f"custom: {value}")
    issue, problems = parse_issue(Path("issues/ISSUE-001-x.md"), text)
    line = text.splitlines().index(f"custom: {value}") + 1
    assert issue is None and len(problems) == 1
    assert problems[0].line == line and problems[0].message.startswith(f"invalid YAML: {message}")


def test_nesting_deeper_than_the_limit_is_refused_in_block_style_too() -> None:
    deep = "".join(f"{'  ' * level}k{level}:\n" for level in range(60)) + "  " * 60 + "end: 1\n"
    issue, problems = parse_issue(Path("issues/ISSUE-001-x.md"), issue_text(extra=deep))
    assert issue is None and "nested more than 50 deep" in problems[0].message
    shallow = "".join(f"{'  ' * level}k{level}:\n" for level in range(30)) + "  " * 30 + "end: 1\n"
    issue, problems = parse_issue(Path("issues/ISSUE-001-x.md"), issue_text(extra=shallow))
    assert issue is not None and problems == []
