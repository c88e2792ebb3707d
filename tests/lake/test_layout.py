"""Several files per partition (one per hash bucket of the monitor), and legacy lakes."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from betterstack_etl.lake import LocalLake, open_duckdb
from betterstack_etl.tables import DAILY_SLA, RESPONSE_TIMES, TABLES


def bucket_file(monitor: str) -> str:
    """Where a monitor's response times live: blake2b-64 of its id, mod 64, in hex."""
    digest = hashlib.blake2b(monitor.encode(), digest_size=8).digest()
    return f"p{int.from_bytes(digest, 'big') % 64:03x}.parquet"


def keys(table: pa.Table) -> list[tuple[object, ...]]:
    return list(zip(*(table.column(k).to_pylist() for k in RESPONSE_TIMES.key), strict=True))


def view_count(lake: LocalLake, table: str) -> int:
    lake.publish(TABLES)
    with open_duckdb(lake.root) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


MONITORS = ["m1", "m2", "m3", "m4", "m5"]


def test_each_monitor_lands_in_its_bucket_file_and_keys_are_in_one_file(lake: LocalLake, b) -> None:
    rows = pa.concat_tables([b.rt(b.hours(b.DAY1, 4), monitor=m) for m in MONITORS])
    result = lake.merge_partition(RESPONSE_TIMES, b.DAY1, rows)
    assert (result.rows_before, result.rows_incoming, result.rows_after) == (0, 20, 20)
    files = {p.name: p for p in lake.data_files(RESPONSE_TIMES, b.DAY1)}
    assert set(files) == {bucket_file(m) for m in MONITORS}
    seen: Counter[tuple[object, ...]] = Counter()
    for name, path in files.items():
        table = pq.read_table(path)
        assert {bucket_file(m) for m in table.column("monitor_id").to_pylist()} == {name}
        seen.update(keys(table))
    assert len(seen) == 20
    assert set(seen.values()) == {1}
    assert view_count(lake, RESPONSE_TIMES.name) == 20


def test_a_merge_rewrites_only_the_files_whose_keys_changed(lake: LocalLake, b) -> None:
    rows = pa.concat_tables([b.rt(b.hours(b.DAY1, 4), monitor=m) for m in MONITORS])
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, rows)
    folder = lake.partition_dir(RESPONSE_TIMES, b.DAY1)
    before = {p.name: p.stat().st_ino for p in folder.iterdir() if not p.name.startswith(".")}
    later = b.T0 + timedelta(hours=1)
    result = lake.merge_partition(
        RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 2, start=3), monitor="m2", extracted=later)
    )
    after = {p.name: p.stat().st_ino for p in folder.iterdir() if not p.name.startswith(".")}
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {bucket_file("m2")}
    # 20 rows before; m2's hours 3 and 4: one update (3), one insert (4)
    assert (result.rows_before, result.rows_incoming, result.rows_after) == (20, 2, 21)
    assert (result.rows_inserted, result.rows_updated) == (1, 1)


def test_a_table_without_file_key_keeps_one_data_parquet(lake: LocalLake, b) -> None:
    lake.merge_partition(DAILY_SLA, b.DAY1, b.sla([b.DAY1]))
    assert [p.name for p in lake.data_files(DAILY_SLA, b.DAY1)] == ["data.parquet"]


def legacy_partition(lake: LocalLake, b) -> tuple[Path, pa.Table]:
    """A partition as the previous version wrote it: every monitor in one data.parquet."""
    rows = pa.concat_tables([b.rt(b.hours(b.DAY1, 4), monitor=m) for m in MONITORS])
    path = lake.partition_dir(RESPONSE_TIMES, b.DAY1) / "data.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(rows, path)
    return path, rows


def test_a_legacy_partition_keeps_working_then_is_rewritten_by_its_next_merge(
    lake: LocalLake, b
) -> None:
    legacy, rows = legacy_partition(lake, b)
    assert lake.partitions(RESPONSE_TIMES) == [b.DAY1]
    assert lake.read_partition(RESPONSE_TIMES, b.DAY1).num_rows == 20  # type: ignore[union-attr]
    assert view_count(lake, RESPONSE_TIMES.name) == 20

    later = b.T0 + timedelta(hours=1)
    incoming = b.rt(b.hours(b.DAY1, 1, start=4), monitor="m1", extracted=later)
    result = lake.merge_partition(RESPONSE_TIMES, b.DAY1, incoming)

    assert not legacy.exists()
    names = sorted(p.name for p in lake.data_files(RESPONSE_TIMES, b.DAY1))
    assert names == sorted({bucket_file(m) for m in MONITORS})
    assert (result.rows_before, result.rows_incoming, result.rows_after) == (20, 1, 21)
    table = lake.read_partition(RESPONSE_TIMES, b.DAY1)
    assert table is not None
    assert sorted(keys(table)) == sorted(keys(rows) + keys(incoming))
    assert view_count(lake, RESPONSE_TIMES.name) == 21


def test_a_migration_cut_short_counts_each_key_once_and_the_next_merge_finishes_it(
    lake: LocalLake, b
) -> None:
    legacy, _ = legacy_partition(lake, b)
    # the state a crash leaves: m1's bucket file written (with a newer value), data.parquet kept
    later = b.T0 + timedelta(hours=1)
    m1 = b.rt(b.hours(b.DAY1, 4), monitor="m1", extracted=later, value=5.0)
    pq.write_table(m1, legacy.parent / bucket_file("m1"))

    table = lake.read_partition(RESPONSE_TIMES, b.DAY1)
    assert table is not None
    assert table.num_rows == 20  # no key twice, none missing
    by_monitor = {(r["monitor_id"], r["at"]): r["response_time"] for r in table.to_pylist()}
    assert {v for (m, _), v in by_monitor.items() if m == "m1"} == {5.0}  # the new file wins
    scanned = sum(t.num_rows for t in lake.scan(RESPONSE_TIMES, ["monitor_id"]))
    assert scanned == 20

    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 1, start=6), monitor="m3"))
    assert not legacy.exists()
    table = lake.read_partition(RESPONSE_TIMES, b.DAY1)
    assert table is not None
    assert table.num_rows == 21
    assert len(set(keys(table))) == 21
    assert view_count(lake, RESPONSE_TIMES.name) == 21
