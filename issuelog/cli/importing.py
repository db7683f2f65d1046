"""`issuelog import`: a hand-kept Markdown log turned into issue files."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from issuelog.cli.common import Commands, Format
from issuelog.core.config import Config, load_project
from issuelog.errors import UsageError

if TYPE_CHECKING:  # for annotations only: the command imports the core lazily
    from issuelog.importer import Draft, ImportPlan

commands = Commands()


class OldLog(str, Enum):
    """What `import --old-log` does with the imported log (see importer.OLD_LOG_CHOICES)."""

    keep = "keep"
    delete = "delete"
    link = "link"


@commands.add("import", example="issuelog import ERRORS.md --dry-run")
def import_log(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="The hand-kept Markdown log to import.")],
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show what would be created and write nothing.")] = False,
    default_severity: Annotated[str | None, typer.Option(
        "--default-severity", metavar="SEVERITY",
        help="Severity of entries that give none (default: medium).")] = None,
    default_status: Annotated[str | None, typer.Option(
        "--default-status", metavar="STATUS", help="Status of entries that give none and have no solution "
        "(default: the configured default_status).")] = None,
    output_format: Annotated[Format, typer.Option(
        "--format", metavar="FORMAT", help="text or json: the drafts (with --dry-run) or the files created.")
    ] = Format.text,
    old_log: Annotated[OldLog, typer.Option(
        "--old-log", metavar="ACTION", help="After the import: keep the log untouched, delete "
        "it, or replace it with a link to the issue files and the master log. One of: keep, "
        "delete, link.")] = OldLog.keep,
) -> None:
    """Create one issue file per entry of a hand-kept log (ERRORS.md, ISSUES.md, ...)."""
    from issuelog.core.store import display_path
    from issuelog.importer import plan_import

    config = load_project()
    plan = plan_import(path, config, default_severity=default_severity,
                       default_status=default_status)
    shown = display_path(path.resolve(), config)
    _print_notices(plan, shown, dry_run)
    if dry_run:
        _dry_run(plan, config, shown, output_format)
    else:
        _import(path, plan, config, shown, output_format, old_log)


def _print_notices(plan: ImportPlan, shown: str, dry_run: bool) -> None:
    """The plan's warnings and unreadable headings, then the entries an earlier import created."""
    for notice in sorted(plan.warnings + plan.unreadable, key=lambda n: n.line):
        typer.echo(f"{shown}:{notice.line}: {notice.message}", err=True)
    upgrades = {issue_id for _, issue_id in plan.upgrades}
    for draft, issue_id in plan.skipped:
        upgrade = (" (was imported before reference entries: made one, its import-day dates "
                   "emptied)" if issue_id in upgrades else "")
        if upgrade and dry_run:
            upgrade = " (would be made a reference entry, its import-day dates emptied)"
        typer.echo(f"{shown}:{draft.line}: already imported as {issue_id}; skipped{upgrade}",
                   err=True)


def _dry_run(plan: ImportPlan, config: Config, shown: str, output_format: Format) -> None:
    """`import --dry-run`: the drafts, and the refusals the import would stop at (exit 2)."""
    from issuelog.importer import refusals
    from issuelog.importer.report import draft_record
    from issuelog.log.listing import to_json

    if output_format is Format.json:
        typer.echo(to_json([draft_record(draft) for draft in plan.drafts]))
    else:
        _print_draft_table(plan.drafts)
    typer.echo(f"would create {len(plan.drafts)} issue(s) from {shown}; "
               f"{len(plan.unreadable)} unreadable heading(s)", err=True)
    refused = refusals(plan, config)  # the same check the import makes before writing
    if refused:
        raise UsageError("nothing would be imported:\n" + "\n".join(refused))


def _import(path: Path, plan: ImportPlan, config: Config, shown: str, output_format: Format,
            old_log: OldLog) -> None:
    """Create the files, link them, upgrade earlier reference rows, then retire the old log."""
    from issuelog.core.store import display_path
    from issuelog.importer import import_drafts, retire_log, upgrade_reference_entries
    from issuelog.importer.report import draft_record
    from issuelog.log.listing import to_json

    retire_log(path, plan, config, old_log.value, check_only=True)  # refuse before writing
    created = import_drafts(plan, config)
    for issue_id in plan.relinked:
        typer.echo(f"{shown}: linked {issue_id} to the entries its log names (an earlier import "
                   "was interrupted before linking)", err=True)
    upgraded = upgrade_reference_entries(plan, config)
    if output_format is Format.json:
        typer.echo(to_json([{**draft_record(draft), "id": issue_id,
                             "path": display_path(created_path, config)}
                            for draft, issue_id, created_path in created]))
    else:
        for draft, _, created_path in created:
            typer.echo(f"{display_path(created_path, config)}  (line {draft.line})")
    made_reference = f"; {len(upgraded)} earlier one(s) made reference entries" if upgraded else ""
    typer.echo(f"imported {len(created)} issue(s) from {shown}; "
               f"{len(plan.unreadable)} unreadable heading(s){made_reference}", err=True)
    if old_log is not OldLog.keep:
        typer.echo(retire_log(path, plan, config, old_log.value), err=True)


def _print_draft_table(drafts: list[Draft]) -> None:
    """The dry run's table: one draft a line, columns padded, the title last and whole."""
    from issuelog.importer.report import DRAFT_COLUMNS, draft_row
    from issuelog.log.formatting import plain_table

    typer.echo(plain_table(DRAFT_COLUMNS, [draft_row(draft) for draft in drafts]), nl=False)
