"""What a heading's title says: an ID (`BUG-7: ...`), its shape, a status, severity or phase."""

from __future__ import annotations

import re
from dataclasses import dataclass

from issuelog.core.config import Config
from issuelog.importer.fields import map_phase, named_exactly, normalize_label
from issuelog.importer.tree import Node, table_rows

#: The most digits a legacy ID may have to become the issue's own ID.
MAX_ID_DIGITS = 9
PREFIXED_ID = re.compile(r"(?P<id>\b[A-Z][A-Z0-9]*(?:[-_][A-Z0-9]*[A-Z][A-Z0-9]*)*[-_]\d+)\b")
_CODE = r"[A-Z][A-Z0-9]*(?:[-_][A-Z0-9]*[A-Z][A-Z0-9]*)*[-_]\d+"
# `BUG-004/009`, `BUG-010, BUG-011`, `BUG-012/BUG-013`: one entry under several IDs.
_MORE_CODES = rf"(?:\s*/\s*(?:{_CODE}|\d+)(?![\w-])|\s*[,&]\s*{_CODE})*"
_ID_TITLE = re.compile(
    rf"^\s*(?P<open>[\[(])?\s*(?P<id>(?P<code>{_CODE}){_MORE_CODES}|"
    r"(?i:issue|bug|error|incident|defect|ticket|problem|case|ki)\s*#?\s*\d+|#\d+)"
    r"\s*[\])]?\s*(?P<sep>[:.|)\-–—·•]+\s*|\s+|$)(?P<title>.*)$"
)
_TRAILING_ID = re.compile(
    r"^(?P<title>\S.*?)\s*[\[(](?P<id>[A-Z][A-Z0-9]*(?:[-_][A-Z0-9]*[A-Z][A-Z0-9]*)*[-_]\d+)[\])]$")
_LEADING_SYMBOLS = re.compile(r"^[^\w\[(#`]+")
_NUMBERED_TITLE = re.compile(r"^\s*(?P<number>\d+)[.)]\s+(?P<title>\S.*)$")
DATED_TITLE = re.compile(
    r"^\s*\[?(?P<date>\d{4}-\d{2}-\d{2})\]?\s*[:|\-–—]+\s*(?P<title>\S.*)$")
_PREFIXED_TITLE = re.compile(
    r"^\s*(?:error|bug|issue|problem|incident|defect|known issue)\s*[:\-–—]\s*(?P<title>\S.*)$",
    re.I,
)


@dataclass(frozen=True)
class KnownIds:
    """IDs the log itself shows to be IDs: in tables, links and clearly marked headings.

    `UTF-8 decoding fails` does not start with an ID, `BUG-101 Upload timeouts` does when the
    log lists BUG-101 in an index, or marks other BUG headings as IDs (`BUG-7: ...`).
    """

    ids: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()

    def confirm(self, code: str) -> bool:
        """Whether an ID followed by a plain space is an ID rather than a word like UTF-8."""
        return code.upper() in self.ids or _id_prefix(code) in self.prefixes


def _id_prefix(code: str) -> str:
    return re.sub(r"[-_]\d+$", "", code).upper()


def _title_parts(title: str, known: KnownIds = KnownIds()) -> tuple[str, str, str]:
    """(shape, legacy id, title) of a heading; shapes: id, numbered, dated, prefixed, plain."""
    # Emoji and emphasis before an ID (`🐛 BUG-12: ...`, `**BUG-12**: ...`) do not hide it.
    core = _LEADING_SYMBOLS.sub("", title).replace("**", "")
    match = _ID_TITLE.match(core)
    weak = bool(match and match.group("code") and not match.group("open")
                and match.group("sep").strip() == "" and match.group("title"))
    if match and (not weak or known.confirm(match.group("code"))):
        return "id", match.group("id").strip(), match.group("title").strip()
    match = _TRAILING_ID.match(title)
    if match:
        return "id", match.group("id"), match.group("title").strip()
    match = _NUMBERED_TITLE.match(core)
    if match:
        return "numbered", match.group("number"), match.group("title").strip()
    match = DATED_TITLE.match(core)
    if match:
        return "dated", "", match.group("title").strip()
    match = _PREFIXED_TITLE.match(core)
    if match:
        return "prefixed", "", match.group("title").strip()
    return "plain", "", title.strip()


def heading_shape(title: str, known: KnownIds = KnownIds()) -> str:
    """What kind of entry heading a title is: 'id', 'numbered', 'dated', 'prefixed' or 'plain'."""
    return _title_parts(title, known)[0]


def split_title(title: str, known: KnownIds = KnownIds()) -> tuple[str, str]:
    """'[ISSUE-012] Title', 'KI-004 – Title', 'Title (BUG-7)', '3. Title' -> (legacy id, title)."""
    _, legacy_id, rest = _title_parts(title, known)
    return legacy_id, rest


def known_ids(root: Node, text: str, config: Config) -> KnownIds:
    """The IDs a log shows as IDs: table cells, link texts, headings with an ID and a separator."""
    ids = {match.group("id").upper() for link in re.finditer(r"\[([^\]]+)\]\(", text)
           for match in PREFIXED_ID.finditer(link.group(1))}
    prefixes = {config.id_prefix.upper()}
    leading: dict[str, set[str]] = {}  # prefix -> distinct IDs that start headings
    nodes = [root]
    while nodes:
        node = nodes.pop()
        nodes.extend(node.children)
        for block in node.blocks:
            if block.kind == "table":
                ids |= {match.group("id").upper() for _, cells in table_rows(block)
                        for cell in cells for match in PREFIXED_ID.finditer(cell)}
        match = _ID_TITLE.match(_LEADING_SYMBOLS.sub("", node.title)) if node.level else None
        if match and match.group("code"):
            leading.setdefault(_id_prefix(match.group("code")), set()).add(match.group("code"))
        shape, legacy_id, _ = _title_parts(node.title) if node.level else ("", "", "")
        if shape == "id" and PREFIXED_ID.fullmatch(legacy_id):
            prefixes.add(_id_prefix(legacy_id))
    # Several headings numbered with one prefix (PROJ-17, PROJ-21) are a series of IDs.
    prefixes |= {prefix for prefix, codes in leading.items() if len(codes) >= 2}
    return KnownIds(frozenset(ids), frozenset(prefixes))


def fitting_id(legacy_id: str, config: Config) -> str | None:
    """The configured form of a legacy ID that fits the ID pattern (`issue 7` -> `ISSUE-007`)."""
    # More digits than an ID can sensibly hold (a 300-digit "ID" makes a file name no file
    # system accepts) keep the legacy ID as text and take the next free ID instead.
    match = re.fullmatch(rf"{re.escape(config.id_prefix)}[-_ ]?#?\s*0*(\d{{1,{MAX_ID_DIGITS}}})",
                         legacy_id.strip(), re.I)
    return config.format_id(int(match.group(1))) if match else None


def heading_values(title: str, config: Config) -> dict[str, str]:
    """Status, severity or phase named by a heading such as 'Resolved Issues', 'Critical 🔴'."""
    found: dict[str, str] = {}
    for part in re.split(r"\s*(?:/|&|\||,|\band\b)\s*", title):
        text = re.sub(r"\b(?:issues?|bugs?|errors?|problems?|items?|tickets?|priority|"
                      r"severity|entries)\b", " ", normalize_label(part))
        text = " ".join(text.split())
        if not text:
            continue
        for key in ("status", "severity"):
            mapped = named_exactly(text, config, key)
            if mapped:
                found.setdefault(key, mapped)
    stripped = " ".join(re.sub(r"[^\w .:-]", "", title).split())
    if re.match(r"^phase\b", normalize_label(title)) or stripped in config.phases:
        phase = map_phase(stripped, config)
        if phase:
            found.setdefault("phase", phase)
    return found


def heading_context(node: Node, config: Config, labels: dict[str, str] | None = None) -> dict[str, str]:
    """Status, severity and phase given by sibling labels and the headings above an entry."""
    found = dict(labels or {})
    for ancestor in node.ancestors():
        for key, value in heading_values(ancestor.title, config).items():
            found.setdefault(key, value)
    return found
