"""All issues of a project: discovery, safe reading, cross-file checks, IDs in file names, the lock.

Writes go through `core.atomic_write`."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from issuelog.core.atomic_write import publish_new, write_atomic
from issuelog.core.config import Config
from issuelog.core.model import (
    MAX_FILE_BYTES,
    Issue,
    Problem,
    key_hints,
    misspelt_field,
    parse_issue,
)
from issuelog.errors import IssueFileError, UsageError

if TYPE_CHECKING:
    from filelock import FileLock

SKIPPED_FILES = frozenset({"README.md"})
MAX_SLUG_LENGTH = 60
_TRAILING_NUMBER = re.compile(r"(\d+)$")


@dataclass
class IssueSet:
    """Every issue file of a project, parsed, with every problem found in them."""

    issues: list[Issue] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: A digest of every file's name and git blob ID: the same for the same contents, wherever
    #: and whenever they were checked out ("" when a file's content is unknown).
    contents: str = ""

    def by_id(self) -> dict[str, Issue]:
        """Issues keyed by ID (the first file wins when IDs collide)."""
        found: dict[str, Issue] = {}
        for issue in self.issues:
            found.setdefault(issue.id, issue)
        return found


def display_path(path: Path, config: Config | None = None) -> str:
    """How a path is shown in messages: relative to the current directory when inside it, else to
    the project root (with a config)."""
    roots = (config.root,) if config is not None else ()
    try:
        bases: tuple[Path, ...] = (Path.cwd(), *roots)
    except FileNotFoundError:
        bases = roots
    for base in bases:
        try:
            return str(path.relative_to(base))
        except ValueError:
            continue
    return str(path)


def shell_path(path: Path) -> str:
    """A path that a shell in the current directory opens: relative to it, `../` when needed."""
    try:
        relative = os.path.relpath(path, Path.cwd())
    except (FileNotFoundError, ValueError):  # a deleted directory, another Windows drive
        return str(path)
    return str(path) if relative.startswith("../../../") else relative


def issue_files(config: Config) -> list[Path]:
    """The Markdown files of the issues directory, sorted by name."""
    directory = config.issues_path
    if not directory.is_dir():
        return []
    # Sorting names, not paths: the order is the same, and comparing Path objects is slow.
    return [directory / name for name in sorted(os.listdir(directory)) if is_issue_file(name)]


def is_issue_file(name: str) -> bool:
    """Whether a name in the issues directory is an issue file (not README.md, not hidden)."""
    return name.endswith(".md") and name not in SKIPPED_FILES and not name.startswith(".")


def read_text(
    path: Path, shown: str, root: Path | None = None, max_bytes: int = MAX_FILE_BYTES
) -> tuple[str | None, Problem | None]:
    """Read an issue file as UTF-8 text, or say why it cannot be read.

    Only regular files are read, at most `MAX_FILE_BYTES` of them, and never through a symbolic
    link that leaves `root`: a FIFO would block forever and a link could expose any file.
    """
    data, problem = read_bytes(path, shown, root, max_bytes)
    if data is None:
        return None, problem
    return decode_text(data, shown)


def read_bytes(
    path: Path, shown: str, root: Path | None = None, max_bytes: int = MAX_FILE_BYTES
) -> tuple[bytes | None, Problem | None]:
    """The bytes of an issue file under `read_text`'s rules, or why they cannot be read."""
    data, problem, _ = read_stamped(path, shown, root, max_bytes)
    return data, problem


def read_stamped(
    path: Path, shown: str, root: Path | None = None, max_bytes: int = MAX_FILE_BYTES
) -> tuple[bytes | None, Problem | None, os.stat_result | None]:
    """`read_bytes`, with the file's status taken after opening it and before reading it.

    A file that changes after its status is taken has content newer than its stamp, never older.
    """
    descriptor = _open_issue_file(path, shown, root)
    if isinstance(descriptor, Problem):
        return None, descriptor, None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            return None, Problem(shown, 1, "not a regular file: an issue file must be a plain file"), None
        data = _read_all(descriptor, info.st_size, max_bytes + 1)
    except OSError as error:
        return None, Problem(shown, 1, f"cannot read file: {error.strerror}"), None
    finally:
        os.close(descriptor)
    if len(data) > max_bytes:
        return None, Problem(shown, 1, f"file is larger than {max_bytes // (1024 * 1024)} MiB, "
                                       "the most issuelog reads from one file"), None
    return data, None, info


def _read_all(descriptor: int, expected: int, limit: int) -> bytes:
    """Up to `limit` bytes from an open file whose size was `expected` a moment ago."""
    # os.read straight into bytes: a buffered file object for one read costs more than the read.
    chunks = []
    remaining = limit
    while remaining > 0:
        chunk = os.read(descriptor, min(remaining, max(expected + 1, 65536)))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _open_issue_file(path: Path, shown: str, root: Path | None) -> int | Problem:
    """A descriptor open for reading, or why not: a link out of `root` is not followed."""
    # O_NONBLOCK: opening a FIFO must not wait for a writer; the caller checks the type.
    flags = os.O_RDONLY | os.O_NONBLOCK
    no_follow = getattr(os, "O_NOFOLLOW", 0)
    if root is not None and no_follow:
        # A plain file opens at once; only a symbolic link pays for checking where it leads.
        try:
            return os.open(path, flags | no_follow)
        except OSError as error:
            if not path.is_symlink():
                return Problem(shown, 1, f"cannot read file: {error.strerror}")
    if root is not None and path.is_symlink():
        problem = _link_problem(path, shown, root)
        if problem is not None:
            return problem
    try:
        return os.open(path, flags)
    except OSError as error:
        return Problem(shown, 1, f"cannot read file: {error.strerror}")


def _link_problem(path: Path, shown: str, root: Path) -> Problem | None:
    """Why a symbolic link in the issues directory is not followed, or None when it may be."""
    try:
        target = path.resolve(strict=False)
    except (RuntimeError, OSError):  # a loop: RuntimeError before Python 3.13, OSError since
        return Problem(shown, 1, "symbolic link that loops: not read")
    if not target.is_relative_to(root.resolve()):
        return Problem(shown, 1, f"symbolic link to {target}, outside the repository: not read")
    return None


def decode_text(data: bytes, shown: str) -> tuple[str | None, Problem | None]:
    """A file's bytes as UTF-8 text, or the line where they are not UTF-8."""
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return None, Problem(shown, line, f"not valid UTF-8 (byte {error.start})")


def cross_file_problems(issues: list[Issue], config: Config) -> list[Problem]:
    """Duplicate IDs and `related` entries that name no issue."""
    problems: list[Problem] = []
    counts = Counter(issue.id for issue in issues if issue.id)
    first_file: dict[str, str] = {}
    for issue in issues:
        if not issue.id:
            continue
        if counts[issue.id] > 1:
            shown = display_path(issue.path, config)
            if issue.id in first_file:
                problems.append(Problem(shown, issue.line_of("id"),
                                        f"duplicate id '{issue.id}' (also in {first_file[issue.id]})"))
            else:
                first_file[issue.id] = shown
    known = set(counts)
    for issue in issues:
        problems += [Problem(display_path(issue.path, config), issue.line_of("related"), message)
                     for message in unknown_related(issue.related, known, config)]
    return problems


def unknown_related(related: Iterable[str], known: Collection[str], config: Config) -> list[str]:
    """A message for each `related` entry that names no issue, with the ID it likely means when
    it is written another way (`7` or `issue-7` for ISSUE-007)."""
    messages = []
    for other in related:
        if other in known:
            continue
        message = f"related issue '{other}' does not exist"
        try:
            meant = resolve_id(other, config)
        except UsageError:
            meant = ""
        if meant in known:
            message += f"; write it as '{meant}'"
        messages.append(message)
    return messages


def typo_hints(issues: list[Issue], config: Config) -> list[Problem]:
    """Unknown frontmatter keys that look like typos of known fields, in file and line order."""
    # Most files have no such key: find that out (cached per key) before working out the path.
    return sorted(hint for issue in issues
                  if any(misspelt_field(str(key)) for key in issue.extra)
                  for hint in key_hints(issue, display_path(issue.path, config)))


def sort_key(issue_id: str) -> tuple[int, str]:
    """Sort IDs by their number (`ISSUE-99` before `ISSUE-100`), then by text."""
    match = _TRAILING_NUMBER.search(issue_id)
    return (int(match.group(1)) if match else -1, issue_id)


def id_file_pattern(config: Config) -> str:
    """A regular expression for issue file names such as `ISSUE-007-slug.md`; captures the number."""
    return rf"{re.escape(config.id_prefix)}-(\d+)(?:-[^\0/]*)?\.md"


def id_numbers(names: Iterable[str], config: Config) -> list[int]:
    """The issue numbers named by file names such as `ISSUE-007-slug.md` or `ISSUE-007.md`."""
    pattern = re.compile(rf"^{id_file_pattern(config)}$")
    return [int(match.group(1)) for match in map(pattern.match, names) if match]


def highest_id_number(names: Iterable[str], config: Config) -> int:
    """The largest issue number among file names (0 when there is none)."""
    return max(id_numbers(names, config), default=0)


def resolve_id(text: str, config: Config) -> str:
    """Accept `ISSUE-007`, `issue-7`, `7` or `007` and return the canonical ID."""
    cleaned = text.strip()
    match = re.fullmatch(rf"(?:{re.escape(config.id_prefix)}-)?0*(\d+)", cleaned, re.IGNORECASE)
    if not match:
        raise UsageError(f"'{text}' is not an issue ID (expected {config.format_id(7)} or 7)")
    return config.format_id(int(match.group(1)))


def find_issue_file(config: Config, issue_id: str) -> Path:
    """The file of an issue (`ISSUE-007`, `7` or `007`), found by its name; no file is read."""
    canonical = resolve_id(issue_id, config)
    number = int(canonical.rsplit("-", 1)[1])
    directory = config.issues_path
    names = sorted(entry.name for entry in directory.iterdir()) if directory.is_dir() else []
    matches = [name for name in names if id_numbers([name], config) == [number]]
    if not matches:
        raise UsageError(f"no issue {canonical} in {display_path(directory, config)}/")
    if len(matches) > 1:
        raise UsageError(f"{canonical} has more than one file: {', '.join(matches)}")
    return directory / matches[0]


def load_issue(config: Config, path: Path) -> tuple[str, Issue]:
    """The text of one issue file and the issue parsed from it; an unusable file is an error."""
    shown = display_path(path, config)
    text, problem = read_text(path, shown, config.root)
    if problem is not None or text is None:
        raise IssueFileError(str(problem))
    issue, problems = parse_issue(path, text, shown)
    if issue is None:
        raise IssueFileError("\n".join(str(p) for p in problems))
    return text, issue


def slugify(title: str, max_length: int = MAX_SLUG_LENGTH) -> str:
    """A short, safe file-name fragment: ASCII letters, digits and single hyphens.

    Letters of other scripts are transliterated (`Ошибка` -> `oshibka`, `连接` -> `lian-jie`),
    so that a title in any language gives a readable name that every file system accepts.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", _in_ascii(title).lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug.strip("-") or "issue"


def _in_ascii(text: str) -> str:
    """Letters and digits of any script in ASCII; symbols and emoji become word breaks."""
    if text.isascii():
        return text
    from anyascii import anyascii  # only for titles that need it: `new` starts faster

    pieces = []
    for char in text:
        if char.isascii():
            pieces.append(char)
        elif unicodedata.category(char)[0] not in "LN":
            pieces.append(" ")
        elif unicodedata.name(char, "").startswith("CJK "):
            # Chinese has no spaces between words: each ideograph's syllable stands apart.
            pieces.append(f" {anyascii(char)} ")
        else:
            pieces.append(anyascii(char))
    return "".join(pieces)


def state_dir(config: Config) -> Path:
    """`.issuelog/cache/` under the root: machine-local state that git ignores."""
    directory = config.root / ".issuelog" / "cache"
    directory.mkdir(parents=True, exist_ok=True)
    ignore = directory / ".gitignore"
    if not ignore.is_file():  # also when a process killed after the mkdir left it out
        with contextlib.suppress(IssueFileError):  # a full disk: the next run tries again
            write_atomic(ignore, "# issuelog's local state: safe to delete, never committed\n*\n")
    return directory


def write_lock(config: Config, timeout: float = 30.0) -> FileLock:
    """The project-wide lock held around every read-modify-write of issue files.

    One lock object per file, re-entrant within a thread: a writer that already holds it (such
    as `record`, which finds a match and then creates an issue) can call code that takes it again.
    """
    # filelock imports logging and asyncio: only commands that write pay for them.
    from filelock import FileLock

    return FileLock(str(state_dir(config) / "write.lock"), timeout=timeout, is_singleton=True)


def create_issue_file(
    config: Config, title: str, render: Callable[[str], str], preferred_id: str | None = None,
    *, next_number: Callable[[], int],
) -> tuple[str, Path]:
    """Allocate the next free ID and create its file; `render(id)` returns the file's text.

    `next_number` is called under the project lock for the first number to try (the caller
    knows where IDs are taken: `project.ids.next_free_number` also reads the other branches).

    A `preferred_id` (such as an imported entry's own ID) is used when no file has it yet.
    The project lock serialises issuelog writers; a hard link that fails on an existing name
    guards against anyone else, and readers never see a half-written file.
    """
    directory = config.issues_path
    directory.mkdir(parents=True, exist_ok=True)
    slug = slugify(title)
    with write_lock(config):
        names = os.listdir(directory)
        wanted = config.id_pattern.match(preferred_id) if preferred_id else None
        if preferred_id and wanted and int(wanted.group(1)) not in id_numbers(names, config):
            path = directory / f"{preferred_id}-{slug}.md"
            if publish_new(path, render(preferred_id).encode("utf-8")):
                return preferred_id, path
        number = next_number()
        while True:
            issue_id = config.format_id(number)
            path = directory / f"{issue_id}-{slug}.md"
            if not publish_new(path, render(issue_id).encode("utf-8")):
                number += 1
                continue
            return issue_id, path


def check_output_path(path: Path, config: Config, *, rendered_log: bool = False) -> None:
    """Refuse an --output that would replace an issue file, the config, a template or a directory.

    `rendered_log` allows the configured output (ISSUES.md) itself, for `render`.
    """
    target = path.resolve()
    if target.is_dir():
        raise UsageError(f"{path}: is a directory; give a file name to --output")
    if not rendered_log and target == config.output_path.resolve():
        raise UsageError(f"{path}: is the rendered log ({config.output}); write elsewhere")
    if target.suffix == ".md" and target.parent == config.issues_path.resolve():
        raise UsageError(f"{path}: is in {config.issues_dir}/, where every .md file is an issue; "
                         "write elsewhere")
    protected = {config.root.resolve() / "issuelog.toml", config.root.resolve() / "pyproject.toml"}
    if config.source is not None:
        protected.add(config.source.resolve())
    if target in protected or config.templates_path.resolve() in target.parents:
        raise UsageError(f"{path}: is issuelog's configuration or a template; write elsewhere")
