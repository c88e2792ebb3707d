"""The merge every lake applies to a file of a partition: one row per key, newest extraction wins.

One stable sort by (key, ``_extracted_at``) puts the rows of each key next to each other, oldest
extraction first and, among equal extractions, in the order they were offered (existing rows
before incoming ones, earlier incoming rows before later ones); the last row of each run of equal
keys wins. The counts come out of the same pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from betterstack_etl.tables import EXTRACTED_AT, TableSpec

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
    parts = [
        t.select(spec.columns).cast(spec.schema) for t in (existing, incoming) if t is not None
    ]
    before = 0 if existing is None else existing.num_rows
    combined = pa.concat_tables(parts) if parts else spec.schema.empty_table()
    n = combined.num_rows
    if n == 0:
        return Merged(combined, before, 0)
    order = pc.sort_indices(
        combined, [(k, "ascending") for k in spec.key] + [(EXTRACTED_AT, "ascending")]
    )  # stable: equal (key, _extracted_at) keep their offered order
    ranked = combined.take(order)
    changes = _key_changes(ranked, spec.key) if n > 1 else pa.array([], pa.bool_())
    last = pa.concat_arrays([changes, _TRUE])  # the last row of each run of equal keys
    first = pa.concat_arrays([_TRUE, changes])
    kept = ranked.filter(last)
    # keys held by one existing row only (size-1 runs made of an existing row) were not offered
    from_existing = pc.less(order, pa.scalar(before, order.type))
    untouched = pc.and_(pc.and_(first, last), from_existing)
    untouched_count = pc.sum(pc.cast(untouched, pa.int64())).as_py() or 0
    return Merged(kept, before, kept.num_rows - int(untouched_count))


def merge_by_key(existing: pa.Table | None, incoming: pa.Table, spec: TableSpec) -> pa.Table:
    """The rows of :func:`merge_rows` (without the counts)."""
    return merge_rows(existing, incoming, spec).table


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
