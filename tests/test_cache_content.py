"""The parse cache found by content: a fresh clone with a cache restored from another clone (as a
CI cache restores it) parses nothing, and cold, warm, incremental and restored renders are the
same bytes."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import Invoke, issue_text, make_tree
from test_cache import GOLDEN, age_files

from issuelog.core import cache, cache_files
from issuelog.core.cache import issues_of_blobs
from issuelog.core.config import load_config
from issuelog.core.outputs import kept_file_name
from issuelog.core.parsing import blob_id
from issuelog.git.gitrepo import blobs_at, read_objects
from issuelog.git.history import diff_since, issues_at
from issuelog.log import render
from issuelog.log.changes import compare_issues
from tests.git_helpers import commit_all, git


def clone(source: Path, target: Path, monkeypatch: pytest.MonkeyPatch, *,
          restore_cache: bool) -> Path:
    """A fresh `git clone` of `source` (new mtimes on every file), as the current directory, with
    `source`'s `.issuelog/cache` copied in when asked."""
    subprocess.run(["git", "clone", "-q", str(source), str(target)], check=True)
    if restore_cache:
        shutil.copytree(source / ".issuelog" / "cache", target / ".issuelog" / "cache")
    monkeypatch.chdir(target)
    return target


def no_rendering(*args: object) -> str:
    raise AssertionError("the log was rendered although the cache holds it for these contents")


def counts() -> tuple[int, int, int]:
    """How the last load found its files: (by stamp, by content, parsed)."""
    return cache.last_load.by_stamp, cache.last_load.by_content, cache.last_load.parsed


@pytest.fixture
def origin(golden_project: Path) -> Path:
    """The golden project committed in a git repository, its caches warm."""
    (golden_project / ".gitignore").write_text(".issuelog/\n")
    git(golden_project, "init", "-q", "-b", "main")
    git(golden_project, "config", "user.name", "Ada Tester")
    git(golden_project, "config", "user.email", "ada@example.invalid")
    commit_all(golden_project, "issues")
    age_files(golden_project)
    return golden_project


def test_blob_id_is_gits(origin: Path) -> None:
    path = next((origin / "issues").glob("ISSUE-004-*.md"))
    assert blob_id(path.read_bytes()).hex() == git(origin, "hash-object", str(path)).strip()


def test_a_restored_cache_in_a_fresh_clone_parses_nothing(origin: Path, tmp_path: Path, cli: Invoke,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    cli("render")  # cold in the origin: every file parsed
    assert counts() == (0, 0, 13)
    cli("render")
    assert (origin / "ISSUES.md").read_bytes() == GOLDEN.read_bytes()
    cli("check")  # warm: every file by its stamp
    assert counts() == (13, 0, 0)

    cold_clone = clone(origin, tmp_path / "cold", monkeypatch, restore_cache=False)
    cli("render")
    assert counts() == (0, 0, 13)
    cold = (cold_clone / "ISSUES.md").read_bytes()

    restored = clone(origin, tmp_path / "restored", monkeypatch, restore_cache=True)
    assert all(stat.st_mtime_ns != (origin / "issues" / stat_name).stat().st_mtime_ns
               for stat_name, stat in ((p.name, p.stat()) for p in (restored / "issues").iterdir()))
    (restored / "ISSUES.md").unlink(missing_ok=True)  # written from the log kept by contents
    with monkeypatch.context() as patched:
        patched.setattr(render, "render_log", no_rendering)
        cli("render")
    assert counts() == (0, 13, 0)
    assert (restored / "ISSUES.md").read_bytes() == cold == GOLDEN.read_bytes()
    cli("check")
    assert counts()[2] == 0

    # One edit: exactly one file parsed; the rest by stamp, or by content while too recent to keep.
    path = next((restored / "issues").glob("ISSUE-004-*.md"))
    path.write_text(path.read_text(encoding="utf-8").replace("Secrets written", "Secrets printed"),
                    encoding="utf-8")
    cli("render")
    assert counts()[2] == 1 and sum(counts()) == 13
    assert b"Secrets printed" in (restored / "ISSUES.md").read_bytes()


def test_cold_warm_incremental_and_restored_renders_are_identical(
        origin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real CLI, in processes: the same log whichever way the issues were found."""
    def render(where: Path) -> bytes:
        subprocess.run(["issuelog", "render"], cwd=where, check=True, capture_output=True)
        return (where / "ISSUES.md").read_bytes()

    cold = render(origin)
    assert cold == GOLDEN.read_bytes()
    age_files(origin / ".issuelog")
    (origin / ".issuelog" / "cache" / kept_file_name("render")).unlink()
    assert render(origin) == cold  # warm parse cache, log rendered again
    path = next((origin / "issues").glob("ISSUE-004-*.md"))
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("Secrets written", "Secrets printed"), encoding="utf-8")
    edited = render(origin)
    assert edited != cold and b"Secrets printed" in edited
    path.write_text(original, encoding="utf-8")
    assert render(origin) == cold  # incremental, back again
    restored = clone(origin, tmp_path / "restored", monkeypatch, restore_cache=True)
    assert render(restored) == cold


def test_two_files_of_the_same_content_are_two_issues(project: Path, cli: Invoke) -> None:
    text = issue_text("ISSUE-001")
    make_tree(project, {"issues/ISSUE-001-a.md": text})
    age_files(project / "issues")
    cli("check")
    make_tree(project, {"issues/ISSUE-002-b.md": text})  # a copy: found by content, not its ID
    problems = cli("check", code=1).stdout
    assert "ISSUE-002-b.md:2: id 'ISSUE-001' does not match the file name" in problems
    assert "duplicate" in problems.lower()
    assert counts() == (1, 1, 0)
    issues = cache.load_issues(load_config(project)).issues
    assert [issue.path.name for issue in issues] == ["ISSUE-001-a.md", "ISSUE-002-b.md"]
    assert issues[0].__dict__ is not issues[1].__dict__


def test_diff_reads_from_git_only_what_the_cache_lacks(origin: Path, cli: Invoke) -> None:
    cli("check")
    path = next((origin / "issues").glob("ISSUE-004-*.md"))
    path.write_text(path.read_text(encoding="utf-8").replace("Secrets written", "Secrets printed"),
                    encoding="utf-8")
    commit_all(origin, "edit")
    config = load_config(origin)
    wanted: list[str] = []

    def read(blobs: Sequence[str]) -> list[bytes]:
        wanted.extend(blobs)
        return read_objects(origin, blobs)

    # HEAD~1 is what the cache holds (every file, by content): nothing read from git.
    before = issues_of_blobs(config, blobs_at(origin, "HEAD~1", "issues"), read)
    assert wanted == [] and len(before) == 13
    after = issues_of_blobs(config, blobs_at(origin, "HEAD", "issues"), read)
    assert wanted == [blob_id(path.read_bytes()).hex()]
    assert [i.title for i in after if i.id == "ISSUE-004"] == ["Secrets printed to logs"]
    assert [vars(i) for i in before if i.id != "ISSUE-004"] == [
        vars(i) for i in after if i.id != "ISSUE-004"]
    assert [i.title for i in issues_at(config, "HEAD~1") if i.id == "ISSUE-004"] == [
        "Secrets written to logs"]
    changes = cli("diff", "HEAD~1", "HEAD").stdout
    assert "Secrets printed to logs" in changes and "ISSUE-004" in changes


def test_the_code_fingerprint_follows_contents_not_time_stamps() -> None:
    """A fresh installation of the same code (new mtimes, as in every CI run) reads the caches
    another one wrote."""
    source = Path(cache_files.__file__)
    before = source.stat()
    fingerprint = cache_files.code_fingerprint.__wrapped__()  # made anew, not the process's
    try:
        os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns + 10**12))
        assert cache_files.code_fingerprint.__wrapped__() == fingerprint
    finally:
        os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_diff_of_two_revisions_compares_only_changed_files_with_the_same_result(origin: Path) -> None:
    issues = origin / "issues"
    edited = next(issues.glob("ISSUE-004-*.md"))
    edited.write_text(edited.read_text(encoding="utf-8").replace("status: open", "status: resolved"),
                      encoding="utf-8")
    renamed = next(issues.glob("ISSUE-002-*.md"))
    renamed.rename(issues / "ISSUE-002-renamed.md")
    next(issues.glob("ISSUE-003-*.md")).unlink()
    make_tree(origin, {"issues/ISSUE-020-new.md": issue_text("ISSUE-020", "Added")})
    commit_all(origin, "changes")
    config = load_config(origin)
    full = compare_issues(issues_at(config, "HEAD~1"), issues_at(config, "HEAD"), config)
    result = diff_since(config, "HEAD~1", "HEAD")
    assert result.diff == full
    assert {change.kind for change in full.changes} == {"opened", "removed", "resolved"}
    assert len(full.changes) >= 3
    # Against the files on disk (blob IDs from the parse cache), edited and not yet committed.
    make_tree(origin, {"issues/ISSUE-021-draft.md": issue_text("ISSUE-021", "Draft")})
    edited.write_text(edited.read_text(encoding="utf-8").replace("Secrets", "Keys"), encoding="utf-8")
    on_disk = compare_issues(issues_at(config, "HEAD~1"), cache.load_issues(config, bodies=False).issues,
                             config)
    assert diff_since(config, "HEAD~1").diff == on_disk
    assert len(on_disk.changes) == len(full.changes) + 1
