"""A renumbering plan and carrying it out so that a kill at any moment loses and duplicates nothing.

The plan is first written to a journal in issuelog's state directory; each file is then moved
with one atomic rename and rewritten in place atomically; the journal is removed last. A
renumber that finds a journal finishes it (`finish_interrupted`) before anything else, and every
step can be repeated safely.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from issuelog.core.atomic_write import write_atomic
from issuelog.core.config import Config
from issuelog.core.frontmatter_edit import edit_frontmatter, read_frontmatter
from issuelog.core.store import display_path, state_dir
from issuelog.errors import IssueFileError


@dataclass(frozen=True)
class Rename:
    """One issue that gets a new ID and file name."""

    old_id: str
    new_id: str
    old_path: Path
    new_path: Path
    kept_by: Path  # the file that keeps the old ID


@dataclass(frozen=True)
class ReferenceUpdate:
    """One `related:` entry pointed at a renumbered issue's new ID."""

    path: Path
    old_id: str
    new_id: str


@dataclass(frozen=True)
class UnclearReference:
    """A `related:` entry that may mean either issue; left as it is for a person to decide."""

    path: Path
    issue_id: str


@dataclass
class RenumberPlan:
    """Every change `renumber` makes (or would make, with `--dry-run`)."""

    renames: list[Rename] = field(default_factory=list)
    references: list[ReferenceUpdate] = field(default_factory=list)
    unclear: list[UnclearReference] = field(default_factory=list)

    def final_path(self, path: Path) -> Path:
        """Where a file is once the plan is carried out."""
        return next((rename.new_path for rename in self.renames if rename.old_path == path), path)

    @property
    def empty(self) -> bool:
        """Whether there is nothing to change."""
        return not self.renames and not self.references


JOURNAL = "renumber-journal.json"


def _journal_path(config: Config) -> Path:
    return state_dir(config) / JOURNAL


def apply_plan(plan: RenumberPlan, config: Config) -> None:
    """Carry out the plan so that a kill at any point loses nothing and duplicates nothing.

    Every new text is prepared first (a bad file stops before any write); then the journal is
    written, and the steps of `_carry_out` follow, each of which can run again safely.
    """
    if plan.empty:
        return
    _prepare_texts(plan, config)  # refuses a file it cannot edit before anything is written
    root = config.root
    journal = {
        "renames": [[str(r.old_path.relative_to(root)), str(r.new_path.relative_to(root)),
                     r.old_id, r.new_id] for r in plan.renames],
        "references": [[str(u.path.relative_to(root)), u.old_id, u.new_id] for u in plan.references],
    }
    write_atomic(_journal_path(config), json.dumps(journal, indent=1) + "\n")
    _carry_out(journal, config)


def finish_interrupted(config: Config) -> bool:
    """Finish a renumbering that a kill interrupted (its journal is still there); True if one was."""
    path = _journal_path(config)
    if not path.is_file():
        return False
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IssueFileError(f"{display_path(path, config)}: cannot read the renumbering journal "
                             f"({error}); delete it once the issue files are as you want them") from None
    try:
        named = [Path(entry[i]) for entry in journal["renames"] for i in (0, 1)]
        named += [Path(entry[0]) for entry in journal["references"]]
    except (KeyError, TypeError, IndexError):
        named = [Path("..")]  # not a journal renumber wrote
    issues = config.issues_path.resolve()
    if not all((config.root / name).resolve().parent == issues for name in named):
        raise IssueFileError(f"{display_path(path, config)}: not a renumbering journal of this "
                             "project's issue files; delete it once the issue files are as you want them")
    _carry_out(journal, config)
    return True


def _carry_out(journal: dict[str, Any], config: Config) -> None:
    """Rename each file (one atomic rename), set its new ID in place, update the links, and only
    then drop the journal; every step checks what is done already."""
    root = config.root
    for old, new, old_id, new_id in journal["renames"]:
        old_path, new_path = root / old, root / new
        if old_path.exists() and not new_path.exists():
            os.rename(old_path, new_path)
        if new_path.is_file():
            text = _read(new_path, config)
            shown = display_path(new_path, config)
            if str(read_frontmatter(text, shown).get("id")) == old_id:
                write_atomic(new_path, edit_frontmatter(text, {"id": new_id}, name=shown))
    moved = {root / old: root / new for old, new, _, _ in journal["renames"]}
    for path_text, old_id, new_id in journal["references"]:
        path = moved.get(root / path_text, root / path_text)
        if path.is_file():
            text = _read(path, config)
            updated = _replace_related(text, ReferenceUpdate(path, old_id, new_id), config)
            if updated != text:
                write_atomic(path, updated)
    _journal_path(config).unlink(missing_ok=True)


def _prepare_texts(plan: RenumberPlan, config: Config) -> None:
    """Edit every file in memory once, so that a file issuelog cannot edit stops the plan first."""
    new_texts: dict[Path, str] = {}
    for rename in plan.renames:
        text = _read(rename.old_path, config)
        new_texts[rename.new_path] = edit_frontmatter(
            text, {"id": rename.new_id}, name=display_path(rename.old_path, config))
    for update in plan.references:
        path = plan.final_path(update.path)
        text = new_texts.get(path) or _read(update.path, config)
        new_texts[path] = _replace_related(text, update, config)


def _read(path: Path, config: Config) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise IssueFileError(f"{display_path(path, config)}: cannot read: {error}") from None


def _replace_related(text: str, update: ReferenceUpdate, config: Config) -> str:
    name = display_path(update.path, config)
    related = read_frontmatter(text, name).get("related") or []
    if isinstance(related, str):
        related = [related]
    changed = [update.new_id if str(entry) == update.old_id else entry for entry in related]
    return edit_frontmatter(text, {"related": changed}, name=name)
