"""Raw-table rows (typed as tables.py declares them) from the oracle's records, and helpers to
load them into DuckDB and read the views back."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from betterstack_etl.tables import (
    COVERAGE,
    DAILY_SLA,
    INCIDENTS,
    MONITORS,
    PARTITION_COLUMN,
    RESPONSE_TIMES,
    TableSpec,
)

from .oracle import Cov, Inc, Mon, Sla

EXTRACTED = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
Point = tuple[str, str, datetime, float]


def _table(spec: TableSpec, rows: list[dict[str, Any]], partition: list[date]) -> pa.Table:
    defaults = {"raw": "{}", "_extracted_at": EXTRACTED, "_run_id": "test"}
    columns = {
        field.name: pa.array(
            [r.get(field.name, defaults.get(field.name)) for r in rows], field.type
        )
        for field in spec.schema
    }
    columns[PARTITION_COLUMN] = pa.array(partition, pa.date32())
    return pa.table(columns)


def incident_table(incidents: list[Inc]) -> pa.Table:
    rows = [
        {
            "incident_id": i.incident_id,
            "monitor_id": i.monitor_id,
            "started_at": i.started_at,
            "resolved_at": i.resolved_at,
            "acknowledged_at": i.acknowledged_at,
            "cause": i.cause,
            "status": i.status or ("Resolved" if i.resolved_at else "Started"),
            "raw": json.dumps({"id": i.incident_id}),
        }
        for i in incidents
    ]
    return _table(INCIDENTS, rows, [i.started_at.astimezone(UTC).date() for i in incidents])


def monitor_table(monitors: list[Mon]) -> pa.Table:
    rows = [
        {
            "monitor_id": m.monitor_id,
            "pronounceable_name": m.name,
            "created_at": m.created_at,
            "check_frequency": m.check_frequency,
            "paused_at": m.paused_at,
            "_extracted_at": m.extracted_at,
            "raw": json.dumps(
                {"id": m.monitor_id, "type": "monitor", "attributes": _attributes(m)}
            ),
        }
        for m in monitors
    ]
    return _table(MONITORS, rows, [m.extracted_at.astimezone(UTC).date() for m in monitors])


def _attributes(m: Mon) -> dict[str, Any]:
    window = m.maintenance
    return {
        "pronounceable_name": m.name,
        "paused_at": None if m.paused_at is None else m.paused_at.isoformat(),
        "monitor_group_id": None if m.group is None else int(m.group),
        "maintenance_from": window.start if window else None,
        "maintenance_to": window.end if window else None,
        "maintenance_days": list(window.days) if window else [],
        "maintenance_timezone": window.zone if window else "Amsterdam",
    }


def coverage_table(coverage: list[Cov]) -> pa.Table:
    rows = [
        {
            "table_name": c.table,
            "monitor_id": c.monitor_id,
            "date": c.day,
            "covered_until": c.covered_until
            or datetime.combine(c.day, datetime.min.time(), tzinfo=UTC) + timedelta(days=1),
        }
        for c in coverage
    ]
    return _table(COVERAGE, rows, [c.day for c in coverage])


def sla_table(slas: list[Sla]) -> pa.Table:
    rows = [
        {
            "monitor_id": s.monitor_id,
            "date": s.day,
            "availability": s.availability,
            "total_downtime": s.total_downtime,
            "number_of_incidents": s.number_of_incidents,
            "longest_incident": 0,
            "average_incident": 0,
            "is_complete": s.is_complete,
            "_extracted_at": s.extracted_at
            or datetime.combine(s.day, datetime.min.time(), tzinfo=UTC)
            + timedelta(days=1, hours=1),
        }
        for s in slas
    ]
    return _table(DAILY_SLA, rows, [s.day for s in slas])


def response_table(points: list[Point]) -> pa.Table:
    rows = [{"monitor_id": m, "region": r, "at": at, "response_time": v} for m, r, at, v in points]
    return _table(RESPONSE_TIMES, rows, [p[2].astimezone(UTC).date() for p in points])


def raw_tables(
    incidents: list[Inc],
    monitors: list[Mon],
    slas: list[Sla],
    points: list[Point],
    coverage: list[Cov] | None = None,
) -> dict[str, pa.Table]:
    return {
        INCIDENTS.name: incident_table(incidents),
        MONITORS.name: monitor_table(monitors),
        DAILY_SLA.name: sla_table(slas),
        RESPONSE_TIMES.name: response_table(points),
        COVERAGE.name: coverage_table(coverage or []),
    }


def load_duckdb(conn: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table]) -> None:
    for name, table in tables.items():
        conn.register("incoming", table)
        conn.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM incoming')
        conn.unregister("incoming")


def fetch(conn: duckdb.DuckDBPyConnection, view: str) -> list[dict[str, Any]]:
    cursor = conn.execute(f'SELECT * FROM "{view}"')
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
