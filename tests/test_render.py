"""Rendering ISSUES.md: filters, determinism and a golden file touching every section.

Refresh the golden file after an intended change of the default template with
`ISSUELOG_UPDATE_GOLDEN=1 pytest tests/test_render.py` and review its diff.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from issuelog.core.cache import load_issues
from issuelog.core.config import Config, load_config
from issuelog.errors import TemplateError
from issuelog.log.formatting import format_elapsed, table_cell, yaml_scalar
from issuelog.log.render import normalize_output, render_log, url_path

GOLDEN = Path(__file__).parent / "golden" / "ISSUES.md"


def test_golden_issues_md(golden_project: Path) -> None:
    config = load_config(golden_project)
    result = load_issues(config)
    assert result.problems == []
    assert len(result.issues) == 13
    text = render_log(result.issues, config)
    if os.environ.get("ISSUELOG_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8", newline="\n")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_render_is_deterministic_and_independent_of_file_order(golden_project: Path) -> None:
    config = load_config(golden_project)
    issues = load_issues(config).issues
    first = render_log(issues, config)
    assert render_log(list(reversed(issues)), config) == first
    assert first.endswith("\n") and not first.endswith("\n\n")
    assert "\r" not in first


def test_every_section_is_present_in_order(golden_project: Path) -> None:
    config = load_config(golden_project)
    text = render_log(load_issues(config).issues, config)
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Quick Stats", "## Charts", "## Severity Levels", "## Open Issues", "## Resolved Issues",
        "## Won't Fix / Known Limitations", "## Common Issues Reference",
        "## Issue Statistics by Phase", "## Resolution Time", "## Patterns",
    ]
    assert "Last Updated" not in text and "Age" not in text and "Share" not in text


def test_empty_log_shows_placeholders() -> None:
    text = render_log([], Config(phases=("Phase 1", "Phase 2")))
    assert text.count("*None*") == 4 + 1 + 2  # four severities, won't fix, two pattern tables
    assert text.count("*None yet*") == 2 + 1  # two phases and the reference
    assert "| **Total** | **0** |" in text
    assert "*No dated issues yet*" in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a | b", "a \\| b"),
        ("line one\nline two", "line one<br>line two"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("back\\slash", "back\\\\slash"),
        (date(2026, 1, 2), "2026-01-02"),
        (["a", "b"], "a, b"),
        (None, ""),
    ],
)
def test_table_cell_never_breaks_a_table(value: object, expected: str) -> None:
    assert table_cell(value) == expected


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(0), "same day"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=3), "3 days"),
        (timedelta(hours=5), "5h"),
        (timedelta(hours=6, minutes=30), "6h 30m"),
        (timedelta(days=2, hours=4), "2d 4h"),
        (None, "—"),
    ],
)
def test_elapsed_times(delta: timedelta | None, expected: str) -> None:
    assert format_elapsed(delta) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain title", "plain title"),
        ("needs: quoting", '"needs: quoting"'),
        ("yes", '"yes"'),
        ('with "quotes"', '"with \\"quotes\\""'),
        (date(2026, 1, 2), "2026-01-02"),
        (datetime(2026, 1, 2, 3, 4), "2026-01-02 03:04:00"),
        (["a", "b c"], "[a, b c]"),
        (None, ""),
    ],
)
def test_yaml_scalar(value: object, expected: str) -> None:
    assert yaml_scalar(value) == expected


def test_project_template_overrides_the_builtin(project: Path) -> None:
    override = project / ".issuelog" / "templates" / "ISSUES.md.j2"
    override.parent.mkdir(parents=True)
    override.write_text("# {{ project }}: {{ summary.total }} issues\n")
    assert render_log([], load_config(project)) == "# Demo: 0 issues\n"


def test_template_errors_are_reported_not_raised(project: Path) -> None:
    override = project / ".issuelog" / "templates" / "ISSUES.md.j2"
    override.parent.mkdir(parents=True)
    override.write_text("{{ no_such_variable }}\n")
    with pytest.raises(TemplateError, match="no_such_variable"):
        render_log([], load_config(project))
    override.write_text("{% for %}\n")
    with pytest.raises(TemplateError, match=r"ISSUES\.md\.j2:1"):
        render_log([], load_config(project))


def test_sandbox_refuses_python_internals(project: Path) -> None:
    override = project / ".issuelog" / "templates" / "ISSUES.md.j2"
    override.parent.mkdir(parents=True)
    override.write_text("{{ config.__class__.__mro__[1].__subclasses__() }}\n")
    with pytest.raises(TemplateError):
        render_log([], load_config(project))


@pytest.mark.parametrize(("text", "expected"), [
    ("a\r\nb\rc\n", "a\nb\nc\n"),
    ("\n\na\n\n\n\nb\n\n\n", "a\n\nb\n"),
    ("a\r\n\r\n\r\nb", "a\n\nb\n"),
    ("a", "a\n"),
    ("", "\n"),
])
def test_output_is_normalized(text: str, expected: str) -> None:
    assert normalize_output(text) == expected


@given(st.text(alphabet="ab\r\n✅ ", max_size=40))
def test_normalized_output_has_lf_single_blank_lines_and_one_trailing_newline(text: str) -> None:
    result = normalize_output(text)
    assert "\r" not in result and "\n\n\n" not in result
    assert result == "\n" or (result.endswith("\n") and not result.endswith("\n\n")
                               and not result.startswith("\n"))
    assert result.replace("\n", "") == text.replace("\r", "").replace("\n", "")
    assert normalize_output(result) == result


def test_text_that_is_already_normal_is_not_copied() -> None:
    text = "# Log\n\n| a | ✅ |\n" * 1000  # a log of the built-in templates needs no change
    assert normalize_output(text) is text


@given(st.text(alphabet="aZ09_.~/- %é()#?:&", max_size=20))
def test_url_paths_are_encoded_as_quote_encodes_them(text: str) -> None:
    assert url_path(text) == quote(text)


def test_an_error_in_an_imported_template_names_that_template(project: Path) -> None:
    templates = project / ".issuelog" / "templates"
    templates.mkdir(parents=True)
    (templates / "_macros.md.j2").write_text(
        "{% macro severity(configured, name) %}\n{{ config.__class__.__mro__ }}\n{% endmacro %}\n"
        "{% macro status(configured, name) %}{% endmacro %}\n{% macro elapsed(issue) %}{% endmacro %}\n")
    (templates / "ISSUES.md.j2").write_text(
        '{% import "_macros.md.j2" as m %}\n# {{ project }}\n{{ m.severity(none, "x") }}\n')
    with pytest.raises(TemplateError) as raised:
        render_log([], load_config(project))
    assert "_macros.md.j2:2" in str(raised.value)


def test_configured_labels_cannot_break_the_log(tmp_path: Path) -> None:
    (tmp_path / "issuelog.toml").write_text(
        'project = "A | <b>B</b>"\n[[severities]]\nname = "odd"\nlabel = "Pipe | <i>x</i>"\nemoji = "|"\n')
    text = render_log([], load_config(tmp_path))
    assert text.startswith("# A | &lt;b&gt;B&lt;/b&gt; — Issue Log\n")  # a heading may hold a pipe
    assert "<i>" not in text and "<b>" not in text
    assert "| \\| **Pipe \\| &lt;i&gt;x&lt;/i&gt;** |" in text



def test_a_macro_imported_without_context_is_told_what_age_needs(project: Path) -> None:
    """`age` reads the log's summary from the context: a macro imported without it gets a
    template error naming the fix, not an internal error."""
    templates = project / ".issuelog" / "templates"
    templates.mkdir(parents=True)
    (templates / "_macros.md.j2").write_text(
        "{% macro ages(issues) %}{% for issue in issues %}{{ issue | age }}{% endfor %}{% endmacro %}\n")
    (templates / "ISSUES.md.j2").write_text(
        "{% import '_macros.md.j2' as m %}{{ m.ages(summary.tracked) }}\n")
    config = load_config(project)
    (project / "issues" / "ISSUE-001-open.md").write_text(
        "---\nid: ISSUE-001\ntitle: Open\nstatus: open\nseverity: high\nreported: 2026-01-10\n---\n")
    issue = load_issues(config).issues
    with pytest.raises(TemplateError, match=r"_macros\.md\.j2:1: .*'age' filter needs the log's context"):
        render_log(issue, config)
