"""`--database DSN` and `--repo NAME` of `list`, `analyze` and `metrics`: issues read back from
the PostgreSQL copy of every published repository instead of this project's files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from issuelog.core.config import Config, load_config, load_project

if TYPE_CHECKING:  # the core is imported when a command runs: `--help` and Tab stay fast
    from issuelog.core.cache_files import Stamp
    from issuelog.core.store import IssueSet

DatabaseOption = Annotated[str | None, typer.Option(
    "--database", metavar="DSN",
    help="Read every published repository from PostgreSQL instead of this project "
         "('': $ISSUELOG_DATABASE_URL, else the PG* variables and ~/.pgpass).")]
RepoOption = Annotated[list[str] | None, typer.Option(
    "--repo", metavar="REPO", help="With --database: only this repository (repeatable).")]


def project_config(database: str | None) -> Config:
    """This project's configuration; with --database, outside a project, the defaults."""
    return load_config() if database is not None else load_project()


def issues_from(config: Config, database: str | None, repos: list[str] | None,
                *, bodies: bool = True, stamps: list[Stamp] | None = None) -> IssueSet:
    """The project's issues, or with --database every published one (IDs `repo:ID`); `stamps`:
    the caller's fresh scan of the issue files, if it has one."""
    if database is None:
        if repos:
            from issuelog.errors import UsageError

            raise UsageError("--repo needs --database")
        from issuelog.core.cache import load_issues

        return load_issues(config, bodies=bodies, stamps=stamps)
    from issuelog.core.store import IssueSet
    from issuelog.integrations.publish import database_dsn, read_published
    from issuelog.integrations.rows import issue_from_record

    published = read_published(database_dsn(database), tuple(repos or ()), bodies=bodies)
    return IssueSet([issue_from_record(row.repo, row.record, row.body) for row in published])
