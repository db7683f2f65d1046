"""The fast reader of flat frontmatter reads exactly what the full loader reads, or leaves it.

Whenever `read_flat` answers, its value (types included) and key lines are the full loader's;
whenever the full loader raises, `read_flat` has not answered: errors and their lines always come
from the full loader. Checked on documents built from YAML's tricky tokens, on a table of hostile
documents, and end to end: `check` and `list` print the same with the fast reader off.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from issuelog.core import flat_yaml
from issuelog.core.flat_yaml import read_flat
from issuelog.core.yaml_loader import load_yaml
from tests.conftest import Invoke
from tests.test_properties import PROPERTY_SETTINGS

ROOT = Path(__file__).resolve().parent.parent


def full_reading(fm: str) -> tuple[Any, dict[str, int]] | Exception:
    """What the full loader gives: the value and key lines, or the error it raises."""
    try:
        return load_yaml(fm)
    except Exception as error:  # noqa: BLE001 - any error at all must be left to it
        return error


def assert_agrees(fm: str) -> tuple[Any, dict[str, int]] | None:
    """The fast reading of `fm`, after checking it against the full one."""
    fast = read_flat(fm)
    full = full_reading(fm)
    if isinstance(full, Exception):
        assert fast is None, f"read {fm!r} that the full loader refuses: {full}"
    elif fast is not None:
        # repr tells True from 1, 1.0 from 1, a date from a datetime, and time zones apart
        assert repr(fast[0]) == repr(full[0]), fm
        assert fast[1] == full[1], fm
    return fast


#: Pieces of values that YAML reads in surprising ways.
TOKENS = [
    "a", "text", "two words", "é", "日本", "\u00a0", "'", "''", '"', ":", ": ", ":x", "#", " #",
    "# c", "- ", "-", "--", "[", "]", ",", ", ", "{", "}", "?", "? ", "&a", "*a", "!!str ", "!x",
    "|", ">", "%", "@", "`", "\\", "\\n", '\\"', "\\t", "\\/", "\\u00e9", "\\ud83d", "\\x41", "\\0",
    "=", "<<", "~", "null", "Null", "yes", "No", "ON", "off",
    "y", "true", "False", "010", "0o17", "0x1F", "0b101", "1_000", "1:20", "-1:30", "+12", "-0",
    "1.5", "1e3", "6.8523015e+5", ".inf", "-.Inf", ".nan", "._", "2026-01-10", "2026-02-30",
    "2026-1-5", "2026-01-10 09:30", "2026-01-10T09:30:00+02:00", "2026-01-10 09:30:00 Z",
    "2026-01-10t09:30:00.5-05:30", "09:30", "1" + "0" * 30, "http://x.io/a?b=c#d", " ", "  ",
    "\t", "\r", "\x85", "\u2028", "\ufeff", "\x00",
]
KEYS = ["id", "title", "tags", "a", "b", "k-1", "_x", "yes", "null", "on", "1", "~", '"q"', "'q'",
        "x y", "<<", "=", "? k", "k" * 130, "é"]
value_text = st.lists(st.sampled_from(TOKENS), max_size=4).map("".join)
blanks = st.sampled_from(["", " ", "  ", "\t"])
indents = st.sampled_from(["", " ", "  ", "   ", "    "])


@st.composite
def flow_text(draw: st.DrawFn) -> str:
    items = draw(st.lists(value_text, max_size=4))
    if draw(st.booleans()):
        items = [f"{draw(st.sampled_from(KEYS))}: {item}" for item in items]
        opening, closing = "{", "}"
    else:
        opening, closing = "[", "]"
    separator = draw(st.sampled_from([", ", ",", " , ", ",  "]))
    return opening + draw(blanks) + separator.join(items) + draw(blanks) + closing


@st.composite
def line_text(draw: st.DrawFn) -> str:
    value = draw(st.one_of(value_text, flow_text()))
    kind = draw(st.sampled_from(["key", "key", "key", "key", "empty", "item", "item", "nested",
                                 "comment", "blank", "raw"]))
    if kind == "key":
        separator = draw(st.sampled_from([": ", ": ", ":", ":  ", " : ", ":\t"]))
        return draw(st.sampled_from(KEYS)) + separator + value + draw(blanks)
    if kind == "empty":
        return draw(st.sampled_from(KEYS)) + ":" + draw(blanks)
    if kind == "item":
        return draw(indents) + "-" + draw(st.sampled_from([" ", "  ", "", "\t"])) + value
    if kind == "nested":
        return draw(indents) + draw(st.sampled_from(KEYS)) + ": " + value + draw(blanks)
    if kind == "comment":
        return draw(indents) + "#" + value
    if kind == "blank":
        return draw(blanks)
    return draw(indents) + value


@st.composite
def documents(draw: st.DrawFn) -> str:
    lines = draw(st.lists(line_text(), max_size=5))
    newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    return draw(st.sampled_from(["", "\n"])) + newline.join(lines) + draw(st.sampled_from(["", newline]))


#: Well-formed flat blocks, so that the fast reader's answers are compared too, not only its
#: refusals.
CLEAN = ["open", "high", "Phase 1", "Ada Lovelace", "app/x.py", "a, b", "it's", "C#", "a:b",
         "yes", "no", "~", "null", "010", "0x1F", "1_000", "1:20", "1.5", ".inf", "2026-01-10",
         "2026-02-30", "2026-01-10 09:30", "2026-01-10T09:30:00+02:00", "'quoted: #'", "''",
         '"double # : [x]"', '""', "'it''s'", "é ü", "a  b", "-1", "--x", '"esc \\" \\\\ \\n \\u00e9"']


@st.composite
def clean_documents(draw: st.DrawFn) -> str:
    lines = []
    for key in draw(st.lists(st.sampled_from(KEYS[:7]), max_size=6, unique=True)):
        shape = draw(st.sampled_from(["scalar", "scalar", "flow", "list", "mapping", "empty"]))
        if shape == "scalar":
            lines.append(f"{key}: {draw(st.sampled_from(CLEAN))}")
        elif shape == "flow":
            items = draw(st.lists(st.sampled_from(CLEAN), max_size=3))
            lines.append(f"{key}: [{', '.join(items)}]")
        elif shape in ("list", "mapping"):
            lines.append(f"{key}:")
            indent = draw(indents)
            for index, item in enumerate(draw(st.lists(st.sampled_from(CLEAN), min_size=1, max_size=3))):
                lines.append(f"{indent}- {item}" if shape == "list" else f"{indent or ' '}k{index}: {item}")
        else:
            lines.append(f"{key}:")
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", "# note", "  # indented note", "   "])))
    return "\n" + "\n".join(lines) + "\n"


@PROPERTY_SETTINGS
@given(fm=documents())
def test_tricky_documents_read_alike_or_are_left_to_the_full_loader(fm: str) -> None:
    assert_agrees(fm)


@PROPERTY_SETTINGS
@given(fm=clean_documents())
def test_flat_documents_read_alike(fm: str) -> None:
    assert_agrees(fm)


HOSTILE = [
    "title: a\ntitle: b\n", "reference:\n  area: a\n  area: b\n", "ref: {a: 1, a: 2}\n",
    "a: 1\nb: 0x1F\nc: 1_000\nd: 0o17\ne: -0\nf: 1:20\ng: 0b11\n", "a: ._\n", "a: 1" + "0" * 5000 + "\n",
    "a: .nan\nb: -.inf\n", "yes: x\n", "null: x\n", "on:\n", "'q': x\n", '"q": x\n', "? k\n: v\n",
    "a: &x 1\nb: *x\n", "a: !!str 1\n", "a: !x y\n", "a: |\n  text\n", "a: >\n  text\n",
    "a: b #c\n", "a: b # c\n", "a: b#c\n", "a: 'b' #c\n", "a: [b] #c\n", "a:\tb\n", "a: b\t\n",
    "a: b\n  c\n", "a: b\n\n  c\n", "a: b\n  # c\nd: e\n", "a:\n  b\n", "a:\n  b: c\n    d\n",
    "a:\n  b:\n    c: d\n", "a:\n  b:\n", "a:\n- b\n  - c\n", "a:\n  - b\n - c\n", "a:\n  - b\n- c\n",
    "a:\n- b\nc:\n  d: e\n  - f\n", "a:\n-\n", "a:\n- \n", "a:\n-b\n", "a: - b\n", "a: -\n",
    "a:b\n", "a :b\n", "a : b\n", "a: b: c\n", "a: b:\n", "a: :b\n", "a: ?b\n", "a: ? b\n",
    "  a: b\n", " a: b\nc: d\n", "- a\n- b\n", "text\n", "a\n", "--- x\n", "...\n", "%YAML 1.1\n",
    "a: 'b\n", 'a: "b\n', "a: 'b''\n", "a: 'b'c'\n", 'a: "b\\"c"\n', 'a: "b\\nc"\n', "a: \"b\" c\n",
    'a: "\\ud83d\\ude00"\n', 'a: "\\\\ud800"\n', 'a: "\\x41\\0\\e\\N\\_\\ \\U0001F600"\n', 'a: "\\u00"\n',
    'a: "b\\\n  c"\n', 'a: ["\\u00e9", "\\t"]\n',
    "a: [b, c\n", "a: [b, c]]\n", "a: [b,]\n", "a: [b,,c]\n", "a: [,b]\n", "a: [b: c]\n",
    "a: [b:c]\n", "a: [? b]\n", "a: [[b]]\n", "a: [{b: c}]\n", "a: [b] [c]\n", "a: [- b]\n",
    "a: [-]\n", "a: ['b]', c]\n", "a: ['b'c]\n", "a: {b}\n", "a: {b: }\n", "a: {b:c}\n",
    "a: {yes: c}\n", "a: {b: [c]}\n", "a: {b: c, d}\n", "a: {'b': c}\n", "a: {b: c}}\n",
    "a: b\r\nc: d\r\n", "a: b\rc: d\n", "a: b\r", "a: b\x85c\n", "a: b\u2028c\n", "\ufeffa: b\n",
    "a: \ufeffb\n", "a: b\x00\n", "a: b\x7f\n", "a: \u00a0b\u00a0\n", "a: 日本\n", "k" * 1030 + ": v\n",
    "a: <<\n", "<<: {b: c}\n", "a: =\n", "a: ~\nb:\nc: ''\n", "a: 2026-02-30\nb: 2026-13-01\n",
    "a: 2026-01-10 25:00\n", "a: 2026-01-10T09:30:00+02:00\nb: 2026-01-10 09:30:00.123456 -5\n",
    "", "\n", "# only a comment\n", "\n\n  \n", "a: b", "a: [b]", "a:", "a:\n  - b",
    "# c\na:\n# c\n  - b\n  # c\n\n  - c\n# c\nd: e\n", "reference:\n  area: x\n\n  cause: 'y'\n",
    "a: [\"b, c\", 'd, e', f]\n", "a: { b: c , d: 'e' }\n", "a: [ ]\nb: { }\n", "a: []\nb: {}\n",
    # Long lines that a backtracking pattern would take exponential or quadratic time to give up.
    "a: " + "b c" * 20_000 + " #\n", "a: [b" + " " * 50_000 + "c" + " " * 50_000 + "d]\n",
    "a: " + "x:" * 50_000 + "\n", "a: " + "'" * 50_001 + "\n", "a: [" + "'b', " * 20_000 + "]\n",
]


@pytest.mark.parametrize("fm", HOSTILE)
def test_hostile_documents_read_alike_or_are_left_to_the_full_loader(fm: str) -> None:
    assert_agrees(fm)


#: Blocks as issuelog and people write them: the fast reader must read these itself.
HANDLED = [
    "\nid: ISSUE-001\ntitle: \"Login fails: on Safari\"\nstatus: open\nreported: 2026-01-10\n",
    "\nresolved: 2026-01-10 09:30\ntags: [a, b]\nfiles: [app/x.py, 'y z.py']\nassignee:\n",
    "\nreference: {area: Auth, cause: \"Token clock skew.\", solution: \"Allow 30 s.\"}\n",
    "\nreference:\n  area: Auth\n  cause: A token's clock\n  solution: '`issuelog set`, then retry'\n",
    "\ntags:\n- a\n- b\nrelated:\n  - ISSUE-002\n# done\noccurrences: 3\nreference_only: true\n",
    "\r\ntitle: CRLF file\r\nstatus: open\r\n",
    '\nerror_message: "Traceback:\\n  File \\"app.py\\", line 3\\nKeyError: \\u00e9\\t\\\\"\n',
    "",
]


@pytest.mark.parametrize("fm", HANDLED)
def test_common_blocks_are_read_by_the_fast_reader(fm: str) -> None:
    assert assert_agrees(fm) is not None


def test_key_lines_and_yaml_1_1_types() -> None:
    read = read_flat("\n# c\nid: X\n\ntags:\n  - 010\n  - yes\nwhen: 2026-01-10 09:30:00\n")
    assert read is not None
    value, lines = read
    assert lines == {"id": 3, "tags": 5, "when": 8}
    assert value["tags"] == [8, True] and type(value["when"]).__name__ == "datetime"


def run_both_ways(cli: Invoke, monkeypatch: pytest.MonkeyPatch, project: Path,
                  *args: str, code: int) -> list[str]:
    """The output of `issuelog ARGS` with the fast reader on, then off, each with no cache."""
    outputs = []
    for enabled in (True, False):
        monkeypatch.setattr(flat_yaml, "ENABLED", enabled)
        shutil.rmtree(project / ".issuelog", ignore_errors=True)
        outputs.append(cli(*args, code=code).stdout)
    return outputs


def test_check_and_list_print_the_same_with_the_fast_reader_off(
        tmp_path: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "generated"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), str(project), "300"],
                   check=True, capture_output=True)
    monkeypatch.chdir(project)
    issues = project / "issues"
    for number, fm in enumerate([*HOSTILE, *HANDLED], start=500):
        body = "---" + ("" if fm.startswith(("\n", "\r")) else "\n") + fm
        body += ("" if body.endswith("\n") else "\n") + "---\n\n## Description\n\nText.\n"
        (issues / f"ISSUE-{number}-case.md").write_text(body, encoding="utf-8", newline="")
    for number, case in enumerate(sorted((ROOT / "tests" / "bad_inputs").glob("*.md")), start=800):
        (issues / f"ISSUE-{number}-{case.stem}.md").write_bytes(case.read_bytes())
    fast, full = run_both_ways(cli, monkeypatch, project, "check", code=1)
    assert fast == full and fast.count("\n") > 100
    fast, full = run_both_ways(cli, monkeypatch, project, "list", "--format", "json", code=0)
    assert fast == full


def test_only_short_plain_scalars_are_remembered() -> None:
    long_title = "a long title " * 20
    assert read_flat(f"\nshort_value_to_remember: yes\ntitle: {long_title}\n") is not None
    assert flat_yaml._VALUES["short_value_to_remember"] == "short_value_to_remember"
    assert flat_yaml._VALUES["yes"] is True
    assert long_title.strip() not in flat_yaml._VALUES
