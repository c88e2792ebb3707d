"""merge_by_key and the partition helpers every lake relies on."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa

from betterstack_etl.lake.merge import merge_by_key
from betterstack_etl.lake.partitions import partition_dates, split_by_partition
from betterstack_etl.tables import DAILY_SLA, RESPONSE_TIMES


def _rt(points: list[tuple[str, datetime, float]], extracted: datetime, run: str) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "monitor_id": "1",
                "region": region,
                "at": at,
                "response_time": value,
                "_extracted_at": extracted,
                "_run_id": run,
            }
            for region, at, value in points
        ],
        schema=RESPONSE_TIMES.schema,
    )


T1 = datetime(2026, 11, 24, 23, 59, 59, 999000, tzinfo=UTC)
T2 = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
E1 = datetime(2026, 11, 25, 1, tzinfo=UTC)
E2 = datetime(2026, 11, 25, 2, tzinfo=UTC)


def test_partition_is_the_utc_date_of_the_timestamp() -> None:
    table = _rt([("us", T1, 0.1), ("us", T2, 0.2)], E1, "a")
    assert partition_dates(RESPONSE_TIMES, table).to_pylist() == [
        date(2026, 11, 24),
        date(2026, 11, 25),
    ]
    parts = dict(split_by_partition(RESPONSE_TIMES, table))
    assert {d: t.num_rows for d, t in parts.items()} == {
        date(2026, 11, 24): 1,
        date(2026, 11, 25): 1,
    }


def test_newest_extraction_wins_and_keys_stay_unique() -> None:
    old = _rt([("us", T1, 0.1), ("eu", T1, 0.3)], E2, "old-but-newer")
    new = _rt([("us", T1, 0.9), ("us", T2, 0.2)], E1, "new-but-older")
    merged = merge_by_key(old, new, RESPONSE_TIMES).to_pylist()
    assert len(merged) == 3
    by_key = {(r["region"], r["at"]): r for r in merged}
    assert by_key[("us", T1)]["response_time"] == 0.1  # the newer extraction (E2) won
    assert by_key[("us", T2)]["_run_id"] == "new-but-older"


def test_on_equal_extraction_time_the_incoming_row_wins() -> None:
    old = _rt([("us", T1, 0.1)], E1, "old")
    new = _rt([("us", T1, 0.5)], E1, "new")
    assert merge_by_key(old, new, RESPONSE_TIMES).column("_run_id").to_pylist() == ["new"]
    # duplicates inside one batch: the later row wins
    dup = pa.concat_tables(
        [_rt([("us", T1, 0.1)], E1, "first"), _rt([("us", T1, 0.2)], E1, "last")]
    )
    assert merge_by_key(None, dup, RESPONSE_TIMES).column("_run_id").to_pylist() == ["last"]


def test_merging_the_same_rows_twice_changes_nothing() -> None:
    rows = _rt([("us", T1, 0.1), ("eu", T2, 0.2)], E1, "a")
    once = merge_by_key(None, rows, RESPONSE_TIMES)
    twice = merge_by_key(once, rows, RESPONSE_TIMES)
    assert twice.equals(once)


def test_date_partitioned_tables_use_the_date_column() -> None:
    table = pa.Table.from_pylist(
        [
            {
                "monitor_id": "1",
                "date": date(2026, 1, 2),
                "is_complete": True,
                "_extracted_at": E1,
                "_run_id": "r",
            }
        ],
        schema=DAILY_SLA.schema,
    )
    assert [d for d, _ in split_by_partition(DAILY_SLA, table)] == [date(2026, 1, 2)]
