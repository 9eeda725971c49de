"""The package keeps the shape ARCHITECTURE.md draws: no import cycle, layers respected.

The import graph is read from the source with :mod:`ast` (every ``import`` in a
module, at top level or inside a function, except under ``if TYPE_CHECKING:``),
so a lazy import inside a function counts like any other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "ecograph"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str) -> list[tuple[str, str]]:
    """(imported module, imported name or '') for every runtime import of a module."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden.update(id(sub) for sub in ast.walk(node))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            out.extend((alias.name, "") for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package[: len(package) - node.level + 1]
                base = ".".join([*up, *([base] if base else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.append((sub, "") if sub in MODULES else (base, alias.name))
    return out


def _graph() -> nx.DiGraph:
    G = nx.DiGraph()
    G.add_nodes_from(MODULES)
    for name in MODULES:
        for target, _ in _imports(name):
            if target in MODULES and target != name:
                G.add_edge(name, target)
    return G


def test_the_import_graph_is_read_right() -> None:
    # the reader itself: known edges are there, so an empty graph cannot pass
    G = _graph()
    assert G.has_edge("ecograph.analysis.flow", "ecograph.analysis._linalg")
    assert G.has_edge("ecograph.cli", "ecograph.cli.compare")
    assert G.number_of_edges() > 100


def test_no_import_cycle_inside_the_package() -> None:
    cycles = [sorted(c) for c in nx.strongly_connected_components(_graph()) if len(c) > 1]
    assert cycles == []


def _external(name: str) -> set[str]:
    return {target.split(".")[0] for target, _ in _imports(name)}


def _internal(name: str) -> set[str]:
    return {target for target, _ in _imports(name) if target in MODULES}


@pytest.mark.parametrize("module", ["ecograph.model", "ecograph.compiled", "ecograph.errors"])
def test_the_core_knows_no_yaml_graph_library_or_page(module: str) -> None:
    assert not _external(module) & {"yaml", "networkx", "pyvis", "matplotlib", "click"}
    assert not {m for m in _internal(module) if m.startswith(("ecograph.render", "ecograph.cli"))}


@pytest.mark.parametrize(
    "module", sorted(m for m in MODULES if m.startswith("ecograph.analysis")), ids=str
)
def test_analyses_import_no_renderer_cli_or_yaml(module: str) -> None:
    assert not _external(module) & {"yaml", "click", "matplotlib", "pyvis"}
    assert not {m for m in _internal(module) if m.startswith(("ecograph.render", "ecograph.cli"))}
    # analyses read the compiled map, not the networkx graph
    assert "ecograph.graph" not in _internal(module)


def test_no_module_imports_another_modules_private_names() -> None:
    private = [
        (name, target, imported)
        for name in MODULES
        for target, imported in _imports(name)
        if target in MODULES
        and target != name
        and imported.startswith("_")
        and not imported.startswith("__")
    ]
    assert private == []


def test_only_the_cli_imports_click() -> None:
    users = {m for m in MODULES if "click" in _external(m)}
    assert users and all(m.startswith("ecograph.cli") for m in users)
