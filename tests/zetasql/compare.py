"""Comparing what the two engines say: DuckDB's column types as BigQuery's, and rows (floats
to 1e-9 relative, everything else exactly)."""

from __future__ import annotations

import math
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from .analyzer import Column

# DuckDB type → the BigQuery type a view of the same column has. What is not here (HUGEINT,
# DECIMAL, UBIGINT, ...) has no faithful BigQuery twin: a view producing it is a drift.
_DUCKDB_TO_BIGQUERY: Final = {
    "VARCHAR": "STRING",
    "BIGINT": "INT64",
    "INTEGER": "INT64",
    "DOUBLE": "FLOAT64",
    "BOOLEAN": "BOOL",
    "DATE": "DATE",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "TIMESTAMP": "DATETIME",
}


def bigquery_type_of(duckdb_type: str) -> str:
    """``BIGINT`` → ``INT64``, ``VARCHAR[]`` → ``ARRAY<STRING>``; ``?HUGEINT`` when none."""
    if duckdb_type.endswith("[]"):
        return f"ARRAY<{bigquery_type_of(duckdb_type[:-2])}>"
    return _DUCKDB_TO_BIGQUERY.get(duckdb_type, f"?{duckdb_type}")


def duckdb_columns(conn: duckdb.DuckDBPyConnection, sql: str) -> list[Column]:
    """The output columns of a DuckDB query, typed as BigQuery types."""
    return [
        (name, bigquery_type_of(kind))
        for name, kind, *_ in conn.execute(f"DESCRIBE {sql}").fetchall()
    ]


def column_differences(zetasql: list[Column], duckdb: list[Column]) -> list[str]:
    """One line per column whose name, position or type differs (empty: the same)."""
    lines = []
    for i in range(max(len(zetasql), len(duckdb))):
        ours = zetasql[i] if i < len(zetasql) else ("-", "-")
        theirs = duckdb[i] if i < len(duckdb) else ("-", "-")
        if ours != theirs:
            lines.append(
                f"column {i + 1}: BigQuery {ours[0]} {ours[1]}, DuckDB {theirs[0]} {theirs[1]}"
            )
    return lines


def _close(a: Any, b: Any, path: str, out: list[str]) -> None:
    if is_dataclass(a) and is_dataclass(b) and not isinstance(a, type) and not isinstance(b, type):
        _close(asdict(a), asdict(b), path, out)
    elif isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            out.append(f"{path}: keys {sorted(a)} != {sorted(b)}")
            return
        for key in a:
            _close(a[key], b[key], f"{path}.{key}", out)
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} items != {len(b)}")
            return
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{path}[{i}]", out)
    elif isinstance(a, float) and isinstance(b, float):
        if not (
            math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) or (math.isnan(a) and math.isnan(b))
        ):
            out.append(f"{path}: {a!r} != {b!r}")
    elif type(a) is not type(b) and not (isinstance(a, int) and isinstance(b, int)):
        out.append(f"{path}: {a!r} ({type(a).__name__}) != {b!r} ({type(b).__name__})")
    elif a != b:
        out.append(f"{path}: {a!r} != {b!r}")


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two values (nested dataclasses, dicts, lists, numbers) differ; floats to 1e-9."""
    out: list[str] = []
    _close(a, b, path or "value", out)
    return out


def sorted_rows(table: pa.Table) -> list[dict[str, Any]]:
    """The rows, in an order that does not depend on the engine (floats left out of the key)."""
    rows = table.to_pylist()

    def key(row: dict[str, Any]) -> tuple[tuple[bool, str], ...]:
        return tuple((v is None, str(v)) for v in row.values() if not isinstance(v, float))

    return sorted(rows, key=key)
