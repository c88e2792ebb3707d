"""``lake.merge.merge_rows`` against an independent oracle, on every path of its sort, and what
it reads of the existing file.

The oracle is plain Python: rows offered in order (existing first), for each key the one with
the newest ``_extracted_at`` and, among those, the one offered last; the result sorted by the
key values themselves (strings compared as strings)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from betterstack_etl.lake.merge import merge_rows
from betterstack_etl.tables import EXTRACTED_AT, RESPONSE_TIMES, Column

BASE = datetime(2024, 3, 10, tzinfo=UTC)


def _oracle(existing: list[dict[str, Any]], incoming: list[dict[str, Any]], key: tuple[str, ...]):
    best: dict[tuple[Any, ...], tuple[datetime, int, dict[str, Any]]] = {}
    for offered, row in enumerate([*existing, *incoming]):
        k = tuple(row[c] for c in key)
        if k not in best or (row[EXTRACTED_AT], offered) >= best[k][:2]:
            best[k] = (row[EXTRACTED_AT], offered, row)
    existing_keys = [tuple(r[c] for c in key) for r in existing]
    offered_keys = {tuple(r[c] for c in key) for r in incoming}
    rows = [best[k][2] for k in sorted(best)]
    return rows, len(existing), len(offered_keys), len(existing_keys)


def _rt_row(rng: random.Random, monitor: str, region: str, minute: int, extracted: datetime):
    return {
        "monitor_id": monitor,
        "region": region,
        "at": BASE + timedelta(minutes=minute),
        "response_time": round(rng.random(), 6),
        "name_lookup_time": None if rng.random() < 0.2 else rng.random(),
        "connection_time": rng.random(),
        "tls_handshake_time": rng.random(),
        "data_transfer_time": rng.random(),
        EXTRACTED_AT: extracted,
        "_run_id": f"run-{extracted:%H%M}",
    }


def _table(rows: list[dict[str, Any]], chunks: int = 1) -> pa.Table:
    table = pa.Table.from_pylist(rows, schema=RESPONSE_TIMES.schema)
    if chunks > 1 and len(rows) > chunks:
        size = len(rows) // chunks
        parts = [table.slice(i * size, size) for i in range(chunks - 1)]
        table = pa.concat_tables([*parts, table.slice((chunks - 1) * size)])
    return table


def _case(seed: int, *, older_incoming: bool, shuffled: bool):
    rng = random.Random(seed)
    monitors = [str(rng.randint(1, 10**6)) for _ in range(rng.randint(1, 5))]
    regions = rng.sample(["us", "eu", "as", "au", "sa"], rng.randint(1, 4))
    stamps = [BASE + timedelta(hours=h) for h in range(1, 6)]
    keys = [(m, r, rng.randint(0, 600)) for m in monitors for r in regions for _ in range(30)]
    keys = list(dict.fromkeys(keys))
    existing = sorted(
        (_rt_row(rng, m, r, t, rng.choice(stamps[:3])) for m, r, t in keys if rng.random() < 0.6),
        key=lambda row: (row["monitor_id"], row["region"], row["at"]),
    )
    pool = [k for k in keys if rng.random() < 0.7]
    incoming = []
    for m, r, t in pool + rng.sample(pool, len(pool) // 4):  # a quarter offered twice
        stamp = rng.choice(stamps[:2] if older_incoming else stamps[2:])
        incoming.append(_rt_row(rng, m, r, t, stamp))
    if shuffled:
        rng.shuffle(incoming)
    else:  # offered in extraction order, grouped by monitor and region
        incoming.sort(key=lambda row: (row[EXTRACTED_AT], row["monitor_id"], row["region"]))
    return existing, incoming


class _Reads:
    """A stored file as ``StoredRows`` that records which columns were asked for."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.asked: list[tuple[list[str], bool]] = []

    def read(self, columns: Any, *, dictionaries: bool = False) -> pa.Table:
        self.asked.append((list(columns), dictionaries))
        table = self.table.select(list(columns))
        if not dictionaries:
            return table
        encoded = [
            c.dictionary_encode() if pa.types.is_string(c.type) else c for c in table.columns
        ]
        return pa.table(dict(zip(table.column_names, encoded, strict=True)))


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("older_incoming", [False, True], ids=["newer", "older"])
@pytest.mark.parametrize("shuffled", [False, True], ids=["grouped", "shuffled"])
def test_merge_matches_the_oracle(seed: int, older_incoming: bool, shuffled: bool) -> None:
    existing, incoming = _case(seed, older_incoming=older_incoming, shuffled=shuffled)
    expected, before, offered, _ = _oracle(existing, incoming, RESPONSE_TIMES.key)
    for source in (_table(existing), _Reads(_table(existing))):
        merged = merge_rows(source, _table(incoming, chunks=3), RESPONSE_TIMES)
        assert merged.table.schema.equals(RESPONSE_TIMES.schema)
        assert merged.table.to_pylist() == expected
        assert (merged.rows_before, merged.rows_offered) == (before, offered)


def test_keys_too_wide_to_pack_are_sorted_column_by_column() -> None:
    """Two int64 key columns spanning their whole range: the lexicographic fallback."""
    schema = pa.schema(
        [
            pa.field("a", pa.int64(), nullable=False),
            pa.field("b", pa.int64(), nullable=False),
            pa.field("v", pa.string()),
            pa.field(EXTRACTED_AT, pa.timestamp("ms", tz="UTC"), nullable=False),
        ]
    )
    fields = (
        Column("a", "int64", nullable=False),
        Column("b", "int64", nullable=False),
        Column("v", "string"),
        Column(EXTRACTED_AT, "timestamp", nullable=False),
    )
    spec = replace(RESPONSE_TIMES, key=("a", "b"), fields=fields, file_key=(), rules=())
    assert spec.schema == schema
    rng = random.Random(7)
    values = [-(2**62), -5, 0, 3, 2**62]
    rows = [
        {"a": rng.choice(values), "b": rng.choice(values), "v": str(n),
         EXTRACTED_AT: BASE + timedelta(minutes=rng.randint(0, 3))}
        for n in range(300)
    ]  # fmt: skip
    existing_rows, _, _, _ = _oracle(rows[:100], [], ("a", "b"))
    expected, before, offered, _ = _oracle(existing_rows, rows[100:], ("a", "b"))
    merged = merge_rows(
        pa.Table.from_pylist(existing_rows, schema=schema),
        pa.Table.from_pylist(rows[100:], schema=schema),
        spec,
    )
    assert merged.table.to_pylist() == expected
    assert (merged.rows_before, merged.rows_offered) == (before, offered)


def test_a_file_whose_rows_are_all_superseded_is_read_by_its_keys_only() -> None:
    existing, _ = _case(3, older_incoming=False, shuffled=False)
    later = BASE + timedelta(days=1)
    incoming = [{**row, EXTRACTED_AT: later, "response_time": 9.0} for row in existing]
    stored = _Reads(_table(existing))
    merged = merge_rows(stored, _table(incoming), RESPONSE_TIMES)
    assert stored.asked == [(["monitor_id", "region", "at", EXTRACTED_AT], True)]
    assert merged.table.column("response_time").to_pylist() == [9.0] * len(existing)
    assert merged.rows_offered == len(existing)


def test_a_file_with_surviving_rows_reads_its_other_columns_once() -> None:
    existing, _ = _case(4, older_incoming=False, shuffled=False)
    later = BASE + timedelta(days=1)
    incoming = [{**row, EXTRACTED_AT: later} for row in existing[::2]]
    stored = _Reads(_table(existing))
    merged = merge_rows(stored, _table(incoming), RESPONSE_TIMES)
    sort_columns = ["monitor_id", "region", "at", EXTRACTED_AT]
    rest = [c for c in RESPONSE_TIMES.columns if c not in sort_columns]
    assert stored.asked == [(sort_columns, True), (rest, False)]
    expected, *_ = _oracle(existing, incoming, RESPONSE_TIMES.key)
    assert merged.table.to_pylist() == expected


def test_runs_offered_out_of_key_order_are_put_in_order() -> None:
    """Runs of consecutive rows (a monitor's answer per region) offered in another order than
    the key's: the result is still in key order, each run moved whole."""
    rng = random.Random(11)
    later = BASE + timedelta(hours=2)
    runs = [
        [_rt_row(rng, monitor, region, minute, later) for minute in range(200)]
        for monitor in ("200", "100", "10")
        for region in ("us", "eu")
    ]
    rng.shuffle(runs)
    incoming = [row for run in runs for row in run]
    existing = [_rt_row(rng, "100", "us", m, BASE) for m in range(0, 400, 3)]
    expected, before, offered, _ = _oracle(existing, incoming, RESPONSE_TIMES.key)
    merged = merge_rows(_Reads(_table(existing)), _table(incoming, chunks=2), RESPONSE_TIMES)
    assert merged.table.to_pylist() == expected
    assert (merged.rows_before, merged.rows_offered) == (before, offered)
