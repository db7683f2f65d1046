"""`issuelog analyze` output: the figures of `error_analysis.analyze` as JSON data or as text."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from issuelog.core.config import format_duration
from issuelog.log.error_analysis import Analysis
from issuelog.log.formatting import format_elapsed, plain_table


def _seconds(delta: timedelta | None) -> int | None:
    return int(delta.total_seconds()) if delta is not None else None


def analysis_data(analysis: Analysis) -> dict[str, Any]:
    """The analysis as plain JSON data; keys and their order are stable (see the README)."""
    summary = analysis.summary
    return {
        "today": analysis.today.isoformat() if analysis.today else None,
        "days": analysis.days,
        "statistics": {
            "total": summary.total,
            "open": summary.open_count,
            "open_by_severity": {
                severity.name: count for severity, count in analysis.open_by_severity
            },
            "total_occurrences": analysis.total_occurrences,
            # Left out of `trend` and `resolution`: they were closed on a date no one knows.
            "closed_without_resolution_date": summary.unknown_resolution_date,
        },
        "most_common_errors": [
            {"error_type": g.error_type, "component": g.component, "issues": len(g.issue_ids),
             "open": g.open, "occurrences": g.occurrences, "ids": g.issue_ids}
            for g in analysis.errors
        ],
        "components": [
            {"component": c.component, "issues": c.issues, "share": c.share, "open": c.open,
             "occurrences": c.occurrences}
            for c in analysis.components
        ],
        "categories": [
            {"category": c.name, "issues": c.count, "share": c.share} for c in summary.categories
        ],
        "trend": [
            {"date": t.day.isoformat(), "created": t.created, "resolved": t.resolved}
            for t in analysis.trend
        ],
        "resolution": [
            {"severity": r.severity.name, "resolved": r.resolved,
             "mean_seconds": _seconds(r.average), "sla_seconds": _seconds(r.severity.sla),
             "breaches": r.breaches}
            for r in summary.resolution_rows
        ],
        # Nearest-rank percentiles of each interval with data (README: "Incident timings").
        "timings": [
            {"severity": t.severity.name, "interval": t.interval.name, "count": t.count,
             "median_seconds": _seconds(t.median), "p90_seconds": _seconds(t.p90),
             "target_seconds": _seconds(t.target), "breaches": t.breaches,
             "breach_rate": t.breach_rate}
            for t in analysis.timings
        ],
        "reopened": {"issues": summary.reopened, "ever_closed": summary.ever_closed,
                     "rate": summary.reopen_rate},
        "fingerprints": [
            {"fingerprint": f.fingerprint, "ids": f.issue_ids, "occurrences": f.occurrences}
            for f in summary.fingerprints
        ],
        "suggestions": [
            {"priority": s.priority, "rule": s.rule, "subject": s.subject, "message": s.message,
             "ids": s.issue_ids}
            for s in analysis.suggestions
        ],
    }


def _table_lines(headers: list[str], rows: list[list[str]]) -> list[str]:
    """`formatting.plain_table` as lines, to indent."""
    return plain_table(headers, rows).splitlines()


def analysis_text(analysis: Analysis) -> str:
    """The analysis for a terminal: one block per topic, plain text, no colour."""
    summary = analysis.summary
    out: list[str] = ["Statistics"]
    out.append(f"  Total issues: {summary.total}")
    out.append(f"  Open (any open status): {summary.open_count}")
    out += [f"  Open {severity.label.lower()}: {count}"
            for severity, count in analysis.open_by_severity]
    out.append(f"  Total occurrences: {analysis.total_occurrences}")

    out += ["", "Most common errors"]
    if analysis.errors:
        out += ["  " + line for line in _table_lines(
            ["Error", "Issues", "Open", "Occurrences"],
            [[f"{g.error_type} in {g.component}" if g.component else g.error_type,
              str(len(g.issue_ids)), str(g.open), str(g.occurrences)] for g in analysis.errors])]
    else:
        out.append("  none recorded (issues with an error_type appear here)")

    out += ["", "Most affected components"]
    if analysis.components:
        out += ["  " + line for line in _table_lines(
            ["Component", "Issues", "Share", "Open", "Occurrences"],
            [[c.component, str(c.issues), f"{c.share:.1f}%", str(c.open), str(c.occurrences)]
             for c in analysis.components])]
    else:
        out.append("  none")

    out += ["", "By category"]
    if summary.categories:
        out += ["  " + line for line in _table_lines(
            ["Category", "Issues", "Share"],
            [[c.label, str(c.count), f"{c.share:.1f}%"] for c in summary.categories])]
    else:
        out.append("  none")

    ending = f" to {analysis.today.isoformat()}" if analysis.today else ""
    out += ["", f"Trend over {analysis.days} day(s){ending}"]
    if analysis.trend:
        out += ["  " + line for line in _table_lines(
            ["Date", "Created", "Resolved"],
            [[t.day.isoformat(), str(t.created), str(t.resolved)] for t in analysis.trend])]
    else:
        out.append("  no dated issues")

    out += ["", "Mean time to resolve"]
    out += ["  " + line for line in _table_lines(
        ["Severity", "Resolved", "Mean", "SLA", "Breaches"],
        [[r.severity.label, str(r.resolved), format_elapsed(r.average),
          format_duration(r.severity.sla) if r.severity.sla else "—", str(r.breaches)]
         for r in summary.resolution_rows])]
    if summary.unknown_resolution_date:
        out.append(f"  (not counted: {summary.unknown_resolution_date} closed issue(s) with no "
                   "known resolution date)")

    out += ["", "Incident timings (nearest-rank percentiles)"]
    if analysis.timings:
        out += ["  " + line for line in _table_lines(
            ["Severity", "Interval", "n", "Median", "p90", "SLA breaches"],
            [[t.severity.label, t.interval.label, str(t.count), format_elapsed(t.median),
              format_elapsed(t.p90),
              "—" if t.target is None else f"{t.breaches} ({t.breach_rate:.1f}%)"]
             for t in analysis.timings])]
    else:
        out.append("  no interval with both timestamps")
    if summary.reopened:
        out.append(f"  Reopened (tagged regression): {summary.reopened} of {summary.ever_closed} "
                   f"issues ever closed ({summary.reopen_rate:.1f}%)")
    if summary.fingerprints:
        out += ["", "Occurrences by fingerprint"]
        out += ["  " + line for line in _table_lines(
            ["Fingerprint", "Issues", "Occurrences"],
            [[f.fingerprint, ", ".join(f.issue_ids), str(f.occurrences)]
             for f in summary.fingerprints])]

    out += ["", "Suggestions"]
    if analysis.suggestions:
        out += [f"  [{s.priority}] {s.message} ({', '.join(s.issue_ids)})"
                for s in analysis.suggestions]
    else:
        out.append("  none: no rule fired")
    return "\n".join(out) + "\n"
