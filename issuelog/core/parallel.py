"""Parsing many issue files in worker processes."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

from issuelog.core.config import Config
from issuelog.core.model import Problem
from issuelog.core.parsing import ParsedFile, parse_file

#: Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_MINIMUM = 2000


def parse_files(paths: list[Path], config: Config, digest: str,
                minimum_for_workers: int | None = None) -> dict[str, ParsedFile | Problem]:
    """Parse and validate files, in worker processes when there are many and more than one core;
    what each file gave, by name. `minimum_for_workers` overrides `PARALLEL_MINIMUM`."""
    minimum = PARALLEL_MINIMUM if minimum_for_workers is None else minimum_for_workers
    workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1, 8)
    # Only `fork` starts workers cheaply (they inherit the loaded modules); elsewhere parse here.
    if len(paths) < minimum or workers < 2 or sys.platform != "linux":
        return {path.name: parse_file(path, config.root, config, digest) for path in paths}
    import multiprocessing  # only a large cold parse needs it

    size = max(64, len(paths) // (workers * 8))
    chunks = [paths[start:start + size] for start in range(0, len(paths), size)]
    parse_chunk = functools.partial(_parse_chunk, root=config.root, config=config, digest=digest)
    results: dict[str, ParsedFile | Problem] = {}
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for part in pool.imap(parse_chunk, chunks):
            results.update(part)
    return results


def _parse_chunk(paths: list[Path], root: Path, config: Config,
                 digest: str) -> list[tuple[str, ParsedFile | Problem]]:
    """In a worker: what each file gave, by name."""
    return [(path.name, parse_file(path, root, config, digest)) for path in paths]
