"""A smaller run of the team race (bench/race.py): the README's CI files, played end to end.

Marked `race` (about 30 s on an idle machine): `python -m pytest -m "not race"` leaves it out.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

RACE = Path(__file__).resolve().parent.parent / "bench" / "race.py"

pytestmark = [pytest.mark.race, pytest.mark.slow]  # about 30 s: CI runs it (-m "")


def race(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(RACE), *args], capture_output=True, text=True,
                          timeout=600)


def counts(output: str) -> dict[str, int]:
    """The race's table as {count: value} (one seed)."""
    found = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 3 and cells[2].isdigit():
            found[cells[0]] = int(cells[2])
    return found


def test_github_race_meets_every_goal() -> None:
    result = race("--seeds", "7", "--branches", "5", "--clones", "4", "--lost-race", "0.5")
    assert result.returncode == 0, result.stdout + result.stderr
    table = counts(result.stdout)
    assert table["duplicate IDs that reached main"] == 0
    assert table["ISSUES.md conflicts resolved by hand"] == 0
    assert table["pull request CI runs"] > 5  # IDs collided and developers ran the printed fix
    assert table["fixes run by developers"] >= 1
    assert table["render commits"] >= 1


def test_gitlab_race_meets_every_goal() -> None:
    result = race("--seeds", "3", "--branches", "3", "--clones", "4", "--ci", "gitlab", "--lost-race", "0.5")
    assert result.returncode == 0, result.stdout + result.stderr
    assert counts(result.stdout)["render commits"] >= 1


def test_the_race_fails_a_team_that_ignores_ci() -> None:
    result = race("--seeds", "5", "--branches", "3", "--clones", "4", "--ignore-ci")
    assert result.returncode == 1
    table = counts(result.stdout)
    assert table["duplicate IDs that reached main"] >= 1
    assert table["jobs on main that failed"] >= 1
