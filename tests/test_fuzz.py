"""Fuzzing the readers of issue files: whatever the bytes, a result or problems, never a crash.

The full run (`python -m pytest -m ""`, as .ci/run does) runs a fixed, reproducible set of examples;
the default run skips this module (marked slow). CI also runs it with random examples for a bounded
number of them:

    ISSUELOG_FUZZ_EXAMPLES=2000 ISSUELOG_FUZZ_RANDOM=1 python -m pytest -q -m "" tests/test_fuzz.py

Any crash found that way becomes a case of the bad-input corpus in tests/bad_inputs/.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issuelog.core.cache import load_issues
from issuelog.core.config import Config
from issuelog.core.frontmatter_edit import edit_frontmatter
from issuelog.core.model import Problem, parse_issue, validate_issue
from issuelog.core.store import cross_file_problems
from issuelog.errors import IssueFileError, IssuelogError
from issuelog.importer import import_drafts, plan_ids, read_log
from issuelog.ops.events import EVENT_KEYS
from issuelog.ops.record import RecordResult, record_lines
from tests.conftest import issue_text

pytestmark = pytest.mark.slow  # the default run skips it; .ci/run runs it, then again with random examples
FUZZ_SETTINGS = settings(
    max_examples=int(os.environ.get("ISSUELOG_FUZZ_EXAMPLES", "200")),
    derandomize=not os.environ.get("ISSUELOG_FUZZ_RANDOM"),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
PATH = Path("issues/ISSUE-001-something-broke.md")
SEED = issue_text(extra="""
    phase: Phase 2
    component: api
    tags: [db, "quoted, tag"]
    related: [ISSUE-002]
    reference:
      area: Database
      cause: "DB: not running"
      solution: make up
    occurrences: 3
""", body="## Description\n\nIt broke.\n\n## Resolution\n\nFixed.\n")

# Pieces that mean something to YAML or to the frontmatter splitter, to make mutations bite.
TOKENS = ["---", "...", "\n", "\r\n", "\t", ": ", "- ", "[", "]", "{", "}", "&a ", "*a", "!!python/object:x ",
          "!tag ", "'", '"', "#", "|", ">", "? ", "%YAML 1.2\n", "\x00", "\ufeff", "\u2028", "9" * 30,
          "2026-02-30", "null", "~", "<<: ", "\\u", "é", "🔥"]


@st.composite
def mutated_issues(draw: st.DrawFn) -> str:
    """The seed issue with a few insertions, deletions and duplications at random places."""
    text = SEED
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "duplicate"]))
        if action == "insert":
            piece = draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=8)))
            text = text[:position] + piece + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + draw(st.integers(1, 20)):]
        else:
            end = min(len(text), position + draw(st.integers(1, 40)))
            text = text[:end] + text[position:]
    return text


def assert_well_formed(text: str, problems: list[Problem]) -> None:
    lines = max(1, len(text.splitlines()) + 1)
    for problem in problems:
        assert problem.path == str(PATH)
        assert 1 <= problem.line <= lines, problem
        assert problem.message and "\n" not in problem.message.strip(), problem


def parse_and_validate(text: str) -> None:
    issue, problems = parse_issue(PATH, text)
    assert issue is not None or problems
    if issue is not None:
        problems = problems + validate_issue(issue, Config(), str(PATH))
        problems += cross_file_problems([issue], Config())
    assert_well_formed(text, problems)


@FUZZ_SETTINGS
@given(mutated_issues())
def test_the_parser_survives_mutated_issue_files(text: str) -> None:
    parse_and_validate(text)


@FUZZ_SETTINGS
@given(st.text(max_size=300).map(lambda body: "---\n" + body))
def test_the_parser_survives_any_frontmatter(text: str) -> None:
    parse_and_validate(text)


@FUZZ_SETTINGS
@given(mutated_issues(), st.sampled_from(["severity", "assignee", "tags", "occurrences"]))
def test_frontmatter_edits_refuse_or_succeed_on_mutated_files(text: str, key: str) -> None:
    value = {"severity": "low", "assignee": "grace", "tags": ["x"], "occurrences": 4}[key]
    try:
        edited = edit_frontmatter(text, {key: value}, name=str(PATH))
    except IssueFileError as error:
        assert str(error).startswith(f"{PATH}:")
        return
    issue, _ = parse_issue(PATH, edited)
    if issue is not None and key in issue.present:
        assert getattr(issue, key) == value


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
event_lines = st.one_of(
    st.dictionaries(st.sampled_from([*EVENT_KEYS, "bogus"]), json_values, max_size=5).map(json.dumps),
    st.fixed_dictionaries({"error": st.text(min_size=1, max_size=60)},
                          optional={"date": st.sampled_from(["2026-01-10", "2026-02-30", "soon"]),
                                    "severity": st.sampled_from(["low", "urgent"]),
                                    "tags": json_values}).map(json.dumps),
    st.text(max_size=40),
)


@settings(FUZZ_SETTINGS, max_examples=max(10, FUZZ_SETTINGS.max_examples // 4))
@given(st.lists(event_lines, min_size=1, max_size=4))
def test_record_from_survives_any_json_lines(tmp_path_factory: Any, lines: list[str]) -> None:
    root = tmp_path_factory.mktemp("record")
    (root / "issues").mkdir()
    config = Config(root=root)
    outcomes = list(record_lines(config, lines, "events.jsonl"))
    for number, outcome in outcomes:
        assert isinstance(outcome, RecordResult | Problem)
        if isinstance(outcome, Problem):
            assert (outcome.path, outcome.line) == ("events.jsonl", number)
    assert load_issues(config).problems == []  # whatever was written passes check


IMPORT_FIXTURES = sorted((Path(__file__).parent / "fixtures" / "import").glob("*.md"))
MARKDOWN_TOKENS = ["\n", "#", "## ", "### ", "**", "|", "---", "```", "- ", "1. ", ":", "**Status:** ",
                   "**Date:** ", "2026-02-30", "<!--", "-->", "[", "](", "\t", "\r\n", "🔴", "ERR-12"]


@st.composite
def mutated_logs(draw: st.DrawFn) -> str:
    """One of the hand-kept logs the importer is tested on, cut and mutated at random places."""
    text = draw(st.sampled_from(IMPORT_FIXTURES)).read_text(encoding="utf-8")
    start = draw(st.integers(0, len(text)))
    text = text[start:start + draw(st.integers(200, 4000))]
    for _ in range(draw(st.integers(0, 8))):
        position = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            piece = draw(st.one_of(st.sampled_from(MARKDOWN_TOKENS), st.text(max_size=6)))
            text = text[:position] + piece + text[position:]
        else:
            text = text[:position] + text[position + draw(st.integers(1, 30)):]
    return text


@FUZZ_SETTINGS
@given(mutated_logs())
def test_the_importer_reads_any_mutated_log(text: str) -> None:
    config = Config(root=Path("/nonexistent"))
    try:
        plan = read_log(text, config)
    except IssuelogError:
        return
    lines = len(text.splitlines()) + 1
    for notice in [*plan.unreadable, *plan.warnings]:
        assert 1 <= notice.line <= lines, notice
    for draft in plan.drafts:
        assert 1 <= draft.line <= lines and draft.title.strip()


@settings(FUZZ_SETTINGS, max_examples=max(10, FUZZ_SETTINGS.max_examples // 8))
@given(mutated_logs())
def test_what_the_importer_writes_from_a_mutated_log_passes_check(tmp_path_factory: Any, text: str) -> None:
    root = tmp_path_factory.mktemp("import")
    (root / "issues").mkdir()
    config = Config(root=root)
    try:
        plan = read_log(text, config)
        plan_ids(plan, config)
        import_drafts(plan, config)
    except IssuelogError:
        return
    assert load_issues(config).problems == []
