"""SPEC §10: a damaged lake never blocks the rest (issue 12, faults 1 and 2)."""

from __future__ import annotations

import hashlib
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from betterstack_etl.errors import DamagedFileError, is_retryable
from betterstack_etl.lake import LocalLake, open_duckdb
from betterstack_etl.tables import INCIDENTS, RESPONSE_TIMES, TABLES


def bucket_file(monitor: str) -> str:
    digest = hashlib.blake2b(monitor.encode(), digest_size=8).digest()
    return f"p{int.from_bytes(digest, 'big') % 64:03x}.parquet"


def count(lake: LocalLake, sql: str) -> int:
    lake.publish(TABLES)
    with open_duckdb(lake.root) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def two_monitors(lake: LocalLake, b) -> None:
    for day in (b.DAY1, b.DAY2):
        for monitor in ("m1", "m2"):
            lake.merge_partition(RESPONSE_TIMES, day, b.rt(b.hours(day, 5), monitor=monitor))


def test_a_stray_copy_in_a_partition_is_never_counted(lake: LocalLake, b) -> None:
    two_monitors(lake, b)
    folder = lake.partition_dir(RESPONSE_TIMES, b.DAY1)
    shutil.copy(folder / bucket_file("m1"), folder / "data-backup.parquet")  # the fault
    assert count(lake, f"SELECT count(*) FROM {RESPONSE_TIMES.name}") == 20
    assert lake.read_partition(RESPONSE_TIMES, b.DAY1).num_rows == 10  # type: ignore[union-attr]
    assert sum(t.num_rows for t in lake.scan(RESPONSE_TIMES, ["at"])) == 20
    result = lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 1, start=5)))
    assert (result.rows_before, result.rows_after) == (10, 11)


def test_a_folder_with_a_bad_name_fails_no_query(lake: LocalLake, b) -> None:
    two_monitors(lake, b)
    garbage = lake.table_dir(RESPONSE_TIMES) / "data_particao=garbage"
    garbage.mkdir()
    shutil.copy(lake.partition_dir(RESPONSE_TIMES, b.DAY1) / bucket_file("m1"), garbage)
    sql = f"SELECT count(*) FROM {RESPONSE_TIMES.name} WHERE data_particao >= DATE '2024-01-01'"
    assert count(lake, sql) == 20
    assert lake.partitions(RESPONSE_TIMES) == [b.DAY1, b.DAY2]


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_a_truncated_file_fails_only_the_merge_that_touches_it(lake: LocalLake, b) -> None:
    two_monitors(lake, b)
    damaged = lake.partition_dir(RESPONSE_TIMES, b.DAY1) / bucket_file("m1")
    truncate(damaged)

    with pytest.raises(DamagedFileError, match=re.escape(str(damaged))) as caught:
        lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 1, start=9)))
    assert "repair" in (caught.value.hint or "")
    assert not is_retryable(caught.value)  # issue 25.7: no task retry reads it better
    # the rest still loads: another monitor's file of the same day, and another day
    later = b.T0 + timedelta(hours=1)
    same_day = lake.merge_partition(
        RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 1, start=9), monitor="m2", extracted=later)
    )
    assert same_day.rows_after == 6  # m2's 6 rows; the damaged file is not counted
    other_day = lake.merge_partition(RESPONSE_TIMES, b.DAY2, b.rt(b.hours(b.DAY2, 1, start=9)))
    assert (other_day.rows_before, other_day.rows_after) == (10, 11)
    assert sum(t.num_rows for t in lake.scan(RESPONSE_TIMES, ["at"])) == 11 + 6  # skipped
    # other tables too
    lake.merge_partition(INCIDENTS, b.DAY1, b.incidents(["i1"], b.T0, resolved=False))
    assert lake.open_keys(INCIDENTS, None, b.DAY3) == ["i1"]


def test_verify_finds_each_fault_and_quarantine_moves_it_aside(lake: LocalLake, b) -> None:
    two_monitors(lake, b)
    day1 = lake.partition_dir(RESPONSE_TIMES, b.DAY1)
    damaged = lake.partition_dir(RESPONSE_TIMES, b.DAY2) / bucket_file("m2")
    truncate(damaged)
    stray = day1 / "data-backup.parquet"
    shutil.copy(day1 / bucket_file("m1"), stray)
    garbage = lake.table_dir(RESPONSE_TIMES) / "data_particao=garbage"
    garbage.mkdir()
    (garbage / "data.parquet").write_bytes(b"x")

    problems = lake.verify()
    found = sorted((p.kind, p.location) for p in problems)
    assert found == sorted(
        [("damaged", str(damaged)), ("stray", str(stray)), ("bad_folder", str(garbage))]
    )
    assert all(p.table == RESPONSE_TIMES.name for p in problems)

    moved = [Path(lake.quarantine(p)) for p in problems]
    assert lake.verify() == []
    assert all(m.exists() and Path(lake.root, "_quarantine") in m.parents for m in moved)
    assert not any(p.exists() for p in (damaged, stray, garbage))
    # nothing readers see changed but the damaged file's rows, now aside
    assert count(lake, f"SELECT count(*) FROM {RESPONSE_TIMES.name}") == 15
    lake.merge_partition(RESPONSE_TIMES, b.DAY2, b.rt(b.hours(b.DAY2, 5), monitor="m2"))
    assert count(lake, f"SELECT count(*) FROM {RESPONSE_TIMES.name}") == 20


def test_quarantined_files_are_outside_every_table(lake: LocalLake, b) -> None:
    two_monitors(lake, b)
    stray = lake.partition_dir(RESPONSE_TIMES, b.DAY1) / "old.parquet"
    pa.parquet.write_table(b.rt(b.hours(b.DAY1, 1)), stray)  # type: ignore[attr-defined]
    [problem] = lake.verify()
    target = Path(lake.quarantine(problem))
    assert lake.table_dir(RESPONSE_TIMES) not in target.parents
    assert target.name == "old.parquet"
