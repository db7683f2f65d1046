"""The last output of a command that only reads, reused while nothing it is made from changed.

The outputs of whole commands made again only when their inputs change: the rendered log
(`render`, `project.logfile`), `check`, `list`, `analyze` and `metrics`. (The search index and the
HTML page's articles keep parts of an output, per file, with the same stamps.) An output is kept in
`.issuelog/cache/`, one a command, under two keys, both digests of issuelog's code, the
configuration, the command's arguments (with the day, where ages count to it), the current
directory (outputs show paths from it) and the templates when the command renders them:

- the stamps key adds the name and stamp of every issue file: found without reading a file.
  Kept only when no issue file changed within the racy window;
- the contents key, for an output that costs more to make than the issues to load (the log),
  adds the files' contents (their git blob IDs, once `load_issues` has read them) and leaves
  out where the project lies: a fresh checkout with a restored CI cache finds the log made
  from the same files in another directory.

`analyze`, `metrics`, `list`, `check` and `render` on an unchanged project then examine the files'
stamps instead of loading 10,000 issues.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
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
    templates_digest,
    write_cache,
)
from issuelog.core.config import Config
from issuelog.core.parsing import config_digest
from issuelog.core.store import display_path


@dataclass
class KeptOutput:
    """Where one command's output is kept, under what keys, and the scan the keys were made from."""

    path: Path | None  # None where the cache directory cannot be created
    stamps_key: str
    #: What the contents key is made of, besides the files' contents.
    inputs: bytes
    #: The issue files' stamps: pass them on to `load_issues`, which then scans no more.
    stamps: list[Stamp]
    started: int  # time.time_ns() before the scan
    _stored: tuple[str, str, Any] | None = field(default=None, repr=False)

    def _read(self) -> tuple[str, str, Any]:
        """The kept (stamps key, contents key, output), read once."""
        if self._stored is None:
            kept = read_cache(self.path, code_fingerprint()) if self.path is not None else None
            if isinstance(kept, tuple) and len(kept) == 3 and all(isinstance(key, str) for key in kept[:2]):
                self._stored = (kept[0], kept[1], kept[2])
            else:
                self._stored = ("", "", None)
        return self._stored

    def value(self) -> Any:
        """The output kept for these files, found by their stamps; None when there is none."""
        kept_key, _, value = self._read()
        return value if kept_key and kept_key == self.stamps_key else None

    def value_for_contents(self, contents: str) -> Any:
        """The output kept for files of these contents (`IssueSet.contents`), or None."""
        _, contents_key, value = self._read()
        return value if contents and contents_key == self._contents_key(contents) else None

    def keep(self, value: Any, contents: str = "") -> None:
        """Keep an output (plain values only): under the stamps key unless a file changed too
        recently to trust its stamp, under the contents key when `contents` is known."""
        keys = (self.stamps_key if all_trusted(self.stamps, self.started) else "",
                self._contents_key(contents) if contents else "")
        if self.path is not None and any(keys) and self._read()[:2] != keys:
            write_cache(self.path, code_fingerprint(), (*keys, value))
            self._stored = (*keys, value)

    def _contents_key(self, contents: str) -> str:
        return hashlib.sha256(self.inputs + contents.encode()).hexdigest()


def kept_file_name(command: str) -> str:
    """The name of the file in `.issuelog/cache/` that keeps a command's output."""
    return f"output-{command}-v{CACHE_FORMAT}.pickle"


def kept_output(config: Config, command: str, *arguments: object,
                libraries: tuple[str, ...] = (), templates: bool = False) -> KeptOutput:
    """The kept output of `command` run with `arguments` on the issue files as they are now;
    `libraries`: the packages that write the output, beyond those `code_fingerprint` covers;
    `templates`: whether the output is rendered from the templates."""
    started = time.time_ns()  # before the files are examined (see cache._parsed_issue_files)
    stamps = scan_issue_files(config)
    installed = [library_stamp(library) for library in libraries]
    # Paths in an output are shown from the current directory: where it ran is part of the key.
    shown = display_path(config.issues_path, config)
    common = hashlib.sha256()
    for part in (code_fingerprint(), repr((command, arguments, installed, shown))):
        common.update(part.encode() + b"\0")
    if templates:
        common.update(templates_digest(config))
    inputs = common.copy()
    # Not where the project lies: the same files and settings give the same output anywhere.
    inputs.update(config_digest(config).encode())
    located = common.copy()
    located.update(repr(config).encode())
    located.update(stamps_bytes(stamps))
    directory = state_dir_or_none(config)
    path = directory / kept_file_name(command) if directory else None
    return KeptOutput(path, located.hexdigest(), inputs.digest(), stamps, started)
