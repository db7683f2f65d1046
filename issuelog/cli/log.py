"""The log and its checks: `check`, `render`, `export`, `diff`, `ci` and `renumber`."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from issuelog.cli import every_commit
from issuelog.cli.common import Commands, Format
from issuelog.cli.reporting import refuse_with_problems
from issuelog.core.config import load_project
from issuelog.errors import ProblemsFound

commands = Commands()


@commands.add(example="issuelog check --strict\nissuelog check --against origin/main")
def check(
    output_format: Annotated[Format, typer.Option(
        "--format", metavar="FORMAT", help="text or json.")] = Format.text,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Unknown keys that look like typos of known fields are problems too.")] = False,
    against: Annotated[str | None, typer.Option(
        "--against", metavar="REF",
        help="Also fail when an issue of this branch takes an ID that REF (the pull request's "
             "base, e.g. origin/main) uses for a different issue.")] = None,
) -> None:
    """Validate every issue file; print each problem as path:line: message."""
    every_commit.check(as_json=output_format is Format.json, strict=strict, against=against)


@commands.add(example="issuelog render --check")
def render(
    check_only: Annotated[bool, typer.Option(
        "--check", help="Write nothing; show a diff and exit 1 when the output is stale.")] = False,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="PATH",
        help="Where to write (default: the configured output, ISSUES.md).")] = None,
) -> None:
    """Rebuild ISSUES.md from the issue files and the templates."""
    every_commit.render(check_only=check_only, output=output)


class ExportFormat(str, Enum):
    """Formats of `issuelog export`."""

    json = "json"
    csv = "csv"
    html = "html"


@commands.add(example="issuelog export --format html -o issues.html")
def export(
    output_format: Annotated[ExportFormat, typer.Option(
        "--format", metavar="FORMAT", help="json (every field and body section), csv (one row per issue) "
        "or html (one self-contained page).")],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="PATH",
        help="Write to PATH instead of standard output.")] = None,
) -> None:
    """Export every issue as JSON, CSV or a browsable HTML page."""
    from issuelog.core.atomic_write import atomic_file
    from issuelog.core.cache import load_issues, scan_issue_files
    from issuelog.core.store import check_output_path, display_path
    from issuelog.log.export import export as export_issues
    from issuelog.log.export import html_page

    config = load_project()
    if output is not None:
        check_output_path(output, config)
    # The page is written as it renders, each body read when its article is reached: ten
    # thousand issues never sit in memory with their bodies, nor the page in one piece. A CSV
    # row holds no body either.
    stamps = scan_issue_files(config) if output_format is ExportFormat.html else None
    result = load_issues(config, bodies=stamps is None and output_format is not ExportFormat.csv,
                         stamps=stamps)
    if result.problems:
        refuse_with_problems(result.problems, "not exporting")
    if stamps is not None:
        pieces = html_page(result.issues, config, stamps=dict(stamps))
    else:
        pieces = iter([export_issues(result.issues, config, output_format.value)])
    if output is None:
        for piece in pieces:
            typer.echo(piece, nl=False)
        return
    with atomic_file(output) as handle:
        for piece in pieces:
            handle.write(piece.encode("utf-8"))
    typer.echo(f"wrote {display_path(output.resolve(), config)} "
               f"({len(result.issues)} issues, {output_format.value})", err=True)


# --- collaboration: IDs across branches, merges, PR summaries -----------------------------------

@commands.add(example="issuelog diff origin/main --format json\nissuelog diff v1.0 v1.1")
def diff(
    rev: Annotated[str | None, typer.Argument(
        metavar="REV",
        help="Compare with this revision (default: the merge base with the default branch).")] = None,
    head: Annotated[str | None, typer.Argument(
        metavar="[HEAD]", help="Compare the issues of this revision (default: the files on disk).")] = None,
    output_format: Annotated[Format, typer.Option(
        "--format", metavar="FORMAT", help="text (Markdown) or json.")] = Format.text,
    link_base: Annotated[str, typer.Option(
        "--link-base", metavar="URL", help="Put before each issue's path in links, e.g. "
        "https://github.com/OWNER/REPO/blob/BRANCH/")] = "",
) -> None:
    """Markdown for a pull request comment: issues opened, resolved, renumbered or changed since REV."""
    from issuelog.git.history import diff_as_data, diff_since
    from issuelog.log.render import render_diff

    config = load_project()
    result = diff_since(config, rev, head)
    if output_format is Format.json:
        from issuelog.log.listing import to_json

        typer.echo(to_json(diff_as_data(result, config, link_base)))
    else:
        typer.echo(render_diff(result.diff, result.base, result.commit, config, link_base), nl=False)


@commands.add(example="issuelog ci                       # in GitHub Actions or GitLab CI: reads "
                      "their variables\nissuelog ci --base origin/main --summary summary.md")
def ci(
    base: Annotated[str | None, typer.Option(
        "--base", metavar="BRANCH", help="Check as a pull request into BRANCH (default: from the "
        "CI variables; none on a branch where ISSUES.md is rendered).")] = None,
    branch: Annotated[str | None, typer.Option(
        "--branch", metavar="BRANCH", help="The branch being built (default: from the CI "
        "variables, else HEAD).")] = None,
    summary: Annotated[str | None, typer.Option(
        "--summary", metavar="FILE", help="Write the reviewer's summary to FILE (default: "
        "$GITHUB_STEP_SUMMARY, else standard output).")] = None,
    link_base: Annotated[str | None, typer.Option(
        "--link-base", metavar="URL", help="Put before each issue's path in the summary's links "
        "(default: the commit's page on GitHub or GitLab).")] = None,
) -> None:
    """One CI step: check a pull request (IDs, ISSUES.md, summary) or render ISSUES.md on main."""
    from issuelog.git.ci import detect_context, run_ci, write_summary

    config = load_project()
    context = detect_context(os.environ, base=base, branch=branch, summary=summary,
                             link_base=link_base)
    report = run_ci(config, context)
    for line in report.log:
        typer.echo(f"issuelog ci: {line}", err=True)
    github = os.environ.get("GITHUB_ACTIONS") == "true"
    for problem in report.problems:
        typer.echo(str(problem))
        if github:  # an annotation on the pull request's files
            typer.echo(f"::error file={problem.path},line={problem.line}::{problem.message}")
    for fix in report.fixes:
        typer.echo(f"fix: {fix}")
    if report.summary is not None:
        if context.summary_path is None:
            typer.echo(report.summary, nl=False)
        else:
            write_summary(context, report.summary)
            typer.echo(f"issuelog ci: summary written to {context.summary_path}", err=True)
    if not report.ok:
        typer.echo(f"issuelog ci: failed: {len(report.problems)} problem(s)", err=True)
        raise ProblemsFound()
    typer.echo("issuelog ci: ok", err=True)


@commands.add(example="issuelog renumber --dry-run\nissuelog renumber --against origin/main")
def renumber(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan, change nothing.")] = False,
    against: Annotated[str | None, typer.Option(
        "--against", metavar="REF",
        help="Before merging REF (e.g. origin/main): renumber this branch's issues whose IDs REF "
             "uses for different issues.")] = None,
) -> None:
    """Give issues that share an ID new IDs; the one on the default branch keeps it. Print every change."""
    from issuelog.core.store import display_path
    from issuelog.git.renumber import renumber as renumber_issues

    config = load_project()
    plan = renumber_issues(config, dry_run=dry_run, against=against)
    if plan.empty and not plan.unclear:
        typer.echo(f"no ID that {against} uses for another issue: nothing to renumber" if against
                   else "no duplicate IDs: nothing to renumber", err=True)
        return
    would = "would " if dry_run else ""
    for rename in plan.renames:
        typer.echo(f"{would}rename {display_path(rename.old_path, config)} -> "
                   f"{display_path(rename.new_path, config)} ({rename.old_id} -> {rename.new_id}; "
                   f"{display_path(rename.kept_by, config)} keeps {rename.old_id})")
    for update in plan.references:
        typer.echo(f"{would}update {display_path(plan.final_path(update.path), config)}: related "
                   f"{update.old_id} -> {update.new_id}")
    for unclear in plan.unclear:
        shown = display_path(plan.final_path(unclear.path), config)
        typer.echo(f"left {shown}: related {unclear.issue_id} may mean either issue; check it by hand")
    if not dry_run and not plan.empty:
        typer.echo("issuelog: now run `issuelog render` and commit the renamed files "
                   "(git add -A " f"{config.issues_dir})", err=True)
