"""The same views in BigQuery's dialect, executed on bqemulator over the same hand-made rows
loaded as plain tables: the rows must equal DuckDB's."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from betterstack_etl.gcp.bigquery import bigquery_schema
from betterstack_etl.sla import VIEWS, SlaOptions, bigquery_views, view_selects
from betterstack_etl.sla.slo_file import load_slo_file
from betterstack_etl.tables import PARTITION_COLUMN

from . import scenario
from .rows import fetch, load_duckdb, raw_tables

pytestmark = pytest.mark.slow  # starts bqemulator

OPTIONS = SlaOptions(slos=load_slo_file(Path(__file__).parent / "slo_files" / "city_hall.yaml"))


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _load(client: bigquery.Client, dataset: str, name: str, table: pa.Table) -> None:
    schema = bigquery_schema(table.schema.remove(table.schema.get_field_index(PARTITION_COLUMN)))
    schema.append(bigquery.SchemaField(PARTITION_COLUMN, "DATE"))
    created = client.create_table(
        bigquery.Table(f"{client.project}.{dataset}.{name}", schema=schema)
    )
    rows = [{k: _json_value(v) for k, v in row.items()} for row in table.to_pylist()]
    if rows:
        errors = client.insert_rows_json(created, rows)
        assert not errors, errors


@pytest.fixture(scope="module")
def bq_rows(bq_endpoint: str, bq_project: str) -> dict[str, list[dict[str, Any]]]:
    bq_client = bigquery.Client(
        project=bq_project,
        credentials=AnonymousCredentials(),
        location="US",
        client_options=ClientOptions(api_endpoint=bq_endpoint),
    )
    dataset = f"sla_{uuid.uuid4().hex[:8]}"
    bq_client.create_dataset(f"{bq_project}.{dataset}")
    tables = raw_tables(
        scenario.INCIDENTS, scenario.MONITORS, scenario.SLAS, scenario.POINTS, scenario.COVERAGE
    )
    for name, table in tables.items():
        _load(bq_client, dataset, name, table)
    results: dict[str, list[dict[str, Any]]] = {}
    for view in bigquery_views(bq_project, dataset, options=OPTIONS, now=scenario.NOW):
        created = bq_client.create_table(view)
        assert created.description == view.description
        job = bq_client.query(f"SELECT * FROM `{created.full_table_id.replace(':', '.')}`")
        results[view.table_id] = [dict(row.items()) for row in job.result()]
    return results


@pytest.fixture(scope="module")
def duck_rows() -> dict[str, list[dict[str, Any]]]:
    conn = duckdb.connect()
    load_duckdb(
        conn,
        raw_tables(
            scenario.INCIDENTS, scenario.MONITORS, scenario.SLAS, scenario.POINTS, scenario.COVERAGE
        ),
    )
    for spec, select in view_selects(
        "duckdb", table_ref=lambda n: f'"{n}"', options=OPTIONS, now=scenario.NOW
    ):
        conn.execute(f'CREATE VIEW "{spec.name}" AS {select}')
    return {spec.name: fetch(conn, spec.name) for spec in VIEWS}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return (
            a is not None
            and b is not None
            and math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-9)
        )
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a.astimezone(UTC) == b.astimezone(UTC)
    return bool(a == b)


_KEYS = {
    "eai_gateway_availability_daily": ("monitor_id", "day"),
    "eai_gateway_availability_monthly": ("monitor_id", "month"),
    "eai_gateway_uptime_kpi": ("monitor_id", "mes"),
    "eai_gateway_sla_reconciliation": ("monitor_id", "date"),
    "eai_gateway_response_times_hourly": ("monitor_id", "region", "hour"),
    "eai_gateway_slo_status": ("slo_name", "monitor_id"),
}


@pytest.mark.parametrize("view", [v.name for v in VIEWS])
def test_bigquery_rows_equal_duckdb_rows(
    view: str,
    bq_rows: dict[str, list[dict[str, Any]]],
    duck_rows: dict[str, list[dict[str, Any]]],
) -> None:
    def keyed(rows: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
        out = {}
        for row in rows:
            key = tuple(
                v.astimezone(UTC) if isinstance(v, datetime) else v
                for v in (row[k] for k in _KEYS[view])
            )
            out[key] = row
        return out

    bq, duck = keyed(bq_rows[view]), keyed(duck_rows[view])
    assert duck, view
    assert set(bq) == set(duck)
    spec = next(v for v in VIEWS if v.name == view)
    for key, row in duck.items():
        assert set(bq[key]) == set(row) == set(spec.columns), key
        for column, value in row.items():
            assert _same(bq[key][column], value), (view, key, column, bq[key][column], value)
