"""What the command modules share: output formats, printing helpers, Tab completers and git-style help.

A command module makes `commands = Commands()` and registers each command with
`@commands.add(example=...)`; `issuelog.cli.app` merges every module's commands into the app.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from typer.core import TyperCommand

from issuelog.core.clock import today as clock_today
from issuelog.core.config import Config, load_config, load_project
from issuelog.errors import IssuelogError, UsageError

if TYPE_CHECKING:
    from typer._click import Context, HelpFormatter  # typer vendors click and exports neither

    from issuelog.core.edits import Edit

Callback = TypeVar("Callback", bound=Callable[..., object])


class Format(str, Enum):
    """Output formats of commands that list data."""

    text = "text"
    json = "json"


def parse_date(text: str | None, option: str) -> date | None:
    """The date an option gives (YYYY-MM-DD), None when it is not given; else a usage error."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} must be a date like 2026-01-10, got '{text}'") from None


def parse_past_date(text: str | None, option: str) -> date | None:
    """A day that has come, as `parse_date` reads it (an issue found, closed, an error seen): not
    after tomorrow (a clock in another time zone may be a day ahead), which catches 2062 typed
    for 2026."""
    day = parse_date(text, option)
    if day is not None and day > clock_today() + timedelta(days=1):
        raise UsageError(f"{option} {day.isoformat()} is in the future; give the day it happened")
    return day


# typer's own completion, for shells and scripts that issuelog.entry leaves to it (PowerShell,
# bash scripts installed before 0.2.0): the same answers, from issuelog.cli.completion.

def complete_ids(incomplete: str) -> list[str]:
    """Issue IDs for tab completion (from the file names: no file is parsed)."""
    from issuelog.cli.completion import issue_ids

    try:
        return issue_ids(load_project(), incomplete)
    except (IssuelogError, OSError):
        return []


def completer(key: str) -> Callable[[str], list[str]]:
    """Tab completion of a field's configured values (severity, status, phase, category)."""

    def complete(incomplete: str) -> list[str]:
        from issuelog.cli.completion import read_cache, values_of

        try:
            config = load_project()
        except (IssuelogError, OSError):
            return []
        return values_of(key, incomplete, config, read_cache(config) or {})

    return complete


IdArgument = Annotated[str, typer.Argument(metavar="ID", help="ISSUE-007, 7 or 007.",
                                           autocompletion=complete_ids)]


def print_edit(edit: Edit, config: Config) -> None:
    """One line per changed key (`ISSUE-007 status: open -> resolved`), or say nothing changed."""
    from issuelog.core.edits import shown_value
    from issuelog.core.store import display_path

    shown = display_path(edit.path, config)
    if edit.unchanged:
        typer.echo(f"{edit.issue_id} unchanged ({shown} already says so)", err=True)
        return
    for key, (before, after) in edit.changed.items():
        typer.echo(f"{edit.issue_id} {key}: {shown_value(before)} -> {shown_value(after)}")
    if edit.resolution_changed:
        typer.echo(f"{edit.issue_id} Resolution section updated")


# --- help as git writes it ----------------------------------------------------------------------

#: Examples of each command (one a line), shown at the end of its --help; `Commands.add` fills it.
EXAMPLES: dict[str, str] = {}

#: Options whose values come from the configuration: their help lists the allowed ones.
_CONFIGURED_METAVARS = {"SEVERITY": "severity", "STATUS": "status", "PHASE": "phase",
                        "CATEGORY": "category"}


class GitStyleCommand(TyperCommand):
    """Help as git writes it: `ID` not `{ID}`, allowed values listed, an example at the end."""

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        """The usage line without typer's braces around required arguments."""
        return [piece[1:-1] if piece.startswith("{") and piece.endswith("}") else piece
                for piece in super().collect_usage_pieces(ctx)]

    def get_short_help_str(self, limit: int = 45) -> str:
        """The whole first line of the description in the command list, never cut with '...'."""
        return (self.short_help or self.help or "").strip().split("\n\n")[0].replace("\n", " ")

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        """The help, with the configured values of severity, status, phase and category."""
        allowed = _allowed_values()
        for param in self.params:
            key = _CONFIGURED_METAVARS.get(str(param.metavar))
            if key is None:
                continue
            # Set on each call from the text first given: help shown twice in one process (tests)
            # lists the values once.
            base = getattr(param, "_base_help", None) or getattr(param, "help", None) or ""
            names = allowed.get(key, ())
            param._base_help = base  # type: ignore[attr-defined]
            param.help = f"{base} One of: {', '.join(names)}." if names else base  # type: ignore[attr-defined]
        super().format_help(ctx, formatter)

    def format_epilog(self, ctx: Context, formatter: HelpFormatter) -> None:
        """An Examples section after the options."""
        super().format_epilog(ctx, formatter)
        lines = EXAMPLES.get(self.name or "", "").splitlines()
        if lines:
            formatter.write_paragraph()
            formatter.write_text("Examples:" if len(lines) > 1 else "Example:")
            with formatter.indentation():
                for line in lines:  # as typed: never rewrapped
                    formatter.write(f"{' ' * formatter.current_indent}{line}\n")


def _allowed_values() -> dict[str, tuple[str, ...]]:
    """The configured values of the project here (the defaults outside a project)."""
    try:
        return load_config().allowed_values
    except (IssuelogError, OSError):
        return Config().allowed_values


class Commands(typer.Typer):
    """The commands of one module of `issuelog.cli`; `issuelog.cli.app` merges them into the app."""

    def add(self, name: str | None = None, *, example: str,
            hidden: bool = False) -> Callable[[Callback], Callback]:
        """Register a command with git-style help; `example` is its Example(s), one a line."""

        def register(function: Callback) -> Callback:
            shown = name or function.__name__.lower().replace("_", "-")  # as typer names it
            EXAMPLES[shown] = example
            return self.command(shown, cls=GitStyleCommand, hidden=hidden)(function)

        return register
