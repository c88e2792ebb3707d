"""Child process for the lake tests (run as a script: ``python _worker.py MODE ...``).

- ``merge ROOT FIRST COUNT GO``: once ``GO`` exists, merge COUNT single-row batches (keys
  FIRST..FIRST+COUNT-1 minutes after midnight) into one response-times partition.
- ``die-writing ROOT MARKER`` / ``die-renaming ROOT MARKER``: merge one row, but stop half-way
  through writing the temporary file (or after writing it, before the rename), touch MARKER and
  wait to be killed.
- ``hold-duckdb DB READY RELEASE``: open the DuckDB file read-write, touch READY, keep it open
  until RELEASE exists.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from betterstack_etl.lake import LocalLake
from betterstack_etl.lake import local as local_module
from betterstack_etl.tables import RESPONSE_TIMES, TIMESTAMP

DAY = datetime(2024, 3, 10, tzinfo=UTC)
WAIT_S = 60.0


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while not path.exists():
        if time.monotonic() > deadline:
            sys.exit(f"timed out waiting for {path}")
        time.sleep(0.005)


def stamp(moment: datetime) -> pa.Array:
    """A timestamp array built from epoch ms (converting datetimes would import pandas)."""
    millis = int(moment.timestamp() * 1000)
    return pa.array([millis], pa.int64()).cast(TIMESTAMP)


def one_row(minute: int, value: float = 9.0) -> pa.Table:
    return pa.table(
        {
            "monitor_id": ["m1"],
            "region": ["us"],
            "at": stamp(DAY + timedelta(minutes=minute)),
            "response_time": [value],
            "name_lookup_time": [None],
            "connection_time": [None],
            "tls_handshake_time": [None],
            "data_transfer_time": [None],
            "_extracted_at": stamp(datetime.now(UTC)),
            "_run_id": [f"pid-{os.getpid()}"],
        },
        schema=RESPONSE_TIMES.schema,
    )


def merge(root: str, first: int, count: int, go: str) -> None:
    lake = LocalLake(root, lock_timeout=WAIT_S)
    wait_for(Path(go))
    for minute in range(first, first + count):
        lake.merge_partition(RESPONSE_TIMES, DAY.date(), one_row(minute))


def die(root: str, marker: str, *, while_writing: bool) -> None:
    def hang() -> None:
        Path(marker).touch()
        time.sleep(WAIT_S)
        sys.exit("was not killed")

    if while_writing:

        def partial_write(table: pa.Table, handle: object, **_: object) -> None:
            handle.write(b"PAR1" + b"\0" * 4096)  # type: ignore[attr-defined]
            handle.flush()  # type: ignore[attr-defined]
            hang()

        local_module.pq.write_table = partial_write  # type: ignore[assignment]
    else:
        real_replace = os.replace

        def hang_before_replace(src: str, dst: str) -> None:
            hang()
            real_replace(src, dst)

        local_module.os.replace = hang_before_replace  # type: ignore[assignment]
    LocalLake(root).merge_partition(RESPONSE_TIMES, DAY.date(), one_row(0, value=666.0))


def hold_duckdb(db: str, ready: str, release: str) -> None:
    conn = duckdb.connect(db)
    Path(ready).touch()
    wait_for(Path(release))
    conn.close()


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "merge":
        merge(args[0], int(args[1]), int(args[2]), args[3])
    elif mode in ("die-writing", "die-renaming"):
        die(args[0], args[1], while_writing=mode == "die-writing")
    elif mode == "hold-duckdb":
        hold_duckdb(*args)
    else:
        sys.exit(f"unknown mode {mode}")
