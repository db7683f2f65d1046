"""ISSUES.md for teams: it depends on the issue files only, stays bounded, and one change to one
issue moves only a few of its lines."""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from issuelog.core.cache import load_issues
from issuelog.core.config import Config, load_config
from issuelog.core.model import Issue
from issuelog.errors import ConfigError
from issuelog.log.export import export_html
from issuelog.log.render import render_log
from tests.conftest import Invoke, issue_text, make_tree

ROOT = Path(__file__).resolve().parent.parent
FAKE_CLOCK = Path(__file__).parent / "fake_clock"
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate  # noqa: E402


def _write(project: Path, number: int, severity: str = "critical", status: str = "open",
           reported: str = "2026-01-10", extra: str = "", title: str | None = None) -> None:
    make_tree(project, {f"issues/ISSUE-{number:03d}.md": issue_text(
        f"ISSUE-{number:03d}", title or f"Issue {number}", status, severity, reported, extra)})


def _changed(before: str, after: str) -> tuple[int, int]:
    """Lines added and deleted from `before` to `after`, as `git diff --numstat` counts them."""
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0))
    added = sum(1 for line in diff if line.startswith("+") and not line.startswith("+++"))
    deleted = sum(1 for line in diff if line.startswith("-") and not line.startswith("---"))
    return added, deleted


# --- caps ------------------------------------------------------------------------------------------

def test_a_capped_table_shows_the_newest_and_says_exactly_how_many_more(
        project: Path, cli: Invoke) -> None:
    (project / "issuelog.toml").write_text('project = "Demo"\nlog_rows = 3\n')
    for number, day in zip(range(1, 6), (11, 12, 12, 13, 13), strict=True):
        _write(project, number, reported=f"2026-01-{day}")
    _write(project, 6, severity="low")
    cli("render")
    text = (project / "ISSUES.md").read_text()
    critical = text.split("### Critical 🔴", 1)[1].split("###", 1)[0]
    # Newest first, a day's issues in ID order, as the command below lists them.
    assert re.findall(r"\[(ISSUE-\d+)\]", critical) == ["ISSUE-004", "ISSUE-005", "ISSUE-002"]
    more = "*The 3 newest reported of 5 are shown; 2 more: " \
           "`issuelog list --severity=critical --sort=-reported`.*"
    assert more in critical
    assert "| 🔴 Open | 6 |" in text and "| **Total** | **6** |" in text  # counts stay exact
    assert '"🔴 Critical" : 5' in text
    low = text.split("### Low 🟢", 1)[1].split("---", 1)[0]
    assert "more:" not in low  # a table under the cap has no such line
    # The command the line names lists all five, in the table's order.
    listed = cli("list", "--severity=critical", "--sort=-reported").stdout
    assert re.findall(r"ISSUE-\d+", listed) == [f"ISSUE-00{n}" for n in (4, 5, 2, 3, 1)]


def test_resolved_and_closed_tables_keep_the_most_recently_closed(
        project: Path, cli: Invoke) -> None:
    for number in range(1, 5):
        _write(project, number, status="resolved", reported="2026-01-01",
               extra=f"resolved: 2026-02-0{5 - number}\nphase: Phase 1")
    _write(project, 5, status="wont_fix", extra="resolved: 2026-02-01")
    _write(project, 6, status="wont_fix", extra="resolved: 2026-02-03")
    config = Config(root=project, phases=("Phase 1",), log_rows=2)
    text = render_log(load_issues(config).issues, config)
    resolved = text.split("## Resolved Issues", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"\[(ISSUE-\d+)\]", resolved) == ["ISSUE-001", "ISSUE-002"]
    assert "2 more: `issuelog list --status=resolved '--phase=Phase 1' --sort=-resolved`" in resolved
    closed = text.split("## Won't Fix", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"\[(ISSUE-\d+)\]", closed) == ["ISSUE-006", "ISSUE-005"]
    assert "more:" not in closed
    # Issues without a phase: `--phase=` lists exactly them.
    for number in range(7, 10):
        _write(project, number, status="resolved", extra=f"resolved: 2026-03-0{number - 6}")
    (project / "issuelog.toml").write_text('phases = ["Phase 1"]\nlog_rows = 2\n')
    cli("render")
    no_phase = (project / "ISSUES.md").read_text().split("### No phase", 1)[1].split("###", 1)[0]
    command = "issuelog list --status=resolved --phase= --sort=-resolved"
    assert f"1 more: `{command}`" in no_phase
    listed = cli(*command.split()[1:]).stdout
    assert re.findall(r"ISSUE-\d+", listed) == ["ISSUE-009", "ISSUE-008", "ISSUE-007"]


def test_log_rows_zero_shows_every_row_and_a_negative_value_is_refused(project: Path) -> None:
    for number in range(1, 61):
        _write(project, number)
    config = Config(root=project, log_rows=0)
    text = render_log(load_issues(config).issues, config)
    assert len(re.findall(r"^\| \[ISSUE-\d+\]", text, re.M)) == 60 and "more:" not in text
    default = render_log(load_issues(Config(root=project)).issues, Config(root=project))
    assert len(re.findall(r"^\| \[ISSUE-\d+\]", default, re.M)) == 50
    assert "10 more:" in default
    (project / "issuelog.toml").write_text("log_rows = -1\n")
    with pytest.raises(ConfigError, match="'log_rows' must be 0"):
        load_config(project)


def _many(count: int) -> list[Issue]:
    """`count` issues in memory, as `bench/generate.py` spreads them over 700 days."""
    statuses = ("open", "in_progress", "resolved", "resolved", "resolved", "wont_fix", "duplicate")
    issues = []
    for number in range(1, count + 1):
        reported = date(2024, 1, 1) + timedelta(days=number * 7 % 700)
        status = statuses[number * 5 % len(statuses)]
        issues.append(Issue(
            path=Path(f"issues/ISSUE-{number:03d}-a-title-of-some-length.md"), id=f"ISSUE-{number:03d}",
            title=f"Export job {number} times out after restart", status=status,
            severity=("critical", "high", "medium", "low")[number * 3 % 4],
            phase=f"Phase {number % 12 + 1}", category="performance", component=f"c{number % 17}",
            reported=reported, resolved=None if status in ("open", "in_progress")
            else reported + timedelta(days=number % 30), assignee="Grace",
            reference={"area": f"Area {number % 5}", "cause": "A cause.", "solution": "A fix."}
            if number % 3 == 0 else None))
    return issues


@pytest.mark.parametrize("count", [10_000, pytest.param(100_000, marks=pytest.mark.slow)])
def test_the_log_stays_small_and_every_count_exact_at_any_size(count: int) -> None:
    text = render_log(_many(count), Config(phases=tuple(f"Phase {n}" for n in range(1, 13))))
    assert len(text.encode()) < 500_000
    assert f"| **Total** | **{count}** |" in text
    # Every "more" line adds up with its rows to the figure the pie gives for that severity.
    for label, figure in re.findall(r'"\S+ (\w+)" : (\d+)', text):
        section = text.split(f"### {label} ", 1)[1].split("\n### ", 1)[0]
        rows = len(re.findall(r"^\| \[ISSUE-\d+\]", section, re.M))
        more = re.search(r"; (\d+) more:", section)
        assert rows == 50 and more is not None and rows + int(more.group(1)) == int(figure)


# --- independent of the date and of unrelated issues ----------------------------------------------

def _render_at(project: Path, day: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run issuelog in a process whose clock says `day` (tests/fake_clock/sitecustomize.py)."""
    env = {**os.environ, "FAKE_TODAY": day,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(FAKE_CLOCK), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "issuelog", *arguments], cwd=project, env=env,
                          capture_output=True, text=True, check=True)


def test_rendering_does_not_depend_on_today(project: Path) -> None:
    _write(project, 1, reported="2026-01-05")
    _write(project, 2, status="resolved", reported="2026-01-06", extra="resolved: 2026-01-09")
    # The fake clock works: a new issue is filed on the day it says.
    created = _render_at(project, "2026-01-20", "new", "Filed under a fake clock",
                         "--severity", "low").stdout.strip()
    assert "reported: 2026-01-20" in (project / created).read_text()
    outputs = []
    for day in ("2026-01-21", "2026-04-30", "2031-07-04"):
        (project / "ISSUES.md").unlink(missing_ok=True)
        subprocess.run(["rm", "-rf", ".issuelog"], cwd=project, check=True)  # no cached log
        _render_at(project, day, "render")
        outputs.append((project / "ISSUES.md").read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    _render_at(project, "2032-01-01", "render", "--check")  # still up to date years later


def test_an_unrelated_old_issue_moves_no_row_of_the_others(project: Path) -> None:
    for number in range(1, 6):
        _write(project, number, severity=("critical", "high", "medium", "low", "high")[number - 1],
               reported=f"2026-02-0{number}", extra=f"component: c{number}")
    config = Config(root=project)
    before = render_log(load_issues(config).issues, config)
    _write(project, 6, severity="low", reported="2026-02-10", extra="component: c9")
    after = render_log(load_issues(config).issues, config)
    added, deleted = _changed(before, after)
    # The new row, Open and Total, the week's bar, the phase table's "No phase" and Total rows,
    # the new component row; the pie's Low slice, which moves up to second place, and the colour
    # list that follows the slices' order. No other row of an issue moves.
    assert (added, deleted) == (9, 7)


def test_one_issue_changes_move_at_most_twelve_lines_of_two_hundred(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Invoke) -> None:
    generate(tmp_path, 200)
    monkeypatch.chdir(tmp_path)
    config = load_config(tmp_path)
    issues = load_issues(config, bodies=False).issues
    newest = max(str(d)[:10] for i in issues for d in (i.reported, i.resolved) if d is not None)
    today = (date.fromisoformat(newest) + timedelta(days=1)).isoformat()
    open_ids = sorted((str(i.reported)[:10], int(i.id.split("-")[1]), i.id)
                      for i in issues if i.status in ("open", "in_progress"))
    cli("render")
    base = {path: path.read_bytes() for path in (tmp_path / "issues").iterdir()}
    baseline = (tmp_path / "ISSUES.md").read_text()
    changes = {
        "resolve": ["resolve", open_ids[-1][2], "--date", today],
        "resolve an old one": ["resolve", open_ids[0][2], "--date", today],
        "new": ["new", "A fresh problem", "--severity", "high", "--date", today],
        "set assignee": ["set", open_ids[-1][2], "assignee=Zoe"],
    }
    for name, command in changes.items():
        for path in (tmp_path / "issues").iterdir():
            if path not in base:
                path.unlink()
        for path, data in base.items():
            path.write_bytes(data)
        cli(*command)
        cli("render")
        added, deleted = _changed(baseline, (tmp_path / "ISSUES.md").read_text())
        assert max(added, deleted) <= 12, (name, added, deleted)
        assert (added, deleted) != (0, 0), name
        if name == "set assignee":
            assert (added, deleted) == (1, 1)


# --- what readers see -----------------------------------------------------------------------------

def test_a_code_span_in_a_title_keeps_its_angle_brackets(project: Path) -> None:
    _write(project, 1, title='"Parsing `<str>` fails for <b> tags | pipes"')
    config = Config(root=project)
    text = render_log(load_issues(config).issues, config)
    # GitHub shows a code span's text as it is: `&lt;` there would show as "&lt;".
    assert "| Parsing `<str>` fails for &lt;b&gt; tags \\| pipes |" in text
    page = export_html(load_issues(config).issues, config, today=date(2026, 2, 1))
    assert "Parsing <code>&lt;str&gt;</code> fails for &lt;b&gt; tags | pipes" in page
    assert "`" not in page.split('<section id="open-issues">', 1)[1].split("</section>", 1)[0]


def test_open_tables_show_status_and_the_page_counts_ages_to_today(project: Path) -> None:
    _write(project, 1, status="in_progress", reported="2026-01-10")
    config = Config(root=project)
    text = render_log(load_issues(config).issues, config)
    assert "| ID | Title | Status | Phase | Component | Found | Assignee |" in text
    assert "| 🟡 In Progress |" in text
    page = export_html(load_issues(config).issues, config, today=date(2026, 1, 31))
    assert '<td class="date">2026-01-10</td><td class="number">21</td>' in page
    assert '<td class="id"><a href="#ISSUE-001">ISSUE-001</a></td>' in page
    assert "td.id, td.date, span.id { white-space: nowrap; }" in page
    later = export_html(load_issues(config).issues, config, today=date(2026, 2, 10))
    assert '<td class="number">31</td>' in later


def test_the_page_hides_the_unfilled_sections_of_the_issue_template(project: Path) -> None:
    body = ("## Description\n\nIt broke.\n\n## Root Cause\n\n<!-- Fill in. -->\n\n"
            "## Resolution\n\n<!-- Fill in when resolved. -->\n\n### Notes\n\n"
            "## Prevention\n\n### Tests\n\nA regression test.\n")
    make_tree(project, {"issues/ISSUE-001.md": issue_text(body=body)})
    config = Config(root=project)
    page = export_html(load_issues(config).issues, config, today=date(2026, 2, 1))
    article = page.split('<article class="issue"', 1)[1]
    assert "Description" in article and "Prevention" in article and "Tests" in article
    for empty in ("Root Cause", "Resolution", "Notes", "Fill in"):
        assert empty not in article


def test_reference_cells_keep_their_code_spans(project: Path) -> None:
    make_tree(project, {"issues/ISSUE-001.md": issue_text(
        status="resolved", extra='resolved: 2026-01-11\n'
        'reference: {area: DB, cause: "`pg` <down>", solution: "`make up`"}')})
    config = Config(root=project)
    text = render_log(load_issues(config).issues, config)
    assert "| Something broke ([ISSUE-001](issues/ISSUE-001.md)) | `pg` &lt;down&gt; | `make up` |" \
        in text
    page = export_html(load_issues(config).issues, config)
    assert "<td><code>pg</code> &lt;down&gt;</td><td><code>make up</code></td>" in page


def test_render_counts_issues_as_the_total_does(project: Path, cli: Invoke) -> None:
    _write(project, 1)
    _write(project, 2, status="resolved", extra="resolved: 2026-01-12")
    make_tree(project, {"issues/ISSUE-003.md": "---\nid: ISSUE-003\ntitle: Refused\n"
                        "status: resolved\nseverity: medium\nreference_only: true\n"
                        "reference: {area: DB, cause: x, solution: y}\n---\n"})
    result = cli("render")
    assert "wrote ISSUES.md (2 issues, 1 reference-only entry)" in result.stderr
    assert "| **Total** | **2** |" in (project / "ISSUES.md").read_text()
    assert "up to date (2 issues, 1 reference-only entry)" in cli("render").stderr
