"""The state of the pipeline and of what landed, without writing SQL (``status``, ``tables``,
``describe``): read from the run ledger ``eai_gateway_runs`` and the tables' views, on the local
lake (DuckDB) or in BigQuery alike (the same portable SQL through a ``ViewSource``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from betterstack_etl.errors import ConfigError
from betterstack_etl.tables import RUNS, TABLES

if TYPE_CHECKING:
    from betterstack_etl.report import ViewSource

__all__ = [
    "LandedTable",
    "TableState",
    "describe",
    "landed",
    "since",
    "table_states",
]

KNOWN = {t.name: t for t in (*TABLES, RUNS)}


@dataclass(frozen=True, slots=True)
class TableState:
    """One table in the ledger: its last run, and its last successful load."""

    table: str
    run_id: str
    status: str
    started_at: datetime
    rows_inserted: int
    rows_updated: int
    partitions: int
    error: str | None
    last_ok: datetime | None


@dataclass(frozen=True, slots=True)
class LandedTable:
    """What a table holds: rows, partitions, the newest partition, its columns and types."""

    table: str
    rows: int
    partitions: int
    newest: date | None
    columns: tuple[tuple[str, str], ...] = ()


def _utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def table_states(source: ViewSource) -> list[TableState]:
    """Per table, its latest ledger row and when it last loaded without error (empty when no
    run has written the ledger yet)."""
    if not source.exists(RUNS.name):
        return []
    ref = source.ref(RUNS.name)
    sql = f"""
SELECT l.table_name, l.run_id, l.status, l.started_at, l.rows_inserted, l.rows_updated,
       l.partitions, l.error, ok.last_ok
FROM (
  SELECT table_name, run_id, status, started_at, rows_inserted, rows_updated, partitions, error,
         ROW_NUMBER() OVER (PARTITION BY table_name ORDER BY started_at DESC, run_id DESC) AS n
  FROM {ref}
) AS l
LEFT JOIN (
  SELECT table_name, MAX(finished_at) AS last_ok FROM {ref} WHERE status = 'ok'
  GROUP BY table_name
) AS ok ON ok.table_name = l.table_name
WHERE l.n = 1
ORDER BY l.table_name
"""  # noqa: S608 - the names come from the table declarations
    return [
        TableState(
            table=r["table_name"],
            run_id=r["run_id"],
            status=r["status"],
            started_at=_utc(r["started_at"]),
            rows_inserted=int(r["rows_inserted"] or 0),
            rows_updated=int(r["rows_updated"] or 0),
            partitions=int(r["partitions"] or 0),
            error=r["error"],
            last_ok=_utc(r["last_ok"]),
        )
        for r in source.query(sql).to_pylist()
    ]


def since(moment: datetime | None, now: datetime) -> str:
    """``47 min ago``, ``3 h ago``, ``2 days ago``; ``never`` for None."""
    if moment is None:
        return "never"
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min ago"
    return f"{seconds // 86400} days ago"


def _stats(source: ViewSource, name: str) -> LandedTable:
    ref = source.ref(name)
    sql = f"SELECT count(*) AS n, count(DISTINCT data_particao) AS p, max(data_particao) AS newest FROM {ref}"  # noqa: E501, S608
    row = source.query(sql).to_pylist()[0]
    newest = row["newest"]
    if isinstance(newest, datetime):
        newest = newest.date()
    elif isinstance(newest, str):
        newest = date.fromisoformat(newest[:10])
    return LandedTable(name, int(row["n"]), int(row["p"]), newest)


def landed(source: ViewSource) -> list[LandedTable]:
    """Rows, partitions and the newest partition of every table (the ledger last)."""
    return [_stats(source, t.name) for t in (*TABLES, RUNS) if source.exists(t.name)]


def describe(source: ViewSource, name: str) -> LandedTable:
    """One table: its statistics and its columns with their types, as the engine reads them."""
    spec = KNOWN.get(name) or next(
        (t for t in KNOWN.values() if name in (t.short_name, t.short_name.replace("_", "-"))),
        None,
    )
    if spec is None:
        raise ConfigError(
            f"no table {name!r}", hint=f"use one of {', '.join(sorted(KNOWN))} (see `tables`)"
        )
    if not source.exists(spec.name):
        raise ConfigError(f"{spec.name} is not in the lake yet", hint="run the pipeline first")
    schema = source.query(f"SELECT * FROM {source.ref(spec.name)} LIMIT 0").schema  # noqa: S608
    stats = _stats(source, spec.name)
    columns = tuple((f.name, str(f.type)) for f in schema)
    return LandedTable(stats.table, stats.rows, stats.partitions, stats.newest, columns)
