"""Staging: rows spooled to disk as they come, de-duplicated, committed partition by partition."""

from __future__ import annotations

import gc
import hashlib
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from betterstack_etl.lake import LocalLake, PartitionResult, Staging
from betterstack_etl.tables import RESPONSE_TIMES

# the lake file of monitor m1's response times: bucket blake2b-64("m1") mod 64, in hex
M1 = f"p{int.from_bytes(hashlib.blake2b(b'm1', digest_size=8).digest(), 'big') % 64:03x}"


def spooled(directory: Path) -> list[str]:
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*.arrow"))


def test_add_writes_to_disk_right_away(tmp_path: Path, b) -> None:
    staging = Staging(RESPONSE_TIMES, tmp_path / "spool")
    staging.add(b.rt(b.hours(b.DAY1, 2) + b.hours(b.DAY2, 1)))
    assert spooled(staging.directory) == [
        f"2024-03-10/{M1}.parquet/00000000-2.arrow",  # <add order>-<rows>
        f"2024-03-11/{M1}.parquet/00000001-1.arrow",
    ]
    staging.add(b.rt(b.hours(b.DAY1, 1)))
    assert len(spooled(staging.directory)) == 3
    assert staging.rows_staged == 4
    assert staging.partitions() == [b.DAY1, b.DAY2]
    staging.add(RESPONSE_TIMES.schema.empty_table())
    assert len(spooled(staging.directory)) == 3


def test_added_rows_are_not_kept_in_memory(tmp_path: Path, b) -> None:
    staging = Staging(RESPONSE_TIMES, tmp_path / "spool")
    gc.collect()
    baseline = pa.total_allocated_bytes()
    ats = [b.T0 + timedelta(seconds=i) for i in range(20_000)]
    rows = b.rt(ats)
    held = pa.total_allocated_bytes() - baseline
    assert held > 500_000  # the batch itself is sizeable
    staging.add(rows)
    del rows
    gc.collect()
    assert pa.total_allocated_bytes() - baseline < held / 10
    assert staging.read(b.DAY1).num_rows == 20_000


def test_read_deduplicates_staged_rows(tmp_path: Path, b) -> None:
    staging = Staging(RESPONSE_TIMES, tmp_path / "spool")
    at = b.hours(b.DAY1, 2)
    later = b.T0 + timedelta(hours=1)
    staging.add(b.rt(at, extracted=later, value=1.0))
    staging.add(b.rt(at[:1], extracted=b.T0, value=2.0))  # older: loses
    staging.add(b.rt(at[1:], extracted=later, value=3.0))  # tie: the later add wins
    table = staging.read(b.DAY1)
    assert table.schema == RESPONSE_TIMES.schema
    assert table.column("response_time").to_pylist() == [1.0, 3.0]
    assert staging.read(date(2000, 1, 1)).num_rows == 0


def test_commit_merges_each_partition_and_reports_counts(
    tmp_path: Path, lake: LocalLake, b
) -> None:
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 2)))
    later = b.T0 + timedelta(hours=1)
    with Staging(RESPONSE_TIMES, tmp_path / "spool") as staging:
        staging.add(b.rt(b.hours(b.DAY2, 2), extracted=later))
        staging.add(b.rt(b.hours(b.DAY1, 3, start=1), extracted=later))
        staging.add(b.rt(b.hours(b.DAY1, 3, start=1), extracted=later))  # a retried page
        results = staging.commit(lake)
    assert not (tmp_path / "spool").exists()
    assert results == [
        PartitionResult(RESPONSE_TIMES.name, b.DAY1, rows_before=2, rows_incoming=3, rows_after=4),
        PartitionResult(RESPONSE_TIMES.name, b.DAY2, rows_before=0, rows_incoming=2, rows_after=2),
    ]
    assert results[0].rows_inserted == 2
    assert results[0].rows_updated == 1


class RecordingLake(LocalLake):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.calls: list[tuple[date, list[date]]] = []

    def merge_partition(self, spec, partition, incoming):  # type: ignore[no-untyped-def]
        rows = pa.concat_tables([incoming.rows(name) for name in incoming.files()])
        days = pc.unique(pc.cast(rows.column("at"), pa.date32())).to_pylist()
        self.calls.append((partition, days))
        return super().merge_partition(spec, partition, incoming)


def test_commit_goes_one_partition_at_a_time_ascending(tmp_path: Path, b) -> None:
    staging = Staging(RESPONSE_TIMES, tmp_path / "spool")
    for day in (b.DAY3, b.DAY1, b.DAY2):
        staging.add(b.rt(b.hours(day, 2)))
    lake = RecordingLake(tmp_path / "lake")
    staging.commit(lake)
    assert lake.calls == [(d, [d]) for d in (b.DAY1, b.DAY2, b.DAY3)]


def test_rows_are_cast_to_the_table_schema(tmp_path: Path, b) -> None:
    rows = b.rt(b.hours(b.DAY1, 2))
    loose = rows.set_column(2, "at", rows.column("at").cast(pa.timestamp("us", tz="UTC")))
    loose = loose.select(list(reversed(loose.column_names)))
    staging = Staging(RESPONSE_TIMES, tmp_path / "spool")
    staging.add(loose)
    assert staging.read(b.DAY1).equals(rows)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.drop_columns(["region"]), "missing \\['region'\\]"),
        (lambda t: t.append_column("surprise", pa.array([1, 2])), "extra \\['surprise'\\]"),
        (lambda t: t.set_column(1, "region", pa.array([None, "x"], pa.string())), "nulls"),
        (lambda t: t.set_column(3, "response_time", pa.array(["fast", "slow"])), "do not fit"),
    ],
)
def test_rows_that_do_not_fit_are_refused(tmp_path: Path, b, change, message: str) -> None:
    staging = Staging(RESPONSE_TIMES, tmp_path / "spool")
    with pytest.raises(TypeError, match=message):
        staging.add(change(b.rt(b.hours(b.DAY1, 2))))
    assert staging.rows_staged == 0
    assert spooled(staging.directory) == []


def test_a_spool_can_be_reopened_by_another_task(tmp_path: Path, b) -> None:
    first = Staging(RESPONSE_TIMES, tmp_path / "spool")
    first.add(b.rt(b.hours(b.DAY1, 2), value=1.0))
    again = Staging(RESPONSE_TIMES, tmp_path / "spool")
    assert again.rows_staged == 2
    assert again.partitions() == [b.DAY1]
    again.add(b.rt(b.hours(b.DAY1, 1), value=5.0))  # tie on extraction: the later add wins
    assert len(spooled(again.directory)) == 2
    assert again.read(b.DAY1).column("response_time").to_pylist() == [5.0, 1.0]
    again.cleanup()
    again.cleanup()
    assert not (tmp_path / "spool").exists()


def test_commit_hands_the_lake_one_file_of_rows_at_a_time(tmp_path: Path, b) -> None:
    staging = Staging(RESPONSE_TIMES, tmp_path / "spool")
    monitors = [f"m{i}" for i in range(12)]
    for monitor in monitors:
        staging.add(b.rt(b.hours(b.DAY1, 3), monitor=monitor))
    seen: list[list[str]] = []

    class PerFile(LocalLake):
        def merge_partition(self, spec, partition, incoming):  # type: ignore[no-untyped-def]
            for name in incoming.files():
                seen.append(sorted(set(incoming.rows(name).column("monitor_id").to_pylist())))
            return super().merge_partition(spec, partition, incoming)

    lake = PerFile(tmp_path / "lake")
    [result] = staging.commit(lake)
    assert result.rows_after == 36
    buckets = {
        f"p{int.from_bytes(hashlib.blake2b(m.encode(), digest_size=8).digest(), 'big') % 64:03x}"
        for m in monitors
    }
    assert len(seen) == len(buckets)  # one call per lake file, never the whole partition
    assert sorted(m for group in seen for m in group) == sorted(monitors)
    files = sorted(p.stem for p in lake.data_files(RESPONSE_TIMES, b.DAY1))
    assert files == sorted(buckets)
