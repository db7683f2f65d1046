"""The shapes of hand-kept logs that import used to get wrong, each with the exact drafts it gives.

Each fixture under `tests/fixtures/import/shapes/` is one shape, written in a few of the ways
real logs write it; its `import --dry-run --format json` output is kept in
`tests/golden/import/`. Refresh those after an intended change with
`ISSUELOG_UPDATE_GOLDEN=1 python -m pytest tests/test_import_shapes.py`, and read the diff.
The tests below the golden one name what each shape must get right.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Invoke

SHAPES = Path(__file__).parent / "fixtures" / "import" / "shapes"
GOLDEN = Path(__file__).parent / "golden" / "import"


def drafts_of(project: Path, cli: Invoke, name: str) -> list[dict[str, Any]]:
    """The drafts `import --dry-run --format json` shows for one shape fixture."""
    shutil.copy(SHAPES / name, project / name)
    result = cli("import", name, "--dry-run", "--format", "json")
    drafts: list[dict[str, Any]] = json.loads(result.stdout)
    return drafts


def by_title(drafts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {draft["title"]: draft for draft in drafts}


@pytest.mark.parametrize("name", sorted(path.name for path in SHAPES.glob("*.md")))
def test_each_shape_gives_exactly_its_golden_drafts(project: Path, cli: Invoke, name: str) -> None:
    drafts = drafts_of(project, cli, name)
    golden = GOLDEN / name.replace(".md", ".json")
    text = json.dumps(drafts, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("ISSUELOG_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
    # No draft has an invented date: each one is stated by the log or declared unknown.
    for draft in drafts:
        for key in ("reported", "resolved"):
            if draft[key] is None and not draft["reference_only"]:
                assert draft["kept"].get(f"{key}_unknown") is True or (
                    key == "resolved" and draft["status"] in ("open", "in_progress"))


def test_1_summary_rows_with_bare_numbers_join_their_sections(project: Path, cli: Invoke) -> None:
    drafts = drafts_of(project, cli, "01-summary-bare-numbers.md")
    assert [(d["legacy_id"], d["title"]) for d in drafts] == [
        ("Bug #01", "Double charge on retry"), ("Bug #2", "Refund stuck pending"),
        ("Bug 03", "Receipt has wrong currency")]
    double, refund, _ = drafts
    assert (double["status"], double["component"]) == ("resolved", "Checkout")
    assert "## Notes\n\nSeen twice in prod" in double["body"]
    assert (refund["severity"], refund["status"]) == ("high", "open")


def test_2_shortened_titles_in_a_tracking_table(project: Path, cli: Invoke) -> None:
    drafts = by_title(drafts_of(project, cli, "02-tracking-short-titles.md"))
    assert sorted(drafts) == ["Admin panel exposed", "Missing TLS on internal endpoints",
                              "Weak session identifiers in the legacy app"]
    assert drafts["Missing TLS on internal endpoints"]["status"] == "in_progress"


def test_3_planned_work_is_not_imported(project: Path, cli: Invoke) -> None:
    shutil.copy(SHAPES / "03-roadmap-groups.md", project / "log.md")
    result = cli("import", "log.md", "--dry-run", "--format", "json")
    # A bug in the backlog (it has a severity and steps) is still an issue.
    assert [d["title"] for d in json.loads(result.stdout)] == [
        "Export drops the last row", "Crash when the export is empty"]
    assert ("log.md:14: 'Multi-tenant billing' is planned work under 'Roadmap', not an issue; "
            "not imported") in result.stderr
    assert "log.md:44: 'Export to PDF' is planned work under 'Backlog'" in result.stderr


def test_4_fields_that_go_on_over_several_lines(project: Path, cli: Invoke) -> None:
    worker, timezone, price = drafts_of(project, cli, "04-continuation-fields.md")
    # An exception name in a value is not a label of its own.
    assert price["sections"] == ["Error Message / Stack Trace"]
    assert "ValueError: could not convert" in price["body"]
    body = worker["body"]
    assert "## Steps to Reproduce\n\n1. Upload a 3 GB file\n2. Wait" in body
    assert "before the size check, so the OOM killer ended the worker." in body
    assert "Streaming replaced the full read.\n\nAnd the size check now runs first." in body
    assert body.index("## Resolution") < body.index("Streaming") < body.index("## Prevention")
    assert "## Impact\n\nDaily totals are\noff by one day" in timezone["body"]


def test_5_and_6_labelled_parts_of_a_solution_stay_in_it(project: Path, cli: Invoke) -> None:
    (queue,) = drafts_of(project, cli, "05-numbered-bold-solution.md")
    assert queue["sections"] == ["Description", "Resolution", "Prevention"]
    assert "1. **Retry Handler:**" in queue["body"] and "3. **Consumer restart**" in queue["body"]
    (users,) = drafts_of(project, cli, "06-empty-solution-bold-labels.md")
    assert users["sections"] == ["Description", "Resolution"]
    assert "**Backend (api/users.py:40-52):**\nFilter" in users["body"]


def test_7_bold_list_items_stay_in_their_field(project: Path, cli: Invoke) -> None:
    (perf,) = drafts_of(project, cli, "07-bold-list-items-in-field.md")
    assert perf["sections"] == ["Root Cause", "Impact"]
    assert "1. **Missing index on orders**" in perf["body"]
    assert perf["body"].index("1. **Missing") < perf["body"].index("3. **No caching")


def test_8_text_after_the_last_entry_is_not_attached(project: Path, cli: Invoke) -> None:
    drafts = drafts_of(project, cli, "08-trailing-text.md")
    assert drafts[-1]["body"] == "## Description\n\nExports now stream."


def test_9_severity_and_priority_are_both_kept(project: Path, cli: Invoke) -> None:
    stampede, typo = drafts_of(project, cli, "09-severity-and-priority.md")
    assert (stampede["severity"], stampede["kept"]["legacy_priority"]) == ("critical", "P2")
    assert (typo["severity"], typo["kept"]["legacy_priority"]) == ("low", "Low")


def test_10_dates_from_enclosing_headings(project: Path, cli: Invoke) -> None:
    drafts = drafts_of(project, cli, "10-heading-dates.md")
    assert [d["reported"] for d in drafts] == ["2024-03-11", "2024-03-11", "2024-03-12"]


def test_11_month_only_dates_are_kept_not_invented(project: Path, cli: Invoke) -> None:
    backup, cron, rotation = drafts_of(project, cli, "11-month-only-dates.md")
    assert backup["kept"]["legacy_reported"] == "2024-11"
    assert backup["kept"]["legacy_resolved"] == "2024-12"
    assert backup["reported"] is backup["resolved"] is None
    assert cron["kept"]["legacy_reported"] == "Nov 2024"
    assert rotation["kept"]["legacy_reported"] == "2024/10"


def test_12_a_dated_history_table_is_resolved_issues(project: Path, cli: Invoke) -> None:
    crash, tabs, decode, empty = drafts_of(project, cli, "12-bug-history-table.md")
    assert (crash["resolved"], crash["reference_only"], crash["status"]) == (
        "2024-01-15", False, "resolved")
    assert tabs["resolved"] == "2024-02-02"
    assert decode["reference_only"] and empty["reference_only"]  # no dates: knowledge


def test_13_file_lists_with_notes(project: Path, cli: Invoke) -> None:
    loader, health = drafts_of(project, cli, "13-file-lists-with-notes.md")
    assert loader["files"] == ["src/config/loader.py", "src/config/watch.py",
                               "tests/test_reload.py"]
    assert "closes the old watcher, adds a lock" in loader["body"]
    assert health["files"] == ["deploy/health.yaml", "src/health.py"]


def test_14_compound_ids(project: Path, cli: Invoke) -> None:
    drafts = drafts_of(project, cli, "14-compound-ids.md")
    assert [(d["legacy_id"], d["title"]) for d in drafts] == [
        ("BUG-004/009", "Session expires during checkout"), ("BUG-010, BUG-011", "Duplicate emails"),
        ("BUG-012/BUG-013", "Slow search")]


def test_15_grouping_headings_are_kept(project: Path, cli: Invoke) -> None:
    slow, dns, admin = drafts_of(project, cli, "15-h2-grouping.md")
    assert slow["category"] == "performance"
    assert dns["kept"]["legacy_group"] == "Networking Problems"
    assert admin["kept"]["legacy_group"] == "Known design limits"


def test_16_label_variants_map_to_standard_sections(project: Path, cli: Invoke) -> None:
    certs, prices, glob, memory = drafts_of(project, cli, "16-label-variants.md")
    assert certs["sections"] == ["Description", "Root Cause", "Resolution"]
    assert certs["files"] == ["deploy/certs/rotate.sh"]
    assert prices["sections"] == ["Description", "Root Cause", "Resolution"]
    assert prices["resolved"] == "2024-05-02"  # from `### ✅ FIX APPLIED (2024-05-02)`
    assert glob["sections"] == ["Description", "Resolution"] and glob["files"] == [
        "jobs/import.py"]
    assert "**Day 3 fix:** Restart" in memory["body"]
    assert "**Fix (after release):** Bound the cache." in memory["body"]


def test_17_records_repeat_their_labels_instead_of_headings(project: Path, cli: Invoke) -> None:
    shutil.copy(SHAPES / "17-records-without-headings.md", project / "log.md")
    result = cli("import", "log.md", "--dry-run", "--format", "json")
    crash, login, uploads, thumbnails = json.loads(result.stdout)
    assert (crash["title"], crash["sections"]) == (
        "App crashes on launch after update", ["Root Cause", "Resolution"])
    assert login["title"] == "Login times out"
    # A long first value is the description; its first words are the title.
    assert uploads["title"].startswith("Uploads over 2 GB stall") and uploads["title"].endswith(
        "...")
    assert "the buffer disk fills up." in uploads["body"]
    assert uploads["reported"] == thumbnails["reported"] == "2024-06-03"
    assert "log.md:3: text under 'Troubleshooting notes' before its first record" in result.stderr
