"""Ranked full-text search over the issues: BM25 with field weights, kept in the state directory.

Each issue is one document made of its title, error type and message, tags, component, the
reference entry's cause and solution, and the Description, Root Cause, Resolution and
Prevention sections. A word in the title counts three times, in the error, tags or component
twice (a short field that names the problem outweighs a long body mentioning it once).

The index (postings as packed integers) is cached under the state directory, keyed by the code
and every issue file's name and stamp: a search with nothing changed reads one file and
the few issue files it shows. bm25s was measured against this (bench/README.md): it was no
faster on warm queries at 10,000 issues and would add numpy, so the index is our own.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
import time
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from issuelog.core.cache import load_issues, scan_issue_files
from issuelog.core.cache_files import (
    FileStamp,
    all_trusted,
    code_fingerprint,
    is_trusted,
    read_cache,
    stamps_bytes,
    state_dir_or_none,
    write_cache,
)
from issuelog.core.config import Config
from issuelog.core.model import Issue
from issuelog.core.sections import read_sections, without_comments
from issuelog.core.store import load_issue
from issuelog.errors import IssuelogError, UsageError
from issuelog.ops.fingerprint import parse_stack_trace
from issuelog.ops.record import ERROR_SECTION

#: The body sections that are searched, in the order they are shown.
SEARCHED_SECTIONS = ("Description", "Root Cause", "Resolution", "Prevention")
INDEX_CACHE = "search-index.pickle"
COUNTS_CACHE = "search-words.pickle"
#: Up to this many changed files are read one by one; more go through the parse cache.
REREAD_ONE_BY_ONE = 200
INDEX_FORMAT = 2
# Field weights: how many times one word of the field counts.
TITLE_WEIGHT = 3
ERROR_WEIGHT = 2
LABEL_WEIGHT = 2
# BM25's usual constants: term frequency saturation and length normalisation.
K1 = 1.2
B = 0.75
SNIPPET_LENGTH = 160
_WORD = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# Words too common in issue texts to say anything about which issue is meant.
STOP_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "in",
    "into", "is", "it", "its", "not", "of", "on", "or", "that", "the", "this", "to", "was", "were",
    "when", "which", "with", "after", "before", "while", "then", "than", "there", "their", "they",
    "so", "if", "no", "we", "our", "you",
))


def stem(word: str) -> str:
    """A light stem: "timeouts" and "failed" find "timeout" and "fail"; "status" stays."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix) and not word.endswith(
                ("ss", "us", "is")):
            return word[:-len(suffix)]
    return word


def tokens(text: str) -> list[str]:
    """The searchable words of a text: case-folded and stemmed, stop words and single characters
    dropped; `ConnectionRefusedError` gives itself and `connection`, `refus`, `error`."""
    words = []
    for whole in _WORD.findall(text):
        parts = _CAMEL.findall(whole)
        for word in [whole, *parts] if len(parts) > 1 else [whole]:
            word = word.casefold()
            if len(word) < 2 or word in STOP_WORDS:
                continue
            words.append(stem(word))
    return words


def last_line(trace: str) -> str:
    """The last line of a stack trace that is neither a frame nor code: the error itself."""
    for line in reversed(trace.strip().splitlines()):
        text = line.strip().strip("`")
        if text and not line.startswith((" ", "\t")) and not parse_stack_trace(line):
            return text
    return ""


def issue_fields(issue: Issue) -> list[tuple[str, str, int]]:
    """The searched parts of one issue: (name, text, weight), sections under their own names.

    The error is its type and message, or else the error line of its trace (`record` keeps no
    message for `SoftTimeLimitExceeded()`, whose type it cannot tell).
    """
    reference = issue.reference or {}
    # The template's placeholders (HTML comments) are not the issue's words.
    sections = ({name: without_comments(text) for name, text in read_sections(issue.body).items()}
                if issue.body else {})
    error = f"{issue.error_type} {issue.error_message}".strip() or last_line(
        sections.get(ERROR_SECTION, ""))
    parts = [
        ("title", issue.title, TITLE_WEIGHT),
        ("error", error, ERROR_WEIGHT),
        ("labels", " ".join([*issue.tags, issue.component]), LABEL_WEIGHT),
        ("reference", " ".join(reference.get(key, "") for key in ("cause", "solution")), 1),
    ]
    parts.extend((name, sections.get(name, ""), 1) for name in SEARCHED_SECTIONS)
    return [part for part in parts if part[1].strip()]


@dataclass
class SearchIndex:
    """Postings of every word (document numbers and weighted counts) and each document's facts."""

    ids: list[str]
    paths: list[str]
    facets: list[tuple[str, str, str, str, bool]]  # title, status, severity, component, reference_only
    lengths: list[int]
    postings: dict[str, tuple[bytes, bytes]]

    @property
    def average_length(self) -> float:
        """The mean weighted length of a document (1 for an empty index)."""
        return (sum(self.lengths) / len(self.lengths)) if self.lengths else 1.0


#: One issue as the index keeps it: ID, path, facets and its weighted word counts.
Document = tuple[str, str, tuple[str, str, str, str, bool], dict[str, int]]


def issue_document(issue: Issue) -> Document:
    """What the index keeps of one issue (bodies loaded)."""
    counts: Counter[str] = Counter()
    for _, text, weight in issue_fields(issue):
        for word in tokens(text):
            counts[word] += weight
    return (issue.id, str(issue.path),
            (issue.title, issue.status, issue.severity, issue.component, issue.reference_only),
            dict(counts))


def index_documents(documents: Iterable[Document]) -> SearchIndex:
    """The postings of documents, in ID order."""
    from issuelog.core.store import sort_key

    ids: list[str] = []
    paths: list[str] = []
    facets: list[tuple[str, str, str, str, bool]] = []
    lengths: list[int] = []
    postings: dict[str, tuple[array[int], array[int]]] = {}
    for number, (issue_id, path, facet, counts) in enumerate(
            sorted(documents, key=lambda document: sort_key(document[0]))):
        ids.append(issue_id)
        paths.append(path)
        facets.append(facet)
        lengths.append(sum(counts.values()))
        for word, count in counts.items():
            entry = postings.get(word)
            if entry is None:
                entry = postings[word] = (array("I"), array("I"))
            entry[0].append(number)
            entry[1].append(min(count, 0xFFFFFFFF))
    packed = {word: (docs.tobytes(), counts.tobytes()) for word, (docs, counts) in postings.items()}
    return SearchIndex(ids, paths, facets, lengths, packed)


def build_index(issues: Iterable[Issue]) -> SearchIndex:
    """Index issues (bodies loaded) in ID order."""
    return index_documents(issue_document(issue) for issue in issues)


def load_index(config: Config) -> SearchIndex:
    """The project's index: from the cache when no issue file changed, else brought up to date.

    Two cache files: the postings, read by every search, and each file's word counts, read only
    when files changed, so that one edited issue costs one file's reading and not all of them.
    """
    started = time.time_ns()
    stamps = scan_issue_files(config)
    code = code_fingerprint()
    digest = hashlib.sha256(f"{INDEX_FORMAT}{code}".encode() + stamps_bytes(stamps)).hexdigest()
    cache_dir = state_dir_or_none(config)
    if cache_dir is not None:
        hit = read_cache(cache_dir / INDEX_CACHE, digest)
        if isinstance(hit, tuple) and len(hit) == 5:
            return SearchIndex(*hit)
    known = read_cache(cache_dir / COUNTS_CACHE, code) if cache_dir is not None else None
    kept: dict[str, tuple[FileStamp, Document]] = known if isinstance(known, dict) else {}
    changed = [name for name, stamp in stamps
               if (entry := kept.get(name)) is None or entry[0] != stamp]
    fresh: dict[str, Document] = {}
    if len(changed) > REREAD_ONE_BY_ONE:
        # Many changes: the parse cache and its worker processes read them fastest.
        wanted = set(changed)
        for issue in load_issues(config, bodies=True, stamps=stamps).issues:
            if issue.path.name in wanted:
                fresh[issue.path.name] = issue_document(issue)
    else:
        for name in changed:
            try:
                fresh[name] = issue_document(load_issue(config, config.issues_path / name)[1])
            except IssuelogError:  # unusable file: not searchable until fixed, as in `list`
                continue
    entries: dict[str, tuple[FileStamp, Document]] = {}
    for name, stamp in stamps:
        if name in fresh:
            entries[name] = (stamp, fresh[name])
        elif name not in changed:
            entries[name] = kept[name]
    index = index_documents(entry[1] for entry in entries.values())
    if cache_dir is not None:
        # A file changed within the racy window could change again unseen by its mtime.
        write_cache(cache_dir / COUNTS_CACHE, code,
                     {name: entry for name, entry in entries.items()
                      if is_trusted(entry[0], started)})
        if all_trusted(stamps, started):
            write_cache(cache_dir / INDEX_CACHE, digest,
                         (index.ids, index.paths, index.facets, index.lengths, index.postings))
    return index


@dataclass(frozen=True)
class SearchFilters:
    """Which issues a search looks at: open ones unless `status` or `include_closed` say more."""

    status: tuple[str, ...] = ()
    severity: tuple[str, ...] = ()
    component: tuple[str, ...] = ()
    include_closed: bool = False


@dataclass
class SectionMatch:
    """A part of an issue that matched: its name, the query words in it, and a short excerpt."""

    section: str
    words: list[str]
    excerpt: str


@dataclass
class SearchHit:
    """One issue found: its ID, title, status, score and the parts of it that matched best."""

    issue_id: str
    title: str
    status: str
    severity: str
    component: str
    path: str
    score: float
    words: list[str]
    sections: list[SectionMatch] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The hit as JSON-ready values, keys in a fixed order."""
        return {
            "id": self.issue_id, "title": self.title, "status": self.status,
            "severity": self.severity, "component": self.component, "path": self.path,
            "score": round(self.score, 3), "words": self.words,
            "sections": [{"section": s.section, "words": s.words, "excerpt": s.excerpt}
                         for s in self.sections],
        }


def _allowed(facet: tuple[str, str, str, str, bool], filters: SearchFilters,
             open_statuses: set[str], known: set[str]) -> bool:
    _, status, severity, component, reference_only = facet
    if filters.status:
        if status not in filters.status:
            return False
    # Reference entries are closed by definition, yet they are knowledge worth finding.
    elif (not filters.include_closed and status in known and status not in open_statuses
          and not reference_only):
        return False
    if filters.severity and severity not in filters.severity:
        return False
    return not filters.component or component in filters.component


def rank(index: SearchIndex, query: str, filters: SearchFilters, config: Config,
         limit: int, offset: int = 0) -> list[tuple[int, float, list[str]]]:
    """(document number, BM25 score, matched words) of the best documents, best first."""
    words = list(dict.fromkeys(tokens(query)))
    if not words:
        raise UsageError(f"nothing to search for in '{query}': give at least one word")
    total = len(index.ids)
    average = index.average_length
    scores: dict[int, float] = {}
    matched: dict[int, list[str]] = {}
    for word in words:
        entry = index.postings.get(word)
        if entry is None:
            continue
        docs, counts = array("I"), array("I")
        docs.frombytes(entry[0])
        counts.frombytes(entry[1])
        idf = math.log(1 + (total - len(docs) + 0.5) / (len(docs) + 0.5))
        for number, count in zip(docs, counts, strict=True):
            norm = K1 * (1 - B + B * index.lengths[number] / average)
            scores[number] = scores.get(number, 0.0) + idf * count * (K1 + 1) / (count + norm)
            matched.setdefault(number, []).append(word)
    open_statuses = set(config.open_statuses)
    known = {status.name for status in config.statuses}
    # Only the page is ordered: a common word matches most of ten thousand issues.
    ranked = heapq.nsmallest(
        offset + limit,
        (number for number in scores
         if _allowed(index.facets[number], filters, open_statuses, known)),
        key=lambda number: (-scores[number], number))
    return [(number, scores[number], matched[number]) for number in ranked[offset:offset + limit]]


def excerpt(text: str, words: Sequence[str]) -> str:
    """About SNIPPET_LENGTH characters of `text` on one line, from just before its first match."""
    flat = " ".join(text.split())
    lowered = flat.casefold()
    positions = [lowered.find(word) for word in words if word in lowered]
    start = max(0, min(positions, default=0) - 40)
    if start:
        start = flat.find(" ", start) + 1 or start
    piece = flat[start:start + SNIPPET_LENGTH]
    prefix = "…" if start else ""
    suffix = "…" if start + SNIPPET_LENGTH < len(flat) else ""
    return f"{prefix}{piece.rstrip()}{suffix}"


def matching_sections(issue: Issue, words: Sequence[str], limit: int = 2) -> list[SectionMatch]:
    """The parts of an issue holding the most of `words`, best first (at most `limit`)."""
    found = []
    for name, text, _ in issue_fields(issue):
        present = set(tokens(text))
        hits = [word for word in words if word in present]
        if hits:
            found.append((len(hits), name, hits, text))
    found.sort(key=lambda item: -item[0])  # stable: ties keep the field order
    return [SectionMatch(name, hits, excerpt(text, hits)) for _, name, hits, text in found[:limit]]


def search(config: Config, query: str, filters: SearchFilters | None = None, *,
           limit: int = 10, offset: int = 0, sections: int = 2) -> list[SearchHit]:
    """The issues that best match `query`, best first, with the sections that matched."""
    if limit < 1 or offset < 0:
        raise UsageError("--limit must be at least 1 and --offset at least 0")
    index = load_index(config)
    # Matched words are shown as the query spelt them (`exhausted`), not as stems (`exhaust`).
    spelt = {stemmed: whole.casefold() for whole in _WORD.findall(query)
             for stemmed in tokens(whole)}
    hits = []
    for number, score, stems in rank(index, query, filters or SearchFilters(), config,
                                     limit, offset):
        words = [spelt.get(word, word) for word in stems]
        path = Path(index.paths[number])
        title, status, severity, component, _ = index.facets[number]
        hit = SearchHit(index.ids[number], title, status, severity, component,
                        _relative(path, config), score, words)
        if sections:
            try:
                _, issue = load_issue(config, path)
            except IssuelogError:  # changed under us since indexing: shown without excerpts
                issue = None
            if issue is not None:
                hit.sections = [SectionMatch(match.section, [spelt.get(w, w) for w in match.words],
                                             match.excerpt)
                                for match in matching_sections(issue, stems, sections)]
        hits.append(hit)
    return hits


def _relative(path: Path, config: Config) -> str:
    return path.relative_to(config.root).as_posix() if path.is_relative_to(config.root) else str(path)
