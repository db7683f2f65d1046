"""The bad-input corpus: every broken issue file gets one clear `path:line: message`, exit 1,
no traceback, no file changed, and the other files are still checked."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from issuelog.core.cache import load_issues
from issuelog.core.config import Config, load_config
from issuelog.core.frontmatter_edit import edit_frontmatter
from issuelog.core.model import parse_issue, validate_issue
from issuelog.core.sections import replace_section
from issuelog.core.store import read_text
from tests.conftest import Invoke, files_snapshot, issue_text, make_tree

CORPUS = Path(__file__).parent / "bad_inputs"
EXPECTED: dict[str, dict[str, object]] = tomllib.loads((CORPUS / "expected.toml").read_text())
BROKEN = sorted(name for name, case in EXPECTED.items() if "accepted" not in case)
ACCEPTED = sorted(name for name, case in EXPECTED.items() if "accepted" in case)
#: A problem in another file that must be reported whatever the broken file does.
OTHER_PROBLEM = "issues/ISSUE-003-other.md:5: unknown severity 'urgent'"


def install(project: Path, name: str, data: bytes) -> Path:
    """Put a case into the project beside one valid and one otherwise broken issue file."""
    make_tree(project, {
        "issues/ISSUE-002-fine.md": issue_text("ISSUE-002"),
        "issues/ISSUE-003-other.md": issue_text("ISSUE-003", severity="urgent"),
    })
    path = project / "issues" / f"ISSUE-001-{name}.md"
    path.write_bytes(data)
    return path


def problems_of_case(stdout: str, name: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith(f"issues/ISSUE-001-{name}.md:")]


def assert_refused_cleanly(project: Path, cli: Invoke, name: str, expected: str) -> None:
    """check names the file and line, exit 1, other files checked; render refuses; nothing changes."""
    before = files_snapshot(project)
    result = cli("check", code=1)
    found = problems_of_case(result.stdout, name)
    assert any(line.startswith(expected) for line in found), (expected, found)
    assert OTHER_PROBLEM in result.stdout
    assert "ISSUE-002-fine" not in result.stdout
    assert "Traceback" not in result.output
    assert "not rendering" in cli("render", code=1).stderr
    assert files_snapshot(project) == before


def test_the_corpus_has_an_expectation_for_every_file_and_thirty_broken_ones() -> None:
    files = {path.stem for path in CORPUS.glob("*.md")}
    assert files == set(EXPECTED)
    assert len(BROKEN) >= 30


@pytest.mark.parametrize("name", BROKEN)
def test_each_broken_file_is_reported_with_its_line(project: Path, cli: Invoke, name: str) -> None:
    case = EXPECTED[name]
    install(project, name, (CORPUS / f"{name}.md").read_bytes())
    expected = f"issues/ISSUE-001-{name}.md:{case['line']}: {case['message']}"
    assert_refused_cleanly(project, cli, name, expected)


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_files_have_no_problem(project: Path, cli: Invoke, name: str) -> None:
    install(project, name, (CORPUS / f"{name}.md").read_bytes())
    result = cli("check", code=1)  # only because of ISSUE-003
    assert problems_of_case(result.stdout, name) == []
    assert OTHER_PROBLEM in result.stdout


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_files_keep_their_bom_and_line_endings_when_edited(name: str) -> None:
    original = (CORPUS / f"{name}.md").read_bytes().decode("utf-8")
    edited = edit_frontmatter(original, {"severity": "low", "assignee": "grace"})
    edited = replace_section(edited, "Resolution", "Restarted the pool.")
    newline = "\r\n" if "\r\n" in original else "\n"
    assert edited.startswith("\ufeff") == original.startswith("\ufeff")
    assert edited.count(newline) == len(edited.splitlines())  # every line ends the same way
    path = Path(f"issues/ISSUE-001-{name}.md")
    issue, problems = parse_issue(path, edited)
    assert issue is not None
    assert problems + validate_issue(issue, Config(), str(path)) == []
    assert (issue.severity, issue.assignee) == ("low", "grace")


# --- cases that cannot be stored in git ---------------------------------------------------------

def test_a_10_mb_body_is_refused_without_reading_it_all(project: Path, cli: Invoke) -> None:
    install(project, "huge-body", issue_text(body="y" * 10_000_000).encode())
    assert_refused_cleanly(project, cli, "huge-body",
                           "issues/ISSUE-001-huge-body.md:1: file is larger than 1 MiB")


def test_a_100_kb_title_is_refused(project: Path, cli: Invoke) -> None:
    install(project, "huge-title", issue_text(title="t" * 102_400).encode())
    assert_refused_cleanly(project, cli, "huge-title",
                           "issues/ISSUE-001-huge-title.md:3: title is 102400 characters long; "
                           "the limit is 500")


def test_an_oversized_frontmatter_is_refused_before_yaml_reads_it(project: Path, cli: Invoke) -> None:
    install(project, "huge-frontmatter", issue_text(extra=f"error_message: {'e' * 300_000}").encode())
    assert_refused_cleanly(project, cli, "huge-frontmatter",
                           "issues/ISSUE-001-huge-frontmatter.md:1: frontmatter is 300")


def test_a_symlink_out_of_the_repository_is_reported_not_followed(
    project: Path, cli: Invoke, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.md"
    outside.write_text(issue_text())
    install(project, "link", b"")
    link = project / "issues" / "ISSUE-001-link.md"
    link.unlink()
    link.symlink_to(outside)
    assert_refused_cleanly(project, cli, "link",
                           f"issues/ISSUE-001-link.md:1: symbolic link to {outside}, outside the repository")
    assert outside.read_text() == issue_text()


def test_a_symlink_loop_and_a_dangling_symlink(project: Path, cli: Invoke) -> None:
    install(project, "loop", b"")
    loop = project / "issues" / "ISSUE-001-loop.md"
    loop.unlink()
    loop.symlink_to(loop.name)
    assert_refused_cleanly(project, cli, "loop", "issues/ISSUE-001-loop.md:1: symbolic link that loops")
    loop.unlink()
    loop.symlink_to("nowhere.md")
    assert_refused_cleanly(project, cli, "loop", "issues/ISSUE-001-loop.md:1: cannot read file: No such file")


def test_a_directory_named_like_an_issue_file(project: Path, cli: Invoke) -> None:
    # The tests run as root, for whom `chmod 000` changes nothing: a directory cannot be read as a file.
    install(project, "dir", b"")
    path = project / "issues" / "ISSUE-001-dir.md"
    path.unlink()
    path.mkdir()
    assert_refused_cleanly(project, cli, "dir", "issues/ISSUE-001-dir.md:1: not a regular file")


def test_a_fifo_does_not_block_check(project: Path, cli: Invoke) -> None:
    install(project, "fifo", b"")
    path = project / "issues" / "ISSUE-001-fifo.md"
    path.unlink()
    os.mkfifo(path)
    assert_refused_cleanly(project, cli, "fifo", "issues/ISSUE-001-fifo.md:1: not a regular file")


def test_a_file_the_user_may_not_read(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As root `chmod 000` has no effect, so the refusal of the operating system is simulated.
    path = project / "issues" / "ISSUE-001-secret.md"
    path.write_text(issue_text())
    real_open = os.open

    def refuse(name: str | os.PathLike[str], flags: int, *args: int) -> int:
        if Path(name) == path:
            raise PermissionError(13, "Permission denied")
        return real_open(name, flags, *args)

    monkeypatch.setattr("issuelog.core.store.os.open", refuse)
    text, problem = read_text(path, "issues/ISSUE-001-secret.md", project)
    assert text is None
    assert str(problem) == "issues/ISSUE-001-secret.md:1: cannot read file: Permission denied"
    result = load_issues(load_config(project))
    assert [str(p) for p in result.problems] == [str(problem)]


# --- hand-kept logs that once crashed the importer (found by tests/test_fuzz.py) ---------------

@pytest.mark.parametrize("log", sorted((CORPUS / "import").glob("*.md")), ids=lambda path: path.stem)
def test_logs_that_crashed_the_importer_now_import_cleanly(project: Path, cli: Invoke, log: Path) -> None:
    result = cli("import", str(log))
    assert "Traceback" not in result.output
    cli("check")
    assert [path.name for path in (project / "issues").glob("ISSUE-*.md")] == [
        "ISSUE-001-worker-crashed-on-start.md"]


# --- the whole corpus through the real console script -------------------------------------------

def test_the_console_script_reports_the_whole_corpus_without_a_traceback(project: Path) -> None:
    for name in EXPECTED:
        (project / "issues" / f"ISSUE-001-{name}.md").write_bytes((CORPUS / f"{name}.md").read_bytes())
    before = files_snapshot(project)
    result = subprocess.run([sys.executable, "-m", "issuelog", "check"], cwd=project,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    for name in BROKEN:
        case = EXPECTED[name]
        assert f"issues/ISSUE-001-{name}.md:{case['line']}: {case['message']}" in result.stdout
    for name in ACCEPTED:
        assert not [line for line in problems_of_case(result.stdout, name) if "duplicate id" not in line]
    rendered = subprocess.run([sys.executable, "-m", "issuelog", "render"], cwd=project,
                              capture_output=True, text=True, timeout=60)
    assert rendered.returncode == 1 and "Traceback" not in rendered.stderr
    assert files_snapshot(project) == before
