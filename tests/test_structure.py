"""The shape of the package (issue 18): a small top level, rooms by role that import only
downwards, no import cycle (type-only and lazy imports count), no oversized module, tests that
mirror the rooms, an honest ``__all__`` everywhere, and every table declaration complete."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from betterstack_etl.extract.fetch import extractor
from betterstack_etl.tables import TABLES

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "betterstack_etl"

# The rooms, lowest first: a module may import its own room and the rooms below it, never one
# above (the seed's shell, flow and tasks, sits on top; the catalogue and basics at the bottom).
LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(layer.split())
    for layer in (
        "__init__ errors clock constants secret rules literal lazy",
        "tables",
        "sla",
        "settings windows",
        "api simulator",
        "extract lake",
        "gcp",
        "report dbtgen",
        "run",
        "ops",
        "cli flow tasks",
    )
)
MAX_TOP_LEVEL_MODULES = 12
MAX_MODULE_LINES = 450


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


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _rank(module: str) -> int:
    room = _room(module)
    return next(i for i, layer in enumerate(LAYERS) if room in layer)


def _upward(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{name} -> {target}"
        for name, targets in graph.items()
        for target in targets
        if _rank(target) > _rank(name)
    )


def test_every_room_has_a_layer() -> None:
    rooms = {p.stem if p.is_file() else p.name for p in SRC.iterdir()} - {"__pycache__", "py"}
    rooms = {r for r in rooms if (SRC / r).is_dir() or (SRC / f"{r}.py").is_file()}
    assert rooms == set().union(*LAYERS)


def test_no_room_imports_one_above_it() -> None:
    assert _upward(_imports()) == []


def test_the_upward_finder_finds_one() -> None:
    assert _upward({"betterstack_etl.tables": {"betterstack_etl.run.steps"}}) == [
        "betterstack_etl.tables -> betterstack_etl.run.steps"
    ]


def test_the_top_level_stays_small() -> None:
    top = sorted(p.name for p in SRC.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


def test_no_module_is_oversized() -> None:
    sizes = {str(p.relative_to(SRC)): len(p.read_text().splitlines()) for p in SRC.rglob("*.py")}
    assert {k: v for k, v in sizes.items() if v > MAX_MODULE_LINES} == {}


def test_tests_mirror_the_rooms() -> None:
    rooms = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    folders = {p.name for p in (ROOT / "tests").iterdir() if p.is_dir()} - {"__pycache__"}
    assert rooms <= folders, sorted(rooms - folders)
    # besides the rooms: whole-pipeline runs, deployments, benchmarks, the BigQuery analyzer
    assert folders - rooms <= {"e2e", "deploy", "benchmarks", "zetasql", "dbt"}, sorted(folders)


def _all_drift(path: Path) -> list[str]:
    """Names listed in ``__all__`` that the module lacks, and public classes and functions it
    defines that ``__all__`` omits."""
    tree = ast.parse(path.read_text())
    listed: list[str] | None = None
    defined: set[str] = set()
    public: set[str] = set()
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        for t in targets:
            if isinstance(t, ast.Name):
                defined.add(t.id)
                if t.id == "__all__" and isinstance(value, ast.List | ast.Tuple):
                    listed = [str(e.value) for e in value.elts if isinstance(e, ast.Constant)]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
            if not node.name.startswith("_"):
                public.add(node.name)
        if isinstance(node, ast.ImportFrom | ast.Import):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
        if isinstance(node, ast.If | ast.Try):  # TYPE_CHECKING blocks, optional imports
            for sub in ast.walk(node):
                if isinstance(sub, ast.ImportFrom | ast.Import):
                    defined.update((a.asname or a.name).split(".")[0] for a in sub.names)
                elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    defined.add(sub.id)
    if "__getattr__" in defined:  # PEP 562: names served lazily (the package's __version__)
        defined.update(n for n in listed or () if n.startswith("__"))
    if listed is None:
        return [f"{path.relative_to(SRC)}: no __all__"] if public else []
    where = path.relative_to(SRC)
    return [f"{where}: __all__ lists missing {n}" for n in sorted(set(listed) - defined)] + [
        f"{where}: {n} not in __all__" for n in sorted(public - set(listed))
    ]


def test_every_all_is_honest() -> None:
    drift = [d for p in sorted(SRC.rglob("*.py")) for d in _all_drift(p)]
    assert drift == []


def test_the_all_guard_sees_a_drift(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('__all__ = ["gone"]\n\n\ndef kept() -> None: ...\n')
    global SRC
    saved, SRC = SRC, tmp_path
    try:
        assert _all_drift(module) == [
            "m.py: __all__ lists missing gone",
            "m.py: kept not in __all__",
        ]
    finally:
        SRC = saved
