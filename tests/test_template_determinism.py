"""A project template cannot make ISSUES.md depend on anything but the issue files, config and templates.

The clock, random values, the order of sets (hash randomisation), memory addresses and the place
the project is checked out at are all refused or turned into data, end to end through the CLI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from issuelog.core.cache import load_issues
from issuelog.core.config import builtin_templates_dir, load_config
from issuelog.core.model import parse_issue
from issuelog.log.export import export_html
from issuelog.log.render import render_log
from tests.conftest import Invoke, files_snapshot, issue_text, make_tree

GOLDEN = Path(__file__).parent / "golden" / "ISSUES.md"

#: A construct a template might use, and what the refusal must say about it.
REFUSED = {
    "date today": ("{{ issue.reported.today() }}", "'today' reads the clock"),
    "datetime now": ("{{ issue.last_seen.now() }}", "'now' reads the clock"),
    "datetime utcnow": ("{{ issue.last_seen.utcnow() }}", "'utcnow' reads the clock"),
    "fromtimestamp": ("{{ issue.reported.fromtimestamp(0) }}", "'fromtimestamp' reads the clock"),
    "timestamp of a naive time": ("{{ issue.last_seen.timestamp() }}", "'timestamp' reads the clock"),
    "local time zone": ("{{ issue.last_seen.astimezone() }}", "'astimezone' reads the clock"),
    "clock through a subscript": ("{{ issue.reported['today']() }}", "'today' reads the clock"),
    "clock through attr": ("{{ (issue.reported | attr('today'))() }}", "'today' reads the clock"),
    "clock of the newest date": ("{{ summary.last_updated.today() }}", "'today' reads the clock"),
    "epoch seconds from strftime": ("{{ issue.reported.strftime('%s') }}", "'%s' in a date format"),
    "epoch seconds from format": ("{{ '{:%-s}'.format(issue.reported) }}", "'%s' in a date format"),
    "random filter": ("{{ issues | random }}", "the 'random' filter gives a different result"),
    "lipsum": ("{{ lipsum(1) }}", "lipsum() gives a different result"),
    "a helper's address": ("{{ link }}", "cannot print a Helper, which prints as its memory address"),
    "an address joined with ~": ("{{ 'age: ' ~ age }}", "cannot print a Helper"),
    "a method's address": ("{{ issue.title.upper }}", "cannot print a builtin_function_or_method"),
    "an object without text": ("{{ cycler('a', 'b') }}", "cannot print a Cycler"),
    "an address through format": ("{{ 'see {}'.format(link) }}", "cannot print a Helper"),
    "an address through %": ("{{ 'see %s' % (age,) }}", "cannot print a Helper"),
    "an address through a text filter": ("{{ link | upper }}", "cannot print a Helper"),
    "an address through join": ("{{ [link, age] | join(', ') }}", "cannot print a Helper"),
    "an address through join's attribute": ("{{ issues | join(attribute='title.upper') }}",
                                            "cannot print a builtin_function_or_method"),
    "an address through a log filter": ("{{ link | status_cell }}", "cannot print a Helper"),
    "an issue in a table cell": ("{{ issue | cell }}", "cannot print an absolute path"),
    "an issue object": ("{{ issue }}", "cannot print an absolute path"),
    "an issue as a string": ("{{ issue | string }}", "cannot print an absolute path"),
}


@pytest.fixture
def templated_project(project: Path) -> Path:
    """A project with a resolved and an open issue and a templates directory of its own."""
    make_tree(project, {
        "issues/ISSUE-001-a.md": issue_text(extra="""
            last_seen: 2026-01-12 09:30
            tags: [db, startup]
            labels: !!set {zeta, alpha, mid, omega, beta, kappa}
        """),
        "issues/ISSUE-002-b.md": issue_text("ISSUE-002", status="resolved",
                                            extra="resolved: 2026-01-11"),
    })
    (project / ".issuelog" / "templates").mkdir(parents=True)
    return project


def _use_template(project: Path, text: str) -> None:
    (project / ".issuelog" / "templates" / "ISSUES.md.j2").write_text(text, encoding="utf-8")


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_nondeterministic_construct_is_refused_with_its_line(
    templated_project: Path, cli: Invoke, name: str
) -> None:
    construct, reason = REFUSED[name]
    _use_template(templated_project, "# Log\n{% set issue = issues[0] %}\n" + construct + "\n")
    before = files_snapshot(templated_project)
    result = cli("render", code=1)
    template = Path(".issuelog", "templates", "ISSUES.md.j2")  # shown from the current directory
    assert result.stderr.startswith(f"issuelog: {template}:3: refused by the sandbox: "), result.stderr
    assert reason in result.stderr
    assert "ISSUES.md must depend only on the issue files" in result.stderr
    assert "Traceback" not in result.output and len(result.stderr.splitlines()) == 1
    assert files_snapshot(templated_project) == before


def test_dates_paths_sets_and_filters_still_give_their_data(templated_project: Path, cli: Invoke) -> None:
    _use_template(templated_project, "\n".join([
        "{% set issue = issues[0] %}",
        "{{ issue.reported.replace(day=1) }} {{ issue.last_seen.strftime('%d.%m.%Y %H:%M') }}",
        "{{ summary.last_updated }} {{ summary.last_updated.isoformat() }}",
        "{{ issues | map(attribute='id') }} {{ issues | reverse | map(attribute='id') | join(',') }}",
        "{{ issue.path }} {{ issue['path'].parts }} {{ (issue | attr('path')).name }}",
        "[{{ config.root }}] {{ config.issues_path }} {{ config.root ~ '' }}",
        "{{ issue.present }}",
        "{{ issue.extra }}",
        "{{ 'id' in issue.present }} {{ config.severities[0].name }} {{ range(3) | list }}",
        "{{ issue.reported.strftime('%%s %Y') }} {{ '{}: {:%d %b}'.format(issue.id, issue.reported) }}",
        "{{ '%s|%s' % (issue.id, issue.title | upper) }} {{ issues | join(', ', attribute='id') }}",
        "",
    ]))
    cli("render")
    assert (templated_project / "ISSUES.md").read_text().splitlines() == [
        "2026-01-01 12.01.2026 09:30",
        "2026-01-12 2026-01-12",
        "['ISSUE-001', 'ISSUE-002'] ISSUE-002,ISSUE-001",
        "issues/ISSUE-001-a.md ('issues', 'ISSUE-001-a.md') ISSUE-001-a.md",
        "[.] issues .",
        "('id', 'last_seen', 'reported', 'severity', 'status', 'tags', 'title')",
        "{'labels': ['zeta', 'alpha', 'mid', 'omega', 'beta', 'kappa']}",
        "True critical [0, 1, 2]",
        "%s 2026 ISSUE-001: 10 Jan",
        "ISSUE-001|SOMETHING BROKE ISSUE-001, ISSUE-002",
    ]


def test_a_yaml_set_keeps_the_order_it_is_written_in() -> None:
    text = issue_text(extra="labels: !!set {zeta, alpha, mid}")
    issue, problems = parse_issue(Path("issues/ISSUE-001-x.md"), text)
    assert problems == [] and issue is not None
    assert issue.extra["labels"] == ["zeta", "alpha", "mid"]


def _render_in_new_process(project: Path, seed: str) -> str:
    shutil.rmtree(project / ".issuelog" / "cache", ignore_errors=True)  # no log rendered before
    environment = {**os.environ, "PYTHONHASHSEED": seed}
    result = subprocess.run(
        [sys.executable, "-m", "issuelog", "render", "--output", "out.md"],
        cwd=project, env=environment, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    return (project / "out.md").read_text(encoding="utf-8")


def test_the_log_is_the_same_under_every_hash_seed(templated_project: Path) -> None:
    # Sets of text iterate in an order set by PYTHONHASHSEED, different in every process.
    _use_template(templated_project, (
        "{% for issue in issues %}{{ issue.id }}: {% for key in issue.present %}{{ key }} "
        "{% endfor %}{{ issue.present }} {{ issue.extra }} {{ issue.present | list }}\n{% endfor %}"
        "{% for key, value in issues[0].extra.items() %}{% for item in value %}{{ item }} "
        "{% endfor %}{% endfor %}\n"
    ))
    outputs = {seed: _render_in_new_process(templated_project, seed) for seed in ("1", "2", "3")}
    assert len(set(outputs.values())) == 1, outputs
    assert "zeta alpha mid omega beta kappa" in outputs["1"]
    shutil.rmtree(templated_project / ".issuelog" / "templates")  # the built-in templates too
    builtin = {seed: _render_in_new_process(templated_project, seed) for seed in ("1", "2")}
    assert len(set(builtin.values())) == 1


def test_the_built_in_templates_render_the_same_inside_the_sandbox(golden_project: Path) -> None:
    config = load_config(golden_project)
    issues = load_issues(config).issues
    html_outside = export_html(issues, config)
    shutil.copytree(builtin_templates_dir(), config.templates_path)  # every template sandboxed
    assert render_log(issues, config) == GOLDEN.read_text(encoding="utf-8")
    assert export_html(issues, config) == html_outside


def test_refusals_name_no_python_internals(templated_project: Path, cli: Invoke) -> None:
    _use_template(templated_project, "{{ issues[0].reported.today() }}\n")
    stderr = cli("render", code=1).stderr
    assert not re.search(r"0x[0-9a-f]{6,}|jinja2\.|File \"", stderr), stderr
