"""The files under `.issuelog/cache/`: where they live, what code they are valid for, and how
they are read and written.

A cache file is a pickle of `{"fingerprint": ..., "payload": ...}`: read back only by code with
the same fingerprint, and only as plain values and dates (`load_plain`), so that a cache file,
restored from a CI cache or planted in a checkout, can never run code. Written atomically and
without fsync: a cache damaged by a crash of the machine reads as empty.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import io
import marshal
import os
import pickle
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from issuelog import __version__
from issuelog.core.atomic_write import write_bytes_atomic
from issuelog.core.config import Config, builtin_templates_dir
from issuelog.core.store import state_dir
from issuelog.errors import IssueFileError

#: Bumped whenever the layout of a cache file changes; part of every cache file's name.
CACHE_FORMAT = 5
PARSED_CACHE = f"parsed-v{CACHE_FORMAT}.pickle"

#: A file modified this close to the moment a cache is written is not trusted to it: an edit that
#: keeps the size within the file system's timestamp granularity would keep the mtime too.
RACY_NS = 2_000_000_000

#: The libraries whose behaviour decides what a file parses or renders to.
_LIBRARIES = ("yaml", "frontmatter", "jinja2")

#: What a cache file may contain besides plain values: the types YAML's safe loader produces,
#: and the stand-in for a date that does not exist (kept among unknown keys' values).
_ALLOWED_GLOBALS = frozenset({
    ("datetime", "date"), ("datetime", "datetime"), ("datetime", "timezone"),
    ("datetime", "timedelta"), ("builtins", "frozenset"), ("builtins", "set"),
    ("issuelog.core.yaml_values", "InvalidDate"),
})

FileStamp = tuple[int, int, int, int]
"""A file's size, mtime and ctime in nanoseconds, and inode: what decides whether a cache entry
still holds. As in git's index, the ctime and inode catch the changes that keep size and mtime:
a file swapped with `mv`, reset with `touch -d` or `cp -p`, or made unreadable by `chmod`."""

#: The stamp of a file that cannot be examined (or a symbolic link): matches no cache entry.
UNSTAMPED: FileStamp = (-1, -1, -1, -1)

Stamp = tuple[str, FileStamp]
"""A file's name and stamp."""


def file_stamp(info: os.stat_result) -> FileStamp:
    """The stamp of a file examined with `os.stat`."""
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino


class _PlainUnpickler(pickle.Unpickler):
    """Loads only plain values and dates: a cache file can never run code."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache file")
        return super().find_class(module, name)


@functools.cache
def code_fingerprint() -> str:
    """A digest of the code that turns files into issues and issues into a log.

    Made of the sources' contents, not their time stamps: a fresh checkout or installation of
    the same code reads the caches that another one wrote. Made once a process, from the files
    as they were when it was first asked for: the code that runs.
    """
    parts: list[object] = [CACHE_FORMAT, __version__, sys.version]
    package = Path(__file__).parent.parent  # issuelog/, above core/
    sources = sorted(package.rglob("*.py"))
    for library in _LIBRARIES:
        spec = importlib.util.find_spec(library)
        if spec is not None and spec.origin:
            sources.append(Path(spec.origin))
    digest = hashlib.sha256(repr(parts).encode())
    for path in sources:
        digest.update(str(path.relative_to(package) if path.is_relative_to(package) else path.name)
                      .encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"\0missing")
    return digest.hexdigest()


def read_cache(path: Path, fingerprint: str) -> Any:
    """The payload of a cache file written by this code, or None (missing, foreign, damaged)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    stored = load_plain(data)
    if not isinstance(stored, dict) or stored.get("fingerprint") != fingerprint:
        return None
    return stored.get("payload")


def load_plain(data: bytes) -> Any:
    """Unpickle plain values and dates only; None for anything damaged or foreign."""
    try:
        return _PlainUnpickler(io.BytesIO(data)).load()
    except Exception:  # damaged bytes fail in many ways (a huge timedelta: OverflowError)
        return None


def write_cache(path: Path, fingerprint: str, payload: Any) -> None:
    """Replace a cache file atomically; a cache that cannot be written is simply not kept."""
    try:
        data = pickle.dumps({"fingerprint": fingerprint, "payload": payload},
                            protocol=pickle.HIGHEST_PROTOCOL)
        write_bytes_atomic(path, data, durable=False)
    # write_bytes_atomic reports an OSError as IssueFileError; a very deep value cannot be pickled.
    except (OSError, IssueFileError, RecursionError):
        return


def library_stamp(library: str) -> tuple[str, int, int] | None:
    """Where a package is installed and its `__init__`'s size and mtime (found, not imported):
    what a cache of its output is keyed on, so that an upgrade makes it again."""
    spec = importlib.util.find_spec(library)
    if spec is None or spec.origin is None:
        return None
    try:
        info = os.stat(spec.origin)
    except OSError:
        return None
    return spec.origin, info.st_size, info.st_mtime_ns


def templates_digest(config: Config) -> bytes:
    """A digest of every template file, the project's and the built-in ones, names and bytes."""
    digest = hashlib.sha256()
    for directory in (config.templates_path, builtin_templates_dir()):
        for path in sorted(directory.rglob("*")) if directory.is_dir() else ():
            if path.is_file():
                digest.update(repr(path.relative_to(directory)).encode())
                digest.update(path.read_bytes())
    return digest.digest()


def stamps_bytes(stamps: list[Stamp]) -> bytes:
    """A scan's stamps as bytes, for a cache key (marshal: three times quicker than `repr`)."""
    return marshal.dumps(stamps)


def is_trusted(stamp: FileStamp, now_ns: int) -> bool:
    """Whether a cache may keep a file by this stamp, taken at `now_ns`: it was examined, and its
    mtime is older than RACY_NS, so a later change cannot keep the same time stamp.

    As in git, the racy rule reads the mtime only; the ctime is compared for equality.
    """
    return 0 <= stamp[1] < now_ns - RACY_NS


def all_trusted(stamps: Iterable[Stamp], now_ns: int) -> bool:
    """Whether every file of a scan `is_trusted`: an output made from them may be kept by stamps."""
    return all(is_trusted(stamp, now_ns) for _, stamp in stamps)


def state_dir_or_none(config: Config) -> Path | None:
    """The cache directory, or None where it cannot be created (a read-only checkout)."""
    try:
        return state_dir(config)
    except OSError:
        return None
