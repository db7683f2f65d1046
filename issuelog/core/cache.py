"""The parse cache under `.issuelog/cache/`: every issue file parsed and validated, each parsed
again only when its content changed; `load_issues`, the one way every command reads the issues.

Never stale: an entry is found by the file's name and stamp (size, mtime, ctime and inode: the
cheap first test), else by its content (git's blob ID of the bytes), so that a fresh checkout of
a known tree with a restored `.issuelog/cache/` (a CI cache) parses nothing; its validation
problems hold only for the configuration they were found under (by digest), and the whole cache
only for the code that wrote it. Safe to delete: everything is rebuilt, and an unreadable or
foreign cache file counts as empty. Written atomically, and never required: a read-only checkout
works, only slower.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from issuelog.core.cache_files import (
    PARSED_CACHE,
    UNSTAMPED,
    FileStamp,
    Stamp,
    code_fingerprint,
    file_stamp,
    is_trusted,
    read_cache,
    state_dir_or_none,
    write_cache,
)
from issuelog.core.config import Config
from issuelog.core.model import Issue, Problem, parse_issue, validate_issue
from issuelog.core.parallel import parse_files
from issuelog.core.parsing import (
    ParsedFile,
    config_digest,
    found_by_content,
    issue_from_state,
    parse_data,
    validated,
)
from issuelog.core.store import (
    IssueSet,
    cross_file_problems,
    decode_text,
    display_path,
    is_issue_file,
    issue_files,
    read_bytes,
    read_text,
)


@dataclass
class ParsedIssue:
    """One issue file as shown in messages, its issue (None if unusable) and all its problems."""

    shown: str
    issue: Issue | None
    problems: list[Problem]
    blob: bytes = b""  # the content's git blob ID, when it was read and hashed


@dataclass
class LoadCounts:
    """How the last load found its files: by stamp, by content (blob ID), or parsed."""

    by_stamp: int = 0
    by_content: int = 0
    parsed: int = 0


#: What the latest `parsed_issue_files` of this process did (for tests and benchmarks).
last_load = LoadCounts()


def scan_issue_files(config: Config) -> list[Stamp]:
    """Name and stamp of every issue file, sorted by name, as `store.issue_files` lists them.

    A file that cannot be examined, or is a symbolic link, is UNSTAMPED, which no cache entry
    matches and which keeps the rendered log out of the cache.
    """
    stamps: list[Stamp] = []
    try:
        entries = list(os.scandir(config.issues_path))
    except (FileNotFoundError, NotADirectoryError):
        return stamps
    for entry in entries:
        if not is_issue_file(entry.name):
            continue
        try:
            # A symbolic link is read anew each time: where it points decides whether it is read.
            if entry.is_symlink():
                raise OSError
            info = entry.stat()
        except OSError:
            stamps.append((entry.name, UNSTAMPED))
            continue
        stamps.append((entry.name, file_stamp(info)))
    stamps.sort()
    return stamps


@contextlib.contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while tens of thousands of containers are built.

    Issues, their lists and dicts form no reference cycles, yet each collection of the oldest
    generation walks all of them again: loading the parse cache of 10,000 issues took twice as
    long with the collector running. Whatever cycles appear meanwhile are collected afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parsed_issue_files(config: Config, *, bodies: bool = True,
                       minimum_for_workers: int | None = None,
                       stamps: list[Stamp] | None = None) -> list[ParsedIssue]:
    """Every issue file parsed and validated, from the cache while the file and config are unchanged.

    Problems found across files (duplicate IDs) are `store.cross_file_problems`' job.

    `stamps` is a `scan_issue_files` the caller has just made, so as not to examine every file twice.
    `minimum_for_workers` overrides `parallel.PARALLEL_MINIMUM`.
    """
    with cycle_collector_paused():  # worker processes inherit the pause
        return _parsed_issue_files(config, bodies, minimum_for_workers, stamps)


def _parsed_issue_files(config: Config, bodies: bool, minimum_for_workers: int | None,
                        stamps: list[Stamp] | None) -> list[ParsedIssue]:
    # Before any file is read: a file modified within RACY_NS of this moment is not cached, even
    # when parsing takes long (its content could change again within the same timestamp).
    started = time.time_ns()
    directory = config.issues_path
    if stamps is None:
        stamps = scan_issue_files(config)
    paths = [directory / name for name, _ in stamps]
    fingerprint = code_fingerprint()
    digest = config_digest(config)
    cache_path = state_dir_or_none(config)
    cached: dict[str, tuple[Any, ...]] = {}
    if cache_path is not None:
        cached = read_parsed_cache(cache_path / PARSED_CACHE, fingerprint)
    results: dict[str, ParsedFile | Problem] = {}
    stale: list[Path] = []
    changed: list[str] = []
    for path, (name, stamp) in zip(paths, stamps, strict=True):
        entry = cached.get(name)
        if entry is not None and entry[0] == stamp:
            parsed = ParsedFile(*entry)
            results[name] = checked = validated(path, parsed, config, digest)
            if checked is not parsed:
                changed.append(name)
        else:
            stale.append(path)
    # A stamp that changed (an edit, a fresh checkout, a restored cache) is looked up by content.
    found: dict[str, ParsedFile] = {}
    if stale and cached:
        found, stale = found_by_content(stale, cached, config, digest)
    fresh = parse_files(stale, config, digest, minimum_for_workers)
    results.update(found)
    results.update(fresh)
    changed += [*found, *fresh]
    last_load.by_stamp = len(paths) - len(found) - len(stale)
    last_load.by_content, last_load.parsed = len(found), len(stale)
    if cache_path is not None:
        update_parsed_cache(cache_path / PARSED_CACHE, fingerprint, cached, results, changed,
                            started)
    # display_path for each of thousands of files costs more than using a cached one.
    shown = display_path(config.issues_path, config)
    prefix = "" if shown == "." else os.path.join(shown, "")
    return [_issue_of(path, prefix + name, results[name], bodies, config)
            for path, (name, _) in zip(paths, stamps, strict=True)]


def read_parsed_cache(path: Path, fingerprint: str) -> dict[str, tuple[Any, ...]]:
    """The parse cache's entries by file name; empty when it is missing, foreign or damaged."""
    entries = read_cache(path, fingerprint)
    return entries if isinstance(entries, dict) else {}


def update_parsed_cache(path: Path, fingerprint: str, cached: dict[str, tuple[Any, ...]],
                        results: Mapping[str, ParsedFile | Problem], changed: list[str],
                        now: int) -> None:
    """Rewrite the parse cache when it would hold something new or a file has gone; `now` is
    when reading the files began."""
    def kept(entry: ParsedFile | Problem) -> TypeGuard[ParsedFile]:
        return isinstance(entry, ParsedFile) and is_trusted(entry.stamp, now)

    # A file edited a moment ago stays out of the cache until it is older than RACY_NS, so
    # rendering right after an edit does not pay for rewriting the whole cache.
    if any(kept(results[name]) for name in changed) or not cached.keys() <= results.keys():
        write_cache(path, fingerprint,
                    {name: tuple(entry) for name, entry in results.items() if kept(entry)})


def issues_of_blobs(config: Config, blobs: Mapping[str, str],
                    read: Callable[[Sequence[str]], list[bytes]], *, use_cache: bool = True) -> list[Issue]:
    """The issues of files given by name and blob ID (hex), as at a git revision; bodies empty.

    Contents the parse cache knows are not read (unless `use_cache` is off, for a few blobs that
    cost less to parse than the cache to load): `read` fetches the others' bytes by blob ID.
    Files that do not parse, or have no ID, are left out.
    """
    cache_path = state_dir_or_none(config) if use_cache else None
    cached = read_parsed_cache(cache_path / PARSED_CACHE, code_fingerprint()) if cache_path else {}
    known = {entry[5]: entry[1] for entry in cached.values()}
    directory = config.issues_path
    states: dict[str, dict[str, Any] | None] = {}
    missing: list[str] = []
    for name, blob in blobs.items():
        if bytes.fromhex(blob) in known:
            states[name] = known[bytes.fromhex(blob)]
        else:
            missing.append(name)
    digest = config_digest(config)
    for name, data in zip(missing, read([blobs[name] for name in missing]), strict=True):
        states[name] = parse_data(directory / name, data, config, digest).state
    issues = []
    for name in sorted(states):
        state = states[name]
        if state is not None and state["id"]:
            issues.append(issue_from_state(directory / name, dict(state), ""))
    return issues


def _issue_of(path: Path, shown: str, parsed: ParsedFile | Problem, bodies: bool,
              config: Config) -> ParsedIssue:
    if isinstance(parsed, Problem):
        return ParsedIssue(shown, None, [Problem(shown, parsed.line, parsed.message)])
    problems = [Problem(shown, line, message) for line, message in parsed.problems]
    if parsed.state is None:
        return ParsedIssue(shown, None, problems, parsed.blob)
    if parsed.checked is not None:
        problems += [Problem(shown, line, message) for line, message in parsed.checked[1]]
    if bodies and parsed.body_length:
        data, _ = read_bytes(path, shown, config.root)
        text = decode_text(data, shown)[0] if data is not None and len(data) == parsed.stamp[0] else None
        if text is None:
            # Changed since it was stamped: parse what is there now rather than mix two versions.
            return _fresh(path, shown, config)
        return ParsedIssue(shown, issue_from_state(path, parsed.state, text[len(text) - parsed.body_length:]),
                           problems, parsed.blob)
    return ParsedIssue(shown, issue_from_state(path, parsed.state, ""), problems, parsed.blob)


def _fresh(path: Path, shown: str, config: Config) -> ParsedIssue:
    text, problem = read_text(path, shown, config.root)
    if text is None:
        return ParsedIssue(shown, None, [problem or Problem(shown, 1, "cannot read file")])
    issue, problems = parse_issue(path, text, shown)
    if issue is not None:
        problems += validate_issue(issue, config, shown)
    return ParsedIssue(shown, issue, problems)


def load_issues(config: Config, *, bodies: bool = True,
                stamps: list[Stamp] | None = None) -> IssueSet:
    """Parse and validate every issue file; collect all problems instead of stopping at the first.

    Unchanged files come from the parse cache; `bodies=False` leaves each `body` empty; `stamps`
    is the caller's fresh `cache.scan_issue_files`, if it has one.
    """
    result = IssueSet()
    contents = hashlib.sha256()
    known = True
    for parsed in parsed_issue_files(config, bodies=bodies, stamps=stamps):
        result.problems.extend(parsed.problems)
        if parsed.issue is not None:
            result.issues.append(parsed.issue)
        contents.update(os.path.basename(parsed.shown).encode() + b"\0" + parsed.blob)
        known = known and bool(parsed.blob)
    result.contents = contents.hexdigest() if known else ""
    result.problems.extend(cross_file_problems(result.issues, config))
    result.problems.sort()
    return result


class IssueIndex:
    """The issues of a project kept in memory between looks, each re-parsed only when its file
    changed: the in-process side of this module's cache, for a batch of `record` events.

    A batch re-reads the directory before each event (under the lock), so it sees issues that
    concurrent recorders created, without parsing every file every time. The inode is part of
    the key: every issuelog writer replaces a file by renaming a new one into place.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self._entries: dict[Path, tuple[FileStamp, Issue | None]] = {}

    def issues(self) -> list[Issue]:
        """Every parsable issue file as it is on disk now."""
        current: dict[Path, tuple[FileStamp, Issue | None]] = {}
        for path in issue_files(self.config):
            try:
                info = path.stat()
            except FileNotFoundError:
                continue
            key = file_stamp(info)
            cached = self._entries.get(path)
            if cached is not None and cached[0] == key:
                current[path] = cached
                continue
            text, _ = read_text(path, str(path), self.config.root)
            issue = parse_issue(path, text, str(path))[0] if text is not None else None
            current[path] = (key, issue)
        self._entries = current
        return [issue for _, issue in current.values() if issue is not None]
