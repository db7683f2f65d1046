"""The issues in other shapes: JSON for programs, CSV for spreadsheets, an HTML page for readers."""

from __future__ import annotations

import base64
import hashlib
from datetime import date
from typing import Any

from issuelog.core.config import Config
from issuelog.core.frontmatter_edit import today as clock_today
from issuelog.core.model import Issue
from issuelog.core.sections import read_sections
from issuelog.log.charts import colour_for, severity_pie, weekly_chart
from issuelog.log.listing import iso, to_csv, to_json
from issuelog.log.listing import issue_record as frontmatter_record
from issuelog.log.render import load_template_source, log_context, render_html, trusted_html
from issuelog.log.summary import summarize

FORMATS = ("json", "csv", "html")
EXPORT_VERSION = 1
HTML_TEMPLATE = "export.html.j2"
FILTER_SCRIPT = "export-filter.js"
UNKNOWN_COLOUR = "#57606a"


def export(issues: list[Issue], config: Config, output_format: str) -> str:
    """The issues in one of FORMATS."""
    exporters = {"json": export_json, "csv": export_csv, "html": export_html}
    return exporters[output_format](issues, config)


def issue_record(issue: Issue, config: Config) -> dict[str, Any]:
    """One issue for JSON: its fields as `issuelog list` gives them, then body sections and body."""
    record = frontmatter_record(issue, config)
    record["sections"] = read_sections(issue.body)
    record["body"] = issue.body
    return record


def export_json(issues: list[Issue], config: Config) -> str:
    """Every issue with every field and its body sections, as stable, indented JSON."""
    summary = summarize(issues, config)
    document = {
        "issuelog_export": EXPORT_VERSION,
        "project": config.project,
        "last_updated": iso(summary.last_updated),
        "issues": [issue_record(issue, config) for issue in summary.issues],
    }
    return to_json(document) + "\n"


def export_csv(issues: list[Issue], config: Config) -> str:
    """One row per issue, by ID, under a header row, for spreadsheets; LF line endings."""
    return to_csv(summarize(issues, config).issues, config)


def export_html(issues: list[Issue], config: Config, today: date | None = None) -> str:
    """One self-contained page: the log with SVG charts, then every issue in its own section.

    Unlike ISSUES.md the page shows each open issue's age, in days up to `today` (default: the
    clock's today), so it changes with the date it is exported on.
    """
    summary = summarize(issues, config)
    script = load_template_source(FILTER_SCRIPT, config).strip("\n")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    severity_colours = {s.name: colour_for(s.emoji, i) for i, s in enumerate(config.severities)}
    status_colours = {s.name: colour_for(s.emoji, i) for i, s in enumerate(config.statuses)}
    context = {
        **log_context(summary, config),
        "anchors": {issue.path.name: issue.id for issue in summary.issues},
        "known_ids": {issue.id for issue in summary.issues},
        "severity_colour": lambda name: severity_colours.get(name, UNKNOWN_COLOUR),
        "status_colour": lambda name: status_colours.get(name, UNKNOWN_COLOUR),
        "charts": {"severity": trusted_html(severity_pie(summary)),
                   "weekly": trusted_html(weekly_chart(summary))},
        "filter_script": trusted_html(script),
        "script_hash": f"sha256-{digest}",
        "today": today or clock_today(),
    }
    return render_html(HTML_TEMPLATE, context, config)
