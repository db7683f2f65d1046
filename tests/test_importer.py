"""The importer: hand-kept Markdown logs of every shape read into drafts, entry by entry."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from issuelog.core.cache import load_issues
from issuelog.core.config import Config, config_from_mapping
from issuelog.core.model import as_date
from issuelog.core.sections import read_section
from issuelog.importer import (
    Draft,
    ImportPlan,
    fitting_id,
    import_drafts,
    plan_import,
    read_log,
    split_title,
)
from issuelog.importer.fields import is_missing, map_severity, map_status, parse_date
from issuelog.log.render import render_log
from issuelog.project.scaffold import check_values
from tests.conftest import examples, issue_text

FIXTURES = Path(__file__).parent / "fixtures" / "import"
DAY = date(2026, 2, 1)
CONFIG = Config(root=Path("/nonexistent"))


def read(name: str, config: Config = CONFIG, **options: str) -> ImportPlan:
    """Read a fixture log with a fixed import day."""
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return read_log(text, config, source=name, **options)


def by_title(plan: ImportPlan) -> dict[str, Draft]:
    return {draft.title: draft for draft in plan.drafts}


def summary(draft: Draft) -> tuple[object, ...]:
    return (draft.legacy_id, draft.value("severity"), draft.value("status"), draft.value("phase"),
            draft.value("reported"), draft.value("resolved"))


# --- values -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("2026-01-10", date(2026, 1, 10)),
    ("2026-01-10 14:30 UTC", datetime(2026, 1, 10, 14, 30)),
    ("2026-01-10T14:30:05Z", datetime(2026, 1, 10, 14, 30, 5)),
    ("2026-01-10 14:30 +02:00", datetime(2026, 1, 10, 12, 30)),
    ("Jan 10, 2026", date(2026, 1, 10)),
    ("January 10th, 2026", date(2026, 1, 10)),
    ("10 Jan 2026", date(2026, 1, 10)),
    ("Saturday, 10 January 2026", date(2026, 1, 10)),
    ("25/01/2026", date(2026, 1, 25)),
    ("01/25/2026", date(2026, 1, 25)),
    ("2026/01/10", date(2026, 1, 10)),
    ("2026-01-10 (hotfix)", date(2026, 1, 10)),
])
def test_dates_in_common_written_forms(text: str, expected: date) -> None:
    assert parse_date(text) == (expected, "")


@pytest.mark.parametrize("text", ["", "[TBD]", "TBD", "N/A", "-", "—", "YYYY-MM-DD",
                                  "YYYY-MM-DD (if resolved)", "(fill in when resolved)", "*None*"])
def test_placeholders_are_missing_not_errors(text: str) -> None:
    assert is_missing(text)
    assert parse_date(text) == (None, "")


@pytest.mark.parametrize(("text", "reason"), [
    ("10/01/2026", "ambiguous"),
    ("2026-02-30", "not a real date"),
    ("last Tuesday", "cannot read"),
])
def test_unreadable_dates_say_why(text: str, reason: str) -> None:
    value, why = parse_date(text)
    assert value is None and reason in why


@pytest.mark.parametrize(("text", "expected"), [
    ("🟢 Resolved", "resolved"), ("RESOLVED", "resolved"), ("Fixed", "resolved"),
    ("Won't Fix", "wont_fix"), ("🔵 Won’t fix", "wont_fix"), ("In Progress", "in_progress"),
    ("in-progress", "in_progress"), ("🔴 Open", "open"), ("Duplicate of #4", "duplicate"),
    ("Whatever", None),
])
def test_status_words(text: str, expected: str | None) -> None:
    assert map_status(text, CONFIG) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("🔴 Critical", "critical"), ("CRITICAL", "critical"), ("P1", "high"), ("🟠 High", "high"),
    ("Medium", "medium"), ("minor", "low"), ("🟡", "medium"), ("Extreme", None),
])
def test_severity_words(text: str, expected: str | None) -> None:
    assert map_severity(text, CONFIG) == expected


@pytest.mark.parametrize(("heading", "expected"), [
    ("[ISSUE-012] Title", ("ISSUE-012", "Title")),
    ("ISSUE-012: Title", ("ISSUE-012", "Title")),
    ("KI-004 – Title", ("KI-004", "Title")),
    ("Issue 7: Title", ("Issue 7", "Title")),
    ("3. Async Context Errors", ("3", "Async Context Errors")),
    ("Error: Title", ("", "Title")),
    ("Plain title", ("", "Plain title")),
    ("🐛 BUG-12: Emoji first", ("BUG-12", "Emoji first")),
    ("**BUG-12**: Bold ID", ("BUG-12", "Bold ID")),
    ("Login fails (BUG-12)", ("BUG-12", "Login fails")),
    ("2025-10-14 — Checkout outage", ("", "Checkout outage")),
    ("🔥 Emoji plain", ("", "🔥 Emoji plain")),
    ("Phase 1", ("", "Phase 1")),
])
def test_heading_ids_and_titles(heading: str, expected: tuple[str, str]) -> None:
    assert split_title(heading) == expected


@pytest.mark.parametrize(("legacy", "expected"), [
    ("ISSUE-012", "ISSUE-012"), ("issue-7", "ISSUE-007"), ("Issue 7", "ISSUE-007"),
    ("BUG-7", None), ("3", None),
])
def test_legacy_ids_that_fit_the_pattern(legacy: str, expected: str | None) -> None:
    assert fitting_id(legacy, CONFIG) == expected


# --- the example logs ---------------------------------------------------------------------------

def test_filled_error_log_gives_its_ten_numbered_entries() -> None:
    plan = read("error-log-filled.md")
    assert [d.title for d in plan.drafts] == [
        "Docker Memory Issues on Windows", "spaCy Model Not Found",
        "Async Context Errors in SQLAlchemy", "CORS Issues in Development",
        "Neo4j Connection Pool Exhaustion", "Frontend Build Failures with Node Modules",
        "Celery Task Serialization Errors", "Database Migration Conflicts",
        "Redis Memory Leak with Large Cache Objects", "WebSocket Connection Drops",
    ]
    assert plan.unreadable == []
    # Error types that are not configured categories are kept as legacy_category, and said so.
    assert [(w.line, w.message.split(" is not")[0]) for w in plan.warnings] == [
        (22, "category 'Infrastructure'"), (37, "category 'Dependency'"),
        (51, "category 'Code Pattern'"), (112, "category 'Build'"), (173, "category 'Database'"),
        (208, "category 'Network'"),
    ]
    assert [d.legacy_id for d in plan.drafts] == [str(n) for n in range(1, 11)]
    assert [d.value("reported") for d in plan.drafts] == [date(2024, 1, d) for d in range(15, 25)]
    # A solution written down means the entry was resolved.
    assert {d.value("status") for d in plan.drafts} == {"resolved"}
    entries = by_title(plan)
    cors = entries["CORS Issues in Development"]
    assert cors.value("category") == "configuration" and "legacy_category" not in cors.extra
    docker = entries["Docker Memory Issues on Windows"]
    assert docker.value("category") is None and docker.extra["legacy_category"] == "Infrastructure"
    async_body = entries["Async Context Errors in SQLAlchemy"].body
    assert read_section(async_body, "Description") == (
        "`RuntimeError: Cannot use AsyncSession outside of async context`")
    resolution = read_section(async_body, "Resolution") or ""
    assert resolution.startswith("Ensure all database operations use async/await")
    assert "```python\n# Wrong\ndef get_course(db: AsyncSession, course_id: str):" in resolution
    assert read_section(async_body, "Prevention") == (
        "- Created linting rule for async functions\n- Added to code review checklist\n"
        "- Updated all repository methods")


def test_master_log_template_gives_only_its_reference_rows() -> None:
    plan = read("master-log-template.md")
    rows = [(d.extra["reference"]["area"], d.title) for d in plan.drafts]
    assert rows == [
        ("Database Issues", "Connection refused"), ("Database Issues", "Migration conflict"),
        ("Database Issues", "asyncpg not found"), ("Auth Issues", "401 on valid token"),
        ("Auth Issues", "JWT decode error"), ("Auth Issues", "Missing 'sub' claim"),
        ("Redis Issues", "Connection refused"), ("Redis Issues", "Rate limit not working"),
        ("Import Issues", "ModuleNotFoundError"), ("Import Issues", "Circular import"),
    ]
    first = plan.drafts[0]
    assert first.extra["reference"] == {"area": "Database Issues", "cause": "DB not running",
                                        "solution": "`make up` to start Docker"}
    assert read_section(first.body, "Resolution") == "`make up` to start Docker"
    assert plan.unreadable == []


# --- one fixture per shape ----------------------------------------------------------------------

def test_id_headings_with_bold_key_lines() -> None:
    plan = read("shape-id-bold.md")
    login, migration = plan.drafts
    assert login.title == "Login fails with expired refresh token"
    assert summary(login) == ("ISSUE-012", "high", "in_progress", "Phase 2", date(2026, 1, 10),
                              None)
    assert login.value("files") == ["app/auth/refresh.py", "app/auth/tokens.py"]
    assert login.related_legacy == ["ISSUE-013", "ISSUE-099"]
    assert read_section(login.body, "Steps to Reproduce") == (
        "1. Log in\n2. Wait 15 minutes\n3. Reload the dashboard")
    assert read_section(login.body, "Error Message / Stack Trace") == (
        "```\njwt.exceptions.ExpiredSignatureError: Signature has expired\n```")
    assert read_section(login.body, "Environment") == "- Python version: 3.11\n- OS: Debian 12"
    assert read_section(login.body, "Root Cause") is None  # [TBD]
    assert summary(migration) == ("ISSUE-013", "critical", "resolved", "Phase 1", date(2026, 1, 5),
                                  datetime(2026, 1, 6, 14, 30))
    assert "```yaml\njobs:\n  migrate:" in (read_section(migration.body, "Resolution") or "")


def test_numbered_headings_with_bold_keys() -> None:
    plan = read("shape-numbered.md")
    assert [d.title for d in plan.drafts] == [
        "Worker crashes on large uploads", "Timezone drift in reports", "Flaky login test"]
    uploads, drift, flaky = plan.drafts
    assert uploads.value("category") == "performance"
    assert uploads.value("files") == ["app/upload.py", "tests/test_upload.py"]
    assert read_section(uploads.body, "Prevention") == (
        "- Added a test with a 3 GB sparse file\n- Documented the upload limits")
    assert drift.value("reported") == date(2025, 3, 5)
    assert drift.extra["legacy_category"] == "Data Quality"
    assert flaky.value("status") == "open"  # no solution yet: the default status
    # The empty numbered sibling is reported; the "Lessons Learned" list is not an entry.
    assert [(n.line, "nothing under it" in n.message) for n in plan.unreadable] == [(33, True)]


def test_register_headings_with_bullet_keys() -> None:
    plan = read("shape-register.md")
    pool, webhook, search = plan.drafts
    # The log says when it was found, not when it was fixed: that date is unknown, not invented.
    assert summary(pool) == ("CRIT-001", "critical", "resolved", "Phase 3", date(2025, 11, 2),
                             None)
    assert pool.extra["resolved_unknown"] is True and "reported_unknown" not in pool.extra
    assert read_section(pool.body, "Impact") == "All API requests failed for 40 minutes"
    assert read_section(pool.body, "Time to Resolution") == "4 hours"
    assert read_section(pool.body, "Resolution") == "Raised the pool size and added `pool_pre_ping`"
    assert summary(webhook)[1:3] == ("critical", "in_progress")
    assert summary(search) == ("HIGH-001", "high", "open", None, date(2025, 11, 12), None)
    assert search.value("assignee") == "grace"


def test_reference_tables_under_area_headings() -> None:
    plan = read("shape-reference.md")
    rows = [(d.extra["reference"]["area"], d.title, d.value("status")) for d in plan.drafts]
    assert rows == [
        ("Database Issues", "Connection refused", "resolved"),
        ("Database Issues", "Migration conflict", "resolved"),
        ("Cache Issues", "Connection refused", "resolved"),
        ("Cache Issues", "Stale values after deploy", "wont_fix"),
    ]
    assert plan.drafts[2].extra["reference"]["cause"] == "Redis not running"
    assert [(n.line, n.message) for n in plan.unreadable] == [
        (24, "table row has no issue text; not imported")]


def test_mixed_document() -> None:
    plan = read("mixed.md")
    entries = by_title(plan)
    assert list(entries) == [
        "Cron runs in the wrong zone", "Upload timeouts", "Emails sent twice",
        "Safari drops session cookies", "Health check flaps under load",
        "Exports are capped at 10 000 rows",
    ]
    upload = entries["Upload timeouts"]
    # Severity from the `### High 🟠` label above it, status from its own line.
    assert summary(upload) == ("BUG-101", "high", "open", None, date(2026, 1, 10), None)
    assert upload.value("component") == "uploads"
    # The summary table's row for BUG-101 adds what only it says, without a second issue.
    assert read_section(upload.body, "Root Cause") == "Proxy timeout of 60 s"
    emails = entries["Emails sent twice"]
    assert summary(emails) == ("Issue 7", "medium", "resolved", None, date(2026, 1, 12),
                               date(2026, 1, 15))
    assert read_section(emails.body, "Description") == "Password-reset emails arrive twice."
    assert read_section(emails.body, "Resolution") == (
        "Removed the signal handler; see `app/signals.py`.")
    safari = entries["Safari drops session cookies"]
    # An ambiguous date is kept as written, not replaced by the resolved date ("same day").
    assert summary(safari) == ("KI-004", "low", "resolved", "Phase 2", None, date(2026, 1, 20))
    assert safari.extra["legacy_reported"] == "10/01/2026"
    assert safari.extra["reported_unknown"] is True and "resolved_unknown" not in safari.extra
    assert read_section(safari.body, "Description") == (
        "Safari 17 ignores cookies set with `SameSite=None` without `Secure`.")
    health = entries["Health check flaps under load"]
    assert summary(health) == ("", "medium", "resolved", "Phase 2", date(2026, 1, 18), None)
    assert health.extra["resolved_unknown"] is True
    exports = entries["Exports are capped at 10 000 rows"]
    assert exports.value("status") == "wont_fix"
    cron = entries["Cron runs in the wrong zone"]
    # Only a reference row says it: knowledge, dated by the log's Last Updated line, not resolved.
    assert summary(cron) == ("", "medium", "resolved", None, date(2026, 1, 20), None)
    assert cron.extra["reference_only"] is True
    assert [(n.line, "ambiguous" in n.message) for n in plan.warnings] == [(68, True)]
    assert plan.unreadable == []


def test_defaults_apply_only_where_the_entry_says_nothing() -> None:
    plan = read("shape-numbered.md", default_severity="low", default_status="in_progress")
    assert [d.value("severity") for d in plan.drafts] == ["low", "low", "low"]
    assert [d.value("status") for d in plan.drafts] == ["resolved", "resolved", "in_progress"]


def test_the_default_severity_is_the_one_configured_default(tmp_path: Path) -> None:
    # Without `medium`, `new` takes the middle severity; the importer takes the same one.
    from issuelog.project.scaffold import default_severity

    config = config_from_mapping({"severities_replace": True, "severities": [
        {"name": name} for name in ("blocker", "major", "minor", "trivial", "cosmetic")]},
        root=tmp_path)
    plan = read_log("## BUG-1: Login fails\n\n**Root Cause:** a typo\n", config)
    assert default_severity(config) == "minor"
    assert [draft.value("severity") for draft in plan.drafts] == ["minor"]


def test_unknown_default_is_a_usage_error() -> None:
    from issuelog.errors import UsageError

    with pytest.raises(UsageError, match="unknown severity 'huge'"):
        read("shape-numbered.md", default_severity="huge")


def test_values_the_configuration_refuses_are_kept_as_legacy_keys(tmp_path: Path) -> None:
    config = config_from_mapping({"phases": ["Alpha", "Phase 1"], "categories": ["bugs"]},
                                 root=tmp_path)
    plan = read("shape-id-bold.md", config)
    login, migration = plan.drafts
    assert login.value("phase") is None and login.extra["legacy_phase"] == "Phase 2"
    assert migration.value("phase") == "Phase 1"


def test_status_open_with_a_resolved_date_keeps_the_date_aside() -> None:
    text = "## BUG-1: Thing\n\n**Status:** Open\n**Date:** 2026-01-02\n**Resolved:** 2026-01-03\n"
    (draft,) = read_log(text, CONFIG).drafts
    assert draft.value("resolved") is None and draft.extra["legacy_resolved"] == "2026-01-03"


# --- writing files ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.md")))
def test_every_fixture_imports_to_files_that_pass_check_and_render(name: str, project: Path,
                                                                   config: Config) -> None:
    plan = plan_import(FIXTURES / name, config)
    created = import_drafts(plan, config)
    assert len(created) == len(plan.drafts) > 0
    result = load_issues(config)
    assert result.problems == []
    assert len(result.issues) == len(plan.drafts)
    log = render_log(result.issues, config)
    # Closed rows of reference tables are knowledge: in the reference, not in the counts.
    knowledge = sum(1 for draft in plan.drafts if draft.extra.get("reference_only"))
    assert f"| **Total** | **{len(plan.drafts) - knowledge}** |" in log
    assert (f"Not counted in any figure: {knowledge} reference-only" in log) == (knowledge > 0)


def test_legacy_ids_are_reused_and_related_entries_linked(project: Path, config: Config) -> None:
    plan = plan_import(FIXTURES / "shape-id-bold.md", config)
    created = {issue_id: path for _, issue_id, path in import_drafts(plan, config)}
    assert sorted(created) == ["ISSUE-012", "ISSUE-013"]
    issues = load_issues(config).by_id()
    login = issues["ISSUE-012"]
    assert login.related == ["ISSUE-013"]
    assert login.extra["legacy_related"] == ["ISSUE-099"]
    assert login.extra["legacy_id"] == "ISSUE-012"
    # The log lies outside the project: its absolute path is recorded.
    assert login.extra["imported_from"] == "shape-id-bold.md"  # outside the project: its name only


def test_existing_files_are_never_overwritten(project: Path, config: Config) -> None:
    existing = project / "issues" / "ISSUE-012-mine.md"
    existing.write_text(issue_text("ISSUE-012", title="Mine"), encoding="utf-8")
    before = existing.read_bytes()
    plan = plan_import(FIXTURES / "shape-id-bold.md", config)
    assert [d.planned_id for d in plan.drafts] == ["ISSUE-014", "ISSUE-013"]
    created = import_drafts(plan, config)
    assert [issue_id for _, issue_id, _ in created] == ["ISSUE-014", "ISSUE-013"]
    assert existing.read_bytes() == before
    assert load_issues(config).problems == []


def test_new_ids_follow_document_order_after_reserved_ones(project: Path, config: Config) -> None:
    log = project / "log.md"
    log.write_text("## Plain one\n\n**Date:** 2026-01-01\n**Fix:** a\n\n"
                   "## ISSUE-005: Kept\n\n**Date:** 2026-01-02\n**Fix:** b\n\n"
                   "## Plain two\n\n**Date:** 2026-01-03\n**Fix:** c\n", encoding="utf-8")
    plan = plan_import(log, config)
    assert [(d.title, d.planned_id) for d in plan.drafts] == [
        ("Plain one", "ISSUE-006"), ("Kept", "ISSUE-005"), ("Plain two", "ISSUE-007")]


def test_importing_twice_creates_nothing_new(project: Path, config: Config) -> None:
    import_drafts(plan_import(FIXTURES / "master-log-template.md", config), config)
    again = plan_import(FIXTURES / "master-log-template.md", config)
    assert again.drafts == []
    assert len(again.skipped) == 10
    assert {twin for _, twin in again.skipped} == {f"ISSUE-{n:03d}" for n in range(1, 11)}


def test_required_fields_the_log_cannot_give_stop_the_import(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from issuelog.errors import UsageError

    monkeypatch.chdir(tmp_path)
    config = config_from_mapping({"required": ["id", "title", "component"]}, root=tmp_path)
    plan = plan_import(FIXTURES / "shape-register.md", config)
    with pytest.raises(UsageError, match=r"shape-register.md:5: missing required field\(s\): component"):
        import_drafts(plan, config)
    assert not (tmp_path / "issues").exists()


# --- documents written after the importer worked, in styles it was not built against -------------

def test_untuned_known_issues_page() -> None:
    plan = read("untuned-known-issues.md")
    crash, push, dark = plan.drafts  # the table of contents adds nothing
    assert summary(crash) == ("KI-001", "high", "in_progress", None, date(2025, 9, 1), None)
    assert read_section(crash.body, "Workaround") == (
        "Lock the orientation before opening the camera.")
    assert read_section(crash.body, "Affects") == "iOS 17.0–17.1, app 2.2.x"
    assert read_section(crash.body, "Description") == (
        "Rotating the device while the camera preview is open crashes the app.")
    assert summary(push) == ("KI-002", "medium", "open", None, date(2025, 9, 12), None)
    assert summary(dark) == ("KI-005", "low", "resolved", None, date(2025, 8, 3), date(2025, 9, 30))
    assert plan.unreadable == [] and plan.warnings == []


def test_untuned_incident_log_with_dated_headings_and_sub_sections() -> None:
    plan = read("untuned-incidents.md")
    checkout, search = plan.drafts
    assert checkout.title == "Checkout outage"
    assert summary(checkout) == ("", "critical", "open", None, date(2025, 10, 14), None)
    assert checkout.value("assignee") == "@maria"
    assert read_section(checkout.body, "Timeline") == (
        "- 14:02 deploy of release 5.12\n- 14:05 alerts fire\n- 14:49 rollback complete")
    assert read_section(checkout.body, "Root Cause") == (
        "A migration renamed a column the old pods still read.")
    assert read_section(checkout.body, "Duration") == "47 minutes"
    assert summary(search)[1:5] == ("medium", "open", None, date(2025, 9, 2))


def test_untuned_setext_log_with_plain_key_lines_and_a_table() -> None:
    plan = read("untuned-issues-and-solutions.md")
    assert [d.title for d in plan.drafts] == [
        "Slow startup of the worker", "`psycopg2` fails to build on macOS",
        "Jobs stuck in `queued`", "`Permission denied` on /data"]
    startup = plan.drafts[0]
    assert startup.value("reported") == date(2025, 6, 3)
    assert read_section(startup.body, "Root Cause") == (
        "it loads every model eagerly at import time.")
    assert read_section(plan.drafts[1].body, "Resolution") == (
        "`brew install libpq` and add it to PATH, or use `psycopg2-binary`.")
    assert plan.drafts[2].extra["reference"] == {
        "area": "Troubleshooting table", "cause": "No worker running",
        "solution": "Start one with `make worker`"}


def test_untuned_bug_journal_with_an_index_and_field_tables() -> None:
    plan = read("untuned-bug-journal.md")
    invoice, race, timeouts = plan.drafts
    # Fields from a `| Field | Value |` table; the words around values are kept.
    assert summary(invoice) == ("BUG-3", "medium", "resolved", None, date(2025, 4, 2),
                                date(2025, 4, 4))
    assert invoice.value("reporter") == "Tom"
    assert invoice.extra["legacy_status"] == "✅ Fixed (2025-04-04)"
    assert read_section(invoice.body, "Resolution") == "```css\ntbody { break-inside: auto; }\n```"
    assert summary(race) == ("BUG-4", "high", "in_progress", None, date(2025, 4, 10), None)
    assert read_section(race.body, "Notes").startswith("Happens only with more than 8 workers.")
    # What the entry does not say comes from the index table at the top.
    assert summary(timeouts)[:3] == ("BUG-6", "low", "wont_fix")
    assert timeouts.extra["legacy_reported"].endswith("the old reports page is removed in v3.")
    assert [(n.line, "placeholder title" in n.message) for n in plan.unreadable] == [(46, True)]


def test_index_rows_without_a_section_are_entries_of_their_own() -> None:
    text = ("# Log\n\n| ID | Title | Status |\n|---|---|---|\n"
            "| BUG-1 | Written out below | Open |\n| BUG-2 | Only in the index | Fixed |\n"
            "| BUG-3 |  | Open |\n\n"
            "## BUG-1: Written out below\n\n**Date:** 2026-01-05\n**Severity:** High\n")
    plan = read_log(text, CONFIG)
    assert [(d.line, d.legacy_id, d.title, d.value("status")) for d in plan.drafts] == [
        (6, "BUG-2", "Only in the index", "resolved"),
        (9, "BUG-1", "Written out below", "open"),
    ]
    assert [(n.line, "names no entry" in n.message) for n in plan.unreadable] == [(7, True)]


def test_windows_line_endings_read_the_same() -> None:
    text = (FIXTURES / "shape-register.md").read_text(encoding="utf-8")
    plain = read_log(text, CONFIG).drafts
    crlf = read_log(text.replace("\n", "\r\n"), CONFIG).drafts
    assert [(d.title, d.fields, d.extra, d.body) for d in crlf] == [
        (d.title, d.fields, d.extra, d.body) for d in plain]


_FRAGMENTS = [
    "# Log\n", "## Open Issues\n", "## Resolved Issues\n", "### Critical 🔴\n", "### Phase 2\n",
    "### [ISSUE-012] Title\n", "### ISSUE-3: Other\n", "### 4. Numbered\n", "## Issue 7: Seven\n",
    "### KI-004 – Dash\n", "### Error: Prefixed\n", "### Plain title\n", "#### Root Cause\n",
    "**Status:** 🟢 Resolved\n", "**Status**: Open\n", "**Severity:** 🟠 High\n",
    "**Date Found:** 2026-01-10\n", "**Date Resolved:** 2026-01-09\n", "**Date:** 10/01/2026\n",
    "**Date:** [TBD]\n", "- **Phase**: Phase 3\n", "- **Resolution**: fixed it\n",
    "**Description:**\n", "Some text.\n", "```\ncode\n```\n", "*None*\n", "<!-- comment -->\n",
    "| Issue | Cause | Solution |\n|---|---|---|\n| A | B | C |\n",
    "| ID | Title |\n|--|--|\n| X-1 | |\n",
    "---\n", "\n", "- item\n", "**Related Issues:** ISSUE-3, BUG-9\n", "**Type:** Unheard of\n",
    "*Last Updated: 2026-01-20*\n",
]


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=25))
def test_any_mix_of_shapes_gives_drafts_that_check_accepts(parts: list[str]) -> None:
    plan = read_log("".join(parts), CONFIG)
    for draft in plan.drafts:
        assert draft.title.strip()
        assert check_values(draft.fields, CONFIG) == []
        status = CONFIG.status(draft.fields["status"])
        assert status is not None and CONFIG.severity(draft.fields["severity"]) is not None
        reported, resolved = draft.value("reported"), draft.value("resolved")
        if draft.extra.get("reference_only"):
            # Knowledge from a reference table: never open work, no date the log does not give.
            assert not status.open and resolved is None
            assert reported in (None, date(2026, 1, 20))  # the log's Last Updated line, if any
            continue
        # A date the log does not give is declared unknown, never invented.
        assert isinstance(reported, date) != (draft.extra.get("reported_unknown") is True)
        assert reported != DAY
        assert (resolved is None) == (status.open or draft.extra.get("resolved_unknown") is True)
        if resolved is not None and reported is not None:
            assert as_date(resolved) >= as_date(reported)


def test_words_beside_values_are_never_dropped() -> None:
    text = ("## BUG-1: Thing\n\n"
            "**Date:** 2026-01-02 (during the release)\n"
            "**Type:** Flaky\n"
            "**Kind:** Nightly only\n"
            "**Related Issues:** BUG-2 (same root cause)\n\n"
            "- **Owner**: grace\n  - backup: bob\n")
    (draft,) = read_log(text, CONFIG).drafts
    assert draft.value("reported") == date(2026, 1, 2)
    assert draft.extra["legacy_reported"] == "2026-01-02 (during the release)"
    assert draft.extra["legacy_category"] == "Flaky; Nightly only"
    assert draft.related_legacy == ["BUG-2"]
    assert read_section(draft.body, "Related Issues") == "BUG-2 (same root cause)"
    assert draft.value("assignee") == "grace"
    assert read_section(draft.body, "Owner") == "- backup: bob"


def test_untuned_errors_grouped_by_month() -> None:
    plan = read("untuned-errors-by-month.md")
    assert [(d.title, d.value("reported")) for d in plan.drafts] == [
        ("`ModuleNotFoundError: No module named 'app'`", date(2025, 3, 3)),
        ("`sqlite3.OperationalError: database is locked`", date(2025, 3, 11)),
        ("Docker build runs out of disk", date(2025, 4, 2)),
    ]  # "Notes on debugging" has no fields: not an entry
    locked = plan.drafts[1]
    assert read_section(locked.body, "Resolution") == (
        'One database file per worker (`tmp_path / "db.sqlite"`).\n\n'
        "> Still happens on Windows sometimes.")
    assert plan.unreadable == []


def test_untuned_tracker_export_with_a_sub_heading_per_field() -> None:
    plan = read("untuned-tracker-export.md")
    cart, avatar = plan.drafts
    assert summary(cart) == ("PROJ-17", "high", "resolved", None, date(2024, 12, 1), None)
    assert read_section(cart.body, "Resolution") == (
        "Recompute the total server-side after applying codes.")
    assert summary(avatar) == ("PROJ-21", "low", "in_progress", None, None, None)
    assert avatar.extra["reported_unknown"] is True
    assert "Status" not in avatar.body and "Priority" not in avatar.body


def test_a_word_like_utf_8_is_not_taken_for_an_id() -> None:
    text = ("## UTF-8 decoding fails on import\n\n**Date:** 2026-01-02\n**Fix:** decode as utf-8\n\n"
            "## BUG-7 Spaces in paths\n\n**Date:** 2026-01-03\n**Fix:** quote them\n\n"
            "## BUG-9 Tabs in paths\n\n**Date:** 2026-01-04\n**Fix:** quote them too\n")
    plan = read_log(text, CONFIG)
    assert [(d.legacy_id, d.title) for d in plan.drafts] == [
        ("", "UTF-8 decoding fails on import"), ("BUG-7", "Spaces in paths"),
        ("BUG-9", "Tabs in paths")]
