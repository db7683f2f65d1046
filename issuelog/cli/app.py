"""The `issuelog` command line: the typer app and its root options.

The commands live in one module per command group, each a short function that parses its
arguments, calls the core and prints:

    setup.py      init, install-hooks, git-hook
    daily.py      new, list, show, status, resolve, reopen, assign, set, edit
    log.py        check, render, export, diff, ci, renumber
    importing.py  import
    ops.py        record, analyze, metrics
    search.py     search, similar, mcp
    incidents.py  ack, mitigate, close-from-commits, history
    publish.py    publish

`database.py` holds the `--database` and `--repo` options of list, analyze and metrics.

`common.py` holds what they share: output formats, printing helpers, Tab completers and
git-style help (`GitStyleCommand`).

Adding a command group (say `issuelog/cli/search.py`):

1. In the module: `commands = Commands()` (from `issuelog.cli.common`), then each command as
   `@commands.add("name", example="issuelog name ARG --option VALUE")`. The example is
   required: it ends the command's --help (one example a line, each starting `issuelog NAME`).
2. Import the module here and add it to COMMAND_MODULES below: that registers its commands,
   in the order `issuelog --help` lists them. A command module never imports this one (`app`
   does not exist yet while the modules load) and never calls `app.command` itself: only
   `Commands.add` gives a command its git-style help and its example.
3. Metavariables as git writes them: every option that takes a value and every argument gets
   `metavar=` in capitals (`ID`, `PATH`, `KEY=VALUE...`, `[HEAD]`, `YYYY-MM-DD`); SEVERITY,
   STATUS, PHASE and CATEGORY list the configured values in the help by themselves; ID, NAME,
   TAG, PATH and the others in `_COMPLETED_METAVARS` are completed on Tab.
   `tests/test_first_hour.py::test_every_help_reads_like_gits` checks every command.
4. No error handling in the command: raise an `issuelog.errors` error. `reporting.fail` turns it
   into `issuelog: message` on stderr and its exit code (`ProblemsFound` when the problems were
   already printed: exit 1); anything else is an internal error (exit 70), never a traceback.
   The core is imported inside the command, so that `--help` and Tab stay fast; logic that is
   not about the terminal belongs in the core, and helpers take real types, never `Any`.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from issuelog import __version__
from issuelog.cli import daily, importing, incidents, log, ops, publish, search, setup
from issuelog.cli.completion import BASH_SCRIPT, CommandSpec, Kind
from issuelog.cli.reporting import fail

if TYPE_CHECKING:  # typer vendors click (typer._click) and exports no name for these types
    from typer._click import Command, Context, Parameter

# Our bash script: `set 7 sev<Tab>` gives `severity=` with no space (see issuelog.cli.completion).
# typer has no public hook for it; should its internals move, typer's own script is used.
with contextlib.suppress(AttributeError, TypeError):
    typer._completion_shared._completion_scripts["bash"] = BASH_SCRIPT

#: The command modules, in the order `issuelog --help` lists their commands.
COMMAND_MODULES = (setup, daily, log, importing, ops, search, incidents, publish)


class IssuelogGroup(TyperGroup):
    """The `issuelog` group: every command's errors end here, whatever the command."""

    def invoke(self, ctx: Context) -> object:
        """Run the command; issuelog's errors become `issuelog: message` and their exit code."""
        try:
            return super().invoke(ctx)
        except (TyperException, typer.Exit, typer.Abort):
            raise  # typer's own: usage errors (exit 2), typer.Exit, Ctrl-C
        except Exception as error:  # noqa: BLE001 - the last line of defence for users
            fail(error)


app = typer.Typer(
    name="issuelog",
    cls=IssuelogGroup,
    help="Markdown-native issue log: one file per issue under issues/, a rendered ISSUES.md.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    # Plain help: formatting it with rich imports rich and markdown-it, tripling `--help`'s time.
    rich_markup_mode=None,
)
for _module in COMMAND_MODULES:
    # Registered on the app itself rather than by `add_typer`: one flat list of commands, as
    # before the split, for the tests and tools that read `app.registered_commands`.
    app.registered_commands.extend(_module.commands.registered_commands)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"issuelog {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Markdown-native issue log: one file per issue under issues/, a rendered ISSUES.md."""


#: The value each metavariable stands for, for Tab completion (`issuelog.cli.completion`).
_COMPLETED_METAVARS = {
    "ID": "id", "SEVERITY": "severity", "STATUS": "status", "PHASE": "phase",
    "CATEGORY": "category", "COMPONENT": "component", "NAME": "assignee", "TAG": "tags",
    "KEY=VALUE": "assignment", "PATH": "path", "FILE": "path",
}


def _kind(param: Parameter) -> Kind:
    """What a parameter's values are: a flag, a list of choices, or a kind the cache completes."""
    if getattr(param, "is_flag", False):
        return "flag"
    choices = getattr(param.type, "choices", None)
    if choices:
        return [str(getattr(choice, "value", choice)) for choice in choices]
    return _COMPLETED_METAVARS.get(str(param.metavar or "").rstrip("."), "text")


def _describe(command: Command) -> CommandSpec:
    """A command's options and arguments with the kind of their values, for the cache."""
    options: dict[str, Kind] = {
        name: _kind(param) for param in command.params if param.param_type_name == "option"
        for name in [*param.opts, *param.secondary_opts]}
    options["--help"] = "flag"
    arguments = [param for param in command.params if param.param_type_name == "argument"]
    return {"options": options, "arguments": [_kind(param) for param in arguments],
            "variadic": bool(arguments) and arguments[-1].nargs == -1,
            "hidden": bool(command.hidden)}


def completion_table() -> dict[str, CommandSpec]:
    """Every command with its options and arguments and what their values are, for the cache."""
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    context = group.make_context("issuelog", [], resilient_parsing=True)
    table = {"": _describe(group)}
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if command is not None:
            table[name] = _describe(command)
    return table


def main() -> None:
    """Console entry point: never lets a Python traceback reach the user."""
    try:
        # One name however it is started (`python -m issuelog` too): in usage lines, and in the
        # completion scripts, which call the program and name its variable _ISSUELOG_COMPLETE.
        app(prog_name="issuelog")
    except (KeyboardInterrupt, BrokenPipeError) as error:  # while typer wrote help or usage
        fail(error)
