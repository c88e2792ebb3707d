"""The flow end to end into production's shape: simulator → flow → GCS emulator + bqemulator."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pytest
from google.cloud import bigquery, storage

from betterstack_etl.gcp.bigquery import DEFINITION_LABEL
from betterstack_etl.gcp.storage import GcsLake
from betterstack_etl.simulator import Simulator
from betterstack_etl.tables import TABLES, TableSpec

from .conftest import PROJECT

pytestmark = pytest.mark.slow


def _keys(table: pa.Table, spec: TableSpec) -> list[tuple[Any, ...]]:
    return list(zip(*(table.column(k).to_pylist() for k in spec.key), strict=True))


def test_flow_twice_into_gcs_and_bigquery(
    prefect_harness: None,
    gcs_env: str,
    simulator: Simulator,
    gcs_client: storage.Client,
    bq_client: bigquery.Client,
    bucket: str,
    dataset_id: str,
) -> None:
    from betterstack_etl.flow import rj_iplanrio__betterstack_api

    first = rj_iplanrio__betterstack_api()
    simulator.frozen_clock.advance(
        timedelta(hours=1)
    )  # the next hourly run re-reads an overlapping window
    second = rj_iplanrio__betterstack_api()

    for summary in (first, second):
        assert summary["destination"] == "bigquery"
        assert all(t["error"] is None for t in summary["tables"].values()), summary
    rt = second["tables"]["eai_gateway_response_times"]["partitions"]
    assert any(p["rows_before"] > 0 for p in rt)  # the second run merged into existing objects
    lake = GcsLake(gcs_client, gcs_env)
    for spec in TABLES:
        prefix = f"brutos_betterstack/{spec.name}/"
        objects = [
            b.name.removeprefix(prefix) for b in gcs_client.list_blobs(bucket, prefix=prefix)
        ]
        folders = Counter(name.split("/")[0] for name in objects)
        assert objects, spec.name
        # one object per partition, or one per hash bucket of spec.file_key (lake.layout)
        single = "data.parquet" if not spec.file_key else r"p[0-9a-f]{3}\.parquet"
        assert all(re.fullmatch(rf"data_particao=[\d-]+/{single}", n) for n in objects), objects
        if not spec.file_key:
            assert set(folders.values()) == {1}
        assert len(lake.partitions(spec)) == len(folders)
        for partition in lake.partitions(spec):
            table = lake.read_partition(spec, partition)
            assert table is not None
            assert table.num_rows > 0
            assert len(set(_keys(table, spec))) == table.num_rows, (spec.name, partition)
        rows_after = {p["data_particao"]: p["rows_after"]
                      for p in second["tables"][spec.name]["partitions"]}  # fmt: skip
        for day, rows in rows_after.items():
            stored = lake.read_partition(spec, date.fromisoformat(day))
            assert stored is not None
            assert stored.num_rows == rows

    tables = {t.table_id for t in bq_client.list_tables(f"{PROJECT}.{dataset_id}")}
    from betterstack_etl.sla import VIEWS
    from betterstack_etl.tables import WRITTEN

    expected = {s.name for s in (*TABLES, *WRITTEN)} | {v.name for v in VIEWS}
    assert tables == expected  # the tables, the run ledger, coverage, alerts and the SLA views
    for spec in TABLES:
        table = bq_client.get_table(f"{PROJECT}.{dataset_id}.{spec.name}")
        assert DEFINITION_LABEL in table.labels
        assert [f.name for f in table.schema] == spec.columns
