"""The parse cache and the rendered-log cache: never stale, safe to delete, same output."""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import Invoke, issue_text, make_tree

from issuelog.core import cache, cache_files, outputs, parallel, parsing
from issuelog.core.cache import load_issues
from issuelog.core.config import load_config
from issuelog.errors import TemplateError
from issuelog.log.render import issue_link, render_log
from issuelog.project import logfile

GOLDEN = Path(__file__).parent / "golden" / "ISSUES.md"


def age_files(root: Path, seconds: float = 60.0) -> None:
    """Date every file back: files younger than the racy window are never cached."""
    moment = time.time_ns() - int(seconds * 1e9)
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(moment, moment))


def edit_keeping_size(path: Path, old: str, new: str) -> None:
    """Replace text with text of the same length and give the file a new (past) mtime."""
    assert len(old.encode()) == len(new.encode())
    before = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    moment = before.st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(moment, moment))
    assert path.stat().st_size == before.st_size


def kept(directory: Path, command: str) -> tuple[str, str, Any]:
    """What the cache keeps of a command's output: (stamps key, contents key, output)."""
    stored = cache_files.read_cache(directory / outputs.kept_file_name(command),
                                    cache_files.code_fingerprint())
    assert isinstance(stored, tuple) and len(stored) == 3
    return stored


def no_parsing(*args: object, **kwargs: object) -> None:
    raise AssertionError("a file was parsed although the cache holds it")


@pytest.fixture
def golden(golden_project: Path) -> Path:
    """The golden project with every file older than the racy window, so that the cache keeps it."""
    age_files(golden_project)
    return golden_project


def test_warm_render_is_byte_identical_to_cold(golden: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(golden)
    cold = logfile.rendered_log(config)
    assert cold.text == GOLDEN.read_text(encoding="utf-8")
    assert (golden / ".issuelog" / "cache" / cache_files.PARSED_CACHE).is_file()
    assert (golden / ".issuelog" / "cache" / outputs.kept_file_name("render")).is_file()
    warm = logfile.rendered_log(config)
    assert warm.text == cold.text and warm.issue_count == 13
    # Without the rendered log, the issues come from the parse cache and are rendered again.
    (golden / ".issuelog" / "cache" / outputs.kept_file_name("render")).unlink()
    monkeypatch.setattr(parsing, "parse_issue", no_parsing)
    assert logfile.rendered_log(config).text == cold.text


def test_cached_issues_equal_freshly_parsed_ones(golden: Path) -> None:
    config = load_config(golden)
    fresh = load_issues(config)
    cached = load_issues(config)
    assert [vars(issue) for issue in cached.issues] == [vars(issue) for issue in fresh.issues]
    assert all(issue.body.startswith("## ") for issue in cached.issues)
    assert all(issue.body == "" for issue in load_issues(config, bodies=False).issues)


def test_same_size_edit_with_a_new_mtime_is_seen(golden: Path) -> None:
    config = load_config(golden)
    first = logfile.rendered_log(config).text
    assert first is not None and "Secrets written to logs" in first
    path = next((golden / "issues").glob("ISSUE-004-*.md"))
    edit_keeping_size(path, "Secrets written to logs", "Secrets printed to logs")
    issue = {i.id: i for i in load_issues(config).issues}["ISSUE-004"]
    assert issue.title == "Secrets printed to logs"
    again = logfile.rendered_log(config).text
    assert again is not None and "Secrets printed to logs" in again


def test_a_new_or_removed_file_changes_the_log(golden: Path) -> None:
    config = load_config(golden)
    before = logfile.rendered_log(config)
    make_tree(golden, {"issues/ISSUE-014-added.md": issue_text("ISSUE-014", "Added later")})
    age_files(golden / "issues")
    added = logfile.rendered_log(config)
    assert added.issue_count == before.issue_count + 1 and "Added later" in (added.text or "")
    (golden / "issues" / "ISSUE-014-added.md").unlink()
    assert logfile.rendered_log(config).text == before.text


def test_configuration_and_templates_invalidate_the_log(golden: Path) -> None:
    config = load_config(golden)
    before = logfile.rendered_log(config).text
    toml = golden / "issuelog.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('project = "', 'project = "Renamed '))
    renamed = logfile.rendered_log(load_config(golden)).text
    assert renamed is not None and renamed != before and "Renamed" in renamed
    make_tree(golden, {".issuelog/templates/ISSUES.md.j2": "{{ summary.total }} issues\n"})
    assert logfile.rendered_log(load_config(golden)).text == "13 issues\n"


def test_problems_are_the_same_from_the_cache(project: Path) -> None:
    make_tree(project, {
        "issues/ISSUE-001-ok.md": issue_text(extra="related: [ISSUE-009]"),
        "issues/ISSUE-002-bad.md": "---\ntitle: [unclosed\n---\n",
        "issues/ISSUE-003-latin1.md": "",
    })
    (project / "issues" / "ISSUE-003-latin1.md").write_bytes(b"---\ntitle: caf\xe9\n---\n")
    age_files(project / "issues")
    config = load_config(project)
    cold = load_issues(config).problems
    assert len(cold) == 3
    assert (project / ".issuelog" / "cache" / cache_files.PARSED_CACHE).is_file()
    assert load_issues(config).problems == cold
    result = logfile.rendered_log(config)
    assert result.text is None and result.problems == cold


def test_validation_is_cached_for_one_configuration_only(project: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(project, {"issues/ISSUE-001-ok.md": issue_text(severity="urgent")})
    age_files(project / "issues")
    toml = project / "issuelog.toml"
    original = toml.read_text(encoding="utf-8")
    cold = load_issues(load_config(project)).problems
    assert [p.message for p in cold] == [
        "unknown severity 'urgent' (allowed: critical, high, medium, low)"]
    # From the cache, without validating again: the same problem.
    monkeypatch.setattr(parsing, "validate_issue", lambda *args: [])
    assert load_issues(load_config(project)).problems == cold
    monkeypatch.undo()
    # A configuration that allows the value: the cached result no longer holds.
    toml.write_text(original + """
[[severities]]
name = "urgent"
emoji = "🚨"
""", encoding="utf-8")
    assert load_issues(load_config(project)).problems == []
    toml.write_text(original, encoding="utf-8")
    assert load_issues(load_config(project)).problems == cold


def test_files_edited_a_moment_ago_are_not_cached(project: Path) -> None:
    make_tree(project, {"issues/ISSUE-001-new.md": issue_text()})
    config = load_config(project)
    logfile.rendered_log(config)
    directory = project / ".issuelog" / "cache"
    assert not (directory / cache_files.PARSED_CACHE).exists()
    # The log is kept under its files' contents only, never under their stamps.
    stamps_key, contents_key, _ = kept(directory, "render")
    assert stamps_key == "" and contents_key


def test_a_damaged_or_foreign_cache_counts_as_empty(golden: Path) -> None:
    config = load_config(golden)
    expected = logfile.rendered_log(config).text
    directory = golden / ".issuelog" / "cache"
    (directory / outputs.kept_file_name("render")).write_bytes(b"not a pickle")
    (directory / cache_files.PARSED_CACHE).write_bytes(b"\x80\x05garbage")
    assert logfile.rendered_log(config).text == expected
    # A cache file naming any other class is refused before anything of it is run.
    payload = {"fingerprint": cache_files.code_fingerprint(), "payload": {"x": Path("/")}}
    (directory / cache_files.PARSED_CACHE).write_bytes(pickle.dumps(payload))
    fingerprint = cache_files.code_fingerprint()
    assert cache_files.read_cache(directory / cache_files.PARSED_CACHE, fingerprint) is None
    assert [i.id for i in load_issues(config).issues][:2] == ["ISSUE-001", "ISSUE-002"]


def test_deleting_the_cache_is_safe(golden: Path, cli: Invoke) -> None:
    cli("render")
    shutil.rmtree(golden / ".issuelog")
    assert "up to date" in cli("render", "--check").stderr
    assert (golden / "ISSUES.md").read_text(encoding="utf-8") == GOLDEN.read_text(encoding="utf-8")


def test_an_unwritable_cache_only_makes_things_slower(golden: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache_files, "state_dir", refuse)
    config = load_config(golden)
    assert logfile.rendered_log(config).text == GOLDEN.read_text(encoding="utf-8")
    assert not (golden / ".issuelog").exists()


def test_a_cache_that_cannot_be_written_is_not_kept(golden: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # The directory exists, but writing fails (a full disk): the log is still rendered.
    real_mkstemp = tempfile.mkstemp

    def disk_full(*args: Any, **kwargs: Any) -> tuple[int, str]:
        if str(kwargs.get("dir", "")).endswith("cache"):
            raise OSError(28, "No space left on device")
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", disk_full)
    config = load_config(golden)
    assert logfile.rendered_log(config).text == GOLDEN.read_text(encoding="utf-8")
    assert not list((golden / ".issuelog" / "cache").glob("*.pickle"))


def test_parsing_in_worker_processes_gives_the_same_issues(golden: Path) -> None:
    config = load_config(golden)
    alone = cache.parsed_issue_files(config, minimum_for_workers=10_000)
    shutil.rmtree(golden / ".issuelog")
    workers = cache.parsed_issue_files(config, minimum_for_workers=1)
    assert [(p.shown, p.problems, p.issue and vars(p.issue)) for p in workers] == [
        (p.shown, p.problems, p.issue and vars(p.issue)) for p in alone
    ]


def test_a_cache_written_after_worker_processes_serves_the_next_run(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(project, {f"issues/ISSUE-{n:03d}-x.md": issue_text(f"ISSUE-{n:03d}", title=f"T {n}")
                        for n in range(1, 151)})
    make_tree(project, {"issues/ISSUE-151-bad.md": "---\ntitle: [unclosed\n---\n"})
    age_files(project / "issues")
    config = load_config(project)
    cold = cache.parsed_issue_files(config, minimum_for_workers=1)
    stored = cache_files.read_cache(project / ".issuelog" / "cache" / cache_files.PARSED_CACHE,
                                    cache_files.code_fingerprint())
    assert isinstance(stored, dict) and len(stored) == 151
    monkeypatch.setattr(parsing, "parse_issue", no_parsing)
    warm = cache.parsed_issue_files(config, minimum_for_workers=1)
    assert [(p.shown, p.problems, p.issue and vars(p.issue)) for p in warm] == [
        (p.shown, p.problems, p.issue and vars(p.issue)) for p in cold]
    assert len(warm) == 151 and warm[-1].issue is None and warm[-1].problems


def test_files_too_recent_to_cache_are_left_out_after_worker_processes(project: Path) -> None:
    make_tree(project, {f"issues/ISSUE-{n:03d}-x.md": issue_text(f"ISSUE-{n:03d}", title=f"T {n}")
                        for n in range(1, 131)})
    age_files(project / "issues")
    (project / "issues" / "ISSUE-007-x.md").write_text(issue_text("ISSUE-007", title="Just now"))
    config = load_config(project)
    issues = {p.issue.id: p.issue for p in cache.parsed_issue_files(config, minimum_for_workers=1)
              if p.issue}
    assert issues["ISSUE-007"].title == "Just now"
    cached = cache.read_parsed_cache(project / ".issuelog" / "cache" / cache_files.PARSED_CACHE,
                                      cache_files.code_fingerprint())
    assert len(cached) == 129 and "ISSUE-007-x.md" not in cached


def test_a_cache_whose_values_cannot_be_built_counts_as_empty(golden: Path) -> None:
    # Random damage can make the allowed timedelta overflow: still only an empty cache.
    damaged = b"cdatetime\ntimedelta\n(I999999999999\ntR."  # timedelta(999999999999 days)
    assert cache_files.load_plain(damaged) is None
    config = load_config(golden)
    path = golden / ".issuelog" / "cache" / cache_files.PARSED_CACHE
    path.parent.mkdir(parents=True)
    path.write_bytes(damaged)
    assert len(load_issues(config).issues) == 13


def test_issue_problems_come_before_a_template_that_is_not_utf8(golden: Path, cli: Invoke) -> None:
    (golden / ".issuelog" / "templates").mkdir(parents=True)
    (golden / ".issuelog" / "templates" / "ISSUES.md.j2").write_bytes(b"caf\xe9 {{ project }}\n")
    result = cli("render", code=1)
    assert "not valid UTF-8" in result.stderr and "Traceback" not in result.output
    make_tree(golden, {"issues/ISSUE-099-broken.md": "---\ntitle: [unclosed\n---\n"})
    result = cli("render", code=1)
    assert "ISSUE-099-broken.md" in result.stderr and "UTF-8" not in result.stderr


def test_a_foreign_payload_empties_the_parse_cache(golden: Path) -> None:
    config = load_config(golden)
    cache.parsed_issue_files(config)
    path = golden / ".issuelog" / "cache" / cache_files.PARSED_CACHE
    fingerprint = cache_files.code_fingerprint()
    cache_files.write_cache(path, fingerprint, [b"not a pickle"])
    assert cache.read_parsed_cache(path, fingerprint) == {}
    assert [p.issue.title for p in cache.parsed_issue_files(config) if p.issue][0]


@pytest.mark.parametrize("minimum_for_workers", [1, 10_000])
def test_the_log_is_the_same_parsed_in_workers_or_not(golden: Path, minimum_for_workers: int,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(golden)
    monkeypatch.setattr(parallel, "PARALLEL_MINIMUM", minimum_for_workers)
    assert logfile.rendered_log(config).text == GOLDEN.read_text(encoding="utf-8")
    assert cache.last_load.parsed == 13


def test_issue_problems_are_reported_before_a_broken_template(golden: Path) -> None:
    make_tree(golden, {".issuelog/templates/ISSUES.md.j2": "{% for %}\n"})
    config = load_config(golden)
    with pytest.raises(TemplateError, match="ISSUES.md.j2:1"):
        logfile.rendered_log(config)
    make_tree(golden, {"issues/ISSUE-099-broken.md": "---\ntitle: [unclosed\n---\n"})
    result = logfile.rendered_log(config)
    assert result.text is None and "ISSUE-099-broken.md" in result.problems[0].path


def test_render_after_an_edit_then_check_from_the_cache(golden: Path, cli: Invoke) -> None:
    cli("render")
    path = next((golden / "issues").glob("ISSUE-004-*.md"))
    edit_keeping_size(path, "Secrets written to logs", "Secrets printed to logs")
    stale = cli("render", "--check", code=1)
    assert "+| [ISSUE-004](issues/ISSUE-004-token-leak-in-logs.md) | Secrets printed" in stale.stdout
    cli("render")
    assert "up to date" in cli("render", "--check").stderr


def test_links_from_a_log_in_another_directory(project: Path) -> None:
    make_tree(project, {"issuelog.toml": 'output = "docs/log/ISSUES.md"\n',
                        "issues/ISSUE-001-a b.md": issue_text()})
    config = load_config(project)
    issue = load_issues(config).issues[0]
    assert issue_link(issue, config) == "../../issues/ISSUE-001-a b.md"
    assert "[ISSUE-001](../../issues/ISSUE-001-a%20b.md)" in render_log([issue], config)


def test_templates_still_cannot_reach_python_internals(project: Path) -> None:
    make_tree(project, {
        "issues/ISSUE-001-a.md": issue_text(),
        ".issuelog/templates/ISSUES.md.j2": "{{ issues[0].__class__.__mro__ }}\n",
    })
    config = load_config(project)
    with pytest.raises(TemplateError):
        render_log(load_issues(config).issues, config)


def test_a_date_that_does_not_exist_is_kept_in_the_cache(project: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(project, {"issues/ISSUE-001-a.md": issue_text(extra="due: [2026-02-30]")})
    age_files(project / "issues")
    config = load_config(project)
    fresh = load_issues(config).issues[0]
    monkeypatch.setattr(parsing, "parse_issue", no_parsing)
    assert vars(load_issues(config).issues[0]) == vars(fresh)


def test_symbolic_links_are_read_anew_each_time(project: Path) -> None:
    make_tree(project, {"notes/a.md": issue_text(title="First target"),
                        "notes/b.md": issue_text(title="Other target")})
    (project / "issues" / "ISSUE-001-linked.md").symlink_to(project / "notes" / "a.md")
    age_files(project / "notes")
    config = load_config(project)
    assert cache.scan_issue_files(config) == [("ISSUE-001-linked.md", cache_files.UNSTAMPED)]
    assert "First target" in (logfile.rendered_log(config).text or "")
    # Never found by stamps: the link is read each time.
    assert kept(project / ".issuelog" / "cache", "render")[0] == ""
    (project / "issues" / "ISSUE-001-linked.md").unlink()
    (project / "issues" / "ISSUE-001-linked.md").symlink_to(project / "notes" / "b.md")
    assert "Other target" in (logfile.rendered_log(config).text or "")
