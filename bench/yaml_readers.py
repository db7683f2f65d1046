"""YAML readers for issue frontmatter on generated issues: which read it exactly, how fast.

Usage: python bench/yaml_readers.py [--issues 10000] [--runs 5] [--workdir DIR] [--tricks]

Generates a project with `bench/generate.py` (once per size), reads every issue file into memory
and splits off its frontmatter, then, `--runs` times, times each reader over all the blocks in
the same round (CPU time, user + system, of this process) and reports the median in µs per file.
Each reader is also checked for exactness: on every generated block, and on YAML 1.1 probes
(`yes`, `010`, `1:20`, an impossible date, a repeated key), its value against issuelog's full
loader (`yaml_loader.load_yaml`). The native parsers are measured when installed
(`pip install rapidyaml yaml-rs ryaml`); they are no dependency of issuelog.

`--tricks` instead times `model.parse_issue` over all files (and `store.read_stamped` over all
paths) with and without each speed trick of the read path, paired in each round, and reports
the median of the pairs' gains in CPU time. Each timed pass starts with an empty memo, as a
process does. (The tricks of the full loader that the fast reader made obsolete were measured
by this script at commit 005657c, see bench/README.md.)
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import yaml

from issuelog.core import flat_yaml, model, store, yaml_loader
from issuelog.core.frontmatter_read import load_frontmatter, split_frontmatter

HERE = Path(__file__).resolve().parent

#: YAML 1.1 as issuelog reads it; a YAML 1.2 parser reads most of these differently.
PROBES = {
    "yes/no/on": "a: yes\nb: No\nc: on\n",
    "octal, hex, underscores": "a: 010\nb: 0x1F\nc: 1_000\n",
    "sexagesimal": "a: 1:20\n",
    "dates": "a: 2026-01-10\nb: 2026-01-10 09:30:00\nc: 2026-01-10T09:30:00+02:00\n",
    "impossible date kept": "a: 2026-02-30\n",
    "null": "a: ~\nb: null\nc:\n",
}
REPEATED_KEY = "a: 1\na: 2\n"


def _ryml_value(tree: Any, node: int) -> Any:
    import ryml  # type: ignore[import-not-found]

    if tree.is_map(node):
        return {bytes(tree.key(child)).decode(): _ryml_value(tree, child)
                for child in ryml.children(tree, node)}
    if tree.is_seq(node):
        return [_ryml_value(tree, child) for child in ryml.children(tree, node)]
    return None if tree.val_is_null(node) else bytes(tree.val(node)).decode()


def readers() -> dict[str, Callable[[str], Any]]:
    """Each candidate: a function from a frontmatter block to its value."""
    found: dict[str, Callable[[str], Any]] = {
        "yaml.load, CSafeLoader": lambda fm: yaml.load(fm, Loader=yaml.CSafeLoader),  # noqa: S506
        "IssueLoader, PyYAML's constructor (values only)": _constructed,
        "full loader (`yaml_loader.load_yaml`: SafeIssueLoader, values and key lines)": _full,
        "fast reader (`flat_yaml.read_flat`)": _flat_value,
        "`load_frontmatter` (fast, else full)": lambda fm: load_frontmatter(fm)[0],
    }
    if _installed("ryml"):
        import ryml

        found["rapidyaml: parse to its tree only (no values)"] = lambda fm: ryml.parse_in_arena(
            fm.encode())
        found["rapidyaml: tree to text values"] = lambda fm: _ryml_value(
            tree := ryml.parse_in_arena(fm.encode()), tree.root_id())
    if _installed("yaml_rs"):
        import yaml_rs  # type: ignore[import-not-found]

        found["yaml-rs `loads`"] = yaml_rs.loads
    if _installed("ryaml"):
        import ryaml  # type: ignore[import-not-found]

        found["ryaml `loads`"] = ryaml.loads
    return found


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _constructed(fm: str) -> Any:
    """PyYAML's own construction with issuelog's loader, without the alias check."""
    loader = yaml_loader.IssueLoader(fm)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


#: What the fast reader gives for a block it leaves to the full loader.
LEFT = "(left to the full loader)"


def _flat_value(fm: str) -> Any:
    flat = flat_yaml.read_flat(fm)
    return flat[0] if flat is not None else LEFT


def _reading(read: Callable[[str], Any], fm: str) -> str:
    try:
        return repr(read(fm))
    except Exception as error:  # noqa: BLE001 - a refusal is a reading too
        return f"error {type(error).__name__}"


def _full(fm: str) -> Any:
    return yaml_loader.load_yaml(fm)[0]


def exactness(read: Callable[[str], Any], blocks: list[str]) -> str:
    """How many blocks `read` reads as issuelog's full loader does, and the probes it misreads.

    A block the fast reader leaves counts as read alike: the full loader reads it then.
    """
    left = sum(_reading(read, fm) == repr(LEFT) for fm in blocks)
    same = sum(_reading(read, fm) in (_reading(_full, fm), repr(LEFT)) for fm in blocks)
    probes = [name for name, fm in PROBES.items()
              if _reading(read, fm) not in (_reading(_full, fm), repr(LEFT))]
    if not _reading(read, REPEATED_KEY).startswith(("error", repr(LEFT))):
        probes.append("repeated key accepted")
    verdict = "exact" if not probes else "differs: " + ", ".join(probes)
    return f"{same:,} of {len(blocks):,}{f' ({left:,} left)' if left else ''} | {verdict}"


def cpu_seconds(work: Callable[[], Any]) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def time_readers(blocks: list[str], runs: int) -> None:
    found = readers()
    exact = {name: exactness(read, blocks) for name, read in found.items()}
    times: dict[str, list[float]] = {name: [] for name in found}
    for _ in range(runs):
        for name, read in found.items():
            fresh()
            times[name].append(cpu_seconds(lambda read=read: [read(fm) for fm in blocks]))
    base = statistics.median(times["yaml.load, CSafeLoader"])
    print(f"{len(blocks):,} frontmatter blocks, {runs} runs, CPU time medians\n")
    print("| reader | µs per file | all files (s) | against CSafeLoader | same value as issuelog "
          "| YAML 1.1 probes |")
    print("|---|---:|---:|---:|---:|---|")
    for name, runs_of in times.items():
        median = statistics.median(runs_of)
        print(f"| {name} | {median / len(blocks) * 1e6:.1f} | {median:.3f} | {median / base:.2f}× "
              f"| {exact[name]} |")


@contextmanager
def _patched(target: Any, name: str, value: Any) -> Iterator[None]:
    old = getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        setattr(target, name, old)


def tricks() -> dict[str, Callable[[], AbstractContextManager[None]]]:
    """Each speed trick of the YAML read path, as the change that turns it off."""
    return {
        "fast reader (`flat_yaml.read_flat`)": lambda: _patched(flat_yaml, "ENABLED", False),
        "fast reader's memo of plain scalars": lambda: _patched(flat_yaml, "_MAX_REMEMBERED", 0),
    }


def read_buffered(path: Path, shown: str, root: Path) -> tuple[bytes | None, Any, Any]:
    """`store.read_stamped` without its tricks: a link check, then a buffered file object."""
    if path.is_symlink():
        raise SystemExit("no symbolic links in a generated project")
    with open(path, "rb") as handle:
        info = os.fstat(handle.fileno())
        return handle.read(store.MAX_FILE_BYTES + 1), None, info


def fresh() -> None:
    """Empty the memo, as in a new process: each timed pass parses every file once, as one run does."""
    flat_yaml._VALUES.clear()


def time_tricks(paths: list[Path], texts: list[str], runs: int) -> None:
    def parse_all() -> None:
        fresh()
        for path, text in zip(paths, texts, strict=True):
            model.parse_issue(path, text, path.name)

    print(f"`parse_issue` over {len(paths):,} files, {runs} paired runs, CPU time\n")
    print("| speed trick | with (µs per file) | without | gain |")
    print("|---|---:|---:|---:|")
    for name, off in tricks().items():
        with_, without = [], []
        for _ in range(runs):
            with_.append(cpu_seconds(parse_all))
            with off():
                without.append(cpu_seconds(parse_all))
        _row(name, with_, without, len(paths))
    root = paths[0].parent.parent
    with_, without = [], []
    for _ in range(runs):
        with_.append(cpu_seconds(lambda: [store.read_stamped(p, p.name, root) for p in paths]))
        without.append(cpu_seconds(lambda: [read_buffered(p, p.name, root) for p in paths]))
    _row("`store.read_stamped`: O_NOFOLLOW open, one `os.read` (the read, not `parse_issue`)",
         with_, without, len(paths))


def _row(name: str, with_: list[float], without: list[float], count: int) -> None:
    gain = statistics.median([1 - a / b for a, b in zip(with_, without, strict=True)])
    print(f"| {name} | {statistics.median(with_) / count * 1e6:.1f} | "
          f"{statistics.median(without) / count * 1e6:.1f} | {gain:.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/issuelog-bench-yaml"))
    parser.add_argument("--tricks", action="store_true")
    options = parser.parse_args()
    project = options.workdir / str(options.issues)
    if not (project / "issues").is_dir():
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(project),
                        str(options.issues)], check=True)
    paths = sorted((project / "issues").glob("*.md"))
    texts = [path.read_text(encoding="utf-8") for path in paths]
    if options.tricks:
        time_tricks(paths, texts, options.runs)
        return
    blocks = []
    for text in texts:
        parts = split_frontmatter(text)
        assert parts is not None
        blocks.append(parts[0])
    time_readers(blocks, options.runs)


if __name__ == "__main__":
    main()
