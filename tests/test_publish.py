"""`issuelog publish` and `--database` against a real PostgreSQL server started by the tests.

The cluster (tests/pg_cluster.py) is started once per test process; each test gets its own
database in it, so tests run in parallel without meeting. They skip only when no PostgreSQL
binaries exist.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Invoke, issue_text
from pg_cluster import Cluster, postgres_bindir, remove_cluster, start_cluster

try:
    import psycopg
except ImportError:  # the tests that need it fail, saying so; the others still run
    psycopg = None

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def pg() -> Iterator[Cluster]:
    """A throwaway PostgreSQL cluster for this test process."""
    if postgres_bindir() is None:
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl): the publish tests need a real server")
    if psycopg is None:
        pytest.fail("psycopg is missing: pip install -e '.[test]' (the test extra has it)")
    cluster = start_cluster()
    yield cluster
    remove_cluster(cluster)


@pytest.fixture
def database(pg: Cluster, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh database; its URL (with the password) is $ISSUELOG_DATABASE_URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    dsn = pg.dsn(name)
    monkeypatch.setenv("ISSUELOG_DATABASE_URL", dsn)
    return dsn


def query(dsn: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    """Rows of one query, in its own connection."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []


def write_issue(project: Path, number: int, title: str = "Something broke", **fields: Any) -> Path:
    """An issue file ISSUE-NNN in the project."""
    extra = "\n".join(f"{key}: {value}" for key, value in fields.pop("extra", {}).items())
    path = project / "issues" / f"ISSUE-{number:03d}-x.md"
    path.write_text(issue_text(f"ISSUE-{number:03d}", json.dumps(title), extra=extra, **fields),
                    encoding="utf-8")
    return path


def run_issuelog(cwd: Path, *args: str, env: dict[str, str] | None = None,
                 timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The installed command line in a subprocess."""
    return subprocess.run([sys.executable, "-m", "issuelog", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


# --- publishing ---------------------------------------------------------------------------------

TRACKER_TYPES = {
    "id": "text", "title": "text", "description": "text", "severity": "text", "category": "text",
    "component": "text", "status": "text", "error_message": "text", "error_type": "text",
    "stack_trace": "text", "error_hash": "text", "context": "jsonb", "affected_users": "integer",
    "occurrence_count": "integer", "first_seen": "timestamp with time zone",
    "last_seen": "timestamp with time zone", "resolution": "text",
    "resolved_at": "timestamp with time zone", "resolved_by": "text", "related_issues": "jsonb",
    "tags": "jsonb", "suggested_fixes": "jsonb", "system_changes_needed": "jsonb",
    "created_at": "timestamp with time zone", "updated_at": "timestamp with time zone",
}


def test_publish_writes_the_trackers_columns_keyed_by_repo_and_id(
        project: Path, cli: Invoke, database: str) -> None:
    write_issue(project, 1, "DB timeouts", status="resolved", extra={
        "resolved": "2026-01-12", "category": "performance", "component": "db",
        "assignee": "Ada", "tags": "[db, timeout]", "error_type": "TimeoutError",
        "fingerprint": "abc123", "occurrences": 3},
        body="## Description\n\nSlow.\n\n## Resolution\n\nAn index.\n")
    write_issue(project, 2, "Login fails")
    out = cli("publish", "--repo", "acme/api").stdout
    assert out == "published acme/api: 2 added, 0 updated, 0 deleted, 0 unchanged\n"
    types = dict(query(database, "SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_name = 'issues'"))
    assert {name: types[name] for name in TRACKER_TYPES} == TRACKER_TYPES
    assert query(database, "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON "
                 "a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indisprimary "
                 "AND i.indrelid = 'issues'::regclass ORDER BY a.attname") == [("id",), ("repo",)]
    row = query(database, "SELECT title, description, status, resolution, resolved_by, tags, "
                "occurrence_count, error_hash, resolved_at::date::text, record->>'path' "
                "FROM issues WHERE repo = 'acme/api' AND id = 'ISSUE-001'")[0]
    assert row == ("DB timeouts", "Slow.", "resolved", "An index.", "Ada", ["db", "timeout"], 3,
                   "abc123", "2026-01-12", "issues/ISSUE-001-x.md")
    assert query(database, "SELECT version FROM issuelog_schema") == [(1,)]


def test_publishing_again_rewrites_only_what_changed_and_deletes_what_is_gone(
        project: Path, cli: Invoke, database: str) -> None:
    for number in range(1, 6):
        write_issue(project, number, f"Issue {number}")
    cli("publish", "--repo", "r")
    before = dict(query(database, "SELECT id, xmin::text FROM issues"))
    assert cli("publish", "--repo", "r").stdout.endswith("0 added, 0 updated, 0 deleted, 5 unchanged\n")
    assert dict(query(database, "SELECT id, xmin::text FROM issues")) == before  # not rewritten
    write_issue(project, 2, "Issue 2, retitled")
    (project / "issues" / "ISSUE-005-x.md").unlink()
    assert cli("publish", "--repo", "r").stdout.endswith("0 added, 1 updated, 1 deleted, 3 unchanged\n")
    after = dict(query(database, "SELECT id, xmin::text FROM issues"))
    assert sorted(after) == ["ISSUE-001", "ISSUE-002", "ISSUE-003", "ISSUE-004"]
    assert [i for i in after if after[i] != before[i]] == ["ISSUE-002"]
    assert query(database, "SELECT title FROM issues WHERE id = 'ISSUE-002'") == [("Issue 2, retitled",)]


def test_the_default_repo_is_the_origin_without_credentials_or_the_config_key(
        project: Path, cli: Invoke, database: str) -> None:
    write_issue(project, 1)
    subprocess.run(["git", "remote", "add", "origin", "https://bot:s3cret@git.example.com/acme/api.git"],
                   cwd=project, check=True)
    assert "published https://git.example.com/acme/api: 1 added" in cli("publish").stdout
    (project / "issuelog.toml").write_text('project = "Demo"\npublish_repo = "billing"\n')
    cli("publish")
    assert query(database, "SELECT repo FROM issues ORDER BY repo") == [
        ("billing",), ("https://git.example.com/acme/api",)]
    from issuelog.integrations.rows import stable_repo_name

    assert stable_repo_name("git@github.com:acme/api.git", project) == "github.com:acme/api"
    assert stable_repo_name("", project) == project.name


def test_hostile_titles_and_bodies_are_stored_as_written_nul_as_replacement_character(
        project: Path, cli: Invoke, database: str) -> None:
    hostile = "x'); DROP TABLE issues; -- \\ $$ %s {} \"quoted\""
    write_issue(project, 1, hostile, body=f"## Description\n\n{hostile}\nnul:\x00:end\n")
    long_body = "## Description\n\n" + ("long text " * 90_000) + "\n"
    write_issue(project, 2, "Long", body=long_body)
    cli("publish", "--repo", "r")
    rows = dict(query(database, "SELECT id, title FROM issues"))
    assert rows["ISSUE-001"] == hostile
    body = query(database, "SELECT body FROM issues WHERE id = 'ISSUE-001'")[0][0]
    assert "nul:\ufffd:end" in body and hostile in body
    assert query(database, "SELECT length(body) FROM issues WHERE id = 'ISSUE-002'") == [(len(long_body),)]
    assert "0 added, 0 updated, 0 deleted, 2 unchanged" in cli("publish", "--repo", "r").stdout


def test_rows_or_a_schema_of_a_newer_issuelog_are_refused_and_left_alone(
        project: Path, cli: Invoke, database: str) -> None:
    write_issue(project, 1)
    cli("publish", "--repo", "r")
    query(database, "UPDATE issues SET schema_version = 2, title = 'newer'")
    write_issue(project, 1, "changed here")
    error = cli("publish", "--repo", "r", code=1).stderr
    assert "rows of r were written by a newer issuelog (schema version 2" in error
    assert query(database, "SELECT title FROM issues") == [("newer",)]
    cli("publish", "--repo", "other")  # another repository's rows are its own
    query(database, "UPDATE issuelog_schema SET version = 2")
    assert "database was written by a newer issuelog" in cli("publish", "--repo", "other", code=1).stderr
    assert "newer issuelog" in cli("list", "--database", "", code=1).stderr


def test_bad_dsn_and_wrong_password_give_a_clear_error_without_the_password(
        project: Path, pg: Cluster, database: str) -> None:
    write_issue(project, 1)
    wrong = database.replace(pg.password, "wrong-Secret-42")
    for dsn, expected in ((wrong, "password authentication failed"),
                          ("postgresql://postgres:hunter2@127.0.0.1:1/x", "cannot connect"),
                          ("host=127.0.0.1 password=hunter2 port=notaport", "cannot connect"),
                          ("this is no dsn password=hunter2", "cannot connect")):
        result = run_issuelog(project, "publish", dsn)
        assert result.returncode == 1, result
        assert expected in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
        assert "warning: the password in the DSN argument is visible" in result.stderr
        for secret in ("wrong-Secret-42", "hunter2", pg.password):
            assert secret not in result.stdout + result.stderr
    assert query(database, "SELECT to_regclass('issues')") == [(None,)]  # nothing was written


def test_without_psycopg_the_message_names_the_extra(project: Path) -> None:
    code = ("import sys; sys.modules['psycopg'] = None; sys.argv = ['issuelog', 'publish']; "
            "from issuelog.cli.app import main; main()")
    result = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True)
    assert result.returncode == 1
    assert "pip install 'issuelog[postgres]'" in result.stderr and "Traceback" not in result.stderr


# --- reading every repository -------------------------------------------------------------------

def _publish_repo(project: Path, cli: Invoke, repo: str, issues: list[dict[str, Any]]) -> None:
    for path in (project / "issues").glob("*.md"):
        path.unlink()
    for number, fields in enumerate(issues, 1):
        write_issue(project, number, **fields)
    cli("publish", "--repo", repo)


def test_list_analyze_and_metrics_read_every_published_repository(
        project: Path, cli: Invoke, database: str) -> None:
    timeout = {"title": "DB timeout", "extra": {"error_type": "TimeoutError", "fingerprint": "f00d",
                                                  "occurrences": 4, "component": "db"}}
    _publish_repo(project, cli, "api", [timeout, {"title": "Typo", "severity": "low"}])
    _publish_repo(project, cli, "billing", [timeout, {"title": "Crash", "severity": "critical"}])
    _publish_repo(project, cli, "web", [{"title": "Alone", "extra": {"fingerprint": "beef"}}])
    listed = json.loads(cli("list", "--database", "", "--format", "json").stdout)
    assert [r["id"] for r in listed] == ["billing:ISSUE-002", "api:ISSUE-001", "billing:ISSUE-001",
                                         "web:ISSUE-001", "api:ISSUE-002"]
    only = json.loads(cli("list", "--database", "", "--repo", "web", "--format", "json").stdout)
    assert [r["id"] for r in only] == ["web:ISSUE-001"]
    data = json.loads(cli("analyze", "--database", "", "--format", "json").stdout)
    assert data["statistics"]["total"] == 5
    assert data["recurring_across_repositories"] == [{
        "fingerprint": "f00d", "error_type": "TimeoutError", "repos": ["api", "billing"],
        "issues": 2, "open": 2, "occurrences": 8, "ids": ["api:ISSUE-001", "billing:ISSUE-001"]}]
    text = cli("analyze", "--database", "").stdout
    assert "Errors recurring across repositories (by fingerprint)\n  f00d  TimeoutError: 2 " in text
    metrics = cli("metrics", "--database", "", "--repo", "api", "--repo", "billing").stdout
    assert 'issuelog_issue_occurrences_total{component="db",error_type="TimeoutError"} 8.0' in metrics
    assert "--repo needs --database" in cli("list", "--repo", "api", code=2).stderr


# --- failures in the middle of a publish (slow: subprocesses and waits) -------------------------

def _many_issues(project: Path, count: int, title: str = "Issue") -> None:
    for number in range(1, count + 1):
        write_issue(project, number, f"{title} {number}")


def _wait_for_lock_wait(dsn: str, timeout: float = 60) -> int:
    """The backend pid of a publish that waits for a lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = query(dsn, "SELECT pid FROM pg_stat_activity WHERE application_name = 'issuelog' "
                          "AND wait_event_type = 'Lock'")
        if rows:
            return int(rows[0][0])
        time.sleep(0.05)
    raise AssertionError("the publish never waited for the lock")


def _snapshot(dsn: str) -> list[tuple[Any, ...]]:
    return query(dsn, "SELECT repo, id, title, content_hash FROM issues ORDER BY repo, id")


@pytest.mark.slow
@pytest.mark.parametrize("how", ["sigkill", "server ends the session"])
def test_a_publish_killed_or_cut_off_mid_transaction_leaves_the_previous_state_whole(
        project: Path, cli: Invoke, database: str, how: str) -> None:
    _many_issues(project, 50)
    cli("publish", "--repo", "r")
    before = _snapshot(database)
    _many_issues(project, 60, "Changed")  # 50 updates and 10 inserts
    (project / "issues" / "ISSUE-001-x.md").unlink()
    with psycopg.connect(database) as blocker:
        # Holding one row makes the publish stop inside its INSERT, after its COPY.
        blocker.execute("SELECT 1 FROM issues WHERE repo = 'r' AND id = 'ISSUE-030' FOR UPDATE")
        process = subprocess.Popen([sys.executable, "-m", "issuelog", "publish", "--repo", "r"],
                                   cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        backend = _wait_for_lock_wait(database)
        if how == "sigkill":
            process.send_signal(signal.SIGKILL)
            process.wait(30)
        else:
            query(database, "SELECT pg_terminate_backend(%s)", (backend,))
        blocker.rollback()
        out, err = process.communicate(timeout=60)
    assert _snapshot(database) == before
    if how != "sigkill":
        assert process.returncode == 1
        assert err.startswith("issuelog: PostgreSQL: ") and "nothing was changed" in err, err
        assert "Traceback" not in err
    assert "1 deleted" in cli("publish", "--repo", "r").stdout  # the next publish completes it
    assert len(_snapshot(database)) == 59


@pytest.mark.slow
def test_concurrent_publishes_of_two_repositories_and_of_one(tmp_path: Path, database: str) -> None:
    projects = []
    for name in ("one", "two"):
        root = tmp_path / name
        (root / "issues").mkdir(parents=True)
        (root / "issuelog.toml").write_text(f'project = "{name}"\npublish_repo = "{name}"\n')
        _many_issues(root, 200, name)
        projects.append(root)
    # One's rows are held: a publish of `two` goes through meanwhile, one of `one` waits.
    publish = [sys.executable, "-m", "issuelog", "publish"]
    first = subprocess.run(publish, cwd=projects[0], capture_output=True, text=True, check=True)
    assert "200 added" in first.stdout
    _many_issues(projects[0], 200, "one again")
    with psycopg.connect(database) as blocker:
        blocker.execute("SELECT 1 FROM issues WHERE repo = 'one' AND id = 'ISSUE-100' FOR UPDATE")
        waiting = [subprocess.Popen(publish, cwd=projects[0], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for _ in range(2)]
        _wait_for_lock_wait(database)
        other = subprocess.run(publish, cwd=projects[1], capture_output=True, text=True, timeout=120)
        assert other.returncode == 0 and "200 added" in other.stdout, other
        blocker.rollback()
    results = sorted(process.communicate(timeout=120)[0] for process in waiting)
    assert [p.returncode for p in waiting] == [0, 0]
    # The advisory lock queued them: one updated every row, the other found nothing to do.
    assert results == ["published one: 0 added, 0 updated, 0 deleted, 200 unchanged\n",
                       "published one: 0 added, 200 updated, 0 deleted, 0 unchanged\n"]
    assert query(database, "SELECT repo, count(*) FROM issues GROUP BY repo ORDER BY repo") == [
        ("one", 200), ("two", 200)]


# --- the Grafana dashboard ----------------------------------------------------------------------

DASHBOARD = ROOT / "grafana" / "issuelog-dashboard.json"


def _targets() -> list[dict[str, Any]]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [target for panel in dashboard["panels"] for target in panel.get("targets", [])]


def test_every_sql_query_of_the_dashboard_runs_against_published_issues(
        project: Path, cli: Invoke, database: str) -> None:
    write_issue(project, 1, "Fixed", status="resolved", extra={
        "resolved": "2026-01-14", "fingerprint": "f00d", "error_type": "TimeoutError"})
    write_issue(project, 2, "Open", severity="critical")
    cli("publish", "--repo", "api")
    queries = [t["rawSql"] for t in _targets() if "rawSql" in t]
    assert len(queries) >= 4
    for sql in queries:
        # Grafana's time macros, as its PostgreSQL data source expands them.
        sql = re.sub(r"\$__timeFilter\((\w+)\)",
                     r"\1 BETWEEN '2020-01-01T00:00:00Z' AND '2030-01-01T00:00:00Z'", sql)
        assert "$__" not in sql, sql
        assert query(database, sql), sql  # each panel shows something for these two issues


def test_every_promql_query_of_the_dashboard_names_an_exported_metric(project: Path, cli: Invoke) -> None:
    write_issue(project, 1, "Fixed", status="resolved", extra={"resolved": "2026-01-14"})
    write_issue(project, 2, "Open")
    # The names of the samples `issuelog metrics` exports (`_total`, `_sum`, `_count` included).
    names = set(re.findall(r"^(issuelog_\w+)[{ ]", cli("metrics").stdout, re.M))
    expressions = [t["expr"] for t in _targets() if "expr" in t]
    assert len(expressions) >= 3
    for expr in expressions:
        used = set(re.findall(r"\b(issuelog_\w+)", expr))
        assert used and used <= names, (expr, used - names)
