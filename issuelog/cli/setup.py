"""Setting a project up: `init`, `install-hooks`, and the hidden `git-hook` those hooks run."""

from __future__ import annotations

from typing import Annotated

import typer

from issuelog.cli.common import Commands
from issuelog.core.config import load_config, load_project, working_directory

commands = Commands()


@commands.add(example="issuelog init --templates")
def init(
    templates: Annotated[bool, typer.Option("--templates", help="Also copy the default templates "
                                            "into the project to customise them.")] = False,
) -> None:
    """Set up issuelog here: issuelog.toml, issues/ and ISSUES.md; never overwrites a file.

    issuelog.toml shows every key at its default, commented out; ISSUES.md is the log with
    no issues yet (every section, zero counts).
    """
    from issuelog.core.store import display_path
    from issuelog.project.setup import initialise

    for path, created in initialise(working_directory(), copy_templates=templates):
        typer.echo(f"{'created' if created else 'kept   '} {display_path(path, load_config())}")


@commands.add("install-hooks", example="issuelog install-hooks")
def install_hooks() -> None:
    """Set up git so that merges and rebases never leave a conflict in ISSUES.md."""
    from issuelog.git.hooks import install_hooks as install

    config = load_project()
    for step in install(config):
        typer.echo(f"{'done ' if step.done else 'kept '} {step.message}")


@commands.add("git-hook", example="issuelog git-hook post-merge", hidden=True)
def git_hook(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The git hook being run.")],
    arguments: Annotated[list[str] | None, typer.Argument(
        metavar="ARGS...", help="The hook's arguments.")] = None,
) -> None:
    """Run by the hooks `install-hooks` installs: keep ISSUES.md current in merges and rebases."""
    from issuelog.cli.every_commit import git_hook as run

    run(name, arguments or [])
