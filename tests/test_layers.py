"""Imports only point down the layers, and no modules import each other in a cycle.

Every `import` in the package is read with `ast`, the ones inside functions included (an import
made lazily for speed is still a dependency). `LAYERS` is the one statement of the order;
docs/architecture.md shows it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "issuelog"

#: Lowest first. A module may import from its own layer and the layers below it, never above.
#: An entry names a module or a package (every module under it).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("errors", ("issuelog", "issuelog.errors")),
    ("core: clock", ("issuelog.core.clock",)),
    ("core: config", ("issuelog.core.config",)),
    ("core: atomic writes", ("issuelog.core.atomic_write",)),
    # Frontmatter read: PyYAML's loaders, the fast reader of flat blocks, the fences and split.
    ("core: frontmatter reading",
     ("issuelog.core.yaml_values", "issuelog.core.yaml_loader", "issuelog.core.flat_yaml",
      "issuelog.core.frontmatter_read")),
    ("core: model", ("issuelog.core.model", "issuelog.core.sections")),
    ("core: frontmatter editor", ("issuelog.core.frontmatter_edit",)),
    ("core: store", ("issuelog.core.store",)),
    # The git plumbing: the one module that runs git, below everything that asks git anything.
    ("git plumbing", ("issuelog.git.gitrepo",)),
    ("core: cache files, parsing",
     ("issuelog.core.cache_files", "issuelog.core.parsing", "issuelog.core.parallel")),
    ("core: cache", ("issuelog.core.cache", "issuelog.core.outputs")),
    ("core: edits", ("issuelog.core.edits", "issuelog.core.timeline")),
    ("log: stats", ("issuelog.log.stats", "issuelog.log.timings")),
    ("log: weeks, tables", ("issuelog.log.weeks", "issuelog.log.log_tables")),
    ("log: summary", ("issuelog.log.summary",)),
    ("log: analysis, changes",
     ("issuelog.log.error_analysis", "issuelog.log.metric_counts", "issuelog.log.changes")),
    ("log: charts, listing", ("issuelog.log.charts", "issuelog.log.listing")),
    ("log: formatting", ("issuelog.log.formatting", "issuelog.log.sandbox", "issuelog.log.yaml_text")),
    ("log: HTML values", ("issuelog.log.html_values",)),
    ("log: render", ("issuelog.log.render",)),
    ("log: articles", ("issuelog.log.articles",)),
    ("log: export", ("issuelog.log.export",)),
    ("project", ("issuelog.project",)),
    ("git, ops, importer, integrations",
     ("issuelog.git", "issuelog.ops", "issuelog.importer", "issuelog.integrations", "issuelog.search")),
    ("cli", ("issuelog.cli",)),
    ("entry point", ("issuelog.entry", "issuelog.__main__")),
)


def module_name(path: Path) -> str:
    """`issuelog/core/store.py` as `issuelog.core.store`; a package's `__init__.py` as the package."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    """Every module of the package by its dotted name."""
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(path: Path, modules: dict[str, Path]) -> dict[str, int]:
    """The package's modules that `path` imports anywhere in it, with the first line of each."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            # `from issuelog.core import cache` imports the module `issuelog.core.cache`
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        for target in targets:
            if target in modules and target != name:
                found.setdefault(target, node.lineno)
    return found


def layer_of(module: str) -> int:
    """The index in LAYERS of the most specific entry that names `module`."""
    best = (-1, -1)
    for index, (_, entries) in enumerate(LAYERS):
        for entry in entries:
            if (module == entry or module.startswith(entry + ".")) and len(entry) > best[1]:
                best = (index, len(entry))
    return best[0]


def import_graph() -> dict[str, dict[str, int]]:
    """Each module with the package modules it imports."""
    modules = all_modules()
    return {name: imported_modules(path, modules) for name, path in modules.items()}


def upward_imports(graph: dict[str, dict[str, int]]) -> list[str]:
    """`a.py:LINE: a (layer) imports b (a higher layer)` for every import that points up."""
    found = []
    for module, imports in sorted(graph.items()):
        for target, line in sorted(imports.items()):
            if layer_of(target) > layer_of(module):
                found.append(f"{module}:{line}: {module} ({LAYERS[layer_of(module)][0]}) imports "
                             f"{target} ({LAYERS[layer_of(target)][0]})")
    return found


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Each import cycle once, as the modules along it."""
    found: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, {})):
            if state.get(target) == 1:
                cycle = path[path.index(target):]
                if frozenset(cycle) not in seen:
                    seen.add(frozenset(cycle))
                    found.append([*cycle, target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    return found


def test_every_module_has_a_layer() -> None:
    unplaced = [name for name in all_modules() if layer_of(name) < 0]
    assert unplaced == [], f"add these modules to LAYERS in tests/test_layers.py: {unplaced}"


def test_imports_only_point_down() -> None:
    upward = upward_imports(import_graph())
    assert upward == [], "imports that point up the layers:\n" + "\n".join(upward)


def test_no_import_cycles() -> None:
    found = cycles(import_graph())
    assert found == [], "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


def test_the_checks_see_lazy_imports_and_cycles() -> None:
    """The checks themselves: an import inside a function counts, and a cycle is named."""
    graph = {"issuelog.core.store": {"issuelog.core.cache": 3},
             "issuelog.core.cache": {"issuelog.core.store": 9}}
    assert upward_imports(graph) == [
        "issuelog.core.store:3: issuelog.core.store (core: store) imports issuelog.core.cache (core: cache)"]
    assert cycles(graph) == [["issuelog.core.cache", "issuelog.core.store", "issuelog.core.cache"]]
    # `render` imports the log's module inside the command function only
    commands = imported_modules(PACKAGE / "cli" / "every_commit.py", all_modules())
    assert "issuelog.project.logfile" in commands


@pytest.mark.parametrize("name", ["issuelog.core.store", "issuelog.log.render", "issuelog.cli.app"])
def test_known_modules_are_placed(name: str) -> None:
    assert layer_of(name) >= 0


def test_architecture_document_shows_the_layers() -> None:
    """docs/architecture.md names every layer of LAYERS, in this order."""
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    positions = [text.find(f"`{title}`") for title, _ in LAYERS]
    assert -1 not in positions, [title for (title, _), at in zip(LAYERS, positions, strict=True) if at < 0]
    assert positions == sorted(positions)
