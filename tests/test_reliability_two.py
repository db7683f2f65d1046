"""Regression tests for the second reliability report: each test reproduces one of its findings."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issuelog.core.config import Config
from issuelog.core.model import parse_issue
from issuelog.core.sections import read_section, replace_section
from tests.conftest import Invoke, examples, issue_text, make_tree

# Characters that `str.splitlines` takes for line breaks and markdown-it does not.
ODD_BREAKS = "\f\v\x1c\x1d\x1e\x85\u2028\u2029"


# Item 1: section edits must not delete body lines that hold odd line-break characters.

@pytest.mark.parametrize("odd", list(ODD_BREAKS))
def test_resolve_keeps_lines_with_odd_breaks(project: Path, cli: Invoke, odd: str) -> None:
    description = odd.join("abcdef")
    cause = "one\ntwo\nthree\nfour"
    body = f"## Description\n\n{description}\n\n## Root Cause\n\n{cause}\n\n## Resolution\n\n\n"
    path = project / "issues" / "ISSUE-001-something-broke.md"
    path.write_text(issue_text(body=body), encoding="utf-8", newline="")
    cli("resolve", "1", "--resolution", "Restarted.")
    text = path.read_bytes().decode("utf-8")
    assert read_section(text, "Description") == description
    assert read_section(text, "Root Cause") == cause
    assert read_section(text, "Resolution") == "Restarted."
    assert text.count("## Resolution") == 1
    cli("check")


def test_record_fix_keeps_lines_with_odd_breaks(project: Path, cli: Invoke) -> None:
    cli("record", "--error", "ValueError: boom", "--date", "2026-01-10")
    path = next((project / "issues").glob("ISSUE-001-*.md"))
    text = path.read_text(encoding="utf-8")
    pasted = "log\u2028line two\fline three\x1cfour"
    text = replace_section(text, "Root Cause", f"{pasted}\nsecond\nthird")
    path.write_text(text, encoding="utf-8", newline="")
    cli("record", "--error", "ValueError: boom", "--date", "2026-01-11",
        "--fix", "Retry", "--change", "abc123")
    after = path.read_bytes().decode("utf-8")
    assert read_section(after, "Root Cause") == f"{pasted}\nsecond\nthird"
    cli("check")


def test_split_lines_splits_on_line_feed_only() -> None:
    from issuelog.core.sections import split_lines

    assert split_lines("a\fb\u2028c\r\nd\re\n") == ["a\fb\u2028c\r\n", "d\re\n"]
    assert split_lines("") == []
    assert split_lines("x") == ["x"]


_SECTION_TITLES = ["Description", "Root Cause", "Resolution", "Notes"]
# No `#`, `=` or `-`: the only headings are the ones the test writes, so it knows every section.
_body_text = st.text(st.sampled_from(list("ab \t\n\r") + list(ODD_BREAKS)), max_size=30)


@settings(max_examples=examples(300), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.tuples(st.sampled_from(_SECTION_TITLES), _body_text), max_size=4),
       target=st.sampled_from(_SECTION_TITLES),
       content=st.text(st.sampled_from("xy \n"), max_size=12).filter(lambda text: text.strip()),
       append=st.booleans())
def test_a_section_edit_changes_no_other_byte(parts: list[tuple[str, str]], target: str,
                                             content: str, append: bool) -> None:
    """Whatever the body holds, every byte outside the edited section stays as it was."""
    chunks = [f"## {title}\n\n{chunk}\n\n" for title, chunk in parts]
    text = "".join(chunks)
    edited = replace_section(text, target, content, append=append)
    titles = [title for title, _ in parts]
    if target not in titles:
        assert edited.startswith(text)
        return
    index = titles.index(target)
    before = "".join(chunks[:index]) + f"## {target}\n"
    after = "".join(chunks[index + 1:])
    assert edited.startswith(before)
    assert edited.endswith(after)
    assert len(edited) >= len(before) + len(after)
    middle = edited[len(before):len(edited) - len(after)]
    assert content.strip("\n") in middle.replace("\r\n", "\n")  # a CRLF body gets CRLF lines


# Item 2: `record --stack-trace` reads and stores a bounded amount, and never writes a file
# that `check` refuses.

def _long_trace(lines: int) -> str:
    frames = "".join(f'  File "app/mod{n}.py", line {n}, in handler_{n}\n    call()\n'
                     for n in range(lines))
    return f"Traceback (most recent call last):\n{frames}ValueError: the last line\n"


def test_a_long_trace_keeps_head_and_tail_and_counts_repeats(project: Path, cli: Invoke) -> None:
    from issuelog.core.model import MAX_FILE_BYTES
    from issuelog.ops.stack_trace import MAX_STORED_TRACE_BYTES

    trace = _long_trace(40_000)
    assert len(trace) > 2 * 1024 * 1024
    (project / "trace.txt").write_text(trace)
    cli("record", "--stack-trace", "trace.txt", "--date", "2026-01-10")
    cli("record", "--stack-trace", "-", "--date", "2026-01-11", input=trace)
    files = list((project / "issues").glob("*.md"))
    assert len(files) == 1  # the repeat matched the stored issue instead of making a copy
    text = files[0].read_text(encoding="utf-8")
    assert len(text.encode()) < min(MAX_FILE_BYTES, 2 * MAX_STORED_TRACE_BYTES)
    assert "occurrences: 2" in text
    assert 'File "app/mod0.py", line 0, in handler_0' in text
    assert "ValueError: the last line" in text
    assert re.search(r"\[\.\.\. [\d,]+ bytes cut by issuelog record", text)
    cli("check")


def test_an_endless_trace_is_refused_without_writing(project: Path, cli: Invoke) -> None:
    result = cli("record", "--stack-trace", "/dev/zero", code=2)
    assert "longer than 64 MiB" in result.stderr
    assert list((project / "issues").iterdir()) == []


def test_a_long_trace_in_a_json_line_is_bounded(project: Path, cli: Invoke) -> None:
    line = json.dumps({"stack_trace": _long_trace(30_000), "date": "2026-01-10"})
    (project / "events.jsonl").write_text(line + "\n" + line + "\n")
    cli("record", "--from", "events.jsonl")
    files = list((project / "issues").glob("*.md"))
    assert len(files) == 1 and "occurrences: 2" in files[0].read_text()
    cli("check")


def test_a_trace_with_a_character_cut_at_the_edges_still_reads() -> None:
    from issuelog.ops.stack_trace import MAX_STORED_TRACE_BYTES, bound_stack_trace

    text = "é" * MAX_STORED_TRACE_BYTES  # no line end: the cut falls inside a character
    bounded = bound_stack_trace(text)
    assert len(bounded.encode()) <= MAX_STORED_TRACE_BYTES + 200
    assert bounded.startswith("éé") and bounded.endswith("éé")


def test_text_over_the_file_limit_is_refused_before_writing(config: Config) -> None:
    from issuelog.core.model import MAX_FILE_BYTES

    text = issue_text(body="## Description\n\n" + "x" * MAX_FILE_BYTES + "\n")
    issue, problems = parse_issue(Path("issues/ISSUE-001-something-broke.md"), text)
    assert issue is None and "larger than 1 MiB" in str(problems[0])


# Item 6: a project template's work and output are bounded; each refusal names the template.

@pytest.mark.parametrize(("template", "said"), [
    ("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
     "loops ran more than 5000000 iterations"),
    ("{{ '{:>1000000000}'.format(1) }}", "format(): a width of 1000000000"),
    ("{{ '{:{w}}'.format(1, w=1000000000) }}", "format(): a width of 1000000000"),
    ("{{ 'x'.ljust(1000000000) }}", "ljust(): a width of 1000000000"),
    ("{{ 'x'.center(1000000000) }}", "center(): a width of 1000000000"),
    ("{{ 'x' | center(1000000000) }}", "the 'center' filter: a width of 1000000000"),
    ("{{ '%0100000000d' % 1 }}", "'%' formatting: a width of 100000000"),
    ("{{ '%*d' % (1000000000, 1) }}", "'%' formatting: a width of 1000000000"),
    ("{{ '%0100000000d' | format(1) }}", "'%' formatting: a width of 100000000"),
    ("{{ ('x' * 1000000).replace('x', 'yyyyyyyyyy') }}", "replace() makes a text of 10000000"),
    ("{{ ('x' * 1000000) | replace('x', 'yyyyyyyyyy') }}", "replace() makes a text of 10000000"),
    ("{{ ('x\\n' * 500000) | indent(10000) }}", "the 'indent' filter makes a text"),
    ("{% set s = 'x' * 1000000 %}{{ s ~ s ~ s }}", "a value makes a text of"),
    ("{% set s = 'x' * 1000000 %}{{ s + s }}", "'+' makes a text of 2000000"),
    ("{% for n in range(100000) %}{{ 'x' * 1000000 }}{% endfor %}", "rendered text is over 64 MiB"),
])
def test_template_work_and_output_are_bounded(project: Path, cli: Invoke, template: str, said: str) -> None:
    make_tree(project, {".issuelog/templates/ISSUES.md.j2": template + "\n"})
    result = cli("render", code=1)
    assert ".issuelog/templates/ISSUES.md.j2" in result.stderr and said in result.stderr, result.stderr
    assert not (project / "ISSUES.md").exists()


def test_bounded_templates_still_render_widths_a_log_uses(project: Path, cli: Invoke) -> None:
    make_tree(project, {".issuelog/templates/ISSUES.md.j2":
                        "{{ '{:>8}'.format(1) }}|{{ '%05d' % 42 }}|{{ 'ab'.center(6) }}|"
                        "{% for n in range(3) %}{{ n }}{% endfor %}|{{ 'a' + 'b' }}\n"})
    cli("render")
    assert (project / "ISSUES.md").read_text() == "       1|00042|  ab  |012|ab\n"


# Item 7: the configuration's duplicate check is linear (100 000 phases took minutes before).

def test_a_hundred_thousand_phases_are_checked_for_duplicates(project: Path, cli: Invoke) -> None:
    names = [f"P{n}" for n in range(100_000)]
    (project / "issuelog.toml").write_text(f"project = 'x'\nphases = {json.dumps(names)}\n")
    cli("check")
    (project / "issuelog.toml").write_text(f"project = 'x'\nphases = {json.dumps([*names, 'P7'])}\n")
    result = cli("check", code=2)
    assert "'phases' lists P7 more than once" in result.stderr


# Item 8: aliases are refused everywhere, also inside merge keys, by `check` and by every edit.

@pytest.mark.parametrize(("extra", "line"), [
    ("x: {<<: [&a {k: v}, *a]}", 7),
    ("base: &b {k: v}\nx:\n  <<: *b", 9),
    ("x: [&a 1, *a]", 7),
])
def test_aliases_in_merge_keys_are_refused(project: Path, cli: Invoke, extra: str, line: int) -> None:
    path = project / "issues" / "ISSUE-001-something-broke.md"
    path.write_text(issue_text(extra=extra))
    before = path.read_bytes()
    result = cli("check", code=1)
    assert f"ISSUE-001-something-broke.md:{line}: invalid YAML: YAML aliases (*name) are not " \
        "allowed" in result.stdout
    result = cli("set", "1", "component=api", code=1)
    assert "YAML aliases (*name) are not allowed" in result.stderr
    assert path.read_bytes() == before


def test_the_tested_pyyaml_is_the_minimum() -> None:
    import tomllib
    from importlib.metadata import version

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    pinned = next(item for item in pyproject["project"]["dependencies"] if item.startswith("pyyaml"))
    assert pinned.startswith("pyyaml>=6.0.4")
    assert tuple(int(part) for part in version("pyyaml").split(".")[:3]) >= (6, 0, 4)


# Item 9: a deeply nested JSON line is reported with its line, and the batch goes on.

def test_deeply_nested_json_lines_are_reported_and_the_batch_goes_on(project: Path, cli: Invoke) -> None:
    good = json.dumps({"error": "ValueError: boom", "date": "2026-01-10"})
    deep = '{"error": "x", "context": {"a": ' + "[" * 60_000 + "]" * 60_000 + "}}"
    fifty_one = json.dumps({"error": "KeyError: k", "context": {"a": json.loads("[" * 50 + "]" * 50)}})
    (project / "events.jsonl").write_text("\n".join([good, deep, fifty_one, good]) + "\n")
    result = cli("record", "--from", "events.jsonl", code=1)
    assert "events.jsonl:2: JSON nested more than 50 levels deep" in result.stderr
    assert "events.jsonl:3: JSON nested more than 50 levels deep" in result.stderr
    assert "occurrences: 2" in next((project / "issues").glob("*.md")).read_text()


def test_deeply_nested_context_is_a_usage_error(project: Path, cli: Invoke) -> None:
    result = cli("record", "--error", "ValueError: x", "--context",
                 '{"a": ' + "[" * 60_000 + "]" * 60_000 + "}", code=2)
    assert "--context: JSON nested more than 50 levels deep" in result.stderr
    assert list((project / "issues").glob("*.md")) == []
    cli("record", "--error", "ValueError: x", "--context", json.dumps({"a": [[["ok"]]]}))


# Item 10: dates that overflow when statistics step back from them are refused with path:line.

@pytest.mark.parametrize("day", ["0001-01-02", "1899-12-31", "9999-12-30"])
def test_dates_out_of_range_are_refused_with_their_line(project: Path, cli: Invoke, day: str) -> None:
    path = project / "issues" / "ISSUE-001-something-broke.md"
    path.write_text(issue_text(reported=day))
    for command in (["check"], ["render"], ["analyze"], ["export", "--format", "html", "-o", "x.html"]):
        result = cli(*command, code=1)
        assert (f"issues/ISSUE-001-something-broke.md:6: 'reported' {day} is outside the dates "
                "issuelog accepts (1900-01-01 to 9998-12-31)") in result.stdout + result.stderr
    path.write_text(issue_text(reported="1900-01-01"))
    cli("render")


# Item 11: a top-level merge key does not crash `set`, and its line stays.

@pytest.mark.parametrize("pair", ["last=2", "merged=x", "reported=2026-01-03", "status=in_progress"])
def test_set_beside_a_top_level_merge_key(project: Path, cli: Invoke, pair: str) -> None:
    path = project / "issues" / "ISSUE-003-t.md"
    path.write_text(issue_text("ISSUE-003", extra="<<: {merged: m}\nlast: 1"))
    cli("check")
    cli("set", "3", pair)
    text = path.read_text()
    key, _, value = pair.partition("=")
    assert "<<: {merged: m}\n" in text and f"{key}: {value}\n" in text
    cli("check")


# Item 12: `#` in a `set` value is kept.

@pytest.mark.parametrize(("pair", "stored"), [
    ("title=Crash # on start", "Crash # on start"),
    ("title=#1 crash", "#1 crash"),
    ("component=api#v2", "api#v2"),
])
def test_a_hash_in_a_set_value_is_kept(project: Path, cli: Invoke, pair: str, stored: str) -> None:
    from issuelog.core.model import parse_issue as parse

    path = project / "issues" / "ISSUE-001-something-broke.md"
    path.write_text(issue_text())
    cli("set", "1", pair)
    issue, problems = parse(path, path.read_text())
    assert issue is not None and problems == []
    assert getattr(issue, pair.partition("=")[0]) == stored


# Item 13: `edit` never follows a symbolic link out of the repository.

def _editor_script(tmp: Path, body: str) -> str:
    script = tmp / f"editor_{abs(hash(body))}.py"
    script.write_text("import sys, pathlib, time\npath = pathlib.Path(sys.argv[1])\n" + body)
    return f"{sys.executable} {script}"


def test_edit_refuses_a_link_out_of_the_repository(project: Path, cli: Invoke, tmp_path_factory: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.md"
    outside.write_text(issue_text())
    (project / "issues" / "ISSUE-001-something-broke.md").symlink_to(outside)
    monkeypatch.setenv("EDITOR", _editor_script(project, "path.write_text('owned')\n"))
    result = cli("edit", "1", code=1)
    assert "ISSUE-001-something-broke.md" in result.stderr and "link" in result.stderr
    assert outside.read_text() == issue_text()


# Item 14: `edit` alongside `record`: what `record` wrote meanwhile is merged, or nothing is written.

def _recorded_issue(project: Path, cli: Invoke) -> Path:
    cli("record", "--error", "ValueError: boom", "--date", "2026-01-10")
    return next((project / "issues").glob("ISSUE-001-*.md"))


def test_records_made_while_editing_are_kept(project: Path, cli: Invoke,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = _recorded_issue(project, cli)
    # The editor records five occurrences while it is open, then changes the title.
    recorder = (f"import subprocess\nfor day in range(11, 16):\n"
                f"    subprocess.run([{sys.executable!r}, '-m', 'issuelog', 'record', '--error', "
                f"'ValueError: boom', '--date', f'2026-01-{{day}}'], check=True, cwd={str(project)!r})\n"
                "path.write_text(path.read_text().replace('severity: medium', 'severity: high'))\n")
    monkeypatch.setenv("EDITOR", _editor_script(project, recorder))
    result = cli("edit", "1")
    assert "changed while you edited it; both changes were kept" in result.stderr
    text = path.read_text()
    assert "occurrences: 6" in text and "severity: high" in text and "last_seen: 2026-01-15" in text
    cli("check")


def test_an_edit_of_the_lines_record_changed_is_refused_and_kept(
        project: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _recorded_issue(project, cli)
    body = (f"import subprocess\nsubprocess.run([{sys.executable!r}, '-m', 'issuelog', 'record', "
            f"'--error', 'ValueError: boom', '--date', '2026-01-11'], check=True, cwd={str(project)!r})\n"
            "path.write_text(path.read_text().replace('occurrences: 1', 'occurrences: 9'))\n")
    monkeypatch.setenv("EDITOR", _editor_script(project, body))
    result = cli("edit", "1", code=1)
    assert "changed while you edited it, on the lines you changed; nothing was written" in result.stderr
    kept = re.search(r"your version is kept in (\S+)\)", result.stderr)
    assert kept and "occurrences: 9" in (project / kept.group(1)).read_text()
    assert "occurrences: 2" in path.read_text()


def test_a_failed_editor_writes_nothing(project: Path, cli: Invoke,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = _recorded_issue(project, cli)
    before = path.read_bytes()
    monkeypatch.setenv("EDITOR", _editor_script(project, "path.write_text('half')\nsys.exit(1)\n"))
    assert "the editor failed" in cli("edit", "1", code=2).stderr
    assert path.read_bytes() == before


# Item 15: comments are kept: per-item comments of a block list on reopen, and the column of an
# end-of-line comment, so that resolve then reopen gives the file back byte for byte.

def test_reopening_by_record_keeps_comments_on_block_list_items(project: Path, cli: Invoke) -> None:
    path = _recorded_issue(project, cli)
    cli("resolve", "1", "--date", "2026-01-11")
    text = path.read_text()
    assert "tags:\n" in text
    path.write_text(text.replace("tags:\n", "tags:\n  - db      # the pool\n  - startup # first boot\n"))
    cli("check")
    result = cli("record", "--error", "ValueError: boom", "--date", "2026-01-12")
    assert "reopened" in result.stdout
    after = path.read_text()
    assert "tags:\n  - db      # the pool\n  - startup # first boot\n  - regression\n" in after
    cli("check")


def test_resolve_then_reopen_is_byte_identical_with_aligned_comments(project: Path, cli: Invoke) -> None:
    path = project / "issues" / "ISSUE-001-something-broke.md"
    original = issue_text(extra="resolved:  # when it was fixed").replace(
        "status: open\n", "status: open            # c\n")
    path.write_text(original)
    cli("resolve", "1", "--date", "2026-01-12")
    assert "status: resolved        # c\n" in path.read_text()
    cli("reopen", "1")
    assert path.read_text() == original


# Item 17: the metrics exporter under load, with real sockets on 127.0.0.1.

def _get(port: int) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.fixture
def exporter(project: Path) -> Any:
    from issuelog.core.config import load_config
    from issuelog.ops.metrics import serve_metrics

    make_tree(project, {f"issues/ISSUE-{n:03d}-i.md": issue_text(f"ISSUE-{n:03d}") for n in range(1, 31)})
    server, thread = serve_metrics(load_config(project), "127.0.0.1", 0)
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_two_hundred_concurrent_scrapes_are_all_served_and_parse_once(exporter: Any) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    before = threading.active_count()
    with ThreadPoolExecutor(max_workers=200) as pool:
        statuses = list(pool.map(lambda _: _get(exporter.server_port), range(200)))
        assert threading.active_count() <= before + 200  # the clients' threads, none added
    assert statuses == [200] * 200
    assert exporter.metrics.builds == 1  # the issues were parsed once, not once per scrape


def test_slow_clients_add_no_thread_and_are_timed_out(exporter: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import threading

    from issuelog.ops.metrics import _MetricsHandler

    monkeypatch.setattr(_MetricsHandler, "timeout", 0.5)
    assert _get(exporter.server_port) == 200
    before = threading.active_count()
    slow = [socket.create_connection(("127.0.0.1", exporter.server_port)) for _ in range(100)]
    try:
        assert threading.active_count() == before  # a fixed pool serves them
        slow[0].settimeout(20)
        assert slow[0].recv(64) == b""  # sent nothing: dropped after the timeout
    finally:
        for connection in slow:
            connection.close()
    assert _get(exporter.server_port) == 200
    assert exporter.metrics.builds == 1  # closed connections caused no scrape


def test_a_changed_issue_refreshes_the_cached_metrics(project: Path, exporter: Any) -> None:
    assert _get(exporter.server_port) == 200
    make_tree(project, {"issues/ISSUE-031-i.md": issue_text("ISSUE-031")})
    assert _get(exporter.server_port) == 200
    assert exporter.metrics.builds == 2
