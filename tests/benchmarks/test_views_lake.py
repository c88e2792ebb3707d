"""Benchmark 6 times the SLA views on a synthetic lake: it must be shaped like a real one, so
that every row it writes is read (files named as the layout names them), else a view is timed
on nothing (its response times were once written as ``data-us.parquet``, which no reader takes)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from benchmarks.views import build_lake

from betterstack_etl.lake import publish_duckdb_views
from betterstack_etl.tables import TABLES


def test_every_row_the_views_benchmark_writes_is_read_by_the_lake(tmp_path: Path) -> None:
    build_lake(tmp_path, monitors=4, days=3)
    written = {
        spec.name: sum(
            pq.ParquetFile(f).metadata.num_rows for f in (tmp_path / spec.name).rglob("*.parquet")
        )
        for spec in TABLES
    }
    assert written["eai_gateway_response_times"] == 4 * 24 * 60 * 2  # a check a minute, 2 regions
    db = publish_duckdb_views(tmp_path, TABLES)
    con = duckdb.connect(str(db), read_only=True)
    try:
        read = {
            name: con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0] for name in written
        }
    finally:
        con.close()
    assert read == written
