"""The PostgreSQL copy of issue logs: schema, `publish` and reading back (the one psycopg home).

git stays the source of truth; the database is a shared, queryable copy of many repositories'
logs, one transaction per publish. A publish takes a transaction-level advisory lock keyed by
its repository: two publishes of one repository queue, publishes of different repositories never
wait for each other (they touch disjoint rows of `(repo, id)`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from issuelog.core.config import Config
from issuelog.core.model import Issue
from issuelog.core.store import load_issue, read_bytes
from issuelog.errors import IssueFileError, IssuelogError
from issuelog.integrations.rows import COLUMNS, JSONB_COLUMNS, SCHEMA_VERSION, Row, content_hash, issue_row

try:
    import psycopg
    from psycopg import sql
    from psycopg.types.json import Jsonb
except ImportError:  # the optional extra is not installed: `require_driver` says so
    psycopg = None  # type: ignore[assignment]

#: Where the DSN comes from when the command line gives none (then libpq reads PG* and ~/.pgpass).
DATABASE_URL_VARIABLE = "ISSUELOG_DATABASE_URL"
#: The first key of every advisory lock issuelog takes (the second is the repository's hash).
LOCK_SPACE = 1_551_006  # any fixed number; its only job is to differ from other apps' locks
SCHEMA_LOCK = 0
CONNECT_TIMEOUT_SECONDS = 10

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS issuelog_schema (
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS issues (
    repo TEXT NOT NULL,
    id TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    severity TEXT NOT NULL,
    category TEXT NOT NULL,
    component TEXT NOT NULL,
    status TEXT NOT NULL,
    error_message TEXT,
    error_type TEXT,
    stack_trace TEXT,
    error_hash TEXT,
    context JSONB,
    affected_users INTEGER,
    occurrence_count INTEGER,
    first_seen TIMESTAMPTZ,
    last_seen TIMESTAMPTZ,
    resolution TEXT,
    resolved_at TIMESTAMPTZ,
    resolved_by TEXT,
    related_issues JSONB,
    tags JSONB,
    suggested_fixes JSONB,
    system_changes_needed JSONB,
    created_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    phase TEXT,
    reporter TEXT,
    assignee TEXT,
    is_open BOOLEAN NOT NULL DEFAULT false,
    reference_only BOOLEAN NOT NULL DEFAULT false,
    fingerprint_version INTEGER,
    path TEXT,
    body TEXT,
    record JSONB NOT NULL,
    content_hash TEXT NOT NULL,
    schema_version INTEGER NOT NULL DEFAULT {SCHEMA_VERSION},
    PRIMARY KEY (repo, id)
);
-- A hash index: a B-tree refuses keys over about 2.7 kB, and a fingerprint is the file's text.
CREATE INDEX IF NOT EXISTS issues_error_hash ON issues USING hash (error_hash);
"""


class DatabaseError(IssuelogError):
    """PostgreSQL could not be reached or refused the work; the message holds no password."""


def require_driver() -> None:
    """Stop with a clear message when psycopg (the `postgres` extra) is not installed."""
    if psycopg is None:
        raise DatabaseError("PostgreSQL support needs psycopg: pip install 'issuelog[postgres]'")


def database_dsn(given: str | None) -> str:
    """The DSN to use: the one given (not empty), else $ISSUELOG_DATABASE_URL, else "" (then
    libpq's PG* variables and ~/.pgpass decide)."""
    return given or os.environ.get(DATABASE_URL_VARIABLE, "")


_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.I)


def redact(text: str, dsn: str = "") -> str:
    """The text with every password it may hold (of `dsn`, of $PGPASSWORD, or shaped like one in
    a URL or `password=` pair) replaced by `***`."""
    secrets = [os.environ.get("PGPASSWORD", "")]
    if dsn and psycopg is not None:
        with suppress(psycopg.Error):
            secrets.append(str(psycopg.conninfo.conninfo_to_dict(dsn).get("password") or ""))
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _URL_PASSWORD.sub(r"\1***@", text)
    return _KEYWORD_PASSWORD.sub(r"\1***", text)


def has_password(dsn: str) -> bool:
    """Whether the DSN itself carries a password (visible to others in `ps` if typed as an argument)."""
    if psycopg is None or not dsn:
        return False
    try:
        return bool(psycopg.conninfo.conninfo_to_dict(dsn).get("password"))
    except psycopg.Error:
        return bool(_URL_PASSWORD.search(dsn) or _KEYWORD_PASSWORD.search(dsn))


def _message(error: BaseException, dsn: str) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return redact(text, dsn)


@contextmanager
def connection(dsn: str) -> Iterator[Any]:
    """A connection for `dsn`, closed afterwards; every driver error becomes a DatabaseError."""
    require_driver()
    try:
        connection = psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT_SECONDS,
                                     application_name="issuelog")
    except (psycopg.Error, ValueError) as error:
        raise DatabaseError(f"cannot connect to PostgreSQL: {_message(error, dsn)}") from None
    try:
        with connection:
            yield connection
    except psycopg.Error as error:
        raise DatabaseError(f"PostgreSQL: {_message(error, dsn)}; nothing was changed") from None


def _too_new(version: int, what: str) -> DatabaseError:
    return DatabaseError(
        f"{what} written by a newer issuelog (schema version {version}; this issuelog knows "
        f"{SCHEMA_VERSION}): upgrade issuelog; nothing was changed")


def ensure_schema(conn: Any) -> None:
    """Create or migrate the tables, once, whoever asks first; refuse a schema newer than ours."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s::int4, %s::int4)", (LOCK_SPACE, SCHEMA_LOCK))
        exists = conn.execute("SELECT to_regclass('issuelog_schema') IS NOT NULL").fetchone()[0]
        version = conn.execute("SELECT max(version) FROM issuelog_schema").fetchone()[0] \
            if exists else None
        if version is not None and version > SCHEMA_VERSION:
            raise _too_new(version, "the database was")
        if version == SCHEMA_VERSION:
            return
        # Version 1 is the first layout; later versions add their migrations here, in order.
        conn.execute(_SCHEMA)
        missing = conn.execute(
            "SELECT 'repo' NOT IN (SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'issues' AND table_schema = current_schema())").fetchone()[0]
        if missing:
            raise DatabaseError("the database has a table `issues` that issuelog did not create "
                                "(no `repo` column): use another database or schema")
        conn.execute("DELETE FROM issuelog_schema")
        conn.execute("INSERT INTO issuelog_schema (version) VALUES (%s)", (SCHEMA_VERSION,))


@dataclass(frozen=True)
class PublishResult:
    """What one publish changed."""

    repo: str
    inserted: int
    updated: int
    deleted: int
    unchanged: int


def _adapted(row: Row) -> list[Any]:
    return [Jsonb(row.values[name]) if name in JSONB_COLUMNS else row.values[name]
            for name in COLUMNS]


def publish_rows(dsn: str, repo: str, hashes: Mapping[str, str],
                 build: Callable[[list[str]], Sequence[Row]]) -> PublishResult:
    """Make the table's rows of `repo` those of the issues `hashes` lists (ID -> content hash)
    in one transaction: `build(ids)` makes the rows of the new and changed ones only; rows with
    the same hash are not rewritten; rows of issues no longer listed are deleted."""
    with connection(dsn) as conn:
        ensure_schema(conn)
        with conn.transaction():
            # Serialises publishes of this repository only; released at commit or rollback.
            conn.execute("SELECT pg_advisory_xact_lock(%s::int4, hashtext(%s))", (LOCK_SPACE, repo))
            existing: dict[str, str] = {}
            newest = 0
            for issue_id, stored_hash, version in conn.execute(
                    "SELECT id, content_hash, schema_version FROM issues WHERE repo = %s", (repo,)):
                existing[issue_id] = stored_hash
                newest = max(newest, version)
            if newest > SCHEMA_VERSION:
                raise _too_new(newest, f"rows of {repo} were")
            changed = [issue_id for issue_id, digest in hashes.items()
                       if existing.get(issue_id) != digest]
            gone = sorted(set(existing) - set(hashes))
            if changed:
                _upsert(conn, build(changed))
            if gone:
                conn.execute("DELETE FROM issues WHERE repo = %s AND id = ANY(%s)", (repo, gone))
    inserted = sum(1 for issue_id in changed if issue_id not in existing)
    return PublishResult(repo, inserted, len(changed) - inserted, len(gone),
                         len(hashes) - len(changed))


def _file_hash(issue: Issue, config: Config, repo: str) -> str:
    shown = f"{config.issues_dir}/{issue.path.name}"
    data, problem = read_bytes(issue.path, shown, config.root)
    if data is None:
        raise IssueFileError(str(problem))
    return content_hash(data, issue, config, repo)


def publish_issues(dsn: str, repo: str, issues: Sequence[Issue], config: Config) -> PublishResult:
    """Publish a project's issues (parsed without bodies): each file is hashed as it is, and
    only the new and changed ones are read again, whole, to make their rows."""
    by_id = {issue.id: issue for issue in issues}
    hashes = {issue_id: _file_hash(issue, config, repo) for issue_id, issue in by_id.items()}

    def build(ids: list[str]) -> list[Row]:
        rows = []
        for issue_id in ids:
            path = by_id[issue_id].path
            whole = load_issue(config, path)[1]
            rows.append(issue_row(whole, config, repo, _file_hash(whole, config, repo)))
        return rows

    return publish_rows(dsn, repo, hashes, build)


def _upsert(conn: Any, rows: Sequence[Row]) -> None:
    """Write changed rows: COPY into a temporary table, then one INSERT ... ON CONFLICT."""
    columns = sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
    conn.execute("CREATE TEMPORARY TABLE issuelog_stage (LIKE issues INCLUDING DEFAULTS) "
                 "ON COMMIT DROP")
    with conn.cursor().copy(sql.SQL("COPY issuelog_stage ({}) FROM STDIN").format(columns)) as copy:
        for row in rows:
            copy.write_row(_adapted(row))
    updates = sql.SQL(", ").join(
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(name))
        for name in COLUMNS if name not in ("repo", "id"))
    conn.execute(sql.SQL("INSERT INTO issues ({0}) SELECT {0} FROM issuelog_stage "
                         "ON CONFLICT (repo, id) DO UPDATE SET {1}").format(columns, updates))


@dataclass(frozen=True)
class PublishedIssue:
    """One published row as `list`, `analyze` and `metrics` read it back."""

    repo: str
    record: dict[str, Any]
    body: str


def read_published(dsn: str, repos: Sequence[str] = (), *,
                   bodies: bool = False) -> Iterator[PublishedIssue]:
    """Every published issue (of `repos` only, when given), by repository and ID, streamed
    through a server-side cursor: a hundred thousand rows never sit in memory twice."""
    body = sql.SQL("body") if bodies else sql.SQL("''")
    where = sql.SQL("WHERE repo = ANY(%s)") if repos else sql.SQL("")
    query = sql.SQL("SELECT repo, record, {} FROM issues {} ORDER BY repo, id").format(body, where)
    with connection(dsn) as conn:
        ensure_schema(conn)
        with conn.cursor(name="issuelog_read") as cursor:
            cursor.itersize = 5000
            cursor.execute(query, (list(repos),) if repos else None)
            for repo, record, text in cursor:
                yield PublishedIssue(repo, record, text or "")
