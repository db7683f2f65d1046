"""`issuelog publish`: copy this repository's issues to the shared PostgreSQL table."""

from __future__ import annotations

from typing import Annotated

import typer

from issuelog.cli.common import Commands
from issuelog.cli.reporting import refuse_with_problems

commands = Commands()


@commands.add(example=(
    "issuelog publish postgresql://ci@db.example.com/issues   # password from ~/.pgpass\n"
    "issuelog publish --repo github.com/acme/billing   # DSN from $ISSUELOG_DATABASE_URL"))
def publish(
    dsn: Annotated[str | None, typer.Argument(
        metavar="[DSN]", show_default=False,
        help="PostgreSQL to write to (default: $ISSUELOG_DATABASE_URL, else the PG* variables "
             "and ~/.pgpass).")] = None,
    repo: Annotated[str | None, typer.Option(
        "--repo", metavar="REPO",
        help="This repository's name in the table (default: publish_repo, else the origin URL).")]
    = None,
) -> None:
    """Copy every issue to PostgreSQL in one transaction (unchanged rows are left alone)."""
    from issuelog.core.cache import load_issues
    from issuelog.core.config import load_project
    from issuelog.git.gitrepo import GitUnavailable, run_git
    from issuelog.integrations.publish import (
        database_dsn,
        has_password,
        publish_issues,
        require_driver,
    )
    from issuelog.integrations.rows import stable_repo_name

    require_driver()
    config = load_project()
    if dsn and has_password(dsn):
        typer.echo("issuelog: warning: the password in the DSN argument is visible to other users "
                   "(ps); prefer PGPASSWORD or ~/.pgpass", err=True)
    if not repo:
        repo = config.publish_repo
    if not repo:
        try:
            origin = run_git(["remote", "get-url", "origin"], config.root).decode().strip()
        except GitUnavailable:
            origin = ""
        repo = stable_repo_name(origin, config.root)
    # Bodies are read only for the issues whose file changed since the last publish.
    result = load_issues(config, bodies=False)
    if result.problems:
        refuse_with_problems(result.problems, "not publishing")
    outcome = publish_issues(database_dsn(dsn), repo, result.issues, config)
    typer.echo(f"published {repo}: {outcome.inserted} added, {outcome.updated} updated, "
               f"{outcome.deleted} deleted, {outcome.unchanged} unchanged")
