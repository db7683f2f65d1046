"""Caches under `.issuelog/cache/`: parsed issue files, and the last rendered log.

Never stale: a parsed file is reused only while its name, size and mtime_ns are unchanged and
the code that parsed it is the same, and its validation problems only for the configuration
they were found under (by digest); the rendered log only while every issue file, the
configuration, the templates and the code are. Safe to delete: everything is rebuilt, and an
unreadable or foreign cache file counts as empty. Written atomically, so readers never see half
a cache, and never required: a read-only checkout works, only slower.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import importlib.util
import io
import os
import pickle
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from issuelog import __version__
from issuelog.core.config import Config
from issuelog.core.model import LIST_FIELDS, Issue, Problem, parse_issue, validate_issue
from issuelog.core.store import (
    IssueSet,
    cross_file_problems,
    decode_text,
    display_path,
    is_issue_file,
    issue_files,
    read_bytes,
    read_stamped,
    read_text,
    state_dir,
    write_bytes_atomic,
)
from issuelog.errors import IssueFileError

if TYPE_CHECKING:
    pass

#: Bumped whenever the layout of a cache file changes; part of every cache file's name.
CACHE_FORMAT = 3
PARSED_CACHE = f"parsed-v{CACHE_FORMAT}.pickle"
RENDERED_CACHE = f"rendered-v{CACHE_FORMAT}.pickle"

#: A file modified this close to the moment a cache is written is not trusted to it: an edit that
#: keeps the size within the file system's timestamp granularity would keep the mtime too.
RACY_NS = 2_000_000_000

#: Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_MINIMUM = 2000

#: The libraries whose behaviour decides what a file parses or renders to.
_LIBRARIES = ("yaml", "frontmatter", "jinja2")

#: What a cache file may contain besides plain values: the types YAML's safe loader produces,
#: and the stand-in for a date that does not exist (kept among unknown keys' values).
_ALLOWED_GLOBALS = frozenset({
    ("datetime", "date"), ("datetime", "datetime"), ("datetime", "timezone"),
    ("datetime", "timedelta"), ("builtins", "frozenset"), ("builtins", "set"),
    ("issuelog.core.yaml_loader", "InvalidDate"),
})

Stamp = tuple[str, int, int]
"""A file's name, size and mtime in nanoseconds: what decides whether a cache entry still holds."""


class ParsedFile(NamedTuple):
    """What parsing one file found: the issue's state (None if unusable) and its problems.

    `checked` is the digest of the configuration the issue was validated against and the
    problems validation found, or None when it has not been validated.
    """

    size: int
    mtime_ns: int
    state: dict[str, Any] | None
    problems: list[tuple[int, str]]
    body_length: int
    checked: tuple[str, list[tuple[int, str]]] | None = None


@dataclass
class ParsedIssue:
    """One issue file as shown in messages, its issue (None if unusable) and all its problems."""

    shown: str
    issue: Issue | None
    problems: list[Problem]


class _PlainUnpickler(pickle.Unpickler):
    """Loads only plain values and dates: a cache file can never run code."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache file")
        return super().find_class(module, name)


def code_fingerprint() -> str:
    """A digest of the code that turns files into issues and issues into a log."""
    parts: list[object] = [CACHE_FORMAT, __version__, sys.version]
    package = Path(__file__).parent.parent  # issuelog/, above core/
    sources = sorted(package.rglob("*.py"))
    for library in _LIBRARIES:
        spec = importlib.util.find_spec(library)
        if spec is not None and spec.origin:
            sources.append(Path(spec.origin))
    for path in sources:
        parts.append(_stamp(path))
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _stamp(path: Path) -> Stamp | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return str(path), info.st_size, info.st_mtime_ns


def scan_issue_files(config: Config) -> list[Stamp]:
    """Name, size and mtime of every issue file, sorted by name, as `store.issue_files` lists them.

    A file that cannot be examined, or is a symbolic link, gets size and mtime -1, which no cache
    entry matches and which keeps the rendered log out of the cache.
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
            stamps.append((entry.name, -1, -1))
            continue
        stamps.append((entry.name, info.st_size, info.st_mtime_ns))
    stamps.sort()
    return stamps


def read_cache(path: Path, fingerprint: str) -> Any:
    """The payload of a cache file written by this code, or None (missing, foreign, damaged)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    stored = _load_plain(data)
    if not isinstance(stored, dict) or stored.get("fingerprint") != fingerprint:
        return None
    return stored.get("payload")


def _load_plain(data: bytes) -> Any:
    """Unpickle plain values and dates only; None for anything damaged or foreign."""
    try:
        return _PlainUnpickler(io.BytesIO(data)).load()
    except Exception:  # damaged bytes fail in many ways (a huge timedelta: OverflowError)
        return None


def write_cache(path: Path, fingerprint: str, payload: Any) -> None:
    """Replace a cache file atomically; a cache that cannot be written is simply not kept."""
    try:
        data = pickle.dumps({"fingerprint": fingerprint, "payload": payload},
                            protocol=pickle.HIGHEST_PROTOCOL)
        # Not synced to disk: a cache damaged by a crash of the machine reads as empty.
        write_bytes_atomic(path, data, durable=False)
    # write_bytes_atomic reports an OSError as IssueFileError; a very deep value cannot be pickled.
    except (OSError, IssueFileError, RecursionError):
        return


def is_racy(mtime_ns: int, now_ns: int) -> bool:
    """Whether a file changed so recently that a later change could keep the same time stamp."""
    return mtime_ns >= now_ns - RACY_NS


def config_digest(config: Config) -> str:
    """A digest of the configuration: what validation results are valid for."""
    return hashlib.sha256(repr(config).encode()).hexdigest()


def parse_file(path: Path, root: Path, config: Config, digest: str) -> ParsedFile | Problem:
    """Parse one file for the cache, and validate it against `config` (whose digest is given).

    A file that cannot be read gives its (uncached) problem.
    """
    # Stamped between opening and reading: if the file changes meanwhile, its entry is stamped
    # older than its content, so the next run sees a new stamp and parses again; never the reverse.
    data, problem, info = read_stamped(path, path.name, root)
    if data is None or info is None:
        return problem or Problem(path.name, 1, "cannot read file")
    text, problem = decode_text(data, path.name)
    if text is None:
        assert problem is not None
        return ParsedFile(info.st_size, info.st_mtime_ns, None, [(problem.line, problem.message)], 0)
    issue, problems = parse_issue(path, text, path.name)
    if issue is None:
        return ParsedFile(info.st_size, info.st_mtime_ns, None,
                          [(p.line, p.message) for p in problems], 0)
    checked = digest, [(p.line, p.message) for p in validate_issue(issue, config, path.name)]
    return ParsedFile(info.st_size, info.st_mtime_ns, _state(issue),
                      [(p.line, p.message) for p in problems], len(issue.body), checked)


def _validated(path: Path, parsed: ParsedFile, config: Config, digest: str) -> ParsedFile:
    """A cached file's entry validated against this configuration."""
    if parsed.state is None or (parsed.checked is not None and parsed.checked[0] == digest):
        return parsed
    issue = _issue(path, dict(parsed.state), "")  # a copy: the state goes back into the cache
    problems = [(p.line, p.message) for p in validate_issue(issue, config, path.name)]
    return parsed._replace(checked=(digest, problems))


def _state(issue: Issue) -> dict[str, Any]:
    """The attributes of an issue that the cache keeps, with repeated short strings interned."""
    # Statuses, severities, phases and key names repeat in every file: interned, pickle writes
    # each once, which makes the cache about 40% smaller and quicker to load, and the loaded
    # issues smaller in memory. Titles and messages rarely repeat and are left alone.
    state = issue.__dict__.copy()
    del state["path"], state["body"]
    for name in _REPEATED_TEXT:
        state[name] = sys.intern(state[name])
    for name in LIST_FIELDS:
        if state[name]:
            state[name] = [sys.intern(item) if len(item) < 64 else item for item in state[name]]
    # Most files list the same keys on the same lines: one shared mapping (never modified) saves
    # a kilobyte per issue in the cache and in memory.
    present = _LAYOUTS.get(issue.present)
    if present is None:
        present = _LAYOUTS[issue.present] = frozenset(sys.intern(key) for key in issue.present)
    state["present"] = present
    lines = tuple(issue.key_lines.items())
    key_lines = _LAYOUTS.get(lines)
    if key_lines is None:
        key_lines = _LAYOUTS[lines] = {sys.intern(key): line for key, line in lines}
    state["key_lines"] = key_lines
    return state


#: Text fields whose values repeat from one issue to the next.
_REPEATED_TEXT = ("status", "severity", "phase", "category", "component", "reporter", "assignee",
                  "error_type")

#: The `present` sets and `key_lines` mappings met so far, each kept once.
_LAYOUTS: dict[Any, Any] = {}


def _parse_files(paths: list[Path], config: Config, digest: str, minimum_for_workers: int,
                 while_parsing: Callable[[], None]) -> tuple[dict[str, ParsedFile | Problem], list[bytes]]:
    """Parse and validate files, in worker processes when there are many and more than one core.

    Returns what each file gave, by name, and, from worker processes, their results pickled as
    parts of a parse cache. `while_parsing` runs here while the workers parse (or after parsing,
    without workers).
    """
    workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1, 8)
    # Only `fork` starts workers cheaply (they inherit the loaded modules); elsewhere parse here.
    if len(paths) < minimum_for_workers or workers < 2 or sys.platform != "linux":
        parsed: dict[str, ParsedFile | Problem] = {
            path.name: parse_file(path, config.root, config, digest) for path in paths}
        while_parsing()
        return parsed, []
    import multiprocessing  # only a large cold parse needs it

    size = max(64, len(paths) // (workers * 8))
    chunks = [paths[start:start + size] for start in range(0, len(paths), size)]
    parse_chunk = functools.partial(_parse_chunk, root=config.root, config=config, digest=digest)
    results: dict[str, ParsedFile | Problem] = {}
    parts: list[bytes] = []
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        pending = pool.imap(parse_chunk, chunks)
        while_parsing()
        # Each part is read here as it arrives, while the workers go on with the next ones.
        for part, problems in pending:
            entries = _load_plain(part)
            if not isinstance(entries, dict):
                raise RuntimeError("a parsing worker sent back unreadable results")
            results.update((name, ParsedFile._make(entry)) for name, entry in entries.items())
            results.update(problems)
            parts.append(part)
    return results, parts


def _parse_chunk(paths: list[Path], root: Path, config: Config,
                 digest: str) -> tuple[bytes, list[tuple[str, Problem]]]:
    """In a worker: parse files; what they gave, pickled as a part of the parse cache, and the
    problems of the files that could not be read (which the cache does not keep)."""
    entries: dict[str, tuple[Any, ...]] = {}
    problems: list[tuple[str, Problem]] = []
    for path in paths:
        parsed = parse_file(path, root, config, digest)
        if isinstance(parsed, Problem):
            problems.append((path.name, parsed))
        else:
            entries[path.name] = tuple(parsed)
    return pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL), problems


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
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
                       minimum_for_workers: int = PARALLEL_MINIMUM,
                       stamps: list[Stamp] | None = None,
                       while_parsing: Callable[[], None] = lambda: None) -> list[ParsedIssue]:
    """Every issue file parsed and validated, from the cache while the file and config are unchanged.

    Problems found across files (duplicate IDs) are `store.cross_file_problems`' job.

    `stamps` is a `scan_issue_files` the caller has just made, so as not to examine every file twice.
    `while_parsing` is work of the caller's to do meanwhile (it runs once, in this process).
    """
    with _cycle_collector_paused():  # worker processes inherit the pause
        return _parsed_issue_files(config, bodies, minimum_for_workers, stamps, while_parsing)


def _parsed_issue_files(config: Config, bodies: bool, minimum_for_workers: int,
                        stamps: list[Stamp] | None,
                        while_parsing: Callable[[], None]) -> list[ParsedIssue]:
    # Before any file is read: a file modified within RACY_NS of this moment is not cached, even
    # when parsing takes long (its content could change again within the same timestamp).
    started = time.time_ns()
    directory = config.issues_path
    if stamps is None:
        stamps = scan_issue_files(config)
    paths = [directory / name for name, _, _ in stamps]
    fingerprint = code_fingerprint()
    digest = config_digest(config)
    cache_path = state_dir_or_none(config)
    cached: dict[str, tuple[Any, ...]] = {}
    if cache_path is not None:
        cached = _read_parsed_cache(cache_path / PARSED_CACHE, fingerprint)
    results: dict[str, ParsedFile | Problem] = {}
    stale: list[Path] = []
    changed: list[str] = []
    for path, (name, size, mtime_ns) in zip(paths, stamps, strict=True):
        entry = cached.get(name)
        if entry is not None and entry[0] == size and entry[1] == mtime_ns:
            parsed = ParsedFile(*entry)
            results[name] = validated = _validated(path, parsed, config, digest)
            if validated is not parsed:
                changed.append(name)
        else:
            stale.append(path)
    fresh, parts = _parse_files(stale, config, digest, minimum_for_workers, while_parsing)
    results.update(fresh)
    changed += fresh
    if cache_path is not None:
        _update_parsed_cache(cache_path / PARSED_CACHE, fingerprint, cached, results, changed,
                             parts, started)
    shown_directory = display_path(config.issues_path, config)
    return [_issue_of(path, _shown(shown_directory, path), results[path.name], bodies, config)
            for path in paths]


def _read_parsed_cache(path: Path, fingerprint: str) -> dict[str, tuple[Any, ...]]:
    """The parse cache's entries by file name; empty when it is missing, foreign or damaged.

    The cache is a list of parts, each a pickled mapping of file names to entries: one part when
    this process wrote it, or the parts worker processes sent back, written as they came.
    """
    parts = read_cache(path, fingerprint)
    entries: dict[str, tuple[Any, ...]] = {}
    for part in parts if isinstance(parts, list) else ():
        loaded = _load_plain(part) if isinstance(part, bytes) else None
        if not isinstance(loaded, dict):
            return {}
        entries.update(loaded)
    return entries


def _update_parsed_cache(path: Path, fingerprint: str, cached: dict[str, tuple[Any, ...]],
                         results: dict[str, ParsedFile | Problem], changed: list[str],
                         parts: list[bytes], now: int) -> None:
    """Rewrite the parse cache when it would hold something new or a file has gone.

    `parts` are the workers' pickled results: when they are all there is to keep (nothing was
    cached before, and no file is too recent to cache), they are written as they are, and this
    process need not pickle ten thousand entries again. `now` is when reading the files began.
    """
    keep = {name: entry for name, entry in results.items()
            if isinstance(entry, ParsedFile) and not is_racy(entry.mtime_ns, now)}
    # A file edited a moment ago stays out of the cache until it is older than RACY_NS, so
    # rendering right after an edit does not pay for rewriting the whole cache.
    if not (any(name in keep for name in changed) or not cached.keys() <= results.keys()):
        return
    parsed_files = sum(isinstance(entry, ParsedFile) for entry in results.values())
    if parts and not cached and len(keep) == parsed_files:
        write_cache(path, fingerprint, parts)
    else:
        part = pickle.dumps({name: tuple(entry) for name, entry in keep.items()},
                            protocol=pickle.HIGHEST_PROTOCOL)
        write_cache(path, fingerprint, [part])


def _shown(directory: str, path: Path) -> str:
    # display_path for each of thousands of files costs more than parsing a cached one.
    return path.name if directory == "." else os.path.join(directory, path.name)


def _issue_of(path: Path, shown: str, parsed: ParsedFile | Problem, bodies: bool,
              config: Config) -> ParsedIssue:
    if isinstance(parsed, Problem):
        return ParsedIssue(shown, None, [Problem(shown, parsed.line, parsed.message)])
    problems = [Problem(shown, line, message) for line, message in parsed.problems]
    if parsed.state is None:
        return ParsedIssue(shown, None, problems)
    if parsed.checked is not None:
        problems += [Problem(shown, line, message) for line, message in parsed.checked[1]]
    if bodies and parsed.body_length:
        data, _ = read_bytes(path, shown, config.root)
        text = decode_text(data, shown)[0] if data is not None and len(data) == parsed.size else None
        if text is None:
            # Changed since it was stamped: parse what is there now rather than mix two versions.
            return _fresh(path, shown, config)
        return ParsedIssue(shown, _issue(path, parsed.state, text[len(text) - parsed.body_length:]),
                           problems)
    return ParsedIssue(shown, _issue(path, parsed.state, ""), problems)


def _issue(path: Path, state: dict[str, Any], body: str) -> Issue:
    """An Issue from its cached attributes."""
    # Issue(**state) runs the generated __init__ with 26 keywords: four times slower than this,
    # which matters for ten thousand issues. The state holds every attribute but these two, and
    # becomes the issue's own: the cache has been written by now, and copying it would double the
    # memory that a hundred thousand issues take.
    issue = Issue.__new__(Issue)
    issue.__dict__ = state
    issue.path = path
    issue.body = body
    return issue


def _fresh(path: Path, shown: str, config: Config) -> ParsedIssue:
    text, problem = read_text(path, shown, config.root)
    if text is None:
        return ParsedIssue(shown, None, [problem or Problem(shown, 1, "cannot read file")])
    issue, problems = parse_issue(path, text, shown)
    if issue is not None:
        problems += validate_issue(issue, config, shown)
    return ParsedIssue(shown, issue, problems)


def state_dir_or_none(config: Config) -> Path | None:
    """The cache directory, or None where it cannot be created (a read-only checkout)."""
    try:
        return state_dir(config)
    except OSError:
        return None


def load_issues(config: Config, *, bodies: bool = True,
                stamps: list[tuple[str, int, int]] | None = None,
                while_parsing: Callable[[], None] = lambda: None) -> IssueSet:
    """Parse and validate every issue file; collect all problems instead of stopping at the first.

    Unchanged files come from the parse cache; `bodies=False` leaves each `body` empty; `stamps`
    is the caller's fresh `cache.scan_issue_files`, if it has one; `while_parsing` is the
    caller's work to do while worker processes parse.
    """
    result = IssueSet()
    for parsed in parsed_issue_files(config, bodies=bodies, stamps=stamps,
                                     while_parsing=while_parsing):
        result.problems.extend(parsed.problems)
        if parsed.issue is not None:
            result.issues.append(parsed.issue)
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
        self._entries: dict[Path, tuple[tuple[int, int, int], Issue | None]] = {}

    def issues(self) -> list[Issue]:
        """Every parsable issue file as it is on disk now."""
        current: dict[Path, tuple[tuple[int, int, int], Issue | None]] = {}
        for path in issue_files(self.config):
            try:
                info = path.stat()
            except FileNotFoundError:
                continue
            key = (info.st_ino, info.st_size, info.st_mtime_ns)
            cached = self._entries.get(path)
            if cached is not None and cached[0] == key:
                current[path] = cached
                continue
            text, _ = read_text(path, str(path), self.config.root)
            issue = parse_issue(path, text, str(path))[0] if text is not None else None
            current[path] = (key, issue)
        self._entries = current
        return [issue for _, issue in current.values() if issue is not None]
