"""bench/run.py keeps working: a small run end to end, the choice of scenarios, and the files
that bench/peers.py writes for towncrier and Backlog.md (the peers themselves are installed
only when the benchmark runs: no network here)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _module(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # about 20 issuelog processes and the racy window's wait: 8 s or more
def test_a_small_run_times_each_chosen_scenario_and_judges_its_target(tmp_path: Path) -> None:
    chosen = ["diff, cold", "analyze"]
    result = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--sizes", "30", "--runs", "1",
         "--workdir", str(tmp_path), "--scenarios", *chosen],
        capture_output=True, text=True, check=True)
    rows = [line for line in result.stdout.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == ["analyze", "diff, cold"]
    for row in rows:
        cells = [cell.strip() for cell in row.split("|")[1:-1]]
        assert cells[8] == "1", row  # one measured run, and no note (exit status, missing output)
        assert cells[9].endswith(("met", "missed (time)")), row
    assert "load average before" in result.stdout


def test_scenarios_are_chosen_by_whole_name_or_by_part() -> None:
    select = _module("run").selected
    names = ["baseline", "render --check", "check", "check, cold", "show, cold"]
    assert select(names, None) == names
    assert select(names, ["check"]) == ["check"]
    assert select(names, ["cold", "baseline"]) == ["baseline", "check, cold", "show, cold"]
    assert select(names, ["--check"]) == ["render --check"]


def test_the_peers_get_every_issue_with_its_title_and_body(tmp_path: Path) -> None:
    generate = _module("generate").generate
    peers = _module("peers")
    project = tmp_path / "project"
    generate(project, 12)
    assert peers.write_fragments(project, tmp_path / "towncrier") == 12
    assert peers.write_tasks(project, tmp_path / "backlog") == 12
    number, front, body = next(peers.issues_of(project))
    fragment = (tmp_path / "towncrier" / "newsfragments" / f"{number}.bugfix.md").read_text()
    assert fragment == f"{front['title']}\n\n{body}\n"
    tasks = sorted((tmp_path / "backlog" / "backlog" / "tasks").glob(f"task-{number} - *.md"))
    assert len(tasks) == 1
    _, task_front, task_body = tasks[0].read_text().split("---\n", 2)
    task = yaml.safe_load(task_front)
    assert task["id"] == f"TASK-{number}" and task["title"] == front["title"]
    assert task["status"] in ("To Do", "In Progress", "Done")
    assert task_body.strip() == body.strip()
    assert (tmp_path / "backlog" / "backlog" / "config.yml").is_file()
