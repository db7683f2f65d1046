"""`issuelog record`: counting occurrences, reopening regressions, creating issues, JSON Lines."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from issuelog.core.cache import load_issues
from issuelog.core.config import Config, load_config
from issuelog.core.model import Issue, Problem
from issuelog.core.sections import read_section
from issuelog.errors import IssueFileError, UsageError
from issuelog.ops import fingerprint
from issuelog.ops.events import ErrorEvent, event_from_mapping
from issuelog.ops.record import default_title, record_event, record_lines, refingerprint
from tests.conftest import Invoke, files_snapshot, issue_text, make_tree


def issues_of(config: Config) -> dict[str, Issue]:
    result = load_issues(config)
    assert result.problems == []
    return {issue.id: issue for issue in result.issues}


def timeout(seconds: int, day: int, **fields: object) -> ErrorEvent:
    return ErrorEvent(error=f"TimeoutError: query timed out after {seconds}s", component="database",
                      seen=date(2026, 1, day), **fields)  # type: ignore[arg-type]


def test_same_error_three_times_is_one_issue_with_three_occurrences(config: Config) -> None:
    results = [record_event(config, timeout(seconds, 10 + n)) for n, seconds in enumerate((30, 45, 120))]
    assert [r.action for r in results] == ["created", "counted", "counted"]
    assert {r.issue_id for r in results} == {"ISSUE-001"}
    issue = issues_of(config)["ISSUE-001"]
    assert issue.occurrences == 3
    assert issue.last_seen == date(2026, 1, 12)
    assert issue.reported == date(2026, 1, 10)
    assert issue.error_type == "TimeoutError"
    assert issue.component == "database"
    assert issue.fingerprint_version == fingerprint.CURRENT_VERSION
    assert issue.fingerprint == timeout(1, 1).signature().fingerprint()
    assert issue.severity == "medium"
    assert issue.status == "open"
    assert issue.title == "TimeoutError in database: query timed out after 30s"


def test_resolved_issue_is_reopened_as_a_regression(config: Config) -> None:
    created = record_event(config, timeout(30, 10, fixes=["Add an index on orders.user_id"]))
    text = created.path.read_text()
    created.path.write_text(text.replace("status: open", "status: resolved")
                            .replace("resolved:\n", "resolved: 2026-01-12\n"))
    assert issues_of(config)["ISSUE-001"].status == "resolved"
    fixes = ["Add an index on orders.user_id", "Raise the pool size"]
    again = record_event(config, timeout(90, 14, fixes=fixes))
    assert (again.action, again.issue_id, again.occurrences) == ("reopened", "ISSUE-001", 2)
    issue = issues_of(config)["ISSUE-001"]
    assert issue.status == "open"
    assert issue.resolved is None
    assert "regression" in issue.tags
    assert read_section(issue.body, "Regressions") == (
        "- 2026-01-14: recurred after being resolved on 2026-01-12; reopened by `issuelog record` "
        "(occurrence 2).")
    assert read_section(issue.body, "Suggested Fixes") == (
        "- Add an index on orders.user_id\n- Raise the pool size")
    third = record_event(config, timeout(5, 15))
    assert third.action == "counted"
    assert issues_of(config)["ISSUE-001"].occurrences == 3


def test_occurrence_dated_before_the_fix_is_only_counted(config: Config, project: Path) -> None:
    make_tree(project, {"issues/ISSUE-001-timeout.md": issue_text(
        status="resolved", extra=f"""\
        resolved: 2026-01-20
        fingerprint: {timeout(1, 1).signature().fingerprint()}
        fingerprint_version: 1
        occurrences: 4
        """)})
    result = record_event(config, timeout(30, 15))
    assert result.action == "counted"
    issue = issues_of(config)["ISSUE-001"]
    assert (issue.status, issue.occurrences, issue.last_seen) == ("resolved", 5, date(2026, 1, 15))


def test_wont_fix_issue_is_counted_not_reopened(config: Config, project: Path) -> None:
    make_tree(project, {"issues/ISSUE-001-timeout.md": issue_text(
        status="wont_fix", extra=f"""\
        resolved: 2026-01-11
        fingerprint: {timeout(1, 1).signature().fingerprint()}
        """)})
    assert record_event(config, timeout(30, 15)).action == "counted"
    issue = issues_of(config)["ISSUE-001"]
    assert (issue.status, issue.occurrences) == ("wont_fix", 2)


def test_an_update_keeps_the_rest_of_the_file(config: Config, project: Path) -> None:
    signature = timeout(1, 1).signature().fingerprint()
    original = (
        "---\n"
        "id: ISSUE-001  # keep me\n"
        "title: 'Slow queries'\n"
        "status: open\n"
        "severity: high\n"
        "reported: 2026-01-10\n"
        "owner_team: payments\n"
        f"fingerprint: {signature}\n"
        "occurrences: 7   # counted by record\n"
        "---\n\n## Description\n\nHand-written notes *stay*.\n"
    )
    (project / "issues" / "ISSUE-001-slow.md").write_text(original)
    record_event(config, timeout(30, 20))
    assert (project / "issues" / "ISSUE-001-slow.md").read_text() == original.replace(
        "occurrences: 7   # counted by record\n",
        "occurrences: 8   # counted by record\nlast_seen: 2026-01-20\n")  # the comment keeps its column


def test_an_unreadable_count_is_not_overwritten(config: Config, project: Path) -> None:
    text = issue_text(extra=f"""\
        fingerprint: {timeout(1, 1).signature().fingerprint()}
        occurrences: many
        """)
    make_tree(project, {"issues/ISSUE-001-timeout.md": text})
    with pytest.raises(IssueFileError, match="occurrences' must be a whole number"):
        record_event(config, timeout(30, 15))
    assert (project / "issues/ISSUE-001-timeout.md").read_text() == textwrap.dedent(text)


def test_new_issue_has_sections_from_the_options(config: Config) -> None:
    trace = ('Traceback (most recent call last):\n'
             '  File "/app/api.py", line 3, in handle\n'
             "KeyError: 'sku-1'\n")
    result = record_event(config, ErrorEvent(
        component="api", stack_trace=trace, severity="critical", category="data_integrity",
        tags=["checkout", "checkout"], fixes=["Check the SKU exists"], changes=["Add a SKU catalogue cache"],
        context={"host": "web-1", "release": "2026.02"}, seen=date(2026, 2, 1), title="Unknown SKU"))
    issue = issues_of(config)[result.issue_id]
    assert (issue.title, issue.severity, issue.category, issue.tags) == (
        "Unknown SKU", "critical", "data_integrity", ["checkout"])
    assert issue.error_message == "KeyError: 'sku-1'"
    assert read_section(issue.body, "Error Message / Stack Trace") == (
        f"```\nKeyError: 'sku-1'\n\n{trace.rstrip()}\n```")
    assert json.loads(read_section(issue.body, "Environment").strip("`\n")) == {
        "host": "web-1", "release": "2026.02"}
    assert read_section(issue.body, "Suggested Fixes") == "- Check the SKU exists"
    assert read_section(issue.body, "System Changes Needed") == "- Add a SKU catalogue cache"


def test_refused_events_write_nothing(config: Config, project: Path) -> None:
    with pytest.raises(UsageError, match="nothing to record"):
        record_event(config, ErrorEvent(component="api"))
    with pytest.raises(UsageError, match="unknown severity 'urgent'"):
        record_event(config, ErrorEvent(error="boom", severity="urgent"))
    assert list((project / "issues").iterdir()) == []


def test_default_title_is_cut_to_a_readable_length() -> None:
    long = ErrorEvent(error="ValueError: " + "bad value " * 30, component="api").signature()
    title = default_title(long)
    assert title.startswith("ValueError in api: bad value bad value")
    assert len(title) <= 100 and title.endswith("value…")


def test_json_lines_record_good_lines_and_report_bad_ones(config: Config) -> None:
    lines = [
        json.dumps({"error": "OSError: disk full on /var/lib/pg", "component": "storage",
                    "date": "2026-01-10"}),
        "{not json",
        json.dumps({"eror": "typo"}),
        "",
        json.dumps(["a", "list"]),
        json.dumps({"error": "OSError: disk full on /var/lib/pg2", "component": "storage",
                    "date": "2026-01-11T09:30:00", "tags": "disk"}),
        json.dumps({"error": "x", "tags": [1]}),
    ]
    outcomes = dict(record_lines(config, lines, "events.jsonl"))
    assert [(n, o.action) for n, o in outcomes.items() if not isinstance(o, Problem)] == [
        (1, "created"), (6, "counted")]
    problems = [str(o) for o in outcomes.values() if isinstance(o, Problem)]
    assert problems == [
        "events.jsonl:2: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
        "events.jsonl:3: unknown field 'eror' (did you mean 'error'?)",
        "events.jsonl:5: each line must be a JSON object",
        "events.jsonl:7: 'tags' must be text or a list of text",
    ]
    issue = issues_of(config)["ISSUE-001"]
    assert (issue.occurrences, issue.last_seen) == (2, date(2026, 1, 11))


def test_event_from_mapping_checks_types() -> None:
    with pytest.raises(UsageError, match="'context' must be a JSON object"):
        event_from_mapping({"error": "x", "context": [1]})
    with pytest.raises(UsageError, match="'date' must be a date"):
        event_from_mapping({"error": "x", "date": "yesterday"})
    with pytest.raises(UsageError, match="'component' must be text"):
        event_from_mapping({"error": "x", "component": 3})


def _lowercase_v2(message: str) -> str:
    return fingerprint.normalize_message_v1(message).lower()


def test_older_fingerprint_versions_keep_matching_until_refingerprinted(
        config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    first = record_event(config, ErrorEvent(error="Disk FULL on volume 3", component="storage",
                                            seen=date(2026, 1, 10)))
    v1 = issues_of(config)[first.issue_id].fingerprint
    # A later release ships version 2 of the rules (here: case-insensitive messages).
    monkeypatch.setitem(fingerprint.NORMALIZERS, 2, _lowercase_v2)
    monkeypatch.setattr("issuelog.ops.record.CURRENT_VERSION", 2)
    monkeypatch.setattr("issuelog.ops.fingerprint.CURRENT_VERSION", 2)
    again = record_event(config, ErrorEvent(error="Disk FULL on volume 4", component="storage",
                                            seen=date(2026, 1, 11)))
    assert (again.action, again.issue_id) == ("counted", first.issue_id)
    assert issues_of(config)[first.issue_id].fingerprint_version == 1
    changed = refingerprint(config)
    assert [(c.issue_id, c.old, c.old_version) for c in changed] == [(first.issue_id, v1, 1)]
    issue = issues_of(config)[first.issue_id]
    assert issue.fingerprint_version == 2
    assert issue.fingerprint == changed[0].new != v1
    # Under version 2, a different case is the same error.
    assert record_event(config, ErrorEvent(error="disk full on volume 5", component="storage",
                                           seen=date(2026, 1, 12))).issue_id == first.issue_id
    assert refingerprint(config) == []


def test_an_unknown_future_version_never_matches(config: Config, project: Path) -> None:
    make_tree(project, {"issues/ISSUE-001-timeout.md": issue_text(extra=f"""\
        fingerprint: {timeout(1, 1).signature().fingerprint()}
        fingerprint_version: 7
        """)})
    assert record_event(config, timeout(30, 15)).issue_id == "ISSUE-002"


# --- the command line ---------------------------------------------------------------------------

def test_cli_record_three_times_then_regression(project: Path, cli: Invoke) -> None:
    for seconds, day in ((30, 10), (45, 11), (120, 12)):
        result = cli("record", "--error", f"TimeoutError: query timed out after {seconds}s",
                     "--component", "database", "--severity", "high", "--date", f"2026-01-{day}")
    assert result.stdout == ("counted occurrence 3 of ISSUE-001 "
                             "(issues/ISSUE-001-timeouterror-in-database-query-timed-out-after-30s.md)\n")
    cli("check")
    path = project / "issues/ISSUE-001-timeouterror-in-database-query-timed-out-after-30s.md"
    path.write_text(path.read_text().replace("status: open", "status: resolved")
                    .replace("resolved:\n", "resolved: 2026-01-13\n"))
    cli("check")
    reopened = cli("record", "--error", "TimeoutError: query timed out after 9s", "--component",
                   "database", "--date", "2026-01-20")
    assert reopened.stdout.startswith("reopened ISSUE-001 as a regression (occurrence 4,")
    cli("check")
    cli("render")
    cli("render", "--check")


def test_cli_record_with_every_option(project: Path, cli: Invoke) -> None:
    (project / "trace.txt").write_text(
        'Traceback (most recent call last):\n  File "/a/b/worker.py", line 9, in run\nMemoryError\n')
    created = cli("record", "--title", "Worker runs out of memory", "--error-type", "MemoryError",
                  "--component", "worker", "--severity", "critical", "--category", "performance",
                  "--tag", "oom", "--tag", "worker", "--fix", "Stream the rows", "--change",
                  "Give the worker 2 GiB", "--stack-trace", "trace.txt", "--context",
                  '{"host": "w-3"}', "--date", "2026-03-01")
    assert created.stdout == "created ISSUE-001 (issues/ISSUE-001-worker-runs-out-of-memory.md)\n"
    cli("check")
    issue = issues_of(load_config(project))["ISSUE-001"]
    assert (issue.error_type, issue.tags, issue.category) == ("MemoryError", ["oom", "worker"], "performance")
    counted = cli("record", "--error-type", "MemoryError", "--component", "worker", "--stack-trace", "-",
                  "--date", "2026-03-02",
                  input='Traceback (most recent call last):\n'
                        '  File "/c/worker.py", line 11, in run\nMemoryError\n')
    assert counted.stdout.startswith("counted occurrence 2 of ISSUE-001")


def test_cli_record_usage_errors(project: Path, cli: Invoke) -> None:
    assert "nothing to record" in cli("record", "--component", "api", code=2).stderr
    assert "--context is not valid JSON" in cli("record", "--error", "x", "--context", "{", code=2).stderr
    not_an_object = cli("record", "--error", "x", "--context", "[]", code=2)
    assert "--context must be a JSON object" in not_an_object.stderr
    missing = cli("record", "--error", "x", "--stack-trace", "nope.txt", code=2)
    assert missing.stderr == "issuelog: nope.txt: cannot read the stack trace: No such file or directory\n"
    assert "unknown category" in cli("record", "--error", "x", "-c", "weird", code=2).stderr
    assert cli("record", "--from", "e.jsonl", "--component", "api", "-t", "x", code=2).stderr == (
        "issuelog: --from cannot be combined with --component, --tag\n")
    assert "--refingerprint cannot be combined with --error" in cli(
        "record", "--refingerprint", "--error", "x", code=2).stderr
    assert list((project / "issues").iterdir()) == []


def test_cli_record_from_jsonl(project: Path, cli: Invoke) -> None:
    events = [{"error": f"ConnectionError: refused by 10.0.0.{n}:5432", "component": "db",
               "date": f"2026-01-{10 + n}"} for n in range(3)]
    lines = [json.dumps(e) for e in events]
    lines.insert(1, '{"error": }')
    (project / "events.jsonl").write_text("\n".join(lines) + "\n")
    result = cli("record", "--from", "events.jsonl", code=1)
    path = "issues/ISSUE-001-connectionerror-in-db-refused-by-10-0-0-0-5432.md"
    assert result.stdout.splitlines() == [
        f"events.jsonl:1: created ISSUE-001 ({path})",
        f"events.jsonl:3: counted occurrence 2 of ISSUE-001 ({path})",
        f"events.jsonl:4: counted occurrence 3 of ISSUE-001 ({path})",
    ]
    assert result.stderr.splitlines() == [
        "events.jsonl:2: not valid JSON: Expecting value (column 11)",
        "recorded 3 event(s): 1 created, 2 counted, 0 reopened; 1 bad line(s)",
    ]
    cli("check")
    assert "cannot read" in cli("record", "--from", "missing.jsonl", code=2).stderr


def test_cli_refingerprint_reports_shared_fingerprints(project: Path, cli: Invoke) -> None:
    shared = timeout(1, 1).signature().fingerprint()
    make_tree(project, {
        "issues/ISSUE-001-a.md": issue_text("ISSUE-001", extra=f"fingerprint: {shared}\n"),
        "issues/ISSUE-002-b.md": issue_text("ISSUE-002", extra=f"fingerprint: {shared}\n"),
    })
    result = cli("record", "--refingerprint")
    assert result.stdout == ""
    assert "ISSUE-001, ISSUE-002 share a fingerprint" in result.stderr


def _record_in_process(root: Path, worker: int) -> None:
    events = "\n".join(json.dumps({"error": f"TimeoutError: upstream took {worker * 100 + n}ms",
                                   "component": "gateway", "date": "2026-01-10"}) for n in range(5))
    subprocess.run([sys.executable, "-m", "issuelog", "record", "--from", "-"], cwd=root, check=True,
                   input=events, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_concurrent_recorders_count_every_event_on_one_issue(project: Path) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda worker: _record_in_process(project, worker), range(4)))
    issues = issues_of(load_config(project))
    assert list(issues) == ["ISSUE-001"]
    assert issues["ISSUE-001"].occurrences == 20


def test_record_follows_the_configuration_in_force(project: Path, cli: Invoke) -> None:
    (project / "issuelog.toml").write_text(
        'phases = ["Beta", "GA"]\nrequired = ["id", "title", "status", "severity", "reported", "phase"]\n'
        'severities_replace = true\n[[severities]]\nname = "sev1"\n[[severities]]\nname = "sev2"\n'
        '[[severities]]\nname = "sev3"\n')
    missing = cli("record", "--error", "boom", code=2)
    assert missing.stderr == "issuelog: missing required field(s): phase\n"
    assert "unknown phase 'Alpha'" in cli("record", "--error", "boom", "-p", "Alpha", code=2).stderr
    cli("record", "--error", "boom", "--phase", "GA")
    cli("check")
    issue = issues_of(load_config(project))["ISSUE-001"]
    assert (issue.phase, issue.severity) == ("GA", "sev2")


def test_a_recorder_killed_mid_batch_leaves_valid_files(project: Path) -> None:
    events = "\n".join(json.dumps({"error": f"KeyError: 'k{n}'", "component": f"c{n % 7}",
                                   "date": "2026-01-10"}) for n in range(400))
    (project / "events.jsonl").write_text(events + "\n")
    process = subprocess.Popen([sys.executable, "-m", "issuelog", "record", "--from", "events.jsonl"],
                               cwd=project, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    recorded = [process.stdout.readline() for _ in range(10)]
    process.kill()
    process.wait(timeout=10)
    assert all(line.startswith("events.jsonl:") for line in recorded)
    issues = issues_of(load_config(project))  # no problems in any file
    assert len(issues) >= 7 and sum(issue.occurrences for issue in issues.values()) >= 10


def test_json_lines_keep_unicode_line_separators_inside_strings() -> None:
    from issuelog.ops.events import json_lines

    text = '{"error": "a\u2028b\u0085c"}\r\n{"error": "second"}\n'
    assert json_lines(text) == ['{"error": "a\u2028b\u0085c"}', '{"error": "second"}']


def test_refingerprint_keeps_a_hand_set_fingerprint_without_version(project: Path, cli: Invoke) -> None:
    text = issue_text("ISSUE-001", extra="error_message: disk full\nfingerprint: 0123456789abcdef\n")
    make_tree(project, {"issues/ISSUE-001-a.md": text})
    before = files_snapshot(project)
    cli("record", "--refingerprint")
    assert files_snapshot(project) == before


def test_record_edits_sections_in_the_body_only(project: Path, cli: Invoke) -> None:
    cli("record", "--error", "KeyError: 'user_1'", "--component", "api", "--date", "2026-01-10")
    path = next((project / "issues").glob("ISSUE-001-*.md"))
    text = path.read_text()
    head, body = text.split("\n---\n", 1)
    path.write_text(head + "\n# Suggested Fixes\n---\n" + body)
    cli("record", "--error", "KeyError: 'user_2'", "--component", "api", "--date", "2026-01-11",
        "--fix", "Check the key first")
    new_head, new_body = path.read_text().split("\n---\n", 1)
    assert new_head.endswith("# Suggested Fixes")
    assert "\n\n" not in new_head
    assert "- Check the key first" in new_body.split("## Suggested Fixes", 1)[1]
    cli("check")
