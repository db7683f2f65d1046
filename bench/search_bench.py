"""Search at 10,000 issues: issuelog's own BM25 index against bm25s, in the same run.

Usage: python bench/search_bench.py [N] [--dir DIRECTORY]

Generates N issues with bench/generate.py (seed 7), then times, for each engine: the cold cost
(parse every file and build the index) and warm queries (index ready; for issuelog, read back
from its cache file as `issuelog search` does). Prints one Markdown table row per figure.
The machine may be busy: only the two engines measured in the same run compare.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUERIES = ("connection timeout", "memory leak worker", "login form crashes",
           "retry queue restart", "schema index lock", "null header token")


def _time(function: object, repeat: int = 5) -> float:
    """The median of `repeat` calls, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    """Generate the project, measure both engines, print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("count", type=int, nargs="?", default=10_000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp()) / "project"
    if not (root / "issues").is_dir():
        subprocess.run([sys.executable, str(Path(__file__).with_name("generate.py")), str(root),
                        str(args.count)], check=True, stdout=subprocess.DEVNULL)
    from issuelog.core.cache import load_issues
    from issuelog.core.config import load_config
    from issuelog.core.store import state_dir
    from issuelog.search.index import (
        COUNTS_CACHE,
        INDEX_CACHE,
        SearchFilters,
        build_index,
        issue_fields,
        load_index,
        rank,
        search,
        tokens,
    )

    config = load_config(root)
    load_issues(config, bodies=True)  # the parse cache, as after any earlier command
    for name in (INDEX_CACHE, COUNTS_CACHE):
        (state_dir(config) / name).unlink(missing_ok=True)
    started = time.perf_counter()
    load_index(config)
    cold = time.perf_counter() - started
    # One issue edited (and aged past the racy window, as a file edited a minute ago).
    edited = sorted((root / "issues").glob("*.md"))[5]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nkerberos\n", encoding="utf-8")
    os.utime(edited, (time.time() - 60, time.time() - 60))
    started = time.perf_counter()
    load_index(config)
    one_edit = time.perf_counter() - started
    every = SearchFilters(include_closed=True)
    warm = _time(lambda: [search(config, query, every, limit=10) for query in QUERIES]) / len(QUERIES)
    index = load_index(config)
    rank_only = _time(lambda: [rank(index, query, every, config, 10) for query in QUERIES]) / len(QUERIES)
    issues = load_issues(config, bodies=True).issues
    started = time.perf_counter()
    fields = [issue_fields(issue) for issue in issues]
    extract = time.perf_counter() - started
    build = _time(lambda: build_index(issues), repeat=1)
    print(f"| issuelog BM25 | {len(issues)} | cold (parse cache warm, index built and saved) "
          f"{cold:.2f} s; after one edit {one_edit:.2f} s; build alone {build:.2f} s, "
          "of which reading the sections "
          f"{extract:.2f} s | warm search (cache read + rank + excerpts) "
          f"{warm * 1000:.0f} ms; rank alone {rank_only * 1000:.1f} ms |")
    def run(*args: str) -> None:
        subprocess.run([sys.executable, "-m", "issuelog", *args], cwd=root, check=True,
                       stdout=subprocess.DEVNULL)

    process = _time(lambda: run("search", "connection", "timeout", "--all"))
    version = _time(lambda: run("--version"))
    print(f"| `issuelog search` process | {len(issues)} | | {process * 1000:.0f} ms, of which "
          f"{version * 1000:.0f} ms start-up (`issuelog --version`) |")
    started = time.perf_counter()
    try:
        import bm25s
    except ImportError:
        print("| bm25s | not installed |")
        return
    imported = time.perf_counter() - started
    texts = [" ".join(" ".join(tokens(text)) for _, text, weight in parts for _ in range(weight))
             for parts in fields]
    started = time.perf_counter()
    corpus = bm25s.tokenize(texts, stopwords=None, show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    bm_build = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as saved:
        retriever.save(saved)
        load_time = _time(lambda: bm25s.BM25.load(saved), repeat=3)

    def query_all() -> None:
        for query in QUERIES:
            retriever.retrieve(bm25s.tokenize([" ".join(tokens(query))], stopwords=None,
                                              show_progress=False), k=10, show_progress=False)

    bm_warm = _time(query_all) / len(QUERIES)
    print(f"| bm25s {bm25s.__version__} | {len(issues)} | build {bm_build:.2f} s (after parsing) "
          f"| warm query {bm_warm * 1000:.1f} ms; index load from disk {load_time * 1000:.0f} ms; "
          f"`import bm25s` (numpy, scipy) {imported * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
