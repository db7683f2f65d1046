"""Update the log: the one path from the issue files to ISSUES.md, for `render`, the hooks, CI and
`init`.

`rendered_log` reuses the last rendered text while the files, the configuration, the templates
and the code are unchanged (`.issuelog/cache/`); `update_log` compares it with the file on disk
(a checkout with `core.autocrlf` is not stale) and writes it when asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from issuelog.core.atomic_write import write_bytes_atomic
from issuelog.core.cache import load_issues
from issuelog.core.config import Config
from issuelog.core.model import Problem
from issuelog.core.outputs import kept_output
from issuelog.core.store import typo_hints


@dataclass
class RenderedLog:
    """The text of the log (None when the issue files have problems) and what it was made from."""

    text: str | None
    issue_count: int  # counted as the log's Total counts: without reference-only entries
    problems: list[Problem]
    reference_only: int = 0
    warnings: list[Problem] = field(default_factory=list)  # `check`'s did-you-mean hints


def rendered_log(config: Config) -> RenderedLog:
    """The master log's text, reused while nothing it is made from has changed (`core.outputs`).

    The last log is found by the files' stamps without reading them, else, once they are read,
    by their contents (a fresh checkout with a restored cache renders nothing).
    """
    kept = kept_output(config, "render", templates=True)
    last = _rendered(kept.value())
    if last is not None:
        return last
    result = load_issues(config, bodies=False, stamps=kept.stamps)
    if result.problems:
        return RenderedLog(None, len(result.issues), result.problems)
    found = _rendered(kept.value_for_contents(result.contents))
    if found is not None:
        text = found.text
    else:
        from issuelog.log.render import render_log

        text = render_log(result.issues, config)
    references = sum(1 for issue in result.issues if issue.reference_only)
    counted = len(result.issues) - references
    warnings = typo_hints(result.issues, config)
    kept.keep((text, counted, references, tuple((w.path, w.line, w.message) for w in warnings)),
              result.contents)
    return RenderedLog(text, counted, [], references, warnings)


def _rendered(kept: Any) -> RenderedLog | None:
    """A kept log: (text, issues, reference-only entries, warnings as (path, line, message))."""
    if (isinstance(kept, tuple) and len(kept) == 4 and isinstance(kept[0], str)
            and isinstance(kept[1], int) and isinstance(kept[2], int) and isinstance(kept[3], tuple)):
        return RenderedLog(kept[0], kept[1], [], kept[2], [Problem(*hint) for hint in kept[3]])
    return None


def render_skipped_on(config: Config) -> str | None:
    """The current branch when `render_branches` says ISSUES.md is not rendered on it, else None."""
    if not config.render_branches:
        return None
    from issuelog.git.gitrepo import current_branch, work_tree_root  # git only when it matters

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
