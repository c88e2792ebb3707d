"""``status``, ``tables``, ``describe`` and ``config`` against BigQuery (bqemulator): what they
print is what the dataset holds, read back here with the BigQuery client itself.

The dataset holds a run's tables and ledger copied as native tables with their
``data_particao`` column: bqemulator does not add a hive partition column to an external
table, which BigQuery does (so the production tables have it)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from google.cloud import bigquery
from typer.testing import CliRunner

from betterstack_etl import clock
from betterstack_etl.cli.app import app
from betterstack_etl.gcp.bigquery import bigquery_schema
from betterstack_etl.gcp.credentials import BIGQUERY_ENDPOINT_ENV
from betterstack_etl.report import DuckDbSource
from betterstack_etl.simulator import Simulator
from betterstack_etl.tables import PARTITION_COLUMN, RUNS, TABLES

from .conftest import PROJECT

pytestmark = pytest.mark.slow


_ = r"[\s│┃]+"  # between two cells of a table


def _cli(*args: str, env: dict[str, str]) -> str:
    done = CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **env})
    assert done.exit_code == 0, done.output
    return done.output


def _copy(lake: Path, client: bigquery.Client, dataset: str) -> None:
    """The lake's tables and ledger as native tables, ``data_particao`` included."""
    client.create_dataset(f"{PROJECT}.{dataset}")
    with DuckDbSource.open(lake) as local:
        for spec in (*TABLES, RUNS):
            schema = [*bigquery_schema(spec.schema), bigquery.SchemaField(PARTITION_COLUMN, "DATE")]
            made = client.create_table(bigquery.Table(f"{PROJECT}.{dataset}.{spec.name}", schema))
            rows = local.query(f"SELECT * FROM {spec.name}").to_pylist()
            assert (
                client.insert_rows_json(made, [{k: _json(v) for k, v in r.items()} for r in rows])
                == []
            )


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.isoformat() if isinstance(value, date) else value


def _count(client: bigquery.Client, dataset: str, table: str, what: str = "COUNT(*)") -> Any:
    (row,) = client.query(f"SELECT {what} AS v FROM `{PROJECT}.{dataset}.{table}`").result()
    return row["v"]


def test_status_tables_describe_and_config_read_the_bigquery_dataset(
    simulator: Simulator,
    bq_endpoint: str,
    bq_client: bigquery.Client,
    dataset_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(clock, "utcnow", simulator.clock.now)
    for var in ("BETTERSTACK_FROM_DATE", "BETTERSTACK_TO_DATE", "BETTERSTACK_TABLES"):
        monkeypatch.delenv(var, raising=False)
    lake = tmp_path / "lake"
    local = {
        "BETTERSTACK_TOKEN": "sim-token",
        "MONITOR_ID": "all",
        "BETTERSTACK_BASE_URL": simulator.base_url,
        "BETTERSTACK_DESTINATION": "local",
        "BETTERSTACK_LAKE_ROOT": str(lake),
    }
    summary = json.loads(_cli("run", "--json", env=local))
    assert all(t["error"] is None for t in summary["tables"].values()), summary
    _copy(lake, bq_client, dataset_id)
    env = {
        "BETTERSTACK_DESTINATION": "bigquery",
        "BETTERSTACK_LAKE_ROOT": "gs://unused/lake",
        "BETTERSTACK_DATASET_ID": dataset_id,
        "BETTERSTACK_BILLING_PROJECT_ID": PROJECT,
        BIGQUERY_ENDPOINT_ENV: bq_endpoint,
        "BETTERSTACK_TOKEN": "sim-token",
    }

    landed = _cli("tables", env=env)
    for spec in (*TABLES, RUNS):
        rows = _count(bq_client, dataset_id, spec.name)
        partitions = _count(bq_client, dataset_id, spec.name, "COUNT(DISTINCT data_particao)")
        newest = _count(bq_client, dataset_id, spec.name, "MAX(data_particao)")
        assert rows > 0, spec.name
        line = re.search(rf"{spec.name}{_}(\d+){_}(\d+){_}(\S+)", landed)
        assert line, (spec.name, landed)
        assert (int(line[1]), int(line[2]), line[3]) == (rows, partitions, newest.isoformat())

    state = _cli("status", env=env)
    assert re.search(r"last run \S+ started .*: ok", state), state
    for spec in TABLES:
        inserted = sum(
            p["rows_after"] - p["rows_before"] for p in summary["tables"][spec.name]["partitions"]
        )
        line = re.search(rf"{spec.name}{_}ok{_}(\d+){_}(\d+){_}(\d+)", state)
        assert line, (spec.name, state)
        assert int(line[1]) == inserted, spec.name  # a first run inserts every row it keeps

    described = _cli("describe", "incidents", env=env)
    rows = _count(bq_client, dataset_id, "eai_gateway_incidents")
    assert f"eai_gateway_incidents: {rows} row(s)" in described
    columns = {
        f.name for f in bq_client.get_table(f"{PROJECT}.{dataset_id}.eai_gateway_incidents").schema
    }
    for column in columns:
        assert re.search(rf"\b{column}\b", described), column

    shown = _cli("config", env=env)
    assert re.search(rf"BETTERSTACK_DESTINATION{_}bigquery{_}", shown), shown
    assert re.search(rf"BETTERSTACK_DATASET_ID{_}{dataset_id}{_}", shown), shown
    assert "sim-token" not in shown
