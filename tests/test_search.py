"""`issuelog search`: ranked full-text search over titles, errors, sections, tags and components."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from issuelog.core.config import Config
from issuelog.core.store import state_dir
from issuelog.errors import UsageError
from issuelog.search.index import COUNTS_CACHE, INDEX_CACHE, SearchFilters, search, tokens
from tests.conftest import Invoke, issue_text, make_tree

BODY = """\
## Description

{description}

## Root Cause

{cause}

## Resolution

{resolution}
"""


@pytest.fixture
def issues(project: Path) -> Path:
    """Four issues: two about the database pool, one closed, one about the login form."""
    make_tree(project, {
        "issues/ISSUE-001-pool.md": issue_text(
            "ISSUE-001", "Database pool exhausted under load", extra="component: database\n"
            "error_type: PoolTimeout\nerror_message: QueuePool limit of size 5 overflow 10 reached",
            body=BODY.format(description="Requests hang for 30 s at peak.",
                             cause="Each worker held a connection across a slow HTTP call.",
                             resolution="Release the connection before calling out.")),
        "issues/ISSUE-002-login.md": issue_text(
            "ISSUE-002", "Login form rejects valid passwords", severity="critical",
            extra="component: auth\ntags: [safari]",
            body=BODY.format(description="Safari users cannot log in.",
                             cause="The form trimmed a trailing space.",
                             resolution="Stop trimming passwords.")),
        "issues/ISSUE-003-pool-again.md": issue_text(
            "ISSUE-003", "Slow reports", status="resolved", severity="low",
            extra="resolved: 2026-01-12\ncomponent: reports",
            body=BODY.format(description="The nightly report is slow.",
                             cause="The database pool was too small for the report workers.",
                             resolution="Raise the pool size to 20.")),
        "issues/ISSUE-004-other.md": issue_text("ISSUE-004", "Typo on the about page",
                                                severity="low"),
    })
    return project


def test_tokens_split_identifiers_and_fold_endings() -> None:
    assert tokens("ConnectionRefusedError: pools timed out") == [
        "connectionrefusederror", "connection", "refus", "error", "pool", "timed", "out"]
    assert tokens("the a !! _ x") == []


def test_search_ranks_the_title_and_error_above_a_mention(issues: Path, config: Config) -> None:
    hits = search(config, "database pool", SearchFilters(include_closed=True))
    assert [hit.issue_id for hit in hits] == ["ISSUE-001", "ISSUE-003"]
    best = hits[0]
    assert best.words == ["database", "pool"]
    assert best.sections[0].section == "title"
    assert "Database pool exhausted" in best.sections[0].excerpt
    assert hits[1].sections[0].section == "Root Cause"
    assert "pool was too small" in hits[1].sections[0].excerpt


def test_search_filters_like_list(issues: Path, config: Config) -> None:
    assert [h.issue_id for h in search(config, "pool")] == ["ISSUE-001"]  # open ones by default
    assert [h.issue_id for h in search(config, "pool", SearchFilters(status=("resolved",)))] == [
        "ISSUE-003"]
    assert search(config, "pool", SearchFilters(severity=("critical",))) == []
    assert [h.issue_id for h in search(config, "safari passwords",
                                       SearchFilters(component=("auth",)))] == ["ISSUE-002"]


def test_search_pages_and_refuses_an_empty_query(issues: Path, config: Config) -> None:
    every = SearchFilters(include_closed=True)
    first, second = search(config, "pool", every, limit=1), search(config, "pool", every, limit=1,
                                                                   offset=1)
    assert [first[0].issue_id, second[0].issue_id] == ["ISSUE-001", "ISSUE-003"]
    with pytest.raises(UsageError, match="at least one word"):
        search(config, "the ?")


def _age(paths: list[Path]) -> None:
    """Files written a minute ago: past the cache's racy window, so their entries are kept."""
    past = time.time() - 60
    for path in paths:
        os.utime(path, (past, past))


def test_the_index_is_kept_and_follows_edits(issues: Path, config: Config) -> None:
    _age(list((issues / "issues").iterdir()))
    assert search(config, "kerberos") == []
    assert (state_dir(config) / INDEX_CACHE).is_file()
    assert (state_dir(config) / COUNTS_CACHE).is_file()
    path = issues / "issues/ISSUE-004-other.md"
    path.write_text(issue_text("ISSUE-004", "Kerberos ticket expired", severity="low"))
    assert [hit.issue_id for hit in search(config, "kerberos")] == ["ISSUE-004"]
    _age([path])
    assert [hit.issue_id for hit in search(config, "kerberos")] == ["ISSUE-004"]
    # Only the edited file was read again: the others' counts came from the cache.
    path.write_text(issue_text("ISSUE-004", "Typo on the about page", severity="low"))
    _age([path])
    assert search(config, "kerberos") == []
    assert [hit.issue_id for hit in search(config, "pool")] == ["ISSUE-001"]
    path.unlink()
    assert search(config, "typo") == []


def test_an_unusable_file_is_left_out_not_fatal(issues: Path, config: Config) -> None:
    (issues / "issues/ISSUE-005-broken.md").write_text("---\nid: [unclosed\n---\n")
    assert [hit.issue_id for hit in search(config, "pool")] == ["ISSUE-001"]


def test_cli_search_text_and_json(issues: Path, cli: Invoke) -> None:
    text = cli("search", "pool", "--all").stdout
    assert text.splitlines()[0].startswith("ISSUE-001")
    assert "Root Cause (pool): The database pool was too small" in text
    data = json.loads(cli("search", "passwords", "--format", "json").stdout)
    assert [hit["id"] for hit in data] == ["ISSUE-002"]
    assert list(data[0]) == ["id", "title", "status", "severity", "component", "path", "score",
                             "words", "sections"]
    assert data[0]["path"] == "issues/ISSUE-002-login.md"


def test_cli_search_errors(issues: Path, cli: Invoke) -> None:
    assert "unknown severity 'huge'" in cli("search", "x", "--severity", "huge", code=2).stderr
    assert "at least one word" in cli("search", "!!", code=2).stderr
    assert "no matching issues" in cli("search", "nothingmatches").stderr
    assert "--limit must be at least 1" in cli("search", "pool", "--limit", "0", code=2).stderr
