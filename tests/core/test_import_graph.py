"""The import graph of `cds_hooks/` and `service/` has no cycle (house style 12), and the arrow runs one way.

Every module is parsed (not imported), every intra-project import is resolved to the module it names
(`from a import b` is the module `a.b` when that exists, else `a`), and the graph is searched for cycles.
Imports under `if TYPE_CHECKING:` count too: a cycle of types is still a cycle of design.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("cds_hooks", "service")


def build_module_names() -> dict[str, Path]:
    """Return every module of the project's packages by dotted name."""
    names: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            names[".".join(parts)] = path
    return names


def extract_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Return the project modules that module `name` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in modules else base)
    return {target for target in found if target in modules and target != name}


def _absolute(node: ast.ImportFrom, package: str) -> str:
    """Return the absolute module an ImportFrom names (relative imports resolved against `package`)."""
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    base = parts[: len(parts) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def build_import_graph() -> dict[str, set[str]]:
    """Return the project's import graph: module -> modules it imports."""
    modules = build_module_names()
    return {name: extract_imports(name, path, modules) for name, path in modules.items()}


def find_components(graph: dict[str, set[str]]) -> list[set[str]]:
    """Return the strongly connected components of two or more modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: set[str] = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [component for component in components if len(component) > 1]


def find_cycles(graph: dict[str, set[str]]) -> Iterator[list[str]]:
    """Yield one cycle (as a path that returns to its start) per tangle of mutually importing modules."""
    for component in find_components(graph):
        yield _cycle_in(min(component), component, graph)


def _cycle_in(start: str, component: set[str], graph: dict[str, set[str]]) -> list[str]:
    """Return a shortest path from `start` back to itself inside one strongly connected component."""
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for target in sorted(graph[node] & component):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    nxt.append(target)
        frontier = nxt
    raise AssertionError(f"no cycle through {start}")  # unreachable for a component of two or more


def test_the_import_graph_has_no_cycle() -> None:
    graph = build_import_graph()
    assert len(graph) > 40 and "service.app" in graph and "cds_hooks.registry" in graph
    cycles = [" -> ".join(cycle) for cycle in find_cycles(graph)]
    tangled = sorted(m for component in find_components(graph) for m in component)
    assert cycles == [], f"import cycles: {cycles}; modules caught in them: {tangled}"


def test_the_core_never_imports_the_service() -> None:
    graph = build_import_graph()
    wrong = {(m, t) for m, targets in graph.items() if m.startswith("cds_hooks") for t in targets}
    assert {(m, t) for m, t in wrong if t.startswith("service")} == set()


def test_blueprints_and_adapters_never_import_the_factory() -> None:
    graph = build_import_graph()
    importers = {m for m, targets in graph.items() if "service.app" in targets}
    assert importers <= {"service.cli.serve", "service.cli.demo", "service.server"}, importers


def test_the_cycle_finder_names_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert list(find_cycles(graph)) == [["a", "b", "c", "a"]]
    assert list(find_cycles({"a": {"b"}, "b": set()})) == []
