"""Charts as inline SVG for the HTML page: drawn in Python, so they need no script and no network.

Every figure comes from `summary.Summary`; this module only places it on a canvas.
"""

from __future__ import annotations

import json
import math
from datetime import date
from html import escape

from issuelog.core.config import Config
from issuelog.log.summary import Count, Summary

# The colours of the emoji the default severities and statuses use, so charts and badges
# match what readers see in ISSUES.md; anything else takes the next colour of the palette.
EMOJI_COLOURS = {
    "🔴": "#d1242f", "🟠": "#e16f24", "🟡": "#d4a72c", "🟢": "#2da44e", "🔵": "#0969da",
    "🟣": "#8250df", "🟤": "#8a5a44", "⚫": "#24292f", "⚪": "#8c959f", "⛔": "#a40e26",
}
PALETTE = ("#0969da", "#8250df", "#bf3989", "#1b7c83", "#9a6700", "#57606a")
OPENED_COLOUR = "#0969da"
RESOLVED_COLOUR = "#2da44e"


def colour_for(emoji: str, index: int) -> str:
    """A colour for a severity or status: the colour of its emoji, else one from the palette."""
    return EMOJI_COLOURS.get(emoji.strip(), PALETTE[index % len(PALETTE)])


def severity_colour(name: str, config: Config) -> str:
    """The colour of a severity, as the HTML page and the Mermaid pie of ISSUES.md draw it."""
    for index, severity in enumerate(config.severities):
        if severity.name == name:
            return colour_for(severity.emoji, index)
    return PALETTE[len(config.severities) % len(PALETTE)]


def mermaid_pie_theme(slices: list[Count], config: Config) -> str:
    """A Mermaid `init` value colouring each pie slice like its severity's emoji.

    Mermaid draws slices largest first and gives them `pie1`, `pie2`... in that order, so the
    slices must come in that order too (`Summary.pie_slices`).
    """
    variables = {f"pie{number}": severity_colour(row.name, config)
                 for number, row in enumerate(slices, start=1)}
    return json.dumps({"theme": "base", "themeVariables": variables})


def mermaid_weekly_theme() -> str:
    """A Mermaid `init` value drawing the weekly chart's bars blue and its line green."""
    palette = f"{OPENED_COLOUR}, {RESOLVED_COLOUR}"
    return json.dumps({"themeVariables": {"xyChart": {"plotColorPalette": palette}}})


def week_label(day: date) -> str:
    """A week's short label on a chart axis: the month and day of its first day, `01-18`."""
    return day.strftime("%m-%d")


def _number(value: float) -> str:
    """Coordinates with one decimal, so the same data always gives the same bytes."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def severity_pie(summary: Summary) -> str:
    """A pie of open issues by severity with its legend; a short note when nothing is open."""
    slices = [(index, row) for index, row in enumerate(summary.open_severity_counts) if row.count]
    width, height, radius = 380, 200, 80
    centre_x, centre_y = 100, 100
    parts = [_svg_open(width, height, "Open issues by severity")]
    if not slices:
        parts.append(f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle">'
                     "No open issues</text>")
        return "".join([*parts, "</svg>"])
    total = sum(row.count for _, row in slices)
    angle = -math.pi / 2  # start at twelve o'clock
    for index, row in slices:
        colour = colour_for(row.emoji, index)
        if row.count == total:
            parts.append(f'<circle cx="{centre_x}" cy="{centre_y}" r="{radius}" fill="{colour}">'
                         f"{_tooltip(row)}</circle>")
            continue
        sweep = 2 * math.pi * row.count / total
        start = (centre_x + radius * math.cos(angle), centre_y + radius * math.sin(angle))
        angle += sweep
        end = (centre_x + radius * math.cos(angle), centre_y + radius * math.sin(angle))
        large = 1 if sweep > math.pi else 0
        parts.append(
            f'<path d="M{centre_x} {centre_y} L{_number(start[0])} {_number(start[1])} '
            f'A{radius} {radius} 0 {large} 1 {_number(end[0])} {_number(end[1])} Z" '
            f'fill="{colour}" stroke="#fff">{_tooltip(row)}</path>'
        )
    for position, (index, row) in enumerate(slices):
        y = 30 + position * 26
        parts.append(f'<rect x="210" y="{y - 12}" width="14" height="14" '
                     f'fill="{colour_for(row.emoji, index)}"/>')
        parts.append(f'<text x="232" y="{y}">{escape(row.label)}: {row.count} '
                     f"({row.share:.1f}%)</text>")
    return "".join([*parts, "</svg>"])


def weekly_chart(summary: Summary) -> str:
    """Bars of issues opened and a line of issues resolved per week; a note when undated."""
    width, height = 600, 260
    left, right, top, bottom = 40, 16, 30, 40
    parts = [_svg_open(width, height, "Issues opened and resolved per week")]
    weeks = summary.weekly
    if not weeks:
        parts.append(f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle">'
                     "No dated issues yet</text>")
        return "".join([*parts, "</svg>"])
    scale = summary.weekly_scale
    step = max(1, math.ceil(scale / 4))
    top_value = step * math.ceil(scale / step)
    plot_height = height - top - bottom
    slot = (width - left - right) / len(weeks)

    def y_of(value: int) -> float:
        return top + plot_height * (1 - value / top_value)

    for tick in range(0, top_value + 1, step):
        tick_y = _number(y_of(tick))
        parts.append(f'<line x1="{left}" y1="{tick_y}" x2="{width - right}" y2="{tick_y}" '
                     'stroke="#d0d7de"/>')
        parts.append(f'<text x="{left - 6}" y="{tick_y}" text-anchor="end" '
                     f'dominant-baseline="middle" font-size="11">{tick}</text>')
    points = []
    for index, week in enumerate(weeks):
        x = left + slot * index
        centre = x + slot / 2
        period = f"{week.start.isoformat()} to {week.end.isoformat()}"
        if week.opened:
            bar_top = y_of(week.opened)
            parts.append(
                f'<rect x="{_number(x + slot * 0.2)}" y="{_number(bar_top)}" '
                f'width="{_number(slot * 0.6)}" height="{_number(top + plot_height - bar_top)}" '
                f'fill="{OPENED_COLOUR}"><title>{period}: {week.opened} opened</title></rect>'
            )
        parts.append(f'<text x="{_number(centre)}" y="{height - bottom + 16}" text-anchor="middle" '
                     f'font-size="11">{week_label(week.start)}</text>')
        points.append((centre, y_of(week.resolved), period, week.resolved))
    path = " ".join(f"{_number(x)},{_number(y)}" for x, y, _, _ in points)
    parts.append(f'<polyline points="{path}" fill="none" stroke="{RESOLVED_COLOUR}" '
                 'stroke-width="2"/>')
    for x, y, period, resolved in points:
        parts.append(f'<circle cx="{_number(x)}" cy="{_number(y)}" r="3.5" '
                     f'fill="{RESOLVED_COLOUR}"><title>{period}: {resolved} resolved</title>'
                     "</circle>")
    parts.append(f'<rect x="{left}" y="8" width="12" height="12" fill="{OPENED_COLOUR}"/>'
                 f'<text x="{left + 18}" y="18" font-size="12">opened</text>'
                 f'<circle cx="{left + 90}" cy="14" r="5" fill="{RESOLVED_COLOUR}"/>'
                 f'<text x="{left + 100}" y="18" font-size="12">resolved</text>')
    return "".join([*parts, "</svg>"])


def _svg_open(width: int, height: int, title: str) -> str:
    return (f'<svg class="chart" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
            f'font-family="system-ui, sans-serif" font-size="13"><title>{escape(title)}</title>')


def _tooltip(row: Count) -> str:
    return f"<title>{escape(row.label)}: {row.count} ({row.share:.1f}%)</title>"
