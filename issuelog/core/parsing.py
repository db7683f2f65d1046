"""One issue file parsed and validated for the parse cache, and an issue rebuilt from its entry.

An entry holds what parsing found (the issue's attributes but its path and body, the problems,
the body's length), the file's stamp, its git blob ID (the SHA-1 of `blob <size>\\0<bytes>`,
so that a checkout of the same content finds it under any stamp) and the validation problems
under the digest of the configuration they were found with.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from pathlib import Path
from typing import Any, NamedTuple

from issuelog.core.cache_files import UNSTAMPED, FileStamp, file_stamp
from issuelog.core.config import Config
from issuelog.core.model import LIST_FIELDS, Issue, Problem, parse_issue, validate_issue
from issuelog.core.store import decode_text, read_stamped


class ParsedFile(NamedTuple):
    """What parsing one file found: the issue's state (None if unusable) and its problems.

    `checked` is the digest of the configuration the issue was validated against and the
    problems validation found, or None when it has not been validated; `blob` is the content's
    git blob ID (20 bytes).
    """

    stamp: FileStamp
    state: dict[str, Any] | None
    problems: list[tuple[int, str]]
    body_length: int
    checked: tuple[str, list[tuple[int, str]]] | None = None
    blob: bytes = b""


def blob_id(data: bytes) -> bytes:
    """git's object ID of a file with these bytes (SHA-1 of `blob <size>\\0` and the bytes)."""
    digest = hashlib.sha1(b"blob %d\0" % len(data), usedforsecurity=False)
    digest.update(data)
    return digest.digest()


def config_digest(config: Config) -> str:
    """A digest of the configuration: what validation results are valid for.

    Without the project's location and file, on which validation does not depend: a checkout elsewhere
    (another CI runner's directory) keeps the results.
    """
    return hashlib.sha256(repr(dataclasses.replace(config, root=Path(), source=None)).encode()).hexdigest()


def parse_file(path: Path, root: Path, config: Config, digest: str) -> ParsedFile | Problem:
    """Read, parse and validate one file for the cache.

    A file that cannot be read gives its (uncached) problem.
    """
    # Stamped between opening and reading: if the file changes meanwhile, its entry is stamped
    # older than its content, so the next run sees a new stamp and parses again; never the reverse.
    data, problem, info = read_stamped(path, path.name, root)
    if data is None or info is None:
        return problem or Problem(path.name, 1, "cannot read file")
    return parse_data(path, data, config, digest)._replace(stamp=file_stamp(info), blob=blob_id(data))


def parse_data(path: Path, data: bytes, config: Config, digest: str) -> ParsedFile:
    """Parse and validate the bytes of a file named like `path` (stamp and blob left empty)."""
    text, problem = decode_text(data, path.name)
    if text is None:
        assert problem is not None
        return ParsedFile(UNSTAMPED, None, [(problem.line, problem.message)], 0)
    issue, problems = parse_issue(path, text, path.name)
    found = [(p.line, p.message) for p in problems]
    if issue is None:
        return ParsedFile(UNSTAMPED, None, found, 0)
    checked = digest, [(p.line, p.message) for p in validate_issue(issue, config, path.name)]
    return ParsedFile(UNSTAMPED, state_of(issue), found, len(issue.body), checked)


def found_by_content(paths: list[Path], cached: dict[str, tuple[Any, ...]], config: Config,
                     digest: str) -> tuple[dict[str, ParsedFile], list[Path]]:
    """The files whose content (blob ID) a `cached` entry holds, with their new stamps; and the
    others.

    Reading and hashing a file costs a twentieth of parsing it: a fresh checkout of a tree the
    cache knows parses nothing.
    """
    names = {entry[5]: name for name, entry in cached.items()}
    found: dict[str, ParsedFile] = {}
    rest: list[Path] = []
    for path in paths:
        data, _, info = read_stamped(path, path.name, config.root)
        name = names.get(blob_id(data)) if data is not None and info is not None else None
        if name is None or info is None:
            rest.append(path)
        else:
            found[path.name] = reused(path, name, ParsedFile(*cached[name]), config, digest)._replace(
                stamp=file_stamp(info))
    return found, rest


def reused(path: Path, name: str, entry: ParsedFile, config: Config, digest: str) -> ParsedFile:
    """The entry cached for the file `name`, found by content for the file at `path`, validated
    for its name and `config`."""
    if entry.state is not None:
        # A state of its own: two files of the same content become two issues.
        entry = entry._replace(state=dict(entry.state),
                               checked=entry.checked if name == path.name else None)
    return validated(path, entry, config, digest)


def validated(path: Path, parsed: ParsedFile, config: Config, digest: str) -> ParsedFile:
    """A cached file's entry validated against this configuration."""
    if parsed.state is None or (parsed.checked is not None and parsed.checked[0] == digest):
        return parsed
    issue = issue_from_state(path, dict(parsed.state), "")  # a copy: the state stays in the cache
    problems = [(p.line, p.message) for p in validate_issue(issue, config, path.name)]
    return parsed._replace(checked=(digest, problems))


def state_of(issue: Issue) -> dict[str, Any]:
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


def issue_from_state(path: Path, state: dict[str, Any], body: str) -> Issue:
    """An Issue from its cached attributes; the state becomes the issue's own."""
    # Issue(**state) runs the generated __init__ with 26 keywords: four times slower than this,
    # which matters for ten thousand issues. The state holds every attribute but these two, and
    # becomes the issue's own: copying it would double the memory a hundred thousand issues take.
    issue = Issue.__new__(Issue)
    issue.__dict__ = state
    issue.path = path
    issue.body = body
    return issue
