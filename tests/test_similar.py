"""`issuelog similar` and record's known fix: past issues close to an error, measured on a
labelled evaluation set (tests/fixtures/similar, bench/similar_eval.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from issuelog.core.cache import load_issues
from issuelog.core.config import Config
from issuelog.ops.events import ErrorEvent
from issuelog.ops.record import record_event
from issuelog.project.scaffold import create_reference
from issuelog.search.similar import SAME_ISSUE_SCORE, find_similar
from tests.conftest import Invoke

BENCH = Path(__file__).resolve().parents[1] / "bench" / "similar_eval.py"


def _evaluation() -> ModuleType:
    spec = importlib.util.spec_from_file_location("similar_eval", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # 50 issues written, 290 events compared: several seconds
def test_the_evaluation_set_meets_its_goals(tmp_path: Path) -> None:
    evaluation = _evaluation()
    events = evaluation.read_events()
    assert events == evaluation.make_events()  # the committed events are the generator's
    assert sum(event["expect"] is not None for event in events) >= 200
    figures = evaluation.evaluate(tmp_path / "project", events)
    assert figures["top1"] >= 0.90, figures["misses"]
    assert figures["top3"] >= 0.97, figures["misses"]
    assert figures["false_same_unmatched"] == 0, figures["misses"]
    assert figures["wrong_same_matched"] == 0, figures["misses"]


def _known(config: Config) -> None:
    record_event(config, ErrorEvent(error="ConnectionRefusedError: connect to 10.0.0.5:5432",
                                    component="database"))
    create_reference(config, {"title": "Redis unreachable from the new subnet",
                              "component": "cache", "error_type": "redis.ConnectionError",
                              "error_message": "Error 110 connecting to cache-1:6379. Timed out."},
                     cause="The security group misses the subnet.",
                     solution="Add the subnet to the Redis security group.")


def test_an_exact_fingerprint_ranks_first_even_without_a_component(project: Path,
                                                                   config: Config) -> None:
    _known(config)
    issues = load_issues(config).issues
    found = find_similar(issues, config, "ConnectionRefusedError: connect to 10.9.9.9:5432")
    assert found[0].issue_id == "ISSUE-001" and found[0].exact and found[0].score == 1.0
    assert all(not item.exact for item in found[1:])


def test_reference_entries_count_and_give_their_cause_and_fix(project: Path,
                                                              config: Config) -> None:
    _known(config)
    found = find_similar(load_issues(config).issues, config,
                         "redis.ConnectionError: Error 110 connecting to 10.2.3.4:6379. Timed out.")
    best = found[0]
    assert best.issue_id == "ISSUE-002" and not best.exact
    assert best.score >= SAME_ISSUE_SCORE and best.same
    assert best.root_cause == "The security group misses the subnet."
    assert best.resolution == "Add the subnet to the Redis security group."


def test_an_unrelated_error_is_never_the_same_issue(project: Path, config: Config) -> None:
    _known(config)
    found = find_similar(load_issues(config).issues, config, "the favicon is missing")
    assert all(not item.same for item in found)


def test_cli_similar_text_json_and_stdin(project: Path, config: Config, cli: Invoke) -> None:
    _known(config)
    text = cli("similar", "ConnectionRefusedError: connect to 10.1.1.1:5432").stdout
    assert text.startswith("ISSUE-001  1.00 (exact fingerprint)")
    assert "Resolution: (not written)" in text
    trace = ("Traceback (most recent call last):\n  File \"/x/cache.py\", line 3, in get\n"
             "redis.ConnectionError: Error 110 connecting to 10.0.0.1:6379. Timed out.\n")
    data = json.loads(cli("similar", "--stack-trace", "-", "--format", "json", input=trace).stdout)
    assert data[0]["id"] == "ISSUE-002"
    assert list(data[0]) == ["id", "title", "status", "path", "score", "exact", "same_issue",
                             "root_cause", "resolution"]
    assert "no similar issue" in cli("similar", "zzz qqq", code=1).stderr
    assert "give an error message" in cli("similar", code=2).stderr


def test_record_prints_the_known_fix_of_the_same_issue(project: Path, config: Config,
                                                       cli: Invoke) -> None:
    _known(config)
    error = "redis.ConnectionError: Error 110 connecting to 10.7.7.7:6379. Timed out."
    result = cli("record", "--error", error, "--component", "cache")
    assert result.stdout.startswith("created ISSUE-003")
    assert ("known fix (ISSUE-002, score" in result.stderr
            and "Add the subnet to the Redis security group." in result.stderr)
    quiet = cli("record", "--error", error, "--component", "cache", "--no-suggest")
    assert quiet.stdout.startswith("counted occurrence 2 of ISSUE-003")
    assert "known fix" not in quiet.stderr
    cli("check")
