"""An import from start to end: IDs planned, refusals, files written, related links, the old log.

`plan_import` reads a log (`reader.read_log`) and gives each entry its ID; `refusals` judges
each file as `issuelog check` would; `import_drafts` writes them and links related entries;
`retire_log` keeps, deletes or replaces the old log.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from issuelog.core.atomic_write import write_atomic
from issuelog.core.cache import load_issues
from issuelog.core.config import Config
from issuelog.core.edits import update_issue
from issuelog.core.frontmatter_edit import EMPTY
from issuelog.core.model import Issue
from issuelog.core.store import display_path, read_text, slugify
from issuelog.errors import IssueFileError, UsageError
from issuelog.importer.drafts import Draft, ImportPlan
from issuelog.importer.fields import normalize_label
from issuelog.importer.headings import PREFIXED_ID, fitting_id
from issuelog.importer.reader import read_log
from issuelog.project.scaffold import (
    create_issue,
    existing_ids,
    file_problems,
    issue_file_text,
    values_and_problems,
)

#: Hand-kept logs grow past the 1 MiB allowed for one issue file; this still bounds the work.
MAX_LOG_BYTES = 64 * 1024 * 1024


def plan_ids(plan: ImportPlan, config: Config) -> None:
    """Give each draft its ID: its legacy ID when it fits and is free, else the next free one.

    Entries imported before from the same log (an issue with the same `imported_from` and the
    same legacy_id, or the same title) are skipped, so that importing twice creates nothing new.
    """
    existing = load_issues(config).issues
    by_id = {issue.id: issue for issue in existing}
    earlier: dict[tuple[str, str], str] = {}
    for issue in existing:
        origin = str(issue.extra.get("imported_from", ""))
        if origin:
            earlier.setdefault((origin, "id:" + str(issue.extra.get("legacy_id", ""))), issue.id)
            area = (issue.reference or {}).get("area", "")
            earlier.setdefault((origin, _title_key(issue.title, area)), issue.id)
    taken = {i.id for i in existing} | existing_ids(config)
    kept: list[Draft] = []
    for draft in plan.drafts:
        draft.extra["imported_from"] = plan.source
        twin = earlier.get((plan.source, "id:" + draft.legacy_id)) if draft.legacy_id else None
        area = draft.extra.get("reference", {}).get("area", "")
        twin = twin or earlier.get((plan.source, _title_key(draft.title, area)))
        if twin:
            plan.skipped.append((draft, twin))
            if draft.extra.get("reference_only") and _dated_reference_row(by_id.get(twin)):
                plan.upgrades.append((draft, twin))
        else:
            kept.append(draft)
    plan.drafts = kept
    for draft in plan.drafts:
        wanted = fitting_id(draft.legacy_id, config) if draft.legacy_id else None
        if wanted and wanted not in taken:
            draft.planned_id = wanted
            taken.add(wanted)
    highest = max((int(m.group(1)) for m in map(config.id_pattern.match, taken) if m), default=0)
    for draft in plan.drafts:
        if not draft.planned_id:
            highest += 1
            draft.planned_id = config.format_id(highest)
            taken.add(draft.planned_id)


def _dated_reference_row(issue: Issue | None) -> bool:
    """Whether an issue is a reference row as imports wrote them before `reference_only`:
    a reference, not marked, resolved on the day it was reported (the day of the import)."""
    return (issue is not None and issue.reference is not None and not issue.reference_only
            and issue.reported is not None and issue.reported == issue.resolved)


def upgrade_reference_entries(plan: ImportPlan, config: Config) -> list[str]:
    """Make the planned upgrades: `reference_only: true`, and the invented dates emptied.

    Each goes through the same checked, atomic edit as `issuelog set`; returns the IDs changed.
    """
    changed = []
    for _, issue_id in plan.upgrades:
        edit = update_issue(config, issue_id,
                            {"reference_only": True, "reported": EMPTY, "resolved": EMPTY})
        if edit.changed:
            changed.append(edit.issue_id)
    return changed


def _title_key(title: str, area: str) -> str:
    """Rows of reference tables may share a title across areas (`Connection refused`)."""
    return f"{normalize_label(title)}|{normalize_label(area)}"


def plan_import(
    path: Path,
    config: Config,
    *,
    default_severity: str | None = None,
    default_status: str | None = None,
) -> ImportPlan:
    """Read the log at `path` and decide the ID of each entry; nothing is written."""
    shown = display_path(path.resolve(), config)
    if path.is_dir():
        raise UsageError(f"{shown}: is a directory; give the Markdown log to import")
    if not path.is_file():
        raise UsageError(f"{shown}: no such file")
    text, problem = read_text(path, shown, max_bytes=MAX_LOG_BYTES)
    if problem is not None or text is None:
        raise IssueFileError(str(problem))
    plan = read_log(text, config, source=_source_name(path, config),
                    default_severity=default_severity, default_status=default_status)
    plan_ids(plan, config)
    return plan


def _source_name(path: Path, config: Config) -> str:
    """The log's path relative to the project root (as recorded in `imported_from`); its file
    name alone when it lies outside, since a machine's own path means nothing in a shared file."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(config.root.resolve()).as_posix()
    except ValueError:
        return resolved.name


def refusals(plan: ImportPlan, config: Config) -> list[str]:
    """`SOURCE:LINE: message` for each draft the import would refuse; empty when all are fine.

    The one check both `import --dry-run` and the import run: each draft's file is built exactly
    as it would be written, with its planned ID, and judged as `issuelog check` judges a file.
    """
    errors: list[str] = []
    for draft in plan.drafts:
        values, problems = values_and_problems(config, {"title": draft.title, **draft.fields},
                                               extra=draft.extra)
        errors += [f"{plan.source}:{draft.line}: {message}" for message in problems]
        if problems:
            continue
        issue_id = draft.planned_id or config.format_id(1)
        path = config.issues_path / f"{issue_id}-{slugify(values['title'])}.md"
        text = issue_file_text(config, values, issue_id, extra=draft.extra, body=draft.body)
        errors += [f"{plan.source}:{draft.line}: {problem.message}"
                   for problem in file_problems(path, text, config)]
    return errors


def import_drafts(plan: ImportPlan, config: Config) -> list[tuple[Draft, str, Path]]:
    """Create one issue file per draft (never overwriting one), then link related entries.

    Safe to run again after an interruption: entries already imported are skipped, and their
    `related` links are completed from the log (see `link_related`).
    """
    errors = refusals(plan, config)
    if errors:
        raise UsageError("nothing imported:\n" + "\n".join(errors))
    created: list[tuple[Draft, str, Path]] = []
    for draft in plan.drafts:
        issue_id, path = create_issue(config, {"title": draft.title, **draft.fields},
                                      extra=draft.extra, body=draft.body,
                                      preferred_id=draft.planned_id)
        created.append((draft, issue_id, path))
    created_ids = [(draft, issue_id) for draft, issue_id, _ in created]
    fresh = {issue_id for _, issue_id in created_ids}
    plan.relinked = [issue_id for issue_id in link_related(plan, created_ids, config)
                     if issue_id not in fresh]
    return created


def link_related(plan: ImportPlan, created: list[tuple[Draft, str]], config: Config) -> list[str]:
    """Give `related` the new IDs of imported entries; other references go to legacy_related.

    Run over the entries created now and those an earlier, interrupted import of the same log
    created (the plan's skipped ones): a link the log names and the file lacks is added, so
    that a kill between writing the files and linking them loses nothing for good. Links are
    only added, never removed. Returns the IDs of the issues changed.
    """
    pairs = created + plan.skipped
    by_legacy = {name: issue_id for draft, issue_id in pairs
                 for name in _legacy_names(draft.legacy_id)}
    wanted = [(draft, issue_id) for draft, issue_id in pairs if draft.related_legacy]
    if not wanted:
        return []
    known = existing_ids(config)
    current = {issue.id: issue for issue in load_issues(config).issues}
    changed = []
    for draft, issue_id in wanted:
        issue = current.get(issue_id)
        if issue is None:
            continue
        related, unknown = list(issue.related), _as_list(issue.extra.get("legacy_related"))
        for name in draft.related_legacy:
            target = by_legacy.get(name.upper()) or (name if name in known else None)
            if target and target != issue_id and target not in related:
                related.append(target)
            elif not target and name not in unknown:
                unknown.append(name)
        changes: dict[str, Any] = {}
        if related != issue.related:
            changes["related"] = related
        if unknown != _as_list(issue.extra.get("legacy_related")):
            changes["legacy_related"] = unknown
        if changes:
            update_issue(config, issue_id, changes)
            changed.append(issue_id)
    return changed


def _legacy_names(legacy_id: str) -> list[str]:
    """The IDs an entry goes by: `BUG-004/009` -> BUG-004/009, BUG-004, BUG-009 (upper case)."""
    names = [legacy_id.upper()] if legacy_id else []
    codes = [match.group("id").upper() for match in PREFIXED_ID.finditer(legacy_id)]
    if codes:
        prefix = re.sub(r"\d+$", "", codes[0])
        codes += [prefix + number for number in re.findall(r"/\s*(\d+)\b", legacy_id)]
    return list(dict.fromkeys(names + codes))


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)] if value not in (None, "") else []


#: What `import --old-log` does with the log once its entries are files.
OLD_LOG_CHOICES = ("keep", "delete", "link")


def retire_log(path: Path, plan: ImportPlan, config: Config, how: str, *,
               check_only: bool = False) -> str:
    """Keep, delete or replace with a link the log just imported; returns what was done.

    Deleting or linking would lose what the import could not read, so both are refused while a
    heading is unreadable; the log that `render` writes is never touched. With `check_only`,
    nothing is changed: the refusal comes before anything is imported.
    """
    if how not in OLD_LOG_CHOICES:
        raise UsageError(f"--old-log must be one of {', '.join(OLD_LOG_CHOICES)}, got '{how}'")
    shown = display_path(path.resolve(), config)
    if how == "keep":
        return f"kept {shown} as it was"
    if path.resolve() == config.output_path.resolve():
        raise UsageError(f"{shown} is the log `issuelog render` writes; it was kept (the next "
                         "render replaces it)")
    if plan.unreadable:
        raise UsageError(f"{shown}: kept, not {'deleted' if how == 'delete' else 'linked'}: "
                         f"{len(plan.unreadable)} heading(s) could not be imported (see above)")
    if check_only:
        return ""
    if how == "delete":
        path.unlink()
        return f"deleted {shown} (its entries are issue files now)"
    text = read_text(path, shown, max_bytes=MAX_LOG_BYTES)[0] or ""
    title = next((line.lstrip("#").strip() for line in text.splitlines()
                  if line.startswith("# ")), path.stem)
    target = Path(os.path.relpath(config.output_path.resolve(), path.resolve().parent)).as_posix()
    issues = Path(os.path.relpath(config.issues_path.resolve(), path.resolve().parent)).as_posix()
    write_atomic(path, f"# {title}\n\nThis log has moved: each entry is now an issue file under "
                       f"[{issues}/]({issues}/), and all of them are listed in "
                       f"[{config.output}]({target}). The old text is in the version history.\n")
    return f"replaced {shown} with a link to {config.output}"
