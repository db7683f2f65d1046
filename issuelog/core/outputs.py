"""The last output of a command that only reads, reused while nothing it is made from changed.

Like the rendered log, an output is kept in `.issuelog/cache/` under a digest of issuelog's code,
the configuration, the command's arguments (with the day, where ages count to it) and the name
and stamp of every issue file; one output a command, written only when no issue file
changed within the racy window. `analyze`, `metrics`, `list` and `check` on an unchanged project
then examine the files' stamps instead of loading 10,000 issues.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from issuelog.core.cache import scan_issue_files
from issuelog.core.cache_files import (
    CACHE_FORMAT,
    Stamp,
    all_trusted,
    code_fingerprint,
    library_stamp,
    read_cache,
    stamps_bytes,
    state_dir_or_none,
    write_cache,
)
from issuelog.core.config import Config
from issuelog.core.store import display_path


@dataclass
class KeptOutput:
    """Where one command's output is kept, under what key, and the scan the key was made from."""

    path: Path | None  # None where the cache directory cannot be created
    key: str
    #: The issue files' stamps: pass them on to `load_issues`, which then scans no more.
    stamps: list[Stamp]
    started: int  # time.time_ns() before the scan

    def value(self) -> Any:
        """The output kept for this key, or None."""
        return read_cache(self.path, self.key) if self.path is not None else None

    def keep(self, value: Any) -> None:
        """Keep an output (plain values only), unless a file changed too recently to trust."""
        if self.path is not None and all_trusted(self.stamps, self.started):
            write_cache(self.path, self.key, value)


def kept_output(config: Config, command: str, *arguments: object,
                libraries: tuple[str, ...] = ()) -> KeptOutput:
    """The kept output of `command` run with `arguments` on the issue files as they are now;
    `libraries`: the packages that write the output, beyond those `code_fingerprint` covers."""
    started = time.time_ns()  # before the files are examined, as for the rendered log
    stamps = scan_issue_files(config)
    digest = hashlib.sha256()
    installed = [library_stamp(library) for library in libraries]
    # Paths in an output are shown from the current directory: where it ran is part of the key.
    shown = display_path(config.issues_path, config)
    for part in (code_fingerprint(), repr(config), repr((command, arguments, installed, shown))):
        digest.update(part.encode())
    digest.update(stamps_bytes(stamps))
    directory = state_dir_or_none(config)
    path = directory / f"output-{command}-v{CACHE_FORMAT}.pickle" if directory else None
    return KeptOutput(path, digest.hexdigest(), stamps, started)
