"""The issues in other shapes: JSON for programs, CSV for spreadsheets, an HTML page for readers."""

from __future__ import annotations

import base64
import hashlib
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from issuelog.core.cache_files import FileStamp
from issuelog.core.clock import today as clock_today
from issuelog.core.config import Config, Severity, Status
from issuelog.core.model import Issue
from issuelog.core.sections import read_sections
from issuelog.log.articles import Articles, fill_bodies
from issuelog.log.charts import colour_for, severity_pie, weekly_chart
from issuelog.log.formatting import format_elapsed, format_value
from issuelog.log.html_values import html_badge, trusted_html
from issuelog.log.listing import iso, to_csv, to_json
from issuelog.log.listing import issue_record as frontmatter_record
from issuelog.log.render import (
    html_template,
    load_template_source,
    log_context,
    stream_html,
)
from issuelog.log.stats import time_to_resolve
from issuelog.log.summary import summarize

FORMATS = ("json", "csv", "html")
EXPORT_VERSION = 1
HTML_TEMPLATE = "export.html.j2"
ARTICLE_TEMPLATE = "export-issue.html.j2"
#: The page's script turns a group of articles into elements at a time (one <noscript> each).
ARTICLES_PER_GROUP = 100
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
    return "".join(html_page(issues, config, today))


def html_page(issues: list[Issue], config: Config, today: date | None = None, *,
              stamps: Mapping[str, FileStamp] | None = None) -> Iterator[str]:
    """`export_html`'s page in pieces as it renders, for writing out without holding it all.

    With `stamps` (each file's stamp by name, as `cache.scan_issue_files` gives them)
    the issues were loaded without their bodies: each body is read when its article is written,
    and articles are kept in the cache (`articles.Articles`).
    """
    summary = summarize(issues, config)
    script = load_template_source(FILTER_SCRIPT, config).strip("\n")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    severity_colours = {s.name: colour_for(s.emoji, i) for i, s in enumerate(config.severities)}
    status_colours = {s.name: colour_for(s.emoji, i) for i, s in enumerate(config.statuses)}
    filters = html_filters(config, severity_colours, status_colours)
    anchors = {issue.path.name: issue.id for issue in summary.issues}
    known_ids = {issue.id: issue.id for issue in summary.issues}
    if stamps is not None and (config.templates_path / HTML_TEMPLATE).is_file():
        fill_bodies(summary.issues, config.root)  # the project's page may show `issue.body`
        stamps = None
    articles = Articles(config, html_template(ARTICLE_TEMPLATE, config, filters), anchors,
                        known_ids, stamps)
    context = {
        **log_context(summary, config),
        "anchors": anchors,
        "known_ids": set(known_ids),
        "article_groups": _groups(articles(summary.issues), ARTICLES_PER_GROUP),
        "severity_colour": lambda name: severity_colours.get(name, UNKNOWN_COLOUR),
        "status_colour": lambda name: status_colours.get(name, UNKNOWN_COLOUR),
        "charts": {"severity": trusted_html(severity_pie(summary)),
                   "weekly": trusted_html(weekly_chart(summary))},
        "filter_script": trusted_html(script),
        "script_hash": f"sha256-{digest}",
        "today": today or clock_today(),
    }
    return stream_html(html_template(HTML_TEMPLATE, config, filters), context)


def _groups(items: Iterator[str], size: int) -> Iterator[list[str]]:
    """`items` in lists of `size` (the last may be shorter), each made when it is reached."""
    while group := list(itertools.islice(items, size)):
        yield group


def html_filters(config: Config, severity_colours: Mapping[str, str],
                 status_colours: Mapping[str, str]) -> dict[str, Callable[..., Any]]:
    """The page's filters: `name | severity_badge`, `name | status_badge`, `issue | resolution_time`,
    and `issues | capped`, the first `log_rows` of a table's issues (as in ISSUES.md, the full
    list is a click away: the page's All Issues).

    Each configured badge is built once: the page shows one or two for each of its rows.
    """
    def badges(levels: Sequence[Severity | Status], colours: Mapping[str, str]) -> Callable[[str], str]:
        built = {level.name: html_badge(f"{level.emoji} {level.label}", colours[level.name])
                 for level in levels}
        return lambda name: built.get(name) or html_badge(format_value(name), UNKNOWN_COLOUR)

    limit = config.log_rows
    return {
        "capped": lambda members: members[:limit] if limit else members,
        "severity_badge": badges(config.severities, severity_colours),
        "status_badge": badges(config.statuses, status_colours),
        "resolution_time": lambda issue: format_elapsed(time_to_resolve(issue))
        if issue.resolved and issue.reported else "—",
    }
