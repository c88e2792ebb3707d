"""LocalLake: merge semantics, layout, atomic replacement, crashes and concurrent writers."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from betterstack_etl.errors import ConcurrentWriteError, DiskFullError, StorageError
from betterstack_etl.lake import Lake, LocalLake, open_duckdb
from betterstack_etl.tables import INCIDENTS, RESPONSE_TIMES, TABLES

WORKER = Path(__file__).with_name("_worker.py")
PARTITION_FILE = re.compile(r"data_particao=\d{4}-\d{2}-\d{2}(/(data|p[0-9a-f]{3})\.parquet)?")
# the file of monitor m1's response times: bucket blake2b-64("m1") mod 64, in hex
M1_FILE = (
    f"p{int.from_bytes(hashlib.blake2b(b'm1', digest_size=8).digest(), 'big') % 64:03x}.parquet"
)


def rt_file(lake: LocalLake, day: date) -> Path:
    return lake.partition_dir(RESPONSE_TIMES, day) / M1_FILE


def wait_for(path: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert proc.poll() is None, f"worker exited early: {proc.communicate()}"
        assert time.monotonic() < deadline, f"worker never reached {path.name}"
        time.sleep(0.01)


def assert_layout(table_dir: Path) -> None:
    """Nothing under a table's folder but partitions' Parquet files and ./_ names."""
    for path in table_dir.rglob("*"):
        rel = path.relative_to(table_dir)
        if any(part.startswith((".", "_")) for part in rel.parts):
            continue
        assert PARTITION_FILE.fullmatch(rel.as_posix()), f"unexpected {rel}"
        if path.is_file():
            assert path.name.endswith(".parquet")


def identity(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_ino, st.st_mtime_ns


def test_local_lake_implements_the_protocol(lake: LocalLake, lake_root: Path) -> None:
    assert isinstance(lake, Lake)
    assert lake.root == str(lake_root.absolute())


def test_merge_writes_one_zstd_file_with_the_exact_schema(lake: LocalLake, b) -> None:
    result = lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 3)))
    path = rt_file(lake, b.DAY1)
    assert path == Path(lake.root) / RESPONSE_TIMES.name / f"data_particao=2024-03-10/{M1_FILE}"
    assert pq.read_schema(path).remove_metadata() == RESPONSE_TIMES.schema
    assert pq.read_schema(path).field("at").type == pa.timestamp("ms", tz="UTC")
    meta = pq.ParquetFile(path).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert (result.rows_before, result.rows_incoming, result.rows_after) == (0, 3, 3)
    assert os.listdir(path.parent) == [M1_FILE]


def test_newest_extraction_wins_whatever_the_order(lake: LocalLake, b) -> None:
    at = b.hours(b.DAY1, 1)
    later = b.T0 + timedelta(hours=1)
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(at, value=0.1))
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(at, extracted=later, value=0.2))
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(at, extracted=b.T0, value=0.3))
    table = lake.read_partition(RESPONSE_TIMES, b.DAY1)
    assert table is not None
    assert table.column("response_time").to_pylist() == [0.2]


def test_tie_on_extraction_goes_to_incoming(lake: LocalLake, b) -> None:
    at = b.hours(b.DAY1, 1)
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(at, value=0.1, run_id="old"))
    result = lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(at, value=0.5, run_id="new"))
    table = lake.read_partition(RESPONSE_TIMES, b.DAY1)
    assert table is not None
    assert table.column("_run_id").to_pylist() == ["new"]
    assert (result.rows_before, result.rows_incoming, result.rows_after) == (1, 1, 1)
    assert result.rows_updated == 1


def test_overlapping_runs_keep_keys_unique_and_count_rows(lake: LocalLake, b) -> None:
    for run in range(5):  # hourly runs re-reading an overlapping 6 h window
        rows = b.rt(b.hours(b.DAY1, 6, start=run), extracted=b.T0 + timedelta(hours=run))
        duplicated = pa.concat_tables([rows, rows])  # duplicates among themselves too
        result = lake.merge_partition(RESPONSE_TIMES, b.DAY1, duplicated)
        assert result.rows_incoming == 6
        assert result.rows_after == 6 + run
        assert result.rows_inserted == (6 if run == 0 else 1)
    table = lake.read_partition(RESPONSE_TIMES, b.DAY1)
    assert table is not None
    assert table.num_rows == 10
    assert pc.count_distinct(table.column("at")).as_py() == 10


def test_untouched_partitions_are_not_rewritten(lake: LocalLake, b) -> None:
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 2)))
    lake.merge_partition(RESPONSE_TIMES, b.DAY2, b.rt(b.hours(b.DAY2, 2)))
    day1 = rt_file(lake, b.DAY1)
    day2 = rt_file(lake, b.DAY2)
    before1, before2 = identity(day1), identity(day2)
    lake.merge_partition(RESPONSE_TIMES, b.DAY2, b.rt(b.hours(b.DAY2, 3), run_id="later"))
    assert identity(day1) == before1
    assert identity(day2)[0] != before2[0]  # replaced by a new file


def test_empty_incoming_writes_nothing(lake: LocalLake, b) -> None:
    empty = RESPONSE_TIMES.schema.empty_table()
    result = lake.merge_partition(RESPONSE_TIMES, b.DAY1, empty)
    assert (result.rows_before, result.rows_incoming, result.rows_after) == (0, 0, 0)
    assert lake.partitions(RESPONSE_TIMES) == []
    table_dir = lake.table_dir(RESPONSE_TIMES)
    assert not any(p.name.startswith("data_particao") for p in table_dir.iterdir())
    assert lake.read_partition(RESPONSE_TIMES, b.DAY1) is None

    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 2)))
    before = identity(rt_file(lake, b.DAY1))
    result = lake.merge_partition(RESPONSE_TIMES, b.DAY1, empty)
    assert (result.rows_before, result.rows_after) == (2, 2)
    assert identity(rt_file(lake, b.DAY1)) == before


def test_rows_of_another_partition_are_refused(lake: LocalLake, b) -> None:
    with pytest.raises(ValueError, match="other partitions"):
        lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY2, 1)))
    assert lake.partitions(RESPONSE_TIMES) == []


def test_layout_holds_after_merges_of_every_table(lake: LocalLake, b) -> None:
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 2)))
    lake.merge_partition(RESPONSE_TIMES, b.DAY2, b.rt(b.hours(b.DAY2, 2)))
    lake.merge_partition(INCIDENTS, b.DAY1, b.incidents(["1", "2"], b.T0))
    lake.publish(TABLES)
    for spec in TABLES:
        assert_layout(lake.table_dir(spec))
    lock_names = [p.name for p in (lake.table_dir(RESPONSE_TIMES) / ".locks").iterdir()]
    assert sorted(lock_names) == ["data_particao=2024-03-10.lock", "data_particao=2024-03-11.lock"]


def test_partitions_read_and_scan(lake: LocalLake, b) -> None:
    for day in (b.DAY3, b.DAY1):
        lake.merge_partition(RESPONSE_TIMES, day, b.rt(b.hours(day, 2)))
    (lake.table_dir(RESPONSE_TIMES) / "data_particao=2024-03-11").mkdir()  # no data file
    assert lake.partitions(RESPONSE_TIMES) == [b.DAY1, b.DAY3]
    assert lake.partitions(INCIDENTS) == []
    parts = list(lake.scan(RESPONSE_TIMES, ["at", "data_particao"]))
    assert [p.column_names for p in parts] == [["at", "data_particao"]] * 2
    assert [p.column("data_particao").to_pylist() for p in parts] == [[b.DAY1] * 2, [b.DAY3] * 2]
    assert parts[0].schema.field("at").type == pa.timestamp("ms", tz="UTC")


def test_incidents_round_trip_with_lists(lake: LocalLake, b) -> None:
    rows = b.incidents(["7", "8"], b.T0, resolved=False)
    lake.merge_partition(INCIDENTS, b.DAY1, rows)
    table = lake.read_partition(INCIDENTS, b.DAY1)
    assert table is not None
    assert table.equals(rows)


def test_older_file_missing_a_nullable_column_reads_with_nulls(lake: LocalLake, b) -> None:
    path = lake.partition_dir(RESPONSE_TIMES, b.DAY1) / "data.parquet"  # the legacy layout
    path.parent.mkdir(parents=True)
    pq.write_table(b.rt(b.hours(b.DAY1, 2)).drop_columns(["data_transfer_time"]), path)
    table = lake.read_partition(RESPONSE_TIMES, b.DAY1)
    assert table is not None
    assert table.schema == RESPONSE_TIMES.schema
    assert table.column("data_transfer_time").null_count == 2


def test_corrupt_partition_raises_storage_error_naming_the_file(lake: LocalLake, b) -> None:
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 2)))
    path = rt_file(lake, b.DAY1)
    path.write_bytes(b"not parquet at all")
    with pytest.raises(StorageError, match=re.escape(str(path))) as caught:
        lake.read_partition(RESPONSE_TIMES, b.DAY1)
    assert caught.value.hint
    assert "re-run" in caught.value.hint
    with pytest.raises(StorageError):  # a merge must not paper over the damage
        lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 1)))
    assert path.read_bytes() == b"not parquet at all"


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_failed_write_keeps_the_previous_partition(
    lake: LocalLake, b, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    original = b.rt(b.hours(b.DAY1, 2))
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, original)

    def boom(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(DiskFullError, match="No space left") as caught:
        lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 5), value=7.0))
    assert not caught.value.retryable  # a retry a minute later fails the same way
    assert str(lake.partition_dir(RESPONSE_TIMES, b.DAY1)) in caught.value.message
    monkeypatch.undo()
    table = lake.read_partition(RESPONSE_TIMES, b.DAY1)
    assert table is not None
    assert table.equals(original)
    assert os.listdir(lake.partition_dir(RESPONSE_TIMES, b.DAY1)) == [M1_FILE]


@pytest.mark.parametrize("mode", ["die-writing", "die-renaming"])
def test_writer_killed_mid_merge_leaves_the_lake_valid(
    lake: LocalLake, b, tmp_path: Path, mode: str
) -> None:
    original = b.rt(b.hours(b.DAY1, 3))
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, original)
    lake.publish(TABLES)
    marker = tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, str(WORKER), mode, lake.root, str(marker)])
    try:
        wait_for(marker, proc)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    folder = lake.partition_dir(RESPONSE_TIMES, b.DAY1)
    leftovers = [n for n in os.listdir(folder) if n != M1_FILE]
    assert len(leftovers) == 1
    assert leftovers[0].startswith(".")
    assert not leftovers[0].endswith(".parquet")
    assert_layout(lake.table_dir(RESPONSE_TIMES))
    table = lake.read_partition(RESPONSE_TIMES, b.DAY1)
    assert table is not None
    assert table.equals(original)
    with open_duckdb(lake.root) as conn:
        count = conn.execute(f"SELECT count(*) FROM {RESPONSE_TIMES.name}").fetchone()
    assert count == (3,)

    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 1, start=5)))
    assert os.listdir(folder) == [M1_FILE]  # the next merge cleaned up
    assert lake.read_partition(RESPONSE_TIMES, b.DAY1).num_rows == 4  # type: ignore[union-attr]


def test_two_processes_merging_one_partition_lose_no_update(
    lake: LocalLake, b, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    per_worker = 15
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "merge", lake.root, str(first), str(per_worker), str(go)]
        )
        for first in (0, 100)
    ]
    go.touch()
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    table = lake.read_partition(RESPONSE_TIMES, b.DAY1)
    assert table is not None
    minutes = sorted(int((t - b.T0).total_seconds()) // 60 for t in table.column("at").to_pylist())
    assert minutes == [*range(per_worker), *range(100, 100 + per_worker)]


def test_merge_waits_for_the_partition_lock(lake_root: Path, b) -> None:
    lake = LocalLake(lake_root, lock_timeout=0.05)
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 1)))
    lock = lake.table_dir(RESPONSE_TIMES) / ".locks" / "data_particao=2024-03-10.lock"
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(ConcurrentWriteError, match="lock"):
            lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 4)))
        other_day = lake.merge_partition(RESPONSE_TIMES, b.DAY2, b.rt(b.hours(b.DAY2, 1)))
        assert other_day.rows_after == 1  # locks are per partition
    assert lake.read_partition(RESPONSE_TIMES, b.DAY1).num_rows == 1  # type: ignore[union-attr]
    assert lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 4))).rows_after == 4


def test_stale_temporary_files_are_ignored_then_removed(lake: LocalLake, b) -> None:
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 1)))
    folder = lake.partition_dir(RESPONSE_TIMES, b.DAY1)
    (folder / f".{M1_FILE}.123.abcd.tmp").write_bytes(b"half")
    assert lake.read_partition(RESPONSE_TIMES, b.DAY1).num_rows == 1  # type: ignore[union-attr]
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 2)))
    assert os.listdir(folder) == [M1_FILE]


def _sla(monitor: str, day: date, *, raw: str | None) -> dict[str, object]:
    from datetime import UTC, datetime

    return {
        "monitor_id": monitor,
        "date": day,
        "availability": 99.0,
        "total_downtime": 864,
        "number_of_incidents": 1,
        "longest_incident": 864,
        "average_incident": 864,
        "is_complete": True,
        "raw": raw,
        "_extracted_at": datetime(2024, 3, 11, tzinfo=UTC),
        "_run_id": "r",
    }


def test_a_daily_sla_lake_older_than_its_raw_column_still_reads_and_merges(
    lake: LocalLake, b
) -> None:
    from betterstack_etl.tables import DAILY_SLA

    old = pa.Table.from_pylist([_sla("1", b.DAY1, raw=None)], schema=DAILY_SLA.schema)
    folder = lake.partition_dir(DAILY_SLA, b.DAY1)
    folder.mkdir(parents=True)
    pq.write_table(old.drop_columns(["raw"]), folder / "data.parquet")  # written before `raw`
    lake.publish(TABLES)
    with open_duckdb(lake.root) as conn:  # a lake whose every file predates the column
        assert conn.execute(f"SELECT count(*) FROM {DAILY_SLA.name}").fetchall() == [(1,)]
    new = pa.Table.from_pylist([_sla("2", b.DAY1, raw='{"id": "2"}')], schema=DAILY_SLA.schema)
    lake.merge_partition(DAILY_SLA, b.DAY1, new)
    lake.publish(TABLES)
    with open_duckdb(lake.root) as conn:
        rows = conn.execute(
            f"SELECT monitor_id, raw FROM {DAILY_SLA.name} ORDER BY monitor_id"
        ).fetchall()
    assert rows == [("1", None), ("2", '{"id": "2"}')]
