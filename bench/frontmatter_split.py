"""python-frontmatter's own parsing against issuelog's splitter and loader, on generated issues.

Usage: python bench/frontmatter_split.py [--issues 10000] [--runs 5] [--workdir DIR]

Generates a project with `bench/generate.py` (once per size and seed), reads every issue file
into memory, then times, `--runs` times each and paired in the same round:

- `frontmatter.parse`: python-frontmatter's own parsing (its boundary regex, then its YAML
  handler), the values only;
- `issuelog`: `model.split_frontmatter` (the same boundary regex) then `model.load_frontmatter`,
  the values and the 1-based line of every top-level key (what `check` needs for `path:line`).

It reports the medians, the ratio of the medians, and how many files the two read to different
values (python-frontmatter's loader does not keep issuelog's typing of IDs, dates and sets).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import frontmatter

from issuelog.core.frontmatter_read import load_frontmatter, split_frontmatter

HERE = Path(__file__).resolve().parent


def issuelog_parse(text: str) -> tuple[Any, dict[str, int]]:
    """issuelog's reading of one file's frontmatter: values and key lines."""
    parts = split_frontmatter(text)
    if parts is None:
        return None, {}
    return load_frontmatter(parts[0])


def library_parse(text: str) -> Any:
    """python-frontmatter's reading of one file's frontmatter: values only."""
    return frontmatter.parse(text)[0]


def timed(parse: Callable[[str], Any], texts: list[str]) -> float:
    """Seconds to parse every text once."""
    start = time.perf_counter()
    for text in texts:
        parse(text)
    return time.perf_counter() - start


def main() -> None:
    """Generate, read, time and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/issuelog-bench-frontmatter"))
    options = parser.parse_args()
    project = options.workdir / str(options.issues)
    if not (project / "issues").is_dir():
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(project),
                        str(options.issues)], check=True)
    texts = [path.read_text(encoding="utf-8")
             for path in sorted((project / "issues").glob("*.md"))]
    different = sum(1 for text in texts if library_parse(text) != issuelog_parse(text)[0])
    library, own = [], []
    for _ in range(options.runs):
        library.append(timed(library_parse, texts))
        own.append(timed(issuelog_parse, texts))
    library_median, own_median = statistics.median(library), statistics.median(own)
    print(f"{len(texts)} files, {options.runs} runs, medians:")
    print(f"  frontmatter.parse (values only)           {library_median:.3f} s  "
          f"runs: {' '.join(f'{t:.3f}' for t in library)}")
    print(f"  issuelog split + load (values, key lines) {own_median:.3f} s  "
          f"runs: {' '.join(f'{t:.3f}' for t in own)}")
    print(f"  ratio frontmatter.parse / issuelog: {library_median / own_median:.2f}")
    print(f"  files read to different values: {different} of {len(texts)}")


if __name__ == "__main__":
    main()
