"""The run ledger ``eai_gateway_runs`` is declared like the other tables (SPEC §10)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from betterstack_etl.lake.gates import check_rows
from betterstack_etl.tables import PARTITION_COLUMN, RUNS, TABLES, TIMESTAMP

COLUMNS = {
    "run_id": pa.string(),
    "flow_run_id": pa.string(),
    "table_name": pa.string(),
    "status": pa.string(),
    "error": pa.string(),
    "started_at": TIMESTAMP,
    "finished_at": TIMESTAMP,
    "window_start": pa.date32(),
    "window_end": pa.date32(),
    "monitors": pa.list_(pa.string()),
    "requests": pa.int64(),
    "retries": pa.int64(),
    "throttled": pa.int64(),
    "rows_read": pa.int64(),
    "rows_inserted": pa.int64(),
    "rows_updated": pa.int64(),
    "partitions": pa.int64(),
    "version": pa.string(),
}


def test_the_ledger_has_the_spec_columns_key_and_partition() -> None:
    assert RUNS.name == "eai_gateway_runs"
    assert RUNS.key == ("run_id", "table_name")
    assert RUNS.partition_by == "started_at"
    for name, kind in COLUMNS.items():
        assert RUNS.schema.field(name).type == kind, name
    assert PARTITION_COLUMN not in RUNS.schema.names
    assert RUNS not in TABLES  # loaded by the flow at the end of each run, not fetched


def test_a_failed_run_row_passes_the_gates_and_a_bad_status_does_not() -> None:
    started = datetime(2026, 11, 25, 23, 59, tzinfo=UTC)
    row: dict[str, Any] = {name: None for name in RUNS.schema.names}
    row |= {"run_id": "r1", "table_name": "eai_gateway_incidents", "status": "failed"}
    row |= {"started_at": started, "finished_at": started, "error": "AuthenticationError: 401"}
    row |= {"monitors": ["1", "2"], "requests": 1, "retries": 0, "throttled": 0}
    row |= {"_extracted_at": started, "_run_id": "r1", "version": "1.0"}
    table = pa.Table.from_pylist([row], schema=RUNS.schema)
    assert check_rows(RUNS, table, date(2026, 11, 25), now=started).ok
    bad = pa.Table.from_pylist([row | {"status": "maybe", "requests": -1}], schema=RUNS.schema)
    report = check_rows(RUNS, bad, date(2026, 11, 25), now=started)
    assert {v.rule for v in report.hard} == {"unknown_status", "negative_or_non_finite"}


def test_a_ledger_written_before_records_skipped_existed_stays_readable(tmp_path: Path) -> None:
    """Older ledger files lack ``records_skipped``: they read as null, a run merges into them,
    and the view shows both kinds of rows."""
    import duckdb
    import pyarrow.parquet as pq

    from betterstack_etl.lake import DuckDbPublisher, LocalLake

    old_day, new_day = date(2026, 11, 24), date(2026, 11, 25)
    started = datetime(2026, 11, 24, 12, tzinfo=UTC)

    def row(run_id: str, when: datetime) -> dict[str, object]:
        record: dict[str, object] = {name: None for name in RUNS.schema.names}
        record |= {"run_id": run_id, "table_name": "eai_gateway_incidents", "status": "ok"}
        return record | {"started_at": when, "_extracted_at": when, "_run_id": run_id}

    old_schema = pa.schema([f for f in RUNS.schema if f.name != "records_skipped"])
    for day, run_id in ((old_day, "old-1"), (new_day, "old-2")):
        folder = tmp_path / RUNS.name / f"{PARTITION_COLUMN}={day}"
        folder.mkdir(parents=True)
        when = datetime(day.year, day.month, day.day, 1, tzinfo=UTC)
        pq.write_table(
            pa.Table.from_pylist([row(run_id, when)], schema=old_schema), folder / "data.parquet"
        )
    lake = LocalLake(tmp_path, publisher=DuckDbPublisher(tmp_path))
    fresh = row("new", started + timedelta(days=1)) | {"records_skipped": 2}
    lake.merge_partition(RUNS, new_day, pa.Table.from_pylist([fresh], schema=RUNS.schema))
    lake.publish((RUNS,))
    con = duckdb.connect(str(tmp_path / "betterstack.duckdb"), read_only=True)
    try:
        got = con.execute(
            f"SELECT run_id, records_skipped FROM {RUNS.name} ORDER BY run_id"
        ).fetchall()
    finally:
        con.close()
    assert got == [("new", 2), ("old-1", None), ("old-2", None)]
