"""The tiny hand-made lake both engines read: the SLA tests' scenario (``tests/sla/scenario.py``,
every rule of SPEC §8.2 on a few rows), as Arrow tables typed by ``tables.py``, loaded into
DuckDB (with the DuckDB views) and given to ZetaSQL's evaluator under BigQuery names."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import duckdb

from betterstack_etl.sla import create_duckdb_views

if TYPE_CHECKING:
    from types import ModuleType

    import pyarrow as pa

    from betterstack_etl.sla import SlaOptions

_SLA_TESTS: Final = Path(__file__).resolve().parents[1] / "sla"
_PACKAGE: Final = "_zetasql_sla_scenario"  # tests/sla loaded under a private name


def _sla_module(name: str) -> ModuleType:
    """``tests/sla/<name>.py`` (a package with relative imports, outside this one)."""
    if _PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            _PACKAGE, _SLA_TESTS / "__init__.py", submodule_search_locations=[str(_SLA_TESTS)]
        )
        assert spec is not None
        assert spec.loader is not None
        package = importlib.util.module_from_spec(spec)
        sys.modules[_PACKAGE] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"{_PACKAGE}.{name}")


def scenario() -> Any:
    return _sla_module("scenario")


def raw_tables() -> dict[str, pa.Table]:
    """The scenario's raw tables by table name (Arrow, ``data_particao`` included)."""
    s = scenario()
    rows: Any = _sla_module("rows")
    tables: dict[str, pa.Table] = rows.raw_tables(
        s.INCIDENTS, s.MONITORS, s.SLAS, s.POINTS, s.COVERAGE
    )
    return tables


def duckdb_lake(options: SlaOptions) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the raw tables and the views (frozen at the scenario's now)."""
    conn = duckdb.connect()
    conn.execute("SET TimeZone = 'UTC'")
    for name, table in raw_tables().items():
        conn.register("incoming", table)
        conn.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
        conn.unregister("incoming")
    create_duckdb_views(conn, options=options, now=scenario().NOW)
    return conn
