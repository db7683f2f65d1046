"""A killed import loses nothing for good, and `--dry-run` refuses what the import refuses."""

from __future__ import annotations

import json
import shutil
import signal
import textwrap
from pathlib import Path
from typing import Any

import pytest

from issuelog.core.cache import load_issues
from issuelog.core.config import load_config
from tests.conftest import Invoke
from tests.test_interrupted_writes import run_issuelog, start_issuelog

LINKED_LOG = textwrap.dedent("""\
    # Bug log

    ## BUG-1: Crash on save

    **Status:** Open
    **Related Issues:** BUG-2, BUG-3

    ## BUG-2: Autosave corrupts drafts

    **Status:** Open
    **Related:** BUG-1

    ## BUG-3: Disk full is not reported

    **Status:** Open

    ## BUG-4: Slow start

    **Status:** Open
    **Related Issues:** BUG-3, BUG-99
    """)

# Kill the process right after its Nth file publication (a new file linked into place, or an
# edited one renamed over the old): the moments at which a multi-step command can be cut short.
KILL_AT_WRITE = """\
import os, signal
_count = [0]
def _counted(real):
    def wrapper(*args, **kwargs):
        real(*args, **kwargs)
        _count[0] += 1
        if _count[0] == {n}:
            os.kill(os.getpid(), signal.SIGKILL)
    return wrapper
os.link = _counted(os.link)
os.replace = _counted(os.replace)
"""


def links(project: Path) -> dict[str, tuple[list[str], Any]]:
    """Each issue's title, `related` and `legacy_related`."""
    result = load_issues(load_config(project))
    assert [str(p) for p in result.problems] == []
    return {issue.title: (issue.related, issue.extra.get("legacy_related"))
            for issue in result.issues}


@pytest.mark.slow  # strace kills at every write: several seconds
def test_an_import_killed_at_each_write_is_completed_by_running_it_again(project: Path) -> None:
    (project / "bugs.md").write_text(LINKED_LOG, encoding="utf-8")
    pristine = project.parent / "pristine"
    shutil.copytree(project, pristine)
    assert run_issuelog(project, "import", "bugs.md").returncode == 0
    expected = links(project)
    assert expected["Crash on save"] == (["ISSUE-002", "ISSUE-003"], None)
    assert expected["Slow start"] == (["ISSUE-003"], ["BUG-99"])
    killed = 0
    for n in range(1, 30):
        trial = project.parent / f"trial-{n}"
        shutil.copytree(pristine, trial)
        process = start_issuelog(trial, "import", "bugs.md", patch=KILL_AT_WRITE.format(n=n))
        if process.wait(timeout=60) != -signal.SIGKILL:
            break  # the import finished before its Nth write: every write has been a kill point
        killed += 1
        again = run_issuelog(trial, "import", "bugs.md")
        assert again.returncode == 0, again.stderr
        assert links(trial) == expected, f"killed at write {n}"
        assert run_issuelog(trial, "check").returncode == 0
    assert killed >= 7  # four new files and three link edits, at the least


def test_a_lost_link_is_restored_by_importing_again(project: Path, cli: Invoke) -> None:
    (project / "bugs.md").write_text(LINKED_LOG, encoding="utf-8")
    cli("import", "bugs.md")
    cli("set", "1", "related=")  # as an import killed before linking left it
    again = cli("import", "bugs.md")
    assert "linked ISSUE-001" in again.stderr
    assert links(project)["Crash on save"] == (["ISSUE-002", "ISSUE-003"], None)
    # Nothing left to do: a third run changes no file.
    before = {p.name: p.read_bytes() for p in (project / "issues").iterdir()}
    cli("import", "bugs.md")
    assert {p.name: p.read_bytes() for p in (project / "issues").iterdir()} == before


# --- limits: the dry run refuses what the import refuses -----------------------------------------

def _both(cli: Invoke, name: str, code: int) -> tuple[str, str]:
    """The messages of `import --dry-run` and of `import`, which must exit alike."""
    dry = cli("import", name, "--dry-run", code=code)
    real = cli("import", name, code=code)
    return dry.stderr, real.stderr


def test_a_title_too_long_is_refused_alike_with_its_line(project: Path, cli: Invoke) -> None:
    title = "Word " * 120
    (project / "log.md").write_text(f"# Log\n\n## BUG-1: Fine\n\n**Status:** Open\n\n"
                                    f"## BUG-2: {title}\n\n**Status:** Open\n", encoding="utf-8")
    dry, real = _both(cli, "log.md", 2)
    message = "log.md:7: title is 599 characters long; the limit is 500"
    assert message in dry and message in real
    assert "Traceback" not in dry + real
    assert list((project / "issues").iterdir()) == []  # nothing imported


@pytest.mark.parametrize("digits", [300, 5000])
def test_a_huge_legacy_id_is_kept_as_text_and_the_issue_gets_the_next_id(
        project: Path, cli: Invoke, digits: int) -> None:
    huge = "9" * digits
    (project / "log.md").write_text(f"# Log\n\n## ISSUE-{huge}: Huge\n\n**Status:** Open\n\n"
                                    f"## BUG-{huge}: Other\n\n**Status:** Open\n",
                                    encoding="utf-8")
    drafts = json.loads(cli("import", "log.md", "--dry-run", "--format", "json").stdout)
    assert [(d["id"], len(d["legacy_id"])) for d in drafts] == [
        ("ISSUE-001", digits + 6), ("ISSUE-002", digits + 4)]
    created = json.loads(cli("import", "log.md", "--format", "json").stdout)
    assert [row["id"] for row in created] == ["ISSUE-001", "ISSUE-002"]
    cli("check")


# --- the old log after the import ----------------------------------------------------------------

def test_the_old_log_is_kept_untouched_by_default(project: Path, cli: Invoke) -> None:
    (project / "bugs.md").write_text(LINKED_LOG, encoding="utf-8")
    cli("import", "bugs.md")
    assert (project / "bugs.md").read_text(encoding="utf-8") == LINKED_LOG


def test_the_old_log_can_be_deleted_or_replaced_by_a_link(project: Path, cli: Invoke) -> None:
    (project / "docs").mkdir()
    (project / "docs" / "bugs.md").write_text(LINKED_LOG, encoding="utf-8")
    (project / "other.md").write_text(LINKED_LOG.replace("BUG-", "OLD-"), encoding="utf-8")
    linked = cli("import", "docs/bugs.md", "--old-log", "link")
    assert "replaced docs/bugs.md with a link to ISSUES.md" in linked.stderr
    assert (project / "docs" / "bugs.md").read_text(encoding="utf-8") == (
        "# Bug log\n\nThis log has moved: each entry is now an issue file under "
        "[../issues/](../issues/), and all of them are listed in [ISSUES.md](../ISSUES.md). "
        "The old text is in the version history.\n")
    deleted = cli("import", "other.md", "--old-log", "delete")
    assert "deleted other.md" in deleted.stderr and not (project / "other.md").exists()
    assert len(list((project / "issues").iterdir())) == 8
    cli("check")


def test_a_log_with_unreadable_headings_is_kept(project: Path, cli: Invoke) -> None:
    text = "# Log\n\n## 1. Crash\n\n**Status:** Open\n**Cause:** x\n\n## 2. Empty one\n"
    (project / "log.md").write_text(text, encoding="utf-8")
    refused = cli("import", "log.md", "--old-log", "delete", code=2)
    assert "log.md: kept, not deleted: 1 heading(s) could not be imported" in refused.stderr
    assert (project / "log.md").read_text(encoding="utf-8") == text
    assert list((project / "issues").iterdir()) == []  # refused before anything was imported
    bad = cli("import", "log.md", "--old-log", "burn", code=2)
    assert "burn" in bad.stderr and "Traceback" not in bad.stderr
