"""The merge every lake applies to a file of a partition: one row per key, newest extraction wins.

One stable sort by (key, ``_extracted_at``) puts the rows of each key next to each other, oldest
extraction first and, among equal extractions, in the order they were offered (existing rows
before incoming ones, earlier incoming rows before later ones); the last row of each run of equal
keys wins. The counts come out of the same pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from betterstack_etl.tables import EXTRACTED_AT, TableSpec

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Merged", "merge_by_key", "merge_rows"]

_TRUE = pa.array([True])


@dataclass(frozen=True, slots=True)
class Merged:
    """The merged rows and what the merge did."""

    table: pa.Table
    rows_before: int  # existing rows
    rows_offered: int  # distinct keys among the incoming rows

    @property
    def rows_after(self) -> int:
        return int(self.table.num_rows)


def merge_rows(existing: pa.Table | None, incoming: pa.Table | None, spec: TableSpec) -> Merged:
    """``existing`` (one row per key) and ``incoming`` merged to one row per ``spec.key``.

    The row with the newest ``_extracted_at`` wins; on a tie the row offered later wins
    (``incoming`` over ``existing``, a later incoming row over an earlier one). The result has
    exactly ``spec.schema`` and is sorted by the key, so equal inputs give equal files.
    """
    parts = [_typed(t, spec) for t in (existing, incoming) if t is not None]
    before = 0 if existing is None else existing.num_rows
    combined = pa.concat_tables(parts) if parts else spec.schema.empty_table()
    n = combined.num_rows
    if n == 0:
        return Merged(combined, before, 0)
    keys = _sortable(combined, spec.key)
    packed = _packed(keys, spec.key)
    if packed is not None:  # two single-column stable sorts: by _extracted_at, then by key
        by_extraction = pc.sort_indices(keys.column(EXTRACTED_AT))
        order = by_extraction.take(pc.sort_indices(packed.take(by_extraction)))
        ranked = pa.table({"key": packed.take(order)})
        changes = _key_changes(ranked, ("key",)) if n > 1 else pa.array([], pa.bool_())
    else:
        order = pc.sort_indices(
            keys, [(k, "ascending") for k in keys.column_names]
        )  # stable: equal (key, _extracted_at) keep their offered order
        ranked = keys.take(order)  # only the (integer) key columns are reordered
        changes = _key_changes(ranked, spec.key) if n > 1 else pa.array([], pa.bool_())
    last = pa.concat_arrays([changes, _TRUE])  # the last row of each run of equal keys
    first = pa.concat_arrays([_TRUE, changes])
    kept = combined.take(order.filter(last))  # the winners, in key order: one full take
    # keys held by one existing row only (size-1 runs made of an existing row) were not offered
    from_existing = pc.less(order, pa.scalar(before, order.type))
    untouched = pc.and_(pc.and_(first, last), from_existing)
    untouched_count = pc.sum(pc.cast(untouched, pa.int64())).as_py() or 0
    return Merged(kept, before, kept.num_rows - int(untouched_count))


def merge_by_key(existing: pa.Table | None, incoming: pa.Table, spec: TableSpec) -> pa.Table:
    """The rows of :func:`merge_rows` (without the counts)."""
    return merge_rows(existing, incoming, spec).table


def _typed(table: pa.Table, spec: TableSpec) -> pa.Table:
    """``table`` as exactly ``spec.schema`` (no copy when it already is)."""
    if table.schema.equals(spec.schema, check_metadata=False):
        return table
    return table.select(spec.columns).cast(spec.schema)


def _sortable(table: pa.Table, key: Sequence[str]) -> pa.Table:
    """The key columns and ``_extracted_at``, strings replaced by their rank among the column's
    distinct values: the same order, compared as integers (a fraction of the sort's cost)."""
    columns = {}
    for name in [*key, EXTRACTED_AT]:
        column = table.column(name)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            encoded = pc.dictionary_encode(column.combine_chunks())
            by_value = pc.sort_indices(encoded.dictionary)  # rank -> dictionary position
            rank_of = pc.sort_indices(by_value)  # its inverse: dictionary position -> rank
            columns[name] = pc.take(rank_of, encoded.indices)
        else:
            columns[name] = column
    return pa.table(columns)


def _packed(keys: pa.Table, key: Sequence[str]) -> pa.Array | None:
    """The key columns packed into one int64 with the same order (mixed radix over each
    column's range), or None when their ranges do not fit in 63 bits."""
    packed: pa.Array | None = None
    capacity = 1
    for name in key:
        column = keys.column(name).combine_chunks()
        if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
            column = column.view(pa.int64() if pa.types.is_timestamp(column.type) else pa.int32())
        if not pa.types.is_integer(column.type):
            return None
        ints = pc.cast(column, pa.int64())
        bounds = pc.min_max(ints)
        low, high = bounds["min"].as_py(), bounds["max"].as_py()
        if low is None or high is None:
            return None
        span = high - low + 1
        capacity *= span
        if capacity >= 2**62:
            return None
        shifted = pc.subtract(ints, pa.scalar(low, pa.int64()))
        packed = shifted if packed is None else pc.add(pc.multiply(packed, span), shifted)
    return packed


def _key_changes(ranked: pa.Table, key: tuple[str, ...]) -> pa.Array:
    """For rows 0..n-2: whether row i+1 has another key than row i (sorted rows)."""
    n = ranked.num_rows
    change: pa.Array | None = None
    for name in key:
        column = ranked.column(name).combine_chunks()
        differs = pc.not_equal(column.slice(0, n - 1), column.slice(1))
        change = differs if change is None else pc.or_(change, differs)
    assert change is not None  # a key has at least one column
    return change
