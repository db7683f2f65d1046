"""How faithfully `issuelog import` reads hand-kept logs: recall, spurious entries, lost words.

    python bench/import_quality.py [LOG.md ...]      # default: every log in bench/import_logs/

Each log is imported for real into a fresh temporary project. `expected.json` beside the logs
lists, per log, the titles of the entries a careful reader would make issues of:

- recall: the share of those entries that became an issue;
- spurious: issues created that are none of them;
- lost words: for each entry, the words of its part of the log (from its heading to the next
  entry or to the next heading of its level or above; a table row's own line) that its file does
  not contain, counted with repetition. Field labels (`Status`, `Date Found`, `Root Cause`) and
  status or severity words (`fixed`, `P1`) are translated into keys and values, not lost, so
  they are not counted; everything else (text, dates as written, notes) must be in the file.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from issuelog.core.config import Config, load_config  # noqa: E402
from issuelog.core.model import SECTIONS  # noqa: E402
from issuelog.importer import import_drafts, plan_import  # noqa: E402
from issuelog.importer.fields import (  # noqa: E402
    FIELD_LABELS,
    SECTION_LABELS,
    map_severity,
    map_status,
)

LOGS = Path(__file__).resolve().parent / "import_logs"
_HEADING = re.compile(r"^(#{1,6})\s")
_MONTHS = {"jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun",
           "june", "jul", "july", "aug", "august", "sep", "sept", "september", "oct", "october",
           "nov", "november", "dec", "december"}


@dataclass
class Quality:
    """The figures of one log."""

    name: str
    expected: int
    found: int
    spurious: list[str] = field(default_factory=list)
    lost: dict[str, list[str]] = field(default_factory=dict)  # entry title -> words lost
    #: Sections of a name of the log's own (`Impact`, `Workaround`): kept, but not standard.
    own_sections: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Found entries as a share of the expected ones."""
        return self.found / self.expected if self.expected else 1.0

    @property
    def lost_words(self) -> int:
        """Words of the log's entries that no file holds."""
        return sum(len(words) for words in self.lost.values())


def words(text: str) -> list[str]:
    """Lower-case words and numbers, any script; Markdown punctuation is not a word.

    A number is compared by its value (`05` and `5th` as `5`), since a date written
    `Jan 5th 2025` is kept as `2025-01-05`.
    """
    found = re.findall(r"[^\W_]+", text.lower())
    return [re.sub(r"^0*(\d+)(?:st|nd|rd|th)?$", r"\1", word) for word in found]


def _translated(config: Config) -> set[str]:
    """Words the importer turns into keys and values rather than copying."""
    vocabulary = {word for label in (*FIELD_LABELS, *SECTION_LABELS) for word in words(label)}
    return vocabulary | _MONTHS | {"date", "field", "value"}


def _is_translated(word: str, vocabulary: set[str], config: Config) -> bool:
    return word in vocabulary or bool(map_status(word, config) or map_severity(word, config))


def _spans(lines: list[str], starts: list[int]) -> dict[int, tuple[int, int]]:
    """Each entry's lines (0-based, end exclusive), from its 1-based starting line."""
    ordered = sorted(set(starts))
    spans: dict[int, tuple[int, int]] = {}
    for position, start in enumerate(ordered):
        index = start - 1
        if lines[index].lstrip().startswith("|"):
            spans[start] = (index, index + 1)  # a table row
            continue
        heading = _HEADING.match(lines[index])
        level = len(heading.group(1)) if heading else 7
        end = ordered[position + 1] - 1 if position + 1 < len(ordered) else len(lines)
        for other in range(index + 1, end):
            match = _HEADING.match(lines[other])
            if match and len(match.group(1)) <= level:
                end = other
                break
        spans[start] = (index, end)
    return spans


def measure(log: Path, expected: list[str]) -> Quality:
    """Import one log into a fresh project and compare each entry with its file."""
    with tempfile.TemporaryDirectory() as directory:
        project = Path(directory)
        (project / "issuelog.toml").write_text('project = "Quality"\n', encoding="utf-8")
        (project / "issues").mkdir()
        copy = project / log.name
        copy.write_bytes(log.read_bytes())
        config = load_config(project)
        plan = plan_import(copy, config)
        created = import_drafts(plan, config)
        lines = copy.read_text(encoding="utf-8").split("\n")
        spans = _spans(lines, [draft.line for draft, _, _ in created])
        vocabulary = _translated(config)
        quality = Quality(log.name, len(expected),
                          sum(1 for title in expected
                              if any(draft.title == title for draft, _, _ in created)))
        quality.spurious = [draft.title for draft, _, _ in created if draft.title not in expected]
        for draft, _, path in created:
            start, end = spans[draft.line]
            source = Counter(word for word in words("\n".join(lines[start:end]))
                             if not _is_translated(word, vocabulary, config))
            missing = source - Counter(words(path.read_text(encoding="utf-8")))
            if missing:
                quality.lost[draft.title] = sorted(missing.elements())
            quality.own_sections += [name for name, _ in draft.sections if name not in SECTIONS]
    return quality


def main(arguments: list[str]) -> int:
    """Print the figures of each log and the totals; exit 1 when anything is off."""
    expectations = json.loads((LOGS / "expected.json").read_text(encoding="utf-8"))
    logs = [Path(argument) for argument in arguments] or sorted(LOGS.glob("*.md"))
    results = [measure(log, expectations.get(log.name, [])) for log in logs]
    print(f"{'log':32} {'entries':>7} {'recall':>7} {'spurious':>8} {'lost words':>10}  "
          "sections of the log's own names")
    for result in results:
        print(f"{result.name:32} {result.expected:7} {result.recall:7.0%} "
              f"{len(result.spurious):8} {result.lost_words:10}  "
              f"{', '.join(sorted(set(result.own_sections))) or '-'}")
        for title in result.spurious:
            print(f"    spurious: {title}")
        for title, lost in result.lost.items():
            print(f"    lost from '{title}': {' '.join(lost)}")
    expected = sum(r.expected for r in results)
    found = sum(r.found for r in results)
    created = found + sum(len(r.spurious) for r in results)
    spurious = sum(len(r.spurious) for r in results)
    lost = sum(r.lost_words for r in results)
    print(f"{'total':32} {expected:7} {found / expected if expected else 1:7.0%} {spurious:8} "
          f"{lost:10}   (spurious: {spurious / created if created else 0:.1%} of created)")
    return 0 if found == expected and spurious == 0 and lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
