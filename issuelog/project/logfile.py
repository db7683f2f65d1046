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
from typing import TYPE_CHECKING

from issuelog.core.atomic_write import write_bytes_atomic
from issuelog.core.cache import (
    RENDERED_CACHE,
    Stamp,
    code_fingerprint,
    is_racy,
    load_issues,
    read_cache,
    scan_issue_files,
    state_dir_or_none,
    write_cache,
)
from issuelog.core.config import Config, builtin_templates_dir
from issuelog.core.model import Problem
from issuelog.git.gitrepo import current_branch, work_tree_root

if TYPE_CHECKING:
    import jinja2


@dataclass
class RenderedLog:
    """The text of the log (None when the issue files have problems) and what it was made from."""

    text: str | None
    issue_count: int  # counted as the log's Total counts: without reference-only entries
    problems: list[Problem]
    reference_only: int = 0


def rendered_log(config: Config) -> RenderedLog:
    """The master log's text, reused while nothing it is made from has changed."""
    started = time.time_ns()  # before the files are examined: see _parsed_issue_files
    stamps = scan_issue_files(config)
    key = _log_key(config, stamps)
    cache_path = state_dir_or_none(config)
    if cache_path is not None:
        hit = read_cache(cache_path / RENDERED_CACHE, key)
        if isinstance(hit, tuple) and len(hit) == 3:
            return RenderedLog(hit[0], hit[1], [], hit[2])
    prepared: list[jinja2.Template] = []

    def prepare_template() -> None:
        # While worker processes parse, this process would only wait: it imports Jinja2 and
        # compiles the template meanwhile. A broken template is reported below, after any
        # problems of the issue files, as without the overlap.
        from issuelog.log.render import log_template

        try:
            prepared.append(log_template(config))
        except Exception:  # render_log compiles it again, and reports the error then
            return

    result = load_issues(config, bodies=False, stamps=stamps, while_parsing=prepare_template)
    if result.problems:
        return RenderedLog(None, len(result.issues), result.problems)
    from issuelog.log.render import render_log

    text = render_log(result.issues, config, prepared[0] if prepared else None)
    references = sum(1 for issue in result.issues if issue.reference_only)
    counted = len(result.issues) - references
    if cache_path is not None and not any(mtime_ns < 0 or is_racy(mtime_ns, started)
                                          for _, _, mtime_ns in stamps):
        write_cache(cache_path / RENDERED_CACHE, key, (text, counted, references))
    return RenderedLog(text, counted, [], references)


def _log_key(config: Config, stamps: list[Stamp]) -> str:
    """A digest of everything the log is made from: code, configuration, templates, files."""
    digest = hashlib.sha256()
    digest.update(code_fingerprint().encode())
    digest.update(repr(config).encode())
    for directory in (config.templates_path, builtin_templates_dir()):
        for path in sorted(directory.rglob("*")) if directory.is_dir() else ():
            if path.is_file():
                digest.update(repr(path.relative_to(directory)).encode())
                digest.update(path.read_bytes())
    digest.update(repr(stamps).encode())
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
    update = LogUpdate(target, result.text, [], result.issue_count, result.reference_only, current)
    if write and not current:
        write_bytes_atomic(target, data)
        update.written = True
    return update
