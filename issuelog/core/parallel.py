"""Parsing many issue files in worker processes, which send back parts of the parse cache."""

from __future__ import annotations

import functools
import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from issuelog.core.cache_files import load_plain
from issuelog.core.config import Config
from issuelog.core.model import Problem
from issuelog.core.parsing import ParsedFile, parse_file

#: Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_MINIMUM = 2000


def parse_files(paths: list[Path], config: Config, digest: str, minimum_for_workers: int | None,
                while_parsing: Callable[[], None]) -> tuple[dict[str, ParsedFile | Problem], list[bytes]]:
    """Parse and validate files, in worker processes when there are many and more than one core.

    Returns what each file gave, by name, and, from worker processes, their results pickled as
    parts of a parse cache. `while_parsing` runs here while the workers parse (or after parsing,
    without workers).
    """
    minimum = PARALLEL_MINIMUM if minimum_for_workers is None else minimum_for_workers
    workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1, 8)
    # Only `fork` starts workers cheaply (they inherit the loaded modules); elsewhere parse here.
    if len(paths) < minimum or workers < 2 or sys.platform != "linux":
        parsed: dict[str, ParsedFile | Problem] = {
            path.name: parse_file(path, config.root, config, digest) for path in paths}
        while_parsing()
        return parsed, []
    import multiprocessing  # only a large cold parse needs it

    size = max(64, len(paths) // (workers * 8))
    chunks = [paths[start:start + size] for start in range(0, len(paths), size)]
    parse_chunk = functools.partial(_parse_chunk, root=config.root, config=config, digest=digest)
    results: dict[str, ParsedFile | Problem] = {}
    parts: list[bytes] = []
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        pending = pool.imap(parse_chunk, chunks)
        while_parsing()
        # Each part is read here as it arrives, while the workers go on with the next ones.
        for part, problems in pending:
            entries = load_plain(part)
            if not isinstance(entries, dict):
                raise RuntimeError("a parsing worker sent back unreadable results")
            results.update((name, ParsedFile._make(entry)) for name, entry in entries.items())
            results.update(problems)
            parts.append(part)
    return results, parts


def _parse_chunk(paths: list[Path], root: Path, config: Config,
                 digest: str) -> tuple[bytes, list[tuple[str, Problem]]]:
    """In a worker: parse files; what they gave, pickled as a part of the parse cache, and the
    problems of the files that could not be read (which the cache does not keep)."""
    entries: dict[str, tuple[Any, ...]] = {}
    problems: list[tuple[str, Problem]] = []
    for path in paths:
        parsed = parse_file(path, root, config, digest)
        if isinstance(parsed, Problem):
            problems.append((path.name, parsed))
        else:
            entries[path.name] = tuple(parsed)
    return pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL), problems
