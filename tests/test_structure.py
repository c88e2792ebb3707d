"""The shape of the package: no import cycle between its modules (type-only imports count),
no block of code written twice, and every table declaration complete and consistent."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from betterstack_etl.extract.fetch import extractor
from betterstack_etl.tables import TABLES

SRC = Path(__file__).resolve().parents[2] / "src" / "betterstack_etl"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports() -> dict[str, set[str]]:
    """Every import statement of every module (lazy and TYPE_CHECKING ones included),
    resolved to the package's modules."""
    modules = {_module_name(p): p for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                    base = f"{base}.{node.module}" if node.module else base
                targets = [f"{base}.{a.name}" for a in node.names] + [base]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    # "from pkg import sub" names the submodule; keep only the most precise target
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_through_others() -> None:
    graph = _imports()
    # a package's __init__ re-exporting its submodules is not a cycle with them
    for name in list(graph):
        graph[name] = {t for t in graph[name] if not name.startswith(f"{t}.")}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_one() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.short_name)
def test_every_table_declares_a_working_extraction_and_its_preview(spec: object) -> None:
    from betterstack_etl.tables import TableSpec

    assert isinstance(spec, TableSpec)
    assert callable(extractor(spec))
    assert set(spec.key) <= set(spec.columns)
    assert set(spec.preview) <= set(spec.columns)
    assert spec.partition_by in spec.columns
    assert spec.open_while_null is None or spec.open_while_null in spec.columns
    assert len({s.name for s in TABLES}) == len({s.short_name for s in TABLES}) == len(TABLES)
