"""Similar past issues: "have we seen this error before, and how was it fixed?".

An issue whose fingerprint equals the error's (ops/fingerprint) is the same issue: score 1.
Every other issue gets a score from 0 to 1 made of three parts:

- text: the cosine of the error's words and the issue's (title, error type and message, the
  reference entry's cause), each word weighted by its rarity among the issues (IDF), after the
  fingerprint's normalisation turned numbers, paths, hosts and quoted values into placeholders;
- type: 1 when both name the same error type, 0 when they name different ones (not counted
  when either has none);
- frames: the share of stack frames (file and function, in any order) the two traces share
  (not counted when either has none).

A score of SAME_ISSUE_SCORE or more is called "the same issue"; below it an issue is only
"related". Reference-only entries are compared like any other issue: they are the project's
common-issues reference.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from issuelog.core.config import Config
from issuelog.core.model import Issue
from issuelog.core.sections import read_sections, without_comments
from issuelog.core.store import sort_key
from issuelog.errors import IssuelogError
from issuelog.ops.fingerprint import NORMALIZERS, ErrorSignature, Frame, parse_stack_trace
from issuelog.ops.record import ERROR_SECTION, find_match
from issuelog.search.index import last_line, tokens

#: At or above this score an issue is called the same issue; below it, only related. Chosen on
#: the evaluation set (bench/similar_eval.py): events of unknown errors scored 0.61 at most,
#: reworded messages and log lines of a known one 0.64 and up, mostly above 0.8; a false
#: "same issue" costs more than calling a true one "related", so the line is drawn at 0.7.
SAME_ISSUE_SCORE = 0.7
#: Issues scoring below this are not shown at all.
MIN_SCORE = 0.15
# How much each part weighs when both sides have it (the text always counts).
TEXT_WEIGHT = 0.6
TYPE_WEIGHT = 0.2
FRAMES_WEIGHT = 0.3
EXCERPT_LENGTH = 300
#: How many issues, best by the search index, are compared whole with an error.
CANDIDATES = 50
KNOWLEDGE_SECTIONS = ("Description", "Root Cause", "Resolution")
_PLACEHOLDERS = frozenset({"uuid", "timestamp", "ip", "hex", "value", "path"})


@dataclass
class SimilarIssue:
    """A past issue close to an error: how close, why, and what was found and done then."""

    issue_id: str
    title: str
    status: str
    path: str
    score: float
    exact: bool
    same: bool
    root_cause: str
    resolution: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values, keys in a fixed order."""
        return {"id": self.issue_id, "title": self.title, "status": self.status,
                "path": self.path, "score": round(self.score, 3), "exact": self.exact,
                "same_issue": self.same, "root_cause": self.root_cause,
                "resolution": self.resolution}


def message_words(text: str) -> list[str]:
    """The words of an error text once its variable parts are placeholders (dropped here)."""
    normalized = NORMALIZERS[max(NORMALIZERS)](text)
    return [word for word in tokens(normalized) if word not in _PLACEHOLDERS and not word.isdigit()]


def frame_words(frames: Iterable[Frame]) -> list[str]:
    """The words of frames' file and function names: `get_profile` in `views.py`."""
    return tokens(" ".join(f"{frame.file.rsplit('.', 1)[0]} {frame.function}" for frame in frames))


def issue_document(issue: Issue) -> tuple[Counter[str], frozenset[Frame]]:
    """The words an issue is compared on (its error's twice, the rest once) and its frames.

    The error: title, type, message, the last line of its trace, the reference entry's cause.
    The rest: component, frames, and the Description, Root Cause and Resolution sections.
    """
    reference = issue.reference or {}
    sections = read_sections(issue.body) if issue.body else {}
    trace = without_comments(sections.get(ERROR_SECTION, ""))  # not the template's placeholder
    frames = parse_stack_trace(trace)
    error = message_words(" ".join((issue.title, issue.error_type, issue.error_message,
                                    last_line(trace), reference.get("cause", ""))))
    rest = [*message_words(" ".join((issue.component, *(_plain(sections.get(name, ""), None)
                                                        for name in KNOWLEDGE_SECTIONS),
                                     reference.get("solution", "")))), *frame_words(frames)]
    words = Counter(error)
    for word in error:
        words[word] += 1
    words.update(rest)
    return words, frozenset(frames)


def _cosine(query: Counter[str], document: Counter[str], idf: dict[str, float]) -> float:
    shared = sum(query[word] * document[word] * idf.get(word, 0.0) ** 2
                 for word in query.keys() & document.keys())
    if not shared:
        return 0.0
    norm_q = math.sqrt(sum((count * idf.get(word, 0.0)) ** 2 for word, count in query.items()))
    norm_d = math.sqrt(sum((count * idf.get(word, 0.0)) ** 2 for word, count in document.items()))
    return shared / (norm_q * norm_d) if norm_q and norm_d else 0.0


def similarity(signature: ErrorSignature, words: Counter[str], issue_words: Counter[str],
               issue: Issue, frames: frozenset[Frame], idf: dict[str, float]) -> float:
    """The score from 0 to 1 of one issue for one error (see the module's description)."""
    total = TEXT_WEIGHT * _cosine(words, issue_words, idf)
    weight = TEXT_WEIGHT
    if signature.error_type and issue.error_type:
        weight += TYPE_WEIGHT
        if signature.error_type.casefold() == issue.error_type.casefold():
            total += TYPE_WEIGHT
    if signature.frames and frames:
        weight += FRAMES_WEIGHT
        mine = frozenset(signature.frames)
        total += FRAMES_WEIGHT * len(mine & frames) / len(mine | frames)
    return total / weight


class SimilarIndex:
    """The issues of a project prepared for comparison once: their words, frames and rarity."""

    def __init__(self, issues: Iterable[Issue], config: Config, *,
                 frequency: Mapping[str, int] | None = None, count: int | None = None) -> None:
        """Prepare `issues`; `frequency` and `count` give word rarity over a larger set of
        issues (the search index's) when `issues` are only the candidates drawn from it."""
        self.config = config
        self.issues = list(issues)
        self.documents = [issue_document(issue) for issue in self.issues]
        self.frequency: Mapping[str, int]
        if frequency is None:
            counted: Counter[str] = Counter()
            for document, _ in self.documents:
                counted.update(document.keys())
            self.frequency = counted
        else:
            self.frequency = frequency
        self.count = count if count is not None else len(self.issues)

    def find(self, message: str = "", *, stack_trace: str = "", error_type: str = "",
             component: str = "", limit: int = 5,
             exact_ids: set[str] | None = None) -> list[SimilarIssue]:
        """The past issues closest to an error or free text, best first; `exact_ids`, when
        given, are the issues known to have the error's fingerprint."""
        signature = ErrorSignature.from_parts(message, error_type, component, stack_trace)
        exact = (exact_ids if exact_ids is not None
                 else _exact_matches(self.issues, signature, self.config))
        message_text = signature.message or (last_line(stack_trace) if stack_trace else "")
        words = Counter(message_words(" ".join((signature.error_type, message_text))))
        words.update(frame_words(signature.frames))
        count = self.count
        idf = {word: math.log(1 + (count + 1) / (self.frequency.get(word, 0) + 0.5))
               for word in words}
        scored: list[tuple[float, Issue]] = []
        for issue, (document, frames) in zip(self.issues, self.documents, strict=True):
            if issue.id in exact:
                scored.append((1.0, issue))
                continue
            if not (words.keys() & document.keys()) and not (signature.frames and frames):
                continue
            score = similarity(signature, words, document, issue, frames, idf)
            if score >= MIN_SCORE:
                # 1 is kept for an exact fingerprint: text alone never claims that certainty.
                scored.append((min(score, 0.999), issue))
        scored.sort(key=lambda item: (-item[0], sort_key(item[1].id)))
        return [_described(issue, score, issue.id in exact, self.config)
                for score, issue in scored[:limit]]


def find_similar(issues: Iterable[Issue], config: Config, message: str = "", *,
                 stack_trace: str = "", error_type: str = "", component: str = "",
                 limit: int = 5) -> list[SimilarIssue]:
    """The past issues closest to an error or free text, best first (bodies must be loaded)."""
    return SimilarIndex(issues, config).find(message, stack_trace=stack_trace,
                                             error_type=error_type, component=component,
                                             limit=limit)


def _exact_matches(issues: list[Issue], signature: ErrorSignature, config: Config) -> set[str]:
    """IDs of the issues whose fingerprint is the error's; without a component, under any one.

    The component is part of a fingerprint: an error pasted without one still matches the
    issue `record --component api` made of it.
    """
    components = [signature.component] if signature.component else sorted(
        {issue.component for issue in issues if issue.fingerprint})
    found = set()
    for component in components or [""]:
        variant = ErrorSignature(signature.error_type, component, signature.message,
                                 signature.frames)
        match = find_match(issues, variant, config)
        if match is not None:
            found.add(match.id)
    return found


def _described(issue: Issue, score: float, exact: bool, config: Config) -> SimilarIssue:
    from issuelog.log.listing import relative_path

    sections = read_sections(issue.body) if issue.body else {}
    reference = issue.reference or {}
    cause = sections.get("Root Cause", "").strip() or reference.get("cause", "")
    fix = sections.get("Resolution", "").strip() or reference.get("solution", "")
    return SimilarIssue(issue.id, issue.title, issue.status, relative_path(issue, config), score,
                        exact, score >= SAME_ISSUE_SCORE, _plain(cause), _plain(fix))


def _plain(text: str, length: int | None = EXCERPT_LENGTH) -> str:
    """A section on one line without HTML comments (template hints), cut to `length`."""
    flat = " ".join(without_comments(text).split())
    return flat if length is None or len(flat) <= length else flat[:length - 1].rstrip() + "…"


def similar_in_project(config: Config, message: str = "", *, stack_trace: str = "",
                       error_type: str = "", component: str = "", limit: int = 5,
                       exact_ids: set[str] | None = None) -> list[SimilarIssue]:
    """The closest issues of the project, closed and reference-only ones included.

    Only candidates are read whole: the CANDIDATES best by the search index (BM25 over the
    error's words) and the issues with the error's fingerprint (`exact_ids` when the caller
    knows them, else found in the frontmatter of every issue); word rarity comes from the
    index, so that the scores are those of a comparison with every issue.
    """
    from pathlib import Path

    from issuelog.core.cache import load_issues
    from issuelog.core.store import load_issue
    from issuelog.search.index import SearchFilters, load_index, rank

    index = load_index(config)
    signature = ErrorSignature.from_parts(message, error_type, component, stack_trace)
    text = " ".join((signature.error_type, signature.message or last_line(stack_trace),
                     " ".join(frame_words(signature.frames))))
    query = " ".join(message_words(text))
    paths = {index.paths[number] for number, _, _ in (
        rank(index, query, SearchFilters(include_closed=True), config, CANDIDATES)
        if query.strip() else [])}
    if exact_ids is None:
        every = load_issues(config, bodies=False).issues
        exact_ids = _exact_matches(every, signature, config)
        paths.update(str(issue.path) for issue in every if issue.id in exact_ids)
    else:
        by_id = dict(zip(index.ids, index.paths, strict=True))
        paths.update(by_id[issue_id] for issue_id in exact_ids if issue_id in by_id)
    candidates = []
    for path in sorted(paths):
        try:
            candidates.append(load_issue(config, Path(path))[1])
        except IssuelogError:  # changed or broken since it was indexed: not a candidate
            continue
    frequency = {word: len(entry[0]) // 4 for word, entry in index.postings.items()}
    return SimilarIndex(candidates, config, frequency=frequency, count=len(index.ids)).find(
        message, stack_trace=stack_trace, error_type=error_type, component=component,
        limit=limit, exact_ids=exact_ids)


def best_known_fix(config: Config, event_message: str, *, stack_trace: str = "",
                   error_type: str = "", component: str = "",
                   recorded_id: str = "") -> SimilarIssue | None:
    """The closest issue, other than a fresh one, that says how it was fixed: what `record` shows.

    The issue the event was counted on comes first when it has a Resolution; an issue just
    created by the event is skipped (it knows nothing yet); only "same issue" scores count.
    """
    # The event's own fingerprint is that of the issue it was counted on or created as.
    for candidate in similar_in_project(config, event_message, stack_trace=stack_trace,
                                        error_type=error_type, component=component, limit=5,
                                        exact_ids={recorded_id} if recorded_id else None):
        if not candidate.same:
            break
        if candidate.resolution and (candidate.issue_id != recorded_id or candidate.exact):
            return candidate
    return None
