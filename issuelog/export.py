"""The issues in other shapes: JSON for programs, CSV for spreadsheets, an HTML page for readers."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import math
import re
from datetime import date
from pathlib import Path
from typing import Any

from issuelog.charts import colour_for, severity_pie, weekly_chart
from issuelog.config import Config
from issuelog.errors import UsageError
from issuelog.model import FIELD_ORDER, LIST_FIELDS, REFERENCE_KEYS, Issue
from issuelog.render import load_template_source, render_html, trusted_html
from issuelog.sections import read_sections
from issuelog.stats import summarize, time_to_resolve_hours

FORMATS = ("json", "csv", "html")
EXPORT_VERSION = 1
HTML_TEMPLATE = "export.html.j2"
FILTER_SCRIPT = "export-filter.js"
UNKNOWN_COLOUR = "#57606a"
CSV_COLUMNS = (
    "id", "title", "status", "severity", "phase", "category", "component", "reported", "resolved",
    "time_to_resolve_hours", "reporter", "assignee", "tags", "related", "files", "error_type",
    "error_message", "occurrences", "last_seen", "reference_area", "reference_cause",
    "reference_solution", "path",
)
# A spreadsheet runs a cell that starts with one of these as a formula; a leading quote stops it.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NEWLINES = re.compile(r"\r\n|\r")


def export(issues: list[Issue], config: Config, output_format: str) -> str:
    """The issues in one of FORMATS."""
    exporters = {"json": export_json, "csv": export_csv, "html": export_html}
    return exporters[output_format](issues, config)


def check_output_path(path: Path, config: Config) -> None:
    """Refuse a target that would replace an issue file or the rendered log with an export."""
    target = path.resolve()
    if target == config.output_path.resolve():
        raise UsageError(f"{path}: is the rendered log ({config.output}); export elsewhere")
    if target.suffix == ".md" and target.parent == config.issues_path.resolve():
        raise UsageError(f"{path}: is in {config.issues_dir}/, where every .md file is an issue; "
                         "export elsewhere")
    if target.is_dir():
        raise UsageError(f"{path}: is a directory; give a file name to --output")


def iso(value: date | None) -> str | None:
    """A date as `2026-01-10`, a date-time as `2026-01-05T09:00:00`."""
    return value.isoformat() if value is not None else None


def issue_record(issue: Issue, config: Config) -> dict[str, Any]:
    """One issue for JSON: every field in a fixed order (absent ones null), then its body."""
    record: dict[str, Any] = {}
    for name in FIELD_ORDER:
        value = getattr(issue, name)
        if name in LIST_FIELDS:
            record[name] = list(value)
        elif name == "reference":
            record[name] = {key: value.get(key) for key in REFERENCE_KEYS} if value else None
        elif name == "occurrences":
            record[name] = value  # 1 when the file does not say
        elif name not in issue.present:
            record[name] = None
        elif isinstance(value, date):
            record[name] = iso(value)
        else:
            record[name] = value
    record["time_to_resolve_hours"] = time_to_resolve_hours(issue)
    record["extra"] = {str(key): _jsonable(value) for key, value in issue.extra.items()}
    record["path"] = issue.path.relative_to(config.root).as_posix() \
        if issue.path.is_relative_to(config.root) else issue.path.as_posix()
    record["sections"] = read_sections(issue.body)
    record["body"] = issue.body
    return record


def _jsonable(value: Any) -> Any:
    """Unknown frontmatter values as JSON: dates ISO, mappings with text keys, bytes base64."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(iso(key) if isinstance(key, date) else key): _jsonable(item)
                for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(item) for item in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN or infinity
    return value


def export_json(issues: list[Issue], config: Config) -> str:
    """Every issue with every field and its body sections, as stable, indented JSON."""
    summary = summarize(issues, config)
    document = {
        "issuelog_export": EXPORT_VERSION,
        "project": config.project,
        "last_updated": iso(summary.last_updated),
        "issues": [issue_record(issue, config) for issue in summary.issues],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "; ".join(str(item) for item in value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return str(value)
    # The csv module quotes a cell with "\n" but not one with a lone "\r": make every newline LF.
    text = _NEWLINES.sub("\n", str(value))
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def export_csv(issues: list[Issue], config: Config) -> str:
    """One row per issue under a header row, for spreadsheets; LF line endings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for issue in summarize(issues, config).issues:
        record = issue_record(issue, config)
        reference = record["reference"] or {}
        row = {**record, **{f"reference_{key}": reference.get(key) for key in REFERENCE_KEYS}}
        writer.writerow([_csv_cell(row[column]) for column in CSV_COLUMNS])
    return buffer.getvalue()


def export_html(issues: list[Issue], config: Config) -> str:
    """One self-contained page: the log with SVG charts, then every issue in its own section."""
    summary = summarize(issues, config)
    script = load_template_source(FILTER_SCRIPT, config).strip("\n")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    severity_colours = {s.name: colour_for(s.emoji, i) for i, s in enumerate(config.severities)}
    status_colours = {s.name: colour_for(s.emoji, i) for i, s in enumerate(config.statuses)}
    context = {
        "config": config,
        "project": config.project,
        "summary": summary,
        "issues": summary.issues,
        "severities": config.severities,
        "statuses": config.statuses,
        "severity_of": config.severity,
        "status_of": config.status,
        "age": summary.age_days,
        "anchors": {issue.path.name: issue.id for issue in summary.issues},
        "known_ids": {issue.id for issue in summary.issues},
        "severity_colour": lambda name: severity_colours.get(name, UNKNOWN_COLOUR),
        "status_colour": lambda name: status_colours.get(name, UNKNOWN_COLOUR),
        "charts": {"severity": trusted_html(severity_pie(summary)),
                   "weekly": trusted_html(weekly_chart(summary))},
        "filter_script": trusted_html(script),
        "script_hash": f"sha256-{digest}",
    }
    return render_html(HTML_TEMPLATE, context, config)
