"""Hand-kept logs written after the importer work: nothing spurious, nothing missed, no word lost.

The logs and the entries a careful reader makes of them are in `bench/import_logs/`; the measure
is `bench/import_quality.py` (run it for the table of figures).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_quality", BENCH / "import_quality.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


QUALITY = _bench()
EXPECTED = json.loads((BENCH / "import_logs" / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_log_imports_every_entry_and_nothing_else_with_no_word_lost(name: str) -> None:
    result = QUALITY.measure(BENCH / "import_logs" / name, EXPECTED[name])
    assert (result.recall, result.spurious, result.lost) == (1.0, [], {})


def test_the_measure_notices_a_lost_word(tmp_path: Path) -> None:
    log = tmp_path / "log.md"
    log.write_text("# Log\n\n## BUG-1: Crash\n\n**Status:** Open\n\nIt crashed.\n", encoding="utf-8")
    assert QUALITY.measure(log, ["Crash"]).lost_words == 0
    assert QUALITY.measure(log, ["Crash", "Missing"]).recall == 0.5
    # A word the importer does not copy into the file counts as lost.
    assert QUALITY.words("Jan 5th, 05") == ["jan", "5", "5"]
    spans = QUALITY._spans(["## A", "x", "## B", "y", "| row |"], [1, 3, 5])
    assert spans == {1: (0, 2), 3: (2, 4), 5: (4, 5)}
