"""HTML for the values the exported page shows: escaped text with code spans, badges, bodies.

Pure functions of their arguments: every value taken from an issue is escaped here, and what
issuelog builds itself is marked safe (`trusted_html`) for the page's autoescaping templates.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from markupsafe import Markup
from markupsafe import escape as escape_html

from issuelog.log.formatting import URL_SCHEME, code_spans, format_value


def code_spans_html(value: Any) -> Markup:
    """One line of text as HTML, escaped, with its `code spans` shown as code (titles)."""
    text = format_value(value)
    if "`" not in text:
        return escape_html(text)
    parts = []
    for code, part in code_spans(text):
        if not code:
            parts.append(str(escape_html(part)))
            continue
        inner = part.strip("`")
        if inner.startswith(" ") and inner.endswith(" ") and inner.strip():
            inner = inner[1:-1]  # CommonMark strips one space each side
        parts.append(f"<code>{escape_html(inner)}</code>")
    return Markup("".join(parts))


def html_badge(text: str, colour: str) -> Markup:
    """A coloured label of the HTML page (a severity or a status), its text and colour escaped."""
    return Markup(f'<span class="badge" style="background: {escape_html(colour)}">'
                  f"{escape_html(text)}</span>")


def trusted_html(text: str) -> Markup:
    """Mark HTML that issuelog built itself (escaping what it took from issues) as safe."""
    return Markup(text)  # the callers escape every value they put in


def markdown_html(text: Any, anchors: Mapping[str, str] | None = None) -> Markup:
    """An issue body as safe HTML; links to an issue file named in `anchors` become `#ID`."""
    known = anchors or {}

    def to_anchor(href: str) -> str:
        if URL_SCHEME.match(href) or href.startswith("#"):
            return href
        name = PurePosixPath(href.split("#", 1)[0].split("?", 1)[0]).name
        return f"#{known[name]}" if name in known else href

    # Imported here: markdown-it-py is only needed for HTML, and `render` and `new` start faster.
    from issuelog.core.sections import markdown_to_html

    # markdown-it escapes the text and drops raw HTML (html=False), so the result is safe.
    return Markup(markdown_to_html(format_value(text), heading_offset=2, rewrite_href=to_anchor))
