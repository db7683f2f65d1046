"""`issuelog record` under SIGKILL and beside other writers, and fingerprints that never drift."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issuelog.core.cache import load_issues
from issuelog.core.config import Config, load_config
from issuelog.core.frontmatter_edit import edit_frontmatter
from issuelog.core.model import parse_issue
from issuelog.ops.events import ErrorEvent
from issuelog.ops.fingerprint import ErrorSignature
from issuelog.ops.record import record_event
from tests.conftest import examples, issue_text
from tests.test_interrupted_writes import kill_after, temporary_files

RECORD_KILL_TRIALS = int(os.environ.get("ISSUELOG_RECORD_KILL_TRIALS", "8"))
EVENTS_PER_BATCH = 30
WORKERS = 4
ROUNDS = 6


def occurrences_by_id(project: Path) -> dict[str, int]:
    result = load_issues(load_config(project))
    assert result.problems == [], result.problems
    return {issue.id: issue.occurrences for issue in result.issues}


@pytest.mark.slow
def test_record_from_killed_at_random_moments_loses_no_reported_event(project: Path) -> None:
    events = [json.dumps({"error": f"TimeoutError: upstream took {n}ms", "component": f"svc{n % 5}",
                          "date": "2026-01-10"}) for n in range(EVENTS_PER_BATCH)]
    (project / "events.jsonl").write_text("\n".join(events) + "\n")
    command = [sys.executable, "-m", "issuelog", "record", "--from", "events.jsonl"]
    duration = 0.0
    for _ in range(2):  # the first run creates the five issues; the second, timed, only counts
        started = time.perf_counter()
        subprocess.run(command, cwd=project, check=True, capture_output=True, timeout=120)
        duration = time.perf_counter() - started
    rng = random.Random(10)
    for trial in range(RECORD_KILL_TRIALS):
        before = occurrences_by_id(project)
        process = subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        kill_after(process, duration * rng.uniform(0.1, 0.9))
        assert process.stdout is not None
        reported = len(process.stdout.read().splitlines())
        after = occurrences_by_id(project)  # every file parses and validates: none is partial
        assert set(after) == set(before), f"trial {trial}: an issue appeared or vanished"
        assert all(after[key] >= before[key] for key in before), f"trial {trial}: a count went back"
        counted = sum(after.values()) - sum(before.values())
        assert reported <= counted <= EVENTS_PER_BATCH, (trial, reported, counted)  # printed after writing
        assert all(path.stat().st_size > 0 for path in (project / "issues").glob("*.md"))
    subprocess.run(command, cwd=project, check=True, capture_output=True, timeout=120)
    assert temporary_files(project / "issues") == []


WORKER = """
import sys
from issuelog.cli.app import app
worker, rounds = int(sys.argv[1]), int(sys.argv[2])
for n in range(rounds):
    app(["record", "--error", f"TimeoutError: upstream took {worker * 1000 + n}ms",
         "--component", "gateway", "--date", "2026-01-10"], standalone_mode=False)
    app(["record", "--error", f"KeyError: 'user_{n}'", "--component", f"worker{worker}",
         "--date", "2026-01-10"], standalone_mode=False)
    app(["new", f"Worker {worker} round {n}", "-s", "low"], standalone_mode=False)
"""


@pytest.mark.slow
def test_four_processes_recording_and_creating_at_once_count_every_event(project: Path) -> None:
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(worker), str(ROUNDS)], cwd=project,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for worker in range(WORKERS)]
    for worker in workers:
        _, stderr = worker.communicate(timeout=180)
        assert worker.returncode == 0, stderr
    result = load_issues(load_config(project))
    assert result.problems == []
    by_component = {issue.component: issue for issue in result.issues if issue.fingerprint}
    assert by_component["gateway"].occurrences == WORKERS * ROUNDS  # one shared issue, no lost update
    for worker in range(WORKERS):
        assert by_component[f"worker{worker}"].occurrences == ROUNDS
    created = {issue.title for issue in result.issues if not issue.fingerprint}
    assert created == {f"Worker {w} round {n}" for w in range(WORKERS) for n in range(ROUNDS)}
    ids = [issue.id for issue in result.issues]
    assert len(ids) == len(set(ids)) == 1 + WORKERS + WORKERS * ROUNDS
    total_events = sum(issue.occurrences for issue in result.issues if issue.fingerprint)
    assert total_events == 2 * WORKERS * ROUNDS
    assert temporary_files(project / "issues") == []


# --- fingerprints ------------------------------------------------------------------------------

@settings(max_examples=examples(150), deadline=None, derandomize=True)
@given(st.text(alphabet="0123456789e", min_size=16, max_size=16)
       | st.text(alphabet="0123456789abcdef", min_size=16, max_size=16))
def test_a_stored_fingerprint_reads_back_as_the_same_text(fingerprint: str) -> None:
    # Digits-only or `1e5...` fingerprints would turn into numbers if written unquoted.
    text = edit_frontmatter(issue_text(), {"fingerprint": fingerprint, "fingerprint_version": 1})
    issue, problems = parse_issue(Path("issues/ISSUE-001-x.md"), text)
    assert problems == [] and issue is not None
    assert issue.fingerprint == fingerprint


messages = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60).filter(
    str.strip)


@settings(max_examples=examples(40), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(message=messages, component=st.sampled_from(["", "api", "db: primary"]))
def test_recording_an_error_twice_counts_it_on_the_issue_it_created(
    tmp_path_factory: object, message: str, component: str
) -> None:
    root = tmp_path_factory.mktemp("fp")  # type: ignore[attr-defined]
    (root / "issues").mkdir()
    config = Config(root=root)
    event = ErrorEvent(error=message, component=component)
    first = record_event(config, event)
    second = record_event(config, event)
    assert (first.action, second.action) == ("created", "counted")
    assert second.issue_id == first.issue_id and second.occurrences == 2
    issue, problems = parse_issue(first.path, first.path.read_text())
    assert issue is not None and problems == []
    assert issue.fingerprint == event.signature().fingerprint(1)


def test_fingerprints_do_not_depend_on_the_process(tmp_path: Path) -> None:
    code = ("from issuelog.ops.fingerprint import ErrorSignature\n"
            "print(ErrorSignature.from_parts(\"KeyError: 'user_42' at 0x7f3a in /srv/app/db.py:12\","
            " '', 'api', 'File \"/srv/app/db.py\", line 3, in load').fingerprint(1))")
    seen = {
        subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed},
                       capture_output=True, text=True, check=True).stdout
        for seed in ("0", "1", "12345")
    }
    here = ErrorSignature.from_parts("KeyError: 'user_42' at 0x7f3a in /srv/app/db.py:12", "", "api",
                                     'File "/srv/app/db.py", line 3, in load').fingerprint(1)
    assert seen == {here + "\n"}


EDITOR_WORKER = """
import sys
from issuelog.cli.app import app
worker, rounds = int(sys.argv[1]), int(sys.argv[2])
for n in range(rounds):
    app(["assign", "1", f"worker{worker}-{n}"], standalone_mode=False)
    app(["set", "1", f"tags=[w{worker}, round{n}]"], standalone_mode=False)
"""
RECORDER_WORKER = """
import sys
from issuelog.cli.app import app
for n in range(int(sys.argv[2])):
    app(["record", "--error", f"TimeoutError: upstream took {n}ms", "--component", "gateway",
         "--date", "2026-01-10"], standalone_mode=False)
"""


@pytest.mark.slow
def test_edits_and_recordings_of_one_issue_at_once_lose_no_occurrence(project: Path) -> None:
    first = subprocess.run([sys.executable, "-c", RECORDER_WORKER, "0", "1"], cwd=project,
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    codes = [RECORDER_WORKER, RECORDER_WORKER, EDITOR_WORKER, EDITOR_WORKER]
    workers = [subprocess.Popen([sys.executable, "-c", code, str(worker), str(ROUNDS)], cwd=project,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
               for worker, code in enumerate(codes)]
    for worker in workers:
        _, stderr = worker.communicate(timeout=180)
        assert worker.returncode == 0, stderr
    result = load_issues(load_config(project))
    assert result.problems == []
    [issue] = result.issues
    assert issue.occurrences == 1 + 2 * ROUNDS  # every recording counted despite the edits
    assert issue.assignee in {f"worker{w}-{ROUNDS - 1}" for w in (2, 3)}
    assert issue.tags in [[f"w{w}", f"round{ROUNDS - 1}"] for w in (2, 3)]
