"""What a new user meets in the first hour: the guided `new`, hints, help texts, paths."""

from __future__ import annotations

import functools
import os
import pty
import re
import select
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import typer

from issuelog.cli import app as cli_module
from issuelog.core.cache import load_issues
from issuelog.core.config import Config, load_config
from tests.conftest import Invoke, issue_text, make_tree


class Terminal:
    """`issuelog ARGS` on a real pseudo-terminal: read what it shows, type answers."""

    def __init__(self, cwd: Path, *args: str) -> None:
        self.main, secondary = pty.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "issuelog", *args], cwd=cwd, stdin=secondary,
            stdout=subprocess.PIPE, stderr=secondary, close_fds=True,
            env={**os.environ, "TERM": "dumb", "COLUMNS": "100"})
        os.close(secondary)
        self.seen = ""

    def expect(self, text: str, timeout: float = 60) -> str:
        """Read the terminal until `text` appears; return everything read so far."""
        while text not in self.seen:
            ready, _, _ = select.select([self.main], [], [], timeout)
            assert ready, f"waited for {text!r}; the terminal shows:\n{self.seen}"
            try:
                chunk = os.read(self.main, 4096)
            except OSError:  # the program ended and closed the terminal
                chunk = b""
            assert chunk, f"ended before {text!r}; the terminal shows:\n{self.seen}"
            self.seen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        return self.seen

    def answer(self, prompt: str, reply: str) -> None:
        """Wait for `prompt`, then type `reply` and Enter."""
        self.expect(prompt)
        os.write(self.main, reply.encode() + b"\r")

    def finish(self) -> tuple[int, str]:
        """The exit code and standard output (the path `new` prints)."""
        assert self.process.stdout is not None
        stdout = self.process.stdout.read().decode()
        code = self.process.wait(timeout=60)
        while select.select([self.main], [], [], 0)[0]:  # what it wrote last
            try:
                chunk = os.read(self.main, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.seen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        os.close(self.main)
        return code, stdout


def test_new_on_a_terminal_asks_for_every_field_and_shows_a_summary(project: Path) -> None:
    (project / "issuelog.toml").write_text('project = "Demo"\nphases = ["Alpha", "Beta"]\n')
    (project / "sub").mkdir()
    terminal = Terminal(project / "sub", "new")
    terminal.answer("Title:", "Login fails")
    terminal.answer("Severity (critical/high/medium/low) [medium]:", "Urgent")
    terminal.expect("Please choose one of: critical, high, medium, low")
    terminal.answer("Severity (critical/high/medium/low) [medium]:", "Low")  # any case
    terminal.answer("Phase (Alpha/Beta) [Beta]:", "")  # the default
    terminal.answer("Component (Enter to skip):", "auth")
    shown = terminal.expect("Create this issue? [Y/n]:")
    assert "severity:  low" in shown and "phase:     Beta" in shown and "component: auth" in shown
    os.write(terminal.main, b"\r")
    code, stdout = terminal.finish()
    assert code == 0, terminal.seen
    # Relative to the current directory, so that `$EDITOR "$(issuelog new)"` works here.
    assert stdout == "../issues/ISSUE-001-login-fails.md\n"
    issue = load_issues(load_config(project)).issues[0]
    assert (issue.title, issue.severity, issue.phase, issue.component) == (
        "Login fails", "low", "Beta", "auth")


def test_new_on_a_terminal_asks_only_what_is_missing_and_can_be_declined(project: Path) -> None:
    terminal = Terminal(project, "new", "Crash on start", "--component", "core")
    terminal.answer("Severity (critical/high/medium/low) [medium]:", "")
    shown = terminal.answer("Create this issue? [Y/n]:", "n")
    code, stdout = terminal.finish()
    assert "Title:" not in terminal.seen and "Component" not in terminal.seen
    assert "Phase" not in terminal.seen  # no phases configured
    assert shown is None and code == 1 and stdout == ""
    assert "nothing written" in terminal.seen
    assert list((project / "issues").iterdir()) == []


def test_new_in_a_script_keeps_its_errors(project: Path, cli: Invoke) -> None:
    assert "missing argument TITLE" in cli("new", code=2).stderr
    result = cli("new", "Title", code=2)
    assert "missing required field(s): --severity (critical|high|medium|low)" in result.stderr
    assert list((project / "issues").iterdir()) == []


def test_yaml_pitfalls_say_what_to_type_instead(project: Path, cli: Invoke) -> None:
    make_tree(project, {
        "issues/ISSUE-001-a.md": issue_text("ISSUE-001", title="Slow: really slow"),
        "issues/ISSUE-002-b.md": issue_text("ISSUE-002", severity="Medium"),
        "issues/ISSUE-003-c.md": issue_text("ISSUE-003", status="resolved",
                                            extra="resolved: 2026-02-30\n"),
    })
    problems = cli("check", code=1).stdout.splitlines()
    assert problems == [
        'issues/ISSUE-001-a.md:3: invalid YAML: mapping values are not allowed in this context; '
        'put the value in quotes: title: "Slow: really slow"',
        "issues/ISSUE-002-b.md:5: unknown severity 'Medium' (allowed: critical, high, medium, low); "
        "did you mean 'medium'?",
        # One mistake, one error: no second "status 'resolved' needs a 'resolved' date".
        "issues/ISSUE-003-c.md:7: invalid date '2026-02-30' in 'resolved': day is out of range "
        "for month; write a real day as YYYY-MM-DD, e.g. resolved: 2026-02-28",
    ]


def test_a_missing_resolved_date_is_still_reported(project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-001-a.md": issue_text("ISSUE-001", status="resolved")})
    assert "status 'resolved' needs a 'resolved' date" in cli("check", code=1).stdout


def test_set_stores_comma_separated_list_fields_as_lists(project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-006-a.md": issue_text("ISSUE-006")})
    assert cli("set", "6", "tags=a,b", "files=x.py").stdout == (
        "ISSUE-006 tags: (empty) -> [a, b]\nISSUE-006 files: (empty) -> [x.py]\n")
    issue = load_issues(load_config(project)).issues[0]
    assert (issue.tags, issue.files) == (["a", "b"], ["x.py"])
    cli("set", "6", "tags=[c, d]", "title=Commas, kept")
    issue = load_issues(load_config(project)).issues[0]
    assert (issue.tags, issue.title) == (["c", "d"], "Commas, kept")


BASH = shutil.which("bash")


@functools.cache
def bash_script() -> str:
    """issuelog's bash completion script, as `issuelog --show-completion bash` prints it (the
    same in every directory: asked once a session)."""
    return subprocess.run([sys.executable, "-m", "issuelog", "--show-completion", "bash"],
                          capture_output=True, text=True, check=True).stdout


def bash_complete(project: Path, words: list[str]) -> list[str]:
    """Run issuelog's own bash completion function, as bash calls it, for `words` (the last is
    the word under the cursor; bash splits `severity=h` into `severity`, `=`, `h`)."""
    script = bash_script()
    line = "".join(word if word == "=" or (index and words[index - 1] == "=") else
                   (" " if index else "") + word for index, word in enumerate(words))
    program = Path(sys.executable).with_name("issuelog")
    driver = (f"{script}\nCOMP_WORDS=({' '.join(shlex.quote(w) for w in words)})\n"
              f"COMP_CWORD={len(words) - 1}\nCOMP_LINE={shlex.quote(line)}\n"
              f"COMP_POINT={len(line)}\n_issuelog_completion {shlex.quote(str(program))}\n"
              'printf "%s\\n" "${COMPREPLY[@]}"\n')
    result = subprocess.run([str(BASH), "--norc", "-c", driver], cwd=project, capture_output=True,
                            text=True, check=True)
    return [line for line in result.stdout.splitlines() if line]


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
def test_bash_completes_ids_fields_values_components_and_assignees(project: Path, cli: Invoke) -> None:
    (project / "issuelog.toml").write_text('project = "Demo"\nphases = ["Alpha", "Beta"]\n')
    cli("new", "One", "-s", "low", "--component", "auth", "-a", "Ada")
    cli("new", "Two", "-s", "high", "--component", "api", "-t", "ui")
    for number in range(3, 12):
        cli("new", f"Issue {number}", "-s", "low")
    assert bash_complete(project, ["issuelog", "show", "1"]) == ["ISSUE-001", "ISSUE-010", "ISSUE-011"]
    assert bash_complete(project, ["issuelog", "set", "7", "sev"]) == ["severity="]
    assert bash_complete(project, ["issuelog", "set", "7", "severity", "=", "h"]) == ["high"]
    assert bash_complete(project, ["issuelog", "set", "7", "severity", "="]) == [
        "=critical", "=high", "=medium", "=low"]
    assert bash_complete(project, ["issuelog", "set", "7", "component", "=", "a"]) == ["api", "auth"]
    assert bash_complete(project, ["issuelog", "list", "--component", ""]) == ["api", "auth"]
    assert "Ada" in bash_complete(project, ["issuelog", "assign", "1", ""])
    assert bash_complete(project, ["issuelog", "new", "x", "-p", ""]) == ["Alpha", "Beta"]
    assert bash_complete(project, ["issuelog", "list", "--format", "c"]) == ["csv"]
    assert bash_complete(project, ["issuelog", "res"]) == ["resolve"]
    assert (project / ".issuelog" / "cache" / "completion-v1.json").is_file()


def test_completion_answers_without_importing_the_command_line(project: Path, cli: Invoke) -> None:
    cli("new", "One", "-s", "low")
    env = {**os.environ, "_ISSUELOG_COMPLETE": "complete_bash", "COMP_LINE": "issuelog show ",
           "COMP_POINT": "14", "COMP_CUR": ""}
    probe = ("import sys, runpy\nsys.argv = ['issuelog']\ntry:\n"
             "    runpy.run_module('issuelog', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print(sorted(name for name in sys.modules if name in "
             "('typer', 'issuelog.cli.app', 'issuelog.core.store', 'yaml', 'jinja2')))\n")
    first = subprocess.run([sys.executable, "-c", probe], cwd=project, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert first.startswith("ISSUE-001\n")  # the first key press builds the cache
    again = subprocess.run([sys.executable, "-c", probe], cwd=project, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert again == "ISSUE-001\n[]\n"


def test_the_command_line_loads_without_the_core() -> None:
    """`--help` and typer's setup import no parser, cache or template engine: commands import
    the core when they run (a module-level import in a command module cost `--help` 30 ms)."""
    probe = ("import sys, issuelog.cli.app\n"
             "print(sorted(name for name in sys.modules if name.startswith(('yaml', 'jinja2', "
             "'issuelog.core.cache', 'issuelog.core.model', 'issuelog.log', 'markdown_it'))))\n")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout == "[]\n"


def test_new_components_reach_the_completion_cache(project: Path, cli: Invoke) -> None:
    cli("new", "One", "-s", "low", "--component", "auth")
    assert bash_complete(project, ["issuelog", "list", "--component", ""]) == ["auth"]
    cli("new", "Two", "-s", "low", "--component", "billing")
    # The key press after a change answers at once and refreshes the cache in the background.
    bash_complete(project, ["issuelog", "list", "--component", ""])
    deadline = time.monotonic() + 60
    while bash_complete(project, ["issuelog", "list", "--component", ""]) != ["auth", "billing"]:
        assert time.monotonic() < deadline, "the completion cache was never refreshed"
        time.sleep(0.2)


def _commands() -> list[str]:
    group: Any = typer.main.get_command(cli_module.app)
    context = group.make_context("issuelog", [], resilient_parsing=True)
    return [name for name in group.list_commands(context)
            if not group.get_command(context, name).hidden]


#: An argument as git shows one (`ID`, `KEY=VALUE...`, `YYYY-MM-DD`), in brackets when optional.
_ARGUMENT = r"[A-Z][A-Z0-9_]*(?:=[A-Z]+)?(?:\.\.\.)?|YYYY-MM-DD"
METAVAR = re.compile(rf"^(?:{_ARGUMENT}|\[(?:{_ARGUMENT})\])$")


@pytest.mark.parametrize("command", _commands())
def test_every_help_reads_like_gits(project: Path, cli: Invoke, command: str) -> None:
    text = cli(command, "--help").stdout
    usage, _, rest = text.partition("\n")
    assert usage.startswith(f"Usage: issuelog {command} [OPTIONS]")
    for word in usage.split()[4:]:
        assert METAVAR.match(word), f"{command}: usage shows {word!r}"
    assert "\\[" not in text and "<" not in text.replace("<=", ""), text
    for line in rest.splitlines():
        option = re.match(r"^  (?:-\w, )?--[\w-]+(?: (\S+))?(?:\s{2,}|$)", line)
        argument = re.match(r"^  ([A-Z]\S*)\s{2,}", line)
        for metavar in [m for m in (option[1] if option else None, argument[1] if argument else None)
                        if m]:
            assert METAVAR.match(metavar), f"{command}: {line!r}"
    assert re.search(rf"\nExamples?:\n  issuelog {command}[ \n]", text), f"{command} has no example"
    example = text.split("xample")[-1].splitlines()[1:]
    assert all(line.startswith("  issuelog ") for line in example), example  # one a line


def test_help_lists_allowed_values_and_top_level_descriptions_are_whole(project: Path,
                                                                      cli: Invoke) -> None:
    (project / "issuelog.toml").write_text('project = "Demo"\n[[severities]]\nname = "blocker"\n'
                                           'before = "critical"\n')
    record = " ".join(cli("record", "--help").stdout.split())
    assert "One of: blocker, critical, high, medium, low." in record
    assert "-o, --output PATH Write to PATH atomically" in " ".join(cli("metrics", "--help").stdout.split())
    assert "tags=a,b" in cli("set", "--help").stdout
    top = " ".join(cli("--help").stdout.split())
    for command in _commands():
        function = next(info.callback for info in cli_module.app.registered_commands
                        if (info.name or info.callback.__name__.replace("_", "-")) == command
                        or info.callback.__name__ == command)
        first = " ".join((function.__doc__ or "").split("\n\n")[0].split())
        assert f"{command} {first}" in top, command


def test_init_writes_every_default_and_uncommenting_changes_nothing(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    cli: Invoke) -> None:
    monkeypatch.chdir(tmp_path)
    cli("init")
    text = (tmp_path / "issuelog.toml").read_text(encoding="utf-8")
    for key in ("categories", "charts", "statuses", "render_branches", "severities", "required"):
        assert f"# {key} = " in text or f"# [[{key}]]" in text, key
    uncommented = re.sub(r"(?m)^# (?=\[\[|\w+ = )", "", text)
    assert uncommented.count("\n# ") < text.count("\n# ") - 40
    (tmp_path / "issuelog.toml").write_text(uncommented, encoding="utf-8")
    written = load_config(tmp_path)
    defaults = Config(project=tmp_path.name, root=written.root, source=written.source)
    assert written == defaults
    cli("check")
    assert "## Quick Stats" in (tmp_path / "ISSUES.md").read_text(encoding="utf-8")


def test_new_reference_creates_a_knowledge_entry_that_passes_check(project: Path, cli: Invoke) -> None:
    path = cli("new", "Port 5432 refused", "--reference", "--area", "Database", "--cause",
               "DB not running", "--solution", "`make up`").stdout.strip()
    issue = load_issues(load_config(project)).issues[0]
    assert (issue.reference_only, issue.status, issue.severity) == (True, "resolved", "low")
    assert (issue.reported, issue.resolved) == (None, None)
    assert issue.reference == {"area": "Database", "cause": "DB not running", "solution": "`make up`"}
    text = (project / path).read_text(encoding="utf-8")
    assert "## Steps to Reproduce" not in text and "## Resolution\n\n`make up`\n" in text
    cli("check")
    cli("render")
    log = (project / "ISSUES.md").read_text(encoding="utf-8")
    assert "| Port 5432 refused ([ISSUE-001](issues/ISSUE-001-port-5432-refused.md)) | DB not " \
           "running | `make up` |" in log
    # Without an area: the component's, else General; an open status is refused.
    cli("new", "Cache cold", "--reference", "--component", "cache")
    assert load_issues(load_config(project)).issues[1].reference == {"area": "cache"}
    assert "needs a closed status" in cli("new", "X", "--reference", "--status", "open",
                                          code=2).stderr
    assert "need --reference" in cli("new", "X", "-s", "low", "--area", "Db", code=2).stderr


def test_record_on_the_day_of_the_fix_counts_and_the_next_day_reopens(project: Path,
                                                                      cli: Invoke) -> None:
    error = "TimeoutError: db did not answer"
    cli("record", "--error", error, "--date", "2026-03-02")
    cli("resolve", "1", "--date", "2026-03-03", "--resolution", "Retry with backoff.")
    assert cli("record", "--error", error, "--date", "2026-03-03").stdout.startswith(
        "counted occurrence 2 of ISSUE-001")
    issue = load_issues(load_config(project)).issues[0]
    assert (issue.status, str(issue.resolved), issue.occurrences) == ("resolved", "2026-03-03", 2)
    assert cli("record", "--error", error, "--date", "2026-03-04").stdout.startswith(
        "reopened ISSUE-001 as a regression")
    issue = load_issues(load_config(project)).issues[0]
    assert (issue.status, issue.resolved, "regression" in issue.tags) == ("open", None, True)


def test_version_changelog_and_pre_commit_agree(cli: Invoke) -> None:
    root = Path(__file__).resolve().parent.parent
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    version = re.search(r'(?m)^version = "([^"]+)"', pyproject)
    assert version is not None
    assert cli("--version").stdout == f"issuelog {version[1]}\n"
    changelog = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"({version[1]})" in changelog.split("\n## ")[1].splitlines()[0] or \
        changelog.split("\n## ")[1].startswith(version[1])
    hooks = (root / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    readme = (root / "README.md").read_text(encoding="utf-8")
    rev = re.search(r"rev: (\S+)\s+# (.*)", hooks)
    assert rev is not None and "tag" not in rev[1]
    assert f"rev: {rev[1]}" in readme and rev[2] in readme


def test_new_on_a_terminal_with_every_required_field_asks_nothing(project: Path) -> None:
    terminal = Terminal(project, "new", "Quiet", "-s", "low")
    code, stdout = terminal.finish()
    assert (code, stdout, terminal.seen) == (0, "issues/ISSUE-001-quiet.md\n", "")


def test_zsh_and_fish_get_their_formats(project: Path, cli: Invoke) -> None:
    cli("new", "One", "-s", "low")

    def ask(shell: str, line: str, **extra: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "_ISSUELOG_COMPLETE": f"complete_{shell}", "_TYPER_COMPLETE_ARGS": line,
               **extra}
        return subprocess.run([sys.executable, "-m", "issuelog"], cwd=project, env=env,
                              capture_output=True, text=True)

    assert ask("zsh", "issuelog set 1 sev").stdout == "compadd -U -S '' -- severity=\n"
    assert ask("zsh", "issuelog show ").stdout == "compadd -U -- ISSUE-001\n"
    assert ask("zsh", "issuelog export -o ").stdout == "_files\n"  # a path: the shell's own
    fish = ask("fish", "issuelog status 1 in", _TYPER_COMPLETE_FISH_ACTION="get-args")
    assert fish.stdout == "in_progress\n"
    assert ask("fish", "issuelog show ", _TYPER_COMPLETE_FISH_ACTION="is-args").returncode == 0
    assert ask("fish", "issuelog export -o ", _TYPER_COMPLETE_FISH_ACTION="is-args").returncode == 1
