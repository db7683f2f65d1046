"""The team race: four developers, twenty pull requests, merges by a hosting service, and CI.

    python bench/race.py [--seeds 1 2 3] [--branches 20] [--clones 4] [--ci github|gitlab]
                         [--lost-race 0.3] [--deferred 0.3] [--keep DIR]

Plays what a team does with issuelog's recommended setup (README, "Team workflow"):

- a bare server repository whose main holds a few issues and their rendered ISSUES.md, with
  `render_branches = ["main"]`; four developer clones, each set up with `issuelog install-hooks`;
- feature branches filed over time by the developers, who never fetch (so their IDs collide):
  new issues (some `related:` to another new issue of the branch or to an issue on main),
  and edits of the same issue on two branches (different fields), a resolve, an assignment;
- for each branch, in random order: the pull request's CI job on a fresh checkout (GitHub:
  the merge commit of the branch into the current main; GitLab: the branch itself), running
  the very steps of `action.yml` or `.gitlab/issuelog.gitlab-ci.yml`; when it fails and prints a
  `fix:` command, the developer runs that command on the branch, and CI runs again; then a plain
  `git merge --no-ff` on a hook-less server-side clone, pushed; then the job on main (the same
  YAML, with commit on) renders and commits ISSUES.md. Some jobs on main run after the next
  merge (`--deferred`), and some lose a race: the next merge is pushed while they push
  (`--lost-race`, played with a pre-push hook in the job's clone).

Only the line that installs issuelog (the action's `install` step, the include's
`pip install`) is left out: issuelog is already installed where this script runs.

It counts what must never happen and exits 1 when any count is not 0; the pytest suite runs a
smaller race (tests/test_race.py).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
ACTION = REPO / "action.yml"
GITLAB_INCLUDE = REPO / ".gitlab" / "issuelog.gitlab-ci.yml"
README = REPO / "README.md"
WORKFLOW_MARK = "# .github/workflows/issues.yml"
CONFIG = 'project = "Race"\nrender_branches = ["main"]\n'
BASE_ISSUES = 5
DEVELOPERS = ("ada", "grace", "linus", "barbara")
GOALS = ("ISSUES.md conflicts resolved by hand", "duplicate IDs that reached main",
         "IDs on main that changed", "related links to the wrong issue",
         "pushes to main with a stale log after CI", "reviewer summaries that misstate a change",
         "render commits that would trigger CI again", "jobs on main that failed",
         "pull requests whose CI never passed")
KINDS = ("opened", "added", "resolved", "reopened", "changed", "removed", "renumbered")


#: The first line of the script that plays actions/cache's restore (told apart from the action's own steps).
CACHE_SCRIPT = "# actions/cache: restore\n"

class RaceError(Exception):
    """Something the script did not expect (a bug in the race itself, or in issuelog)."""


@dataclass
class Branch:
    """One feature branch and what it is meant to change."""

    name: str
    developer: str
    new_titles: list[str] = field(default_factory=list)
    # title -> title of the issue it is meant to relate to
    related: dict[str, str] = field(default_factory=dict)
    # title of an issue on main -> {field: new value}
    edits: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class Counts:
    """The figures of one race."""

    goals: Counter[str] = field(default_factory=Counter)
    info: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)


class Race:
    """One race, in a temporary directory."""

    def __init__(self, root: Path, seed: int, branches: int, clones: int, ci: str,
                 lost_race: float, deferred: float, verbose: bool, github_merge: bool = False) -> None:
        self.root, self.seed, self.ci, self.github_merge = root, seed, ci, github_merge
        self.ignore_ci = False
        self.rng = random.Random(seed)
        self.branch_count, self.clone_count = branches, clones
        self.lost_race, self.deferred, self.verbose = lost_race, deferred, verbose
        self.counts = Counts()
        self.server = root / "server.git"
        self.merger = root / "merger"
        self.clock = 1_767_261_600  # 2026-01-01 10:00 UTC; moves on with every commit
        self.main_ids: dict[str, str] = {}  # title -> ID first seen on main
        self.intended: dict[str, str] = {}  # title -> title its related: link means
        self.jobs = 0
        self.duplicates: set[str] = set()
        home = root / "home"
        home.mkdir()
        (home / ".gitconfig").write_text("[user]\n\tname = Race\n\temail = race@example.invalid\n"
                                         "[init]\n\tdefaultBranch = main\n[advice]\n"
                                         "\tdetachedHead = false\n")
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith(("GITHUB_", "GITLAB_", "CI_", "ISSUELOG_", "GIT_"))
                    and key not in ("CI", "VIRTUAL_ENV")}
        self.env.update(HOME=str(home), GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
                        GIT_CONFIG_NOSYSTEM="1", NO_COLOR="1",
                        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")

    # --- running things ---------------------------------------------------------------------------

    def run(self, args: list[str], cwd: Path, *, env: dict[str, str] | None = None,
            check: bool = True, dated: bool = False) -> subprocess.CompletedProcess[str]:
        """Run a command; `dated` gives commits the race's clock, which moves on each time."""
        environment = {**self.env, **(env or {})}
        if dated:
            self.clock += self.rng.randint(600, 7200)
            # Commit times that go back now and then: an older commit merged later must not win.
            when = self.clock - self.rng.choice((0, 0, 0, 86400 * 3))
            environment.update(GIT_AUTHOR_DATE=f"@{when} +0000", GIT_COMMITTER_DATE=f"@{when} +0000")
        result = subprocess.run(args, cwd=cwd, env=environment, capture_output=True, text=True)
        if self.verbose:
            print(f"$ {' '.join(args)}  [{cwd.name}] -> {result.returncode}", file=sys.stderr)
        if check and result.returncode != 0:
            raise RaceError(f"{' '.join(args)} failed in {cwd}:\n{result.stdout}\n{result.stderr}")
        return result

    def git(self, cwd: Path, *args: str, check: bool = True, dated: bool = False) -> str:
        """Run git and return its output."""
        return self.run(["git", *args], cwd, check=check, dated=dated).stdout

    def issuelog(self, cwd: Path, *args: str, dated: bool = False) -> str:
        """Run issuelog as a developer does."""
        return self.run(["issuelog", *args], cwd, dated=dated).stdout

    def bash(self, script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        """Run a CI script as the CI service does (bash, stop at the first failing command)."""
        return self.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd,
                        env=env, check=False)

    # --- the team -------------------------------------------------------------------------------

    def set_up(self) -> list[Path]:
        """The server, main with a few issues and its log, and the developers' clones."""
        self.git(self.root, "init", "-q", "--bare", "-b", "main", str(self.server))
        self.git(self.server, "config", "receive.advertisePushOptions", "true")  # GitLab's ci.skip
        seed = self.root / "seed"
        self.git(self.root, "clone", "-q", str(self.server), str(seed))
        (seed / "issuelog.toml").write_text(CONFIG)
        self.issuelog(seed, "init")
        for number in range(1, BASE_ISSUES + 1):
            self.issuelog(seed, "new", f"Base issue {number}", "-s", "medium", "--date", "2026-01-01")
        self.issuelog(seed, "install-hooks")  # its .gitattributes line is committed for everyone
        self.issuelog(seed, "render")
        self.git(seed, "add", "-A")
        self.git(seed, "commit", "-q", "-m", "Start the issue log", dated=True)
        self.git(seed, "push", "-q", "origin", "main")
        self.git(self.root, "clone", "-q", str(self.server), str(self.merger))  # no hooks here
        clones = []
        for name in DEVELOPERS[:self.clone_count]:
            clone = self.root / name
            self.git(self.root, "clone", "-q", str(self.server), str(clone))
            self.git(clone, "config", "user.name", name)
            self.issuelog(clone, "install-hooks")  # the recommended setup of every clone
            clones.append(clone)
        self.record_main()
        return clones

    def file_branches(self, clones: list[Path]) -> list[Branch]:
        """Every developer files branches over time, never fetching."""
        bases = {title: self.main_ids[title] for title in self.main_ids}
        edited = "Base issue 2"
        # Two branches of different developers edit the same issue, different fields.
        pair = self.rng.sample(range(self.branch_count), 2)
        while self.branch_count > 1 and pair[0] % len(clones) == pair[1] % len(clones) \
                and len(clones) > 1:
            pair = self.rng.sample(range(self.branch_count), 2)
        branches = []
        for index in range(self.branch_count):
            clone = clones[index % len(clones)]
            branch = Branch(f"feature-{index + 1:02d}", clone.name)
            self.git(clone, "checkout", "-q", "-b", branch.name, "main")
            for number in range(self.rng.choice((1, 1, 2))):
                title = f"Race {self.seed} branch {index + 1} issue {number + 1}"
                args = ["new", title, "-s", self.rng.choice(("low", "medium", "high", "critical")),
                        "--date", f"2026-01-{2 + index % 27:02d}"]
                if number == 1:  # the second one relates to the first one, filed on this branch
                    first = branch.new_titles[0]
                    args += ["--related", self.id_on_branch(clone, first)]
                    branch.related[title] = first
                elif self.rng.random() < 0.3:
                    target = f"Base issue {self.rng.randint(1, BASE_ISSUES)}"
                    args += ["--related", bases[target]]
                    branch.related[title] = target
                self.issuelog(clone, *args)
                branch.new_titles.append(title)
            if index == pair[0]:
                self.issuelog(clone, "set", bases[edited], "severity=critical")
                branch.edits[edited] = {"severity": "critical"}
            elif len(pair) > 1 and index == pair[1]:
                self.issuelog(clone, "assign", bases[edited], "grace")
                branch.edits[edited] = {"assignee": "grace"}
            elif self.rng.random() < 0.2:
                target = f"Base issue {self.rng.choice((1, 3, 4, 5))}"
                if not any(target in other.edits for other in branches):
                    self.issuelog(clone, "resolve", bases[target], "--date", "2026-01-28")
                    branch.edits[target] = {"status": "resolved"}
            self.git(clone, "add", "-A")
            self.git(clone, "commit", "-q", "-m", f"Work on {branch.name}", dated=True)
            self.git(clone, "push", "-q", "-u", "origin", branch.name)
            self.git(clone, "checkout", "-q", "main")
            self.intended.update(branch.related)
            branches.append(branch)
        return branches

    def id_on_branch(self, clone: Path, title: str) -> str:
        """The ID of the issue with this title in a clone's work tree."""
        for issue in read_issues(clone):
            if issue["title"] == title:
                return str(issue["id"])
        raise RaceError(f"no issue '{title}' in {clone}")

    # --- CI, from the YAML ------------------------------------------------------------------------

    def checkout(self, name: str, ref: str, merge: str | None = None) -> Path:
        """A CI job's clone: the whole history (fetch-depth: 0), at `ref`, or a merge into it."""
        self.jobs += 1
        clone = self.root / f"job-{self.jobs:03d}-{name}"
        self.git(self.root, "clone", "-q", "--no-checkout", str(self.server), str(clone))
        self.git(clone, "checkout", "-q", "--detach", ref)
        if merge is not None:  # GitHub tests the pull request's merge commit (refs/pull/N/merge)
            result = self.run(["git", "merge", "--no-ff", "-q", "-m", f"Merge {merge}", merge],
                              clone, check=False)
            if result.returncode != 0:
                raise RaceError(f"the pull request {merge} does not merge:\n{result.stdout}")
        return clone

    def github_job(self, inputs: dict[str, str], github: dict[str, str], clone: Path,
                   env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        """Run the action's steps in `clone` up to the first that fails; the result of the last
        step that ran, the cache's steps aside (its save runs only when every step passed)."""
        steps, saves = self.github_steps(inputs, github)
        result = None
        for directory, step_env, script in steps:
            ran = self.bash(script, clone / directory, {**env, **step_env})
            if not script.startswith(CACHE_SCRIPT) or ran.returncode != 0:
                result = ran
            if ran.returncode != 0:
                return ran
        for directory, step_env, script in saves:
            self.bash(script, clone / directory, {**env, **step_env})
        assert result is not None
        return result

    def github_steps(self, inputs: dict[str, str], github: dict[str, str]
                     ) -> tuple[list[tuple[str, dict[str, str], str]], list[tuple[str, dict[str, str], str]]]:
        """The action's steps as (working directory, env, script), `${{ }}` filled in, and the
        steps that save the cache after them."""
        action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
        values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
        values.update(inputs)

        def fill(text: str) -> str:
            def one(match: re.Match[str]) -> str:
                scope, _, name = match.group(1).partition(".")
                table = {"inputs": values, "github": github}.get(scope)
                if table is None or name not in table:
                    raise RaceError(f"action.yml: cannot evaluate ${{{{ {match.group(1)} }}}}")
                return table[name]
            return re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", one, str(text))

        steps, saves = [], []
        for step in action["runs"]["steps"]:
            if step.get("id") == "install":
                continue  # issuelog is already installed here
            if str(step.get("uses", "")).startswith("actions/cache@"):
                if step.get("if") == "inputs.cache == 'true'" and values.get("cache") != "true":
                    continue
                # actions/cache, played by a folder shared by every job of the race: the last
                # job's cache is restored into the next checkout, whatever branch it came from
                # (restore-keys), and saved when the job succeeds.
                path = shlex.quote(fill(step["with"]["path"]))
                store = shlex.quote(str(self.root / "actions-cache"))
                steps.append((".", {}, f"{CACHE_SCRIPT}if [ -d {store} ]; then mkdir -p {path} && "
                                       f"cp -r {store}/. {path}/; fi"))
                saves.append((".", {}, f"if [ -d {path} ]; then rm -rf {store} && cp -r {path} {store}; fi"))
                continue
            env = {key: fill(value) for key, value in (step.get("env") or {}).items()}
            steps.append((fill(step.get("working-directory", ".")), env, fill(step["run"])))
        return steps, saves

    def gitlab_script(self, job: str) -> tuple[dict[str, str], str]:
        """A job of the include as (variables, script): before_script then script, as GitLab runs them."""
        include = yaml.safe_load(GITLAB_INCLUDE.read_text(encoding="utf-8"))
        spec = include[job]
        base = include[spec["extends"]] if "extends" in spec else {}
        variables = {**(base.get("variables") or {}), **(spec.get("variables") or {})}
        lines = [line for line in (base.get("before_script") or []) + spec["script"]
                 if "pip install" not in line]  # issuelog is already installed here
        return {key: str(value) for key, value in variables.items()}, "\n".join(lines)

    def pull_request_ci(self, branch: Branch, number: int) -> tuple[subprocess.CompletedProcess[str], str]:
        """One run of the pull request's job; returns the result and the summary written."""
        self.git(self.merger, "fetch", "-q", "origin")
        head = f"origin/{branch.name}"
        summary = self.root / f"summary-{self.jobs + 1:03d}.md"
        if self.ci == "github":
            inputs, ref = job_plan(readme_workflow()["jobs"]["pull-request"])
            # `ref: head.sha` checks out the pull request's head; without it (or with
            # `--github-merge`) actions/checkout takes the branch merged into main.
            merged = self.github_merge or ref != "${{ github.event.pull_request.head.sha }}"
            clone = (self.checkout(f"pr-{branch.name}", "origin/main", merge=head) if merged
                     else self.checkout(f"pr-{branch.name}", head))
            sha = self.git(clone, "rev-parse", "HEAD").strip()
            env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
                   "GITHUB_BASE_REF": "main", "GITHUB_HEAD_REF": branch.name,
                   "GITHUB_REF_NAME": f"{number}/merge", "GITHUB_SHA": sha,
                   "GITHUB_SERVER_URL": "https://github.example", "GITHUB_REPOSITORY": "team/race",
                   "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(clone)}
            github = {"ref_name": f"{number}/merge", "action_path": str(REPO)}
            result = self.github_job(inputs, github, clone, env)
        else:
            clone = self.checkout(f"mr-{branch.name}", head)
            env = {"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "merge_request_event",
                   "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
                   "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": branch.name, "CI_DEFAULT_BRANCH": "main",
                   "CI_PROJECT_DIR": str(clone), "CI_PROJECT_URL": "https://gitlab.example/team/race",
                   "CI_COMMIT_SHA": self.git(clone, "rev-parse", "HEAD").strip()}
            variables, script = self.gitlab_script("issuelog-merge-request")
            result = self.bash(script, clone, {**variables, **env})
            if (clone / "issuelog-summary.md").is_file():
                shutil.copyfile(clone / "issuelog-summary.md", summary)
        text = summary.read_text(encoding="utf-8") if summary.is_file() else ""
        return result, text

    def main_ci(self, intruder: Branch | None = None) -> bool:
        """The job on main: render and commit ISSUES.md; `intruder` is merged while it pushes.

        Returns whether the intruder was merged (only a job that pushes can be raced).
        """
        clone = self.checkout("main", "origin/main")
        self.git(clone, "checkout", "-q", "-B", "main", "origin/main")
        flag = self.root / f"intruded-{self.jobs}"
        if intruder is not None:
            hook = clone / ".git" / "hooks" / "pre-push"
            hook.write_text(f"#!/bin/sh\n[ -e {flag} ] && exit 0\ntouch {flag}\n"
                            f"unset GIT_DIR GIT_INDEX_FILE GIT_WORK_TREE\n"
                            f"{sys.executable} {Path(__file__).resolve()} --merge-now "
                            f"{self.merger} {intruder.name} >&2\nexit 0\n")
            hook.chmod(0o755)
        if self.ci == "github":
            env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_REF_NAME": "main",
                   "GITHUB_SHA": self.git(clone, "rev-parse", "HEAD").strip(),
                   "GITHUB_WORKSPACE": str(clone)}
            github = {"ref_name": "main", "action_path": str(REPO)}
            inputs, _ = job_plan(readme_workflow()["jobs"]["render"])
            result = self.github_job(inputs, github, clone, env)
        else:
            self.git(clone, "checkout", "-q", "--detach")
            env = {"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main",
                   "CI_DEFAULT_BRANCH": "main", "CI_PROJECT_DIR": str(clone),
                   "CI_SERVER_HOST": "gitlab.example", "CI_PROJECT_PATH": "team/race",
                   "ISSUELOG_PUSH_URL": str(self.server)}
            variables, script = self.gitlab_script("issuelog-render")
            result = self.bash(script, clone, {**variables, **env})
        if result.returncode != 0:
            self.counts.goals["jobs on main that failed"] += 1
            self.counts.notes.append(f"the job on main failed:\n{result.stdout}{result.stderr}")
        if "another push reached" in result.stderr:
            self.counts.info["lost races, started again"] += 1
        if "committed" in result.stdout:
            self.counts.info["render commits"] += 1
            self.check_render_commit()
        return flag.exists()

    def check_render_commit(self) -> None:
        """The job's commit changes the log only and asks CI to skip it: it cannot trigger itself."""
        self.git(self.merger, "fetch", "-q", "origin")
        log = self.git(self.merger, "log", "-1", "--format=%s", "--author=bot", "--author=CI",
                       "origin/main").strip()
        commit = self.git(self.merger, "log", "-1", "--format=%H", "--author=bot", "--author=CI",
                          "origin/main").strip()
        changed = self.git(self.merger, "diff-tree", "--no-commit-id", "--name-only", "-r",
                           commit).split()
        if changed != ["ISSUES.md"] or "[skip ci]" not in log:
            self.counts.goals["render commits that would trigger CI again"] += 1

    # --- merging -------------------------------------------------------------------------------

    def merge(self, branch: Branch) -> None:
        """What the hosting service's merge button does: a plain `git merge --no-ff`, pushed."""
        merge_now(self.merger, branch.name, self.env)
        self.counts.info["merges pushed to main"] += 1

    def review_and_merge(self, branch: Branch, number: int, clones: dict[str, Path]) -> bool:
        """CI on the pull request until it passes (fixing what it says), then True; or False."""
        for _ in range(3):
            result, summary = self.pull_request_ci(branch, number)
            self.counts.info["pull request CI runs"] += 1
            if self.ignore_ci:
                return True  # a team that merges whatever CI says: the counts must show it
            if result.returncode == 0:
                self.check_summary(branch, summary, clones[branch.developer])
                return True
            fixes = [line[len("fix: "):] for line in result.stdout.splitlines() if line.startswith("fix: ")]
            if not fixes:
                self.counts.notes.append(f"{branch.name}: CI failed with no fix:\n{result.stdout}"
                                         f"{result.stderr}")
                return False
            self.counts.info["fixes run by developers"] += len(fixes)
            clone = clones[branch.developer]
            self.git(clone, "checkout", "-q", branch.name)
            for fix in fixes:
                done = self.run(["bash", "-eo", "pipefail", "-c", fix], clone, check=False, dated=True)
                if done.returncode != 0:
                    self.counts.notes.append(f"{branch.name}: the fix failed: {fix}\n{done.stdout}"
                                             f"{done.stderr}")
                    return False
            self.git(clone, "checkout", "-q", "main")
        return False

    # --- what must hold -----------------------------------------------------------------------------

    def main_state(self) -> list[dict[str, Any]]:
        """The issues on the server's main (files read from a fresh work tree)."""
        self.git(self.merger, "fetch", "-q", "origin")
        self.git(self.merger, "checkout", "-q", "-B", "main", "origin/main")
        return read_issues(self.merger)

    def record_main(self, issues: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Check main: no duplicate IDs, no ID that moved (`issues`: main's, when just read)."""
        issues = self.main_state() if issues is None else issues
        ids = Counter(str(issue["id"]) for issue in issues)
        for issue_id in sorted(issue_id for issue_id, n in ids.items() if n > 1):
            if issue_id not in self.duplicates:
                self.duplicates.add(issue_id)
                self.counts.goals["duplicate IDs that reached main"] += 1
        for issue in issues:
            title, issue_id = str(issue["title"]), str(issue["id"])
            if self.main_ids.setdefault(title, issue_id) != issue_id:
                self.counts.goals["IDs on main that changed"] += 1
                self.counts.notes.append(f"{title}: {self.main_ids[title]} became {issue_id} on main")
                self.main_ids[title] = issue_id
        return issues

    def log_is_current(self) -> bool:
        """Whether main's ISSUES.md is what `issuelog render` makes of main's issue files."""
        self.record_main(self.main_state())
        return self.run(["issuelog", "render", "--check"], self.merger, check=False).returncode == 0

    def check_related(self) -> None:
        """Every related: link on main leads to the issue it was meant for (tracked by title)."""
        issues = self.main_state()
        title_of = {str(issue["id"]): str(issue["title"]) for issue in issues}
        for issue in issues:
            meant = self.intended.get(str(issue["title"]))
            if meant is None:
                continue
            targets = [title_of.get(str(other)) for other in issue["related"]]
            if targets != [meant]:
                self.counts.goals["related links to the wrong issue"] += 1
                self.counts.notes.append(f"{issue['title']}: related {issue['related']} -> {targets}, "
                                         f"meant '{meant}'")

    def check_summary(self, branch: Branch, summary: str, clone: Path) -> None:
        """Compare the reviewer's summary with what the branch really changes."""
        self.git(clone, "checkout", "-q", branch.name)
        listed = {str(issue["title"]): issue for issue in read_issues(clone)}
        self.git(clone, "checkout", "-q", "main")
        truth: dict[str, tuple[str, str, set[str]]] = {}  # ID -> (kind, title, fields)
        values = {name: value for changes in branch.edits.values() for name, value in changes.items()}
        for title in branch.new_titles:
            truth[str(listed[title]["id"])] = ("opened", title, set())
        for title, changes in branch.edits.items():
            kind = "resolved" if changes.get("status") == "resolved" else "changed"
            truth[self.main_ids[title]] = (kind, title, set(changes) - {"status"})
        claims = summary_claims(summary)
        wrong = []
        for issue_id, (kind, title, fields) in truth.items():
            claim = claims.pop(issue_id, None)
            if claim is None:
                wrong.append(f"{issue_id} ({kind}) missing")
            elif claim[0] != kind or title not in claim[1] or not all(
                    f"{name}: " in claim[1] and values[name].lower() in claim[1].lower() for name in fields):
                wrong.append(f"{issue_id} shown as {claim[0]}: {claim[1]!r}, truth {kind} {title} {fields}")
        wrong += [f"{issue_id} shown as {claim[0]} but not changed" for issue_id, claim in claims.items()]
        if wrong:
            self.counts.goals["reviewer summaries that misstate a change"] += 1
            self.counts.notes.append(f"{branch.name} summary: " + "; ".join(wrong))
        self.counts.info["largest summary (bytes)"] = max(self.counts.info["largest summary (bytes)"],
                                                           len(summary.encode()))

    # --- the race -------------------------------------------------------------------------------

    def play(self) -> Counts:
        """Set up, file, then review, merge and run CI in random order; count."""
        clones = self.set_up()
        branches = self.file_branches(clones)
        by_developer = {clone.name: clone for clone in clones}
        order = branches[:]
        self.rng.shuffle(order)
        pending = 0  # pushes to main whose job has not run yet
        racing = False  # the job of the last push runs while the next merge lands
        for number, branch in enumerate(order, start=1):
            if not self.review_and_merge(branch, number, by_developer):
                self.counts.goals["pull requests whose CI never passed"] += 1
                continue
            if racing:
                for _ in range(pending - 1):
                    self.main_ci()
                if self.main_ci(intruder=branch):
                    self.counts.info["merges pushed to main"] += 1
                else:
                    self.merge(branch)  # that job had nothing to push: no race to lose
                pending = 0
            else:
                self.merge(branch)  # with pushes pending, their jobs run after this merge
            pending += 1
            self.record_main()
            draw = self.rng.random()
            racing = draw < self.lost_race
            if not racing and draw >= self.lost_race + self.deferred:
                self.settle(pending)
                pending = 0
        if pending:
            self.settle(pending)
        self.check_related()
        return self.counts

    def settle(self, pushes: int) -> None:
        """Each push to main starts the job once; then main's log must be current."""
        for _ in range(pushes):
            self.main_ci()
        if not self.log_is_current():
            self.counts.goals["pushes to main with a stale log after CI"] += pushes


def read_issues(clone: Path) -> list[dict[str, Any]]:
    """The frontmatter of every issue file of a clone's work tree (id, title, related, ...)."""
    issues = []
    for path in sorted((clone / "issues").glob("*.md")):
        _, frontmatter, _ = path.read_text(encoding="utf-8").split("---\n", 2)
        data = yaml.safe_load(frontmatter)
        issues.append({"id": data["id"], "title": str(data["title"]),
                       "related": data.get("related") or [], "path": path.name})
    return issues


def readme_workflow() -> dict[str, Any]:
    """The GitHub workflow file given in the README (its YAML block that starts with WORKFLOW_MARK)."""
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    found = [block for block in blocks if block.startswith(WORKFLOW_MARK)]
    if len(found) != 1:
        raise RaceError(f"README.md: expected one YAML block starting with '{WORKFLOW_MARK}'")
    workflow: dict[str, Any] = yaml.safe_load(found[0])
    return workflow


def job_plan(job: dict[str, Any]) -> tuple[dict[str, str], str | None]:
    """A README job's inputs to the action, and the `ref` its checkout step asks for."""
    inputs: dict[str, str] | None = None
    ref = None
    for step in job["steps"]:
        uses = str(step.get("uses", ""))
        if uses.startswith("actions/checkout"):
            ref = (step.get("with") or {}).get("ref")
        elif uses.startswith("OWNER/issuelog"):
            inputs = {key: str(value).lower() if isinstance(value, bool) else str(value)
                      for key, value in (step.get("with") or {}).items()}
        elif "run" in step:
            raise RaceError(f"README workflow: a `run` step the race does not play: {step['run']}")
    if inputs is None:
        raise RaceError("README workflow: a job without the issuelog action")
    return inputs, ref


def merge_now(merger: Path, branch: str, env: dict[str, str] | None = None) -> None:
    """The merge button: fetch, a plain `git merge --no-ff` of the branch into main, push."""
    environment = env if env is not None else {key: value for key, value in os.environ.items()
                                               if not key.startswith("GIT_")}

    def git(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["git", *args], cwd=merger, env=environment, capture_output=True,
                                text=True)
        if check and result.returncode != 0:
            raise RaceError(f"git {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    git("fetch", "-q", "origin")
    git("checkout", "-q", "-B", "main", "origin/main")
    result = git("merge", "--no-ff", "-q", "-m", f"Merge branch '{branch}'", f"origin/{branch}", check=False)
    if result.returncode != 0:
        conflicted = git("diff", "--name-only", "--diff-filter=U").stdout.split()
        # A person would resolve it by hand; the race counts it and keeps main's side.
        print(f"conflict: {' '.join(conflicted)}", file=sys.stderr)
        git("checkout", "--ours", "--", *conflicted)
        git("add", "--", *conflicted)
        git("commit", "-q", "--no-edit")
        marker = merger / ".race-conflicts"
        with marker.open("a", encoding="utf-8") as handle:
            handle.write("".join(f"{name}\n" for name in conflicted))
    git("push", "-q", "origin", "main")


def summary_claims(summary: str) -> dict[str, tuple[str, str]]:
    """What a summary says: {ID: (kind, the text of its row)}, kinds from the headings above rows."""
    claims: dict[str, tuple[str, str]] = {}
    kind = ""
    for line in summary.splitlines():
        heading = re.match(r"\s*(?:#+|<summary>)\s*(?:<b>|\*\*)?\s*(\w+)", line)
        if heading and heading.group(1).lower() in KINDS:
            kind = heading.group(1).lower()
            continue
        row = re.match(r"\s*\|\s*\[?([A-Z][A-Z0-9_]*-\d+)\]?", line)
        if row and kind:
            claims[row.group(1)] = (kind, line)
    return claims


def play(seed: int, arguments: argparse.Namespace) -> Counts:
    """One race in a temporary directory (kept with --keep)."""
    if arguments.keep:
        root = Path(arguments.keep) / f"seed-{seed}"
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
    else:
        root = Path(tempfile.mkdtemp(prefix=f"issuelog-race-{seed}-"))
    try:
        race = Race(root, seed, arguments.branches, arguments.clones, arguments.ci,
                    arguments.lost_race, arguments.deferred, arguments.verbose, arguments.github_merge)
        race.ignore_ci = arguments.ignore_ci
        counts = race.play()
        conflicts = root / "merger" / ".race-conflicts"
        if conflicts.is_file():
            names = conflicts.read_text().split()
            counts.goals["ISSUES.md conflicts resolved by hand"] += names.count("ISSUES.md")
            counts.info["other conflicts resolved by hand"] += sum(1 for n in names if n != "ISSUES.md")
        return counts
    finally:
        if not arguments.keep:
            shutil.rmtree(root, ignore_errors=True)


def table(results: dict[int, Counts]) -> str:
    """The counts of every seed, goals first."""
    seeds = list(results)
    info = sorted({key for counts in results.values() for key in counts.info})
    header = f"| {'count':<44} | goal | " + " | ".join(f"seed {seed}" for seed in seeds) + " |"
    rule = "|".join("-" * (len(f"seed {seed}") + 2) for seed in seeds)
    lines = [header, "|" + "-" * 46 + "|------|" + rule + "|"]
    for name, goal in [(name, "0") for name in GOALS] + [(name, "") for name in info]:
        source = "goals" if goal else "info"
        cells = " | ".join(f"{getattr(results[seed], source)[name]:>{len(f'seed {seed}')}}" for seed in seeds)
        lines.append(f"| {name:<44} | {goal:>4} | {cells} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Play the race for every seed, print the table, exit 1 when a goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--branches", type=int, default=20)
    parser.add_argument("--clones", type=int, default=4, choices=range(1, len(DEVELOPERS) + 1))
    parser.add_argument("--ci", choices=("github", "gitlab"), default="github")
    parser.add_argument("--lost-race", type=float, default=0.3,
                        help="share of jobs on main that lose a race with the next merge")
    parser.add_argument("--deferred", type=float, default=0.3,
                        help="share of jobs on main that run only after the next merge")
    parser.add_argument("--github-merge", action="store_true",
                        help="check out pull requests as merge commits (actions/checkout's default)")
    parser.add_argument("--ignore-ci", action="store_true",
                        help="merge whatever CI says (shows that the counts catch what CI prevents)")
    parser.add_argument("--keep", metavar="DIR", help="keep every repository under DIR")
    parser.add_argument("--verbose", action="store_true", help="print every command run")
    parser.add_argument("--merge-now", nargs=2, metavar=("MERGER", "BRANCH"), help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.merge_now:  # run by the pre-push hook that makes a job on main lose its race
        merge_now(Path(arguments.merge_now[0]), arguments.merge_now[1])
        return 0
    results = {seed: play(seed, arguments) for seed in arguments.seeds}
    print(f"race: {arguments.branches} branches, {arguments.clones} clones, {arguments.ci} CI, "
          f"seeds {' '.join(map(str, arguments.seeds))}")
    print(table(results))
    for seed, counts in results.items():
        for note in counts.notes:
            print(f"seed {seed}: {note}", file=sys.stderr)
    missed = any(counts.goals[name] for counts in results.values() for name in GOALS)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
