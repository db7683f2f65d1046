"""The CI files issuelog ships and the README's team workflow: they parse, say what the README
says, and every `issuelog` command line in them names a command and options that exist."""

from __future__ import annotations

import fnmatch
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from issuelog.cli.app import app

REPO = Path(__file__).resolve().parent.parent
ACTION = REPO / "action.yml"
INCLUDE = REPO / ".gitlab" / "issuelog.gitlab-ci.yml"
README = REPO / "README.md"


def team_section() -> str:
    """The README's "Team workflow" section."""
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Team workflow\n")
    return text[start:text.index("\n## ", start + 1)]


def fenced(text: str, language: str) -> list[str]:
    """The contents of the fenced blocks of one language."""
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


def action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return data


def include() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(INCLUDE.read_text(encoding="utf-8"))
    return data


def workflow() -> dict[str, Any]:
    blocks = [block for block in fenced(team_section(), "yaml")
              if block.startswith("# .github/workflows/issues.yml")]
    assert len(blocks) == 1
    data: dict[str, Any] = yaml.safe_load(blocks[0])
    return data


def scripts() -> list[str]:
    """Every shell script of the shipped YAML and of the README's team workflow."""
    found = [step["run"] for step in action()["runs"]["steps"] if "run" in step]
    for job in include().values():
        found += [*job.get("before_script", []), *job.get("script", [])]
    for block in fenced(team_section(), "yaml"):
        data = yaml.safe_load(block)
        for job in (data.get("jobs") or {}).values():
            found += [step["run"] for step in job["steps"] if "run" in step]
    found += fenced(team_section(), "sh") + fenced(team_section(), "text")
    return found


def issuelog_commands(script: str) -> list[list[str]]:
    """Each `issuelog ...` command of a script, as words (shell variables kept as written)."""
    commands = []
    for line in script.replace("\\\n", " ").splitlines():
        line = line.split(" # ")[0]
        for match in re.finditer(r"(?:^|[\s`(;&|])issuelog ([^`;&|)\n]*)", line):
            try:
                words = shlex.split(match.group(1))
            except ValueError:  # a quote closed after the command's end: words are enough here
                words = match.group(1).split()
            if words and re.fullmatch(r"[a-z][a-z-]*", words[0]):
                commands.append(words)
    return commands


def test_the_action_is_composite_and_installs_from_its_own_checkout() -> None:
    data = action()
    assert data["runs"]["using"] == "composite"
    steps = data["runs"]["steps"]
    assert [step["id"] for step in steps] == ["install", "cache", "ci", "commit"]
    assert '"$ACTION_PATH"' in steps[0]["run"]
    assert steps[0]["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    for step in (step for step in steps if "uses" not in step):
        assert step["shell"] == "bash"
        # Values reach scripts through env only: no expression is pasted into shell code.
        assert "${{" not in step["run"]


def step(name: str) -> dict[str, Any]:
    """The action's step of this id."""
    found: dict[str, Any] = next(step for step in action()["runs"]["steps"] if step["id"] == name)
    return found


def test_the_action_restores_and_saves_the_parse_cache() -> None:
    cache = step("cache")
    assert cache["uses"] == "actions/cache@v4" and cache["if"] == "inputs.cache == 'true'"
    assert cache["with"]["path"] == "${{ inputs.working-directory }}/.issuelog/cache"
    # A key of the issues' content: an unchanged tree hits it exactly (nothing saved again); a
    # changed one restores the newest cache by the prefix and saves a new one after the job.
    assert cache["with"]["key"].startswith("issuelog-${{ runner.os }}-${{ hashFiles(")
    assert cache["with"]["restore-keys"] == "issuelog-${{ runner.os }}-"
    assert action()["inputs"]["cache"]["default"] == "true"
    gitlab = include()[".issuelog"]["cache"]
    assert gitlab["paths"] == ["$ISSUELOG_DIR/.issuelog/cache/"] and gitlab["when"] == "always"


def test_the_commit_step_never_rebases_and_starts_again_from_the_tip() -> None:
    script = step("commit")["run"]
    assert "rebase" not in script.replace("Never rebase", "") and "merge" not in script.split("\n", 1)[1]
    order = [script.index(word) for word in
             ("git fetch", "git reset --quiet --hard", "issuelog ci", "git commit", "git push")]
    assert order == sorted(order)
    assert "[skip ci]" in script and "for attempt in" in script


def test_the_gitlab_include_has_both_jobs() -> None:
    data = include()
    request, render = data["issuelog-merge-request"], data["issuelog-render"]
    assert request["rules"][0]["if"] == '$CI_PIPELINE_SOURCE == "merge_request_event"'
    assert "issuelog-summary.md" in request["artifacts"]["paths"]
    assert render["resource_group"]
    assert "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" in render["rules"][0]["if"]
    assert data[".issuelog"]["variables"]["GIT_DEPTH"] == "0"
    script = render["script"][0]
    assert "ci.skip" in script and "[skip ci]" in script and "rebase" not in script.replace(
        "Never rebase", "")


def test_the_readme_shows_the_shipped_files_as_they_are() -> None:
    section = team_section()
    assert INCLUDE.read_text(encoding="utf-8") in fenced(section, "yaml")
    assert step("commit")["run"] in fenced(section, "sh")


def test_the_readme_workflow() -> None:
    data = workflow()
    triggers = data[True] if True in data else data["on"]  # YAML 1.1 reads `on` as true
    assert "pull_request" in triggers and "pull_request_target" not in triggers
    assert triggers["push"]["branches"] == ["main"]
    jobs = data["jobs"]
    pull, render = jobs["pull-request"], jobs["render"]
    assert pull["permissions"] == {"contents": "read"}  # what a fork's token has anyway
    assert render["permissions"] == {"contents": "write"}
    assert render["concurrency"]["cancel-in-progress"] is False
    checkout = pull["steps"][0]
    assert checkout["with"]["fetch-depth"] == 0
    assert render["steps"][0]["with"]["fetch-depth"] == 0
    uses = [step for step in render["steps"] if str(step.get("uses", "")).startswith("OWNER/issuelog")]
    assert uses[0]["with"] == {"commit": True}
    # The job's own commit touches ISSUES.md only, which the paths filter leaves out.
    paths = triggers["push"]["paths"]
    assert not any(fnmatch.fnmatch("ISSUES.md", pattern) for pattern in paths)
    assert any(fnmatch.fnmatch("issues/ISSUE-001-x.md", pattern) for pattern in paths)


def test_every_yaml_file_and_block_parses() -> None:
    for block in fenced(team_section(), "yaml"):
        assert isinstance(yaml.safe_load(block), dict)


def options_of(command: Any) -> set[str]:
    return {name for parameter in command.params for name in getattr(parameter, "opts", [])
            if name.startswith("-")}


def test_every_issuelog_command_line_names_a_command_and_options_that_exist() -> None:
    group: Any = typer.main.get_command(app)
    commands = [words for script in scripts() for words in issuelog_commands(script)]
    assert len(commands) >= 8  # the action, the include, the README's flows
    names = set()
    for words in commands:
        command = group.commands.get(words[0])
        assert command is not None, f"issuelog {' '.join(words)}: no such command"
        names.add(words[0])
        for word in words[1:]:
            word = re.sub(r"^\$\{\w+:\+", "", word)  # ${BASE:+--base "$BASE"}: the option if set
            if word.startswith("-"):
                flag = word.split("=")[0]
                assert flag in options_of(command), f"issuelog {' '.join(words)}: no option {flag}"
    assert {"ci", "renumber", "new"} <= names


@pytest.mark.parametrize("words", [["ci", "--nope"], ["nope"]])
def test_the_command_line_check_can_fail(words: list[str]) -> None:
    group: Any = typer.main.get_command(app)
    command = group.commands.get(words[0])
    assert command is None or "--nope" not in options_of(command)
