"""Update the log: the one path from the issue files to ISSUES.md, for `render`, the hooks, CI and
`init`.

`rendered_log` reuses the last rendered text while the files, the configuration, the templates
and the code are unchanged (`.issuelog/cache/`); `update_log` compares it with the file on disk
(a checkout with `core.autocrlf` is not stale) and writes it when asked.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from issuelog.core.atomic_write import write_bytes_atomic
from issuelog.core.cache import load_issues, scan_issue_files
from issuelog.core.cache_files import (
    RENDERED_CACHE,
    all_trusted,
    code_fingerprint,
    read_cache,
    stamps_bytes,
    state_dir_or_none,
    templates_digest,
    write_cache,
)
from issuelog.core.config import Config
from issuelog.core.model import Problem
from issuelog.core.parsing import config_digest
from issuelog.core.store import display_path, typo_hints
from issuelog.git.gitrepo import current_branch, work_tree_root


@dataclass
class RenderedLog:
    """The text of the log (None when the issue files have problems) and what it was made from."""

    text: str | None
    issue_count: int  # counted as the log's Total counts: without reference-only entries
    problems: list[Problem]
    reference_only: int = 0
    warnings: list[Problem] = field(default_factory=list)  # `check`'s did-you-mean hints


def rendered_log(config: Config) -> RenderedLog:
    """The master log's text, reused while nothing it is made from has changed.

    The last log is found by the files' stamps without reading them, else, once they are read,
    by their contents (a fresh checkout with a restored cache renders nothing).
    """
    started = time.time_ns()  # before the files are examined: see _parsed_issue_files
    stamps = scan_issue_files(config)
    inputs = _inputs_digest(config)
    # The kept warnings show paths from the current directory: where it runs is part of the key.
    key = _digest(inputs, repr(config).encode(), stamps_bytes(stamps),
                  display_path(config.issues_path, config).encode())
    cache_path = state_dir_or_none(config)
    last = _last_log(cache_path)
    if last is not None and last[0] == key:
        return RenderedLog(last[2], last[3], [], last[4], [Problem(*hint) for hint in last[5]])
    result = load_issues(config, bodies=False, stamps=stamps)
    if result.problems:
        return RenderedLog(None, len(result.issues), result.problems)
    # Not of where the project lies: the same files and settings render the same log anywhere.
    contents = (_digest(inputs, config_digest(config).encode(), result.contents.encode())
                if result.contents else "")
    if last is not None and contents and last[1] == contents:
        text = last[2]
    else:
        from issuelog.log.render import render_log

        text = render_log(result.issues, config)
    references = sum(1 for issue in result.issues if issue.reference_only)
    counted = len(result.issues) - references
    warnings = typo_hints(result.issues, config)
    kept_warnings = tuple((hint.path, hint.line, hint.message) for hint in warnings)
    # Found by stamps only when no file is too recent to trust its stamp; by contents always.
    stamped = all_trusted(stamps, started)
    keys = (key if stamped else "", contents)
    if cache_path is not None and any(keys) and (last is None or last[:2] != keys):
        write_cache(cache_path / RENDERED_CACHE, code_fingerprint(),
                    (*keys, text, counted, references, kept_warnings))
    return RenderedLog(text, counted, [], references, warnings)


def _last_log(cache_path: Path | None) -> tuple[str, str, str, int, int, tuple[Any, ...]] | None:
    """The last rendered log: (stamps key, contents key, text, issues, reference entries,
    warnings as (path, line, message))."""
    last = read_cache(cache_path / RENDERED_CACHE, code_fingerprint()) if cache_path else None
    if (isinstance(last, tuple) and len(last) == 6 and all(isinstance(x, str) for x in last[:3])
            and all(isinstance(x, int) for x in last[3:5]) and isinstance(last[5], tuple)):
        return last
    return None


def _inputs_digest(config: Config) -> bytes:
    """A digest of what the log is made from besides the files and settings: code, templates."""
    digest = hashlib.sha256()
    digest.update(code_fingerprint().encode())
    digest.update(templates_digest(config))
    return digest.digest()


def _digest(inputs: bytes, *parts: bytes) -> str:
    digest = hashlib.sha256(inputs)
    for part in parts:
        digest.update(part + b"\0")
    return digest.hexdigest()


def render_skipped_on(config: Config) -> str | None:
    """The current branch when `render_branches` says ISSUES.md is not rendered on it, else None."""
    if not config.render_branches:
        return None
    branch = current_branch(work_tree_root(config.root))
    return None if config.renders_on(branch) else branch


@dataclass
class LogUpdate:
    """What `update_log` found: the log's text (None with problems) and whether the file was current."""

    target: Path
    text: str | None
    problems: list[Problem] = field(default_factory=list)
    issue_count: int = 0
    reference_only: int = 0
    current: bool = False  # the file already held this text (CRLF read as LF)
    written: bool = False
    warnings: list[Problem] = field(default_factory=list)


def update_log(config: Config, *, output: Path | None = None, write: bool = True) -> LogUpdate:
    """Render the log and compare it with `output` (default: the configured ISSUES.md); write it
    when it is stale and `write` is set. Nothing is written while the issue files have problems."""
    target = output if output is not None else config.output_path
    result = rendered_log(config)
    if result.text is None:
        return LogUpdate(target, None, result.problems, result.issue_count)
    # Compared and written as UTF-8: a large log decoded again would be a second copy four times
    # the size of the file (emoji make Python keep four bytes a character).
    data = result.text.encode("utf-8")
    existing = target.read_bytes() if target.is_file() else None
    current = existing is not None and existing.replace(b"\r\n", b"\n") == data
    update = LogUpdate(target, result.text, [], result.issue_count, result.reference_only, current,
                       warnings=result.warnings)
    if write and not current:
        write_bytes_atomic(target, data)
        update.written = True
    return update
