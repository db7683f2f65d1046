"""`issuelog ci`: what a CI job checks on a pull request, and renders on the default branch.

The decisions are pure functions of an environment mapping (GitHub Actions, GitLab CI or plain
variables, plus `--base` / `--branch`), so that they are tested without a CI service:

- on a **pull request** (or a push to a branch that is not rendered): validate the issue files,
  catch IDs the branch takes that the base already uses for another file, refuse a change to
  ISSUES.md when it is rendered on the default branch only (`render_branches`), or check that
  it is current when every branch carries it, and write the reviewer's summary;
- on a **branch the log is rendered on** (`render_branches`, else the default branch): validate
  and leave a freshly rendered ISSUES.md in the work tree for the job that commits it.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from issuelog.core.atomic_write import write_atomic
from issuelog.core.cache import load_issues
from issuelog.core.config import Config
from issuelog.core.model import Problem
from issuelog.errors import UsageError
from issuelog.git.gitrepo import (
    current_branch,
    default_branch_name,
    first_commit,
    merge_base,
    object_at,
    relative_to_work_tree,
    resolve_commit,
    work_tree_root,
)
from issuelog.project.logfile import update_log

#: GitHub events whose run is for a pull request (GITHUB_BASE_REF and GITHUB_HEAD_REF are set).
GITHUB_PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})
#: Problems listed in the reviewer's summary; the job log has all of them.
SUMMARY_PROBLEMS = 20


class Mode(str, enum.Enum):
    """What a CI run does."""

    PULL_REQUEST = "pull request"
    RENDER = "render"


@dataclass(frozen=True)
class CiContext:
    """What the environment says about this run."""

    service: str  # "GitHub Actions", "GitLab CI" or "CI"
    branch: str | None  # the branch built: a pull request's source, or the pushed branch
    base: str | None  # the branch a pull request merges into; None outside pull requests
    default_branch: str | None = None  # the repository's default branch, when the service says
    link_base: str = ""  # put before an issue's path in the summary's links
    summary_path: str | None = None  # where the reviewer's summary goes; None: standard output
    append_summary: bool = False  # GitHub's step summary file is shared by the job's steps


@dataclass(frozen=True)
class Decision:
    """The mode of a run and, for a pull request, the branch it is compared with."""

    mode: Mode
    branch: str
    base: str | None


def detect_context(
    env: Mapping[str, str], *, base: str | None = None, branch: str | None = None,
    summary: str | None = None, link_base: str | None = None,
) -> CiContext:
    """Read a CI service's standard variables; explicit options win over them."""
    def var(name: str) -> str | None:
        return env.get(name) or None

    default = None
    link = ""
    summary_path = summary
    append = False
    if var("GITHUB_ACTIONS") == "true":
        service = "GitHub Actions"
        if var("GITHUB_EVENT_NAME") in GITHUB_PULL_REQUEST_EVENTS:
            base = base or var("GITHUB_BASE_REF")
            branch = branch or var("GITHUB_HEAD_REF")
        branch = branch or var("GITHUB_REF_NAME")
        if var("GITHUB_SERVER_URL") and var("GITHUB_REPOSITORY") and var("GITHUB_SHA"):
            # The commit checked out (a pull request's merge commit) lives in the base repository,
            # for pull requests from forks too, where the branch name would lead nowhere.
            link = f"{env['GITHUB_SERVER_URL']}/{env['GITHUB_REPOSITORY']}/blob/{env['GITHUB_SHA']}/"
        if summary_path is None and var("GITHUB_STEP_SUMMARY"):
            summary_path, append = env["GITHUB_STEP_SUMMARY"], True
    elif var("GITLAB_CI") == "true":
        service = "GitLab CI"
        base = base or var("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
        branch = branch or var("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME") or var("CI_COMMIT_BRANCH")
        default = var("CI_DEFAULT_BRANCH")
        if var("CI_PROJECT_URL") and var("CI_COMMIT_SHA"):
            link = f"{env['CI_PROJECT_URL']}/-/blob/{env['CI_COMMIT_SHA']}/"
    else:
        service = "CI"
    return CiContext(service, branch, base, default, link if link_base is None else link_base,
                     summary_path, append)


def decide(context: CiContext, config: Config, default_branch: Callable[[], str | None]) -> Decision:
    """Pull request or render run; `default_branch` is asked only when the context cannot tell."""
    if context.base is not None:
        if context.branch is None:
            # A pull request's own branch only matters for `render_branches` patterns.
            return Decision(Mode.PULL_REQUEST, "(pull request)", context.base)
        return Decision(Mode.PULL_REQUEST, context.branch, context.base)
    if context.branch is None:
        raise UsageError("cannot tell which branch this is (detached HEAD, no CI variables): "
                         "pass --branch NAME, and --base NAME for a pull request")
    default = context.default_branch or default_branch()
    if config.render_branches:
        renders = config.renders_on(context.branch)
    else:
        renders = default is None or context.branch == default
    if renders:
        return Decision(Mode.RENDER, context.branch, None)
    if default is None:
        raise UsageError(f"cannot tell the default branch to compare '{context.branch}' with: "
                         "pass --base NAME")
    # A push to a branch that is not rendered is checked as a pull request into the default one.
    return Decision(Mode.PULL_REQUEST, context.branch, default)


@dataclass
class CiReport:
    """What a run did: a short log, the problems found, and the reviewer's summary."""

    decision: Decision
    log: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)  # commands that fix the problems
    summary: str | None = None
    rendered: bool = False  # ISSUES.md was rewritten in the work tree

    @property
    def ok(self) -> bool:
        """Whether the run passes."""
        return not self.problems


def run_ci(config: Config, context: CiContext) -> CiReport:
    """Check (and on a rendered branch, render) as the decision for this context says.

    A context that names no branch gets the one git has checked out.
    """
    top = work_tree_root(config.root)
    if top is None:
        raise UsageError(f"{config.root} is not in a git work tree: `issuelog ci` compares revisions")
    if context.branch is None:  # plain CI, or a service that did not say: ask git
        context = dataclasses.replace(context, branch=current_branch(top))
    decision = decide(context, config, lambda: default_branch_name(top, config.default_branch))
    report = CiReport(decision)
    result = load_issues(config, bodies=False)
    report.problems.extend(result.problems)
    report.log.append(f"check: {len(result.issues)} issue(s), {len(result.problems)} problem(s)")
    if decision.mode is Mode.RENDER:
        report.log.insert(0, f"{context.service}: branch '{decision.branch}', where "
                             f"{config.output} is rendered")
        if not report.problems and decision.branch == (
                context.default_branch or default_branch_name(top, config.default_branch)):
            _close_from_commits(config, report)
        _update_log(config, report, write=True)
    else:
        _check_pull_request(config, context, decision, top, report)
    return report


def _close_from_commits(config: Config, report: CiReport) -> None:
    """Resolve the issues that commits on the default branch close; leave the files for the job."""
    from issuelog.git.trailers import close_from_commits, report_lines

    closing = close_from_commits(config, ["HEAD"])
    report.log += [f"commits: {line}" for line in report_lines(closing, config)]
    if closing.paths:
        report.log.append(f"commits: {len(closing.paths)} issue file(s) changed; left in the work "
                          "tree for the job to commit")


def _check_pull_request(config: Config, context: CiContext, decision: Decision, top: Path,
                        report: CiReport) -> None:
    assert decision.base is not None
    found = first_commit(top, [f"origin/{decision.base}", decision.base])
    if found is None:
        raise UsageError(f"the base branch '{decision.base}' is not in this clone: fetch it "
                         "(GitHub: actions/checkout with fetch-depth: 0; GitLab: GIT_DEPTH: 0)")
    base_ref, base_commit = found
    fork_point = merge_base(top, base_commit, resolve_commit(top, "HEAD"))
    report.log.insert(0, f"{context.service}: pull request '{decision.branch}' into "
                         f"'{decision.base}', compared with {base_ref} ({base_commit[:10]})")
    _check_ids_against_base(config, base_ref, report)
    output = relative_to_work_tree(config.output_path, top)
    if config.render_branches and not config.renders_on(decision.branch):
        if output is not None and object_at(top, fork_point, output) != object_at(top, "HEAD", output):
            # Restored as it was where the branch began, a plain merge takes main's version
            # whatever main did since; main's current version would conflict once main moves.
            restore = f"git checkout $(git merge-base {base_ref} HEAD) -- {output}"
            report.problems.append(Problem(
                config.output, 1,
                f"changed by this pull request, but it is rendered on "
                f"{', '.join(config.render_branches)} only (render_branches): undo the change "
                f"with `{restore}` and commit"))
            report.fixes.append(f"{_fetch(base_ref)}{restore} && git commit -m "
                                f"'Leave {output} to CI' && git push")
        else:
            report.log.append(f"{config.output}: untouched (rendered on "
                              f"{', '.join(config.render_branches)} only)")
    else:
        _update_log(config, report, write=False)
    report.summary = _summary(config, context, base_ref, fork_point, report)


def _check_ids_against_base(config: Config, base_ref: str, report: CiReport) -> None:
    from issuelog.git.base_clashes import base_id_conflicts

    taken = base_id_conflicts(config, base_ref)
    report.problems.extend(taken)
    # A checkout of the pull request merged into the base (GitHub's default) holds both files:
    # `check` sees a duplicate there, and the fix is the same.
    merged = any(problem.message.startswith("duplicate id") for problem in report.problems)
    if taken or merged:
        report.fixes.append(f"{_fetch(base_ref)}issuelog renumber --against {base_ref} && "
                            f"git add -A {config.issues_dir} && "
                            "git commit -m 'Renumber issues whose IDs are taken' && git push")
    report.log.append(f"IDs: {len(taken)} taken on {base_ref} by another issue")


def _fetch(base_ref: str) -> str:
    """`git fetch origin && ` when the fix reads `origin/...`: the developer's clone is older."""
    return "git fetch origin && " if base_ref.startswith("origin/") else ""


def _update_log(config: Config, report: CiReport, *, write: bool) -> None:
    """Render the log and compare it with the file: `write` it when stale, or report it stale."""
    if report.problems:
        report.log.append(f"{config.output}: not {'rendered' if write else 'checked'} while the "
                          "issue files have problems")
        return
    update = update_log(config, write=write)
    if update.text is None:
        return
    if update.current:
        report.log.append(f"{config.output}: up to date ({update.issue_count} issue(s))")
    elif update.written:
        report.rendered = True
        report.log.append(f"{config.output}: re-rendered ({update.issue_count} issue(s)); "
                          "left in the work tree for the job to commit")
    else:
        report.problems.append(Problem(config.output, 1, "stale: run `issuelog render` and commit it"))
        report.fixes.append(f"issuelog render && git commit {config.output} -m "
                            f"'Render {config.output}' && git push")


def _summary(config: Config, context: CiContext, base_ref: str, fork_point: str,
             report: CiReport) -> str:
    from issuelog.git.history import diff_since
    from issuelog.log.render import render_diff

    link_base = context.link_base
    top = work_tree_root(config.root)
    prefix = relative_to_work_tree(config.root, top) if top is not None else ""
    if link_base and prefix:
        link_base = f"{link_base}{prefix}/"  # links are made from the project's root
    result = dataclasses.replace(diff_since(config, fork_point), base=base_ref)
    text = render_diff(result.diff, result.base, result.commit, config, link_base)
    counts = result.diff.counts
    report.log.append("summary: " + (", ".join(f"{n} {kind}" for kind, n in counts.items() if n)
                                     or "no issue changed"))
    if not report.problems:
        return text
    # Double backticks: the messages quote commands in single ones.
    listed = [f"- `` {problem} ``" for problem in report.problems[:SUMMARY_PROBLEMS]]
    more = len(report.problems) - len(listed)
    if more:
        listed.append(f"- and {more} more: see the job's log")
    fixes = [f"\nTo fix, on the branch: `` {fix} ``" for fix in report.fixes]
    return (f"**issuelog ci: {len(report.problems)} problem(s)**\n\n" + "\n".join(listed) + "\n"
            + "".join(fixes) + ("\n" if fixes else "") + "\n" + text)


def write_summary(context: CiContext, text: str) -> None:
    """Write the reviewer's summary where the context says (GitHub's step summary: appended)."""
    assert context.summary_path is not None
    path = Path(context.summary_path)
    before = ""
    if context.append_summary and path.is_file():
        before = path.read_text(encoding="utf-8")
        before += "" if not before or before.endswith("\n") else "\n"
    write_atomic(path, before + text)
