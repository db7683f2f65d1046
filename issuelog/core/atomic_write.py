"""Atomic file writes: readers see a file's old or new content, never a partial one.

Every write goes through a temporary file beside its target, named after the writer's PID
(`.NAME.PID-RANDOM.tmp`), then a rename (or, for a new issue file, a hard link that fails on a
taken name). The first write to a directory in a process sweeps the temporary files of writers
that were killed (`remove_stale_temporaries`).
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from issuelog.core.config import Config
from issuelog.errors import IssueFileError


def write_atomic(path: Path, text: str) -> None:
    """Write text with LF line endings via a temporary file in the same directory and a rename."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace `path` with `data` so that readers see the old or the new file, never a partial one.

    `durable` also waits until the data is on disk, so that a crash of the machine cannot leave
    the new name with missing content; a cache, which is checked when read, can skip that wait.
    """
    with atomic_file(path, durable=durable) as handle:
        handle.write(data)


@contextlib.contextmanager
def atomic_file(path: Path, *, durable: bool = True) -> Iterator[BinaryIO]:
    """A file to write in pieces that replaces `path` (`write_bytes_atomic`) when the block ends.

    If the block fails, `path` is left as it was and the temporary file is removed.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = _temporary_file(path)
    except OSError as error:
        raise IssueFileError(f"{path}: cannot write: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise IssueFileError(f"{path}: cannot write: {error.strerror or error}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


#: A temporary file of a writer: `.NAME.PID-RANDOM.tmp` beside the file it will become.
_TEMPORARY_NAME = re.compile(r"^\..+\.(\d+)-[a-z0-9_]+\.tmp$")
#: Past this age a temporary file is stale even if a process of the same PID runs (PIDs are reused).
STALE_TEMPORARY_SECONDS = 3600
_swept_directories: set[Path] = set()


def _temporary_file(path: Path) -> tuple[int, str]:
    """Create the temporary file a write goes through, after sweeping stale ones once per process."""
    if path.parent not in _swept_directories:
        remove_stale_temporaries(path.parent)
        _swept_directories.add(path.parent)
    import tempfile  # only to write: a command that finds its output kept writes nothing

    return tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp", dir=path.parent)


def remove_stale_temporaries(directory: Path) -> list[Path]:
    """Delete temporary files left by writers that were killed before they could clean up.

    A temporary file is stale when the process named in it no longer runs, or when it is older
    than an hour; the files of live writers are left alone. Returns what was removed.
    """
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        # Most names are issue files: two string tests rule them out before the pattern does.
        if not (entry.name.startswith(".") and entry.name.endswith(".tmp")):
            continue
        match = _TEMPORARY_NAME.match(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:
            continue  # its writer finished meanwhile
        if _process_is_running(int(match.group(1))) and age < STALE_TEMPORARY_SECONDS:
            continue
        Path(entry.path).unlink(missing_ok=True)
        removed.append(Path(entry.path))
    return removed


def sweep_project(config: Config) -> list[Path]:
    """Remove stale temporary files from every directory issuelog writes in.

    A write sweeps its own directory first; this also covers directories that the next run
    does not write in (an `init` re-run that finds every file in place).
    """
    directories = {config.root, config.issues_path, config.templates_path,
                   config.output_path.parent, config.root / ".issuelog" / "cache"}
    return [path for directory in sorted(directories) for path in remove_stale_temporaries(directory)]


def _process_is_running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    except (OverflowError, OSError):
        return False
    return True


def publish_new(path: Path, data: bytes) -> bool:
    """Write a complete file under a temporary name, then link it into place unless taken."""
    descriptor, temporary = _temporary_file(path)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        return True
    finally:
        Path(temporary).unlink(missing_ok=True)
