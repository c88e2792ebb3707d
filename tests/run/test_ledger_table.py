"""The run ledger ``eai_gateway_runs`` is declared like the other tables (SPEC §10)."""

from __future__ import annotations

from datetime import UTC, date, datetime
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
