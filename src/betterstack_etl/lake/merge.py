"""The merge every lake applies to a file of a partition: one row per key, newest extraction wins.

One stable sort puts the rows of each key next to each other, oldest extraction first and, among
equal extractions, in the order they were offered (existing rows before incoming ones, earlier
incoming rows before later ones); the last row of each run of equal keys wins. The counts come
out of the same pass.

The sort runs on integers: every key column becomes an order-preserving integer code (strings:
their rank among the distinct values of both sides; timestamps and dates: their epoch value),
packed into one int64 when the ranges fit. When the extraction order already agrees with the
offered order (the usual case: the incoming rows were extracted after the existing ones, in the
order they are offered) that one packed key is sorted once; otherwise by extraction first and by
key second, both stable.

The existing file is read lazily: its key columns and ``_extracted_at`` first (strings as
dictionaries, never materialised), and the other columns only when one of its rows wins. An
hourly re-read that supersedes every existing row of a file never reads their values, and when
the incoming rows are already one per key in key order they are written as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from betterstack_etl.tables import EXTRACTED_AT, TableSpec

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from numpy.typing import NDArray

__all__ = ["Merged", "StoredRows", "merge_by_key", "merge_rows"]

_PACK_LIMIT: Final = 2**62
_MIN_RUN: Final = 64  # rows per run, on average, below which one take is cheaper than slices


class StoredRows(Protocol):
    """A stored file's rows (exactly ``spec.schema``), read a few columns at a time."""

    def read(self, columns: Sequence[str], *, dictionaries: bool = False) -> pa.Table:
        """The given columns; with ``dictionaries``, string columns may come dictionary-encoded."""
        ...


@dataclass(frozen=True, slots=True)
class Merged:
    """The merged rows and what the merge did."""

    table: pa.Table
    rows_before: int  # existing rows
    rows_offered: int  # distinct keys among the incoming rows

    @property
    def rows_after(self) -> int:
        return int(self.table.num_rows)


class _InMemory:
    """:class:`StoredRows` over a table already in memory."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table

    def read(self, columns: Sequence[str], *, dictionaries: bool = False) -> pa.Table:
        return self._table.select(list(columns))


def merge_rows(
    existing: pa.Table | StoredRows | None, incoming: pa.Table | None, spec: TableSpec
) -> Merged:
    """``existing`` (one row per key) and ``incoming`` merged to one row per ``spec.key``.

    The row with the newest ``_extracted_at`` wins; on a tie the row offered later wins
    (``incoming`` over ``existing``, a later incoming row over an earlier one). The result has
    exactly ``spec.schema`` and is sorted by the key, so equal inputs give equal files.
    """
    stored = _InMemory(_typed(existing, spec)) if isinstance(existing, pa.Table) else existing
    new = spec.schema.empty_table() if incoming is None else _typed(incoming, spec)
    sort_columns = list(dict.fromkeys([*spec.key, EXTRACTED_AT]))
    old = None if stored is None else stored.read(sort_columns, dictionaries=True)
    before = 0 if old is None else old.num_rows
    if before + new.num_rows == 0:
        return Merged(spec.schema.empty_table(), 0, 0)
    codes = [_codes(old, new, name) for name in spec.key]
    order, changes = _sorted_runs(codes, _codes(old, new, EXTRACTED_AT), before)
    n = before + new.num_rows
    last = np.empty(n, dtype=np.bool_)  # the last row of each run of equal keys wins
    last[:-1], last[-1] = changes, True
    first = np.empty(n, dtype=np.bool_)
    first[1:], first[0] = changes, True
    winners = order[last]
    # keys held by one existing row only (size-1 runs made of an existing row) were not offered
    untouched = int(np.count_nonzero(first & last & (order < before)))
    if before == 0 or int(winners.min()) >= before:  # no existing row survives: not read
        kept = _pick(new, winners - before)
    else:
        assert stored is not None
        assert old is not None
        kept = _pick(pa.concat_tables([_whole(stored, old, sort_columns, spec), new]), winners)
    return Merged(kept, before, kept.num_rows - untouched)


def merge_by_key(existing: pa.Table | None, incoming: pa.Table, spec: TableSpec) -> pa.Table:
    """The rows of :func:`merge_rows` (without the counts)."""
    return merge_rows(existing, incoming, spec).table


def _pick(table: pa.Table, rows: NDArray[np.intp]) -> pa.Table:
    """``table``'s rows at ``rows``: runs of consecutive positions as zero-copy slices when the
    rows come in few such runs (rows offered in key order, a run per monitor and region), one
    take otherwise."""
    if len(rows) == 0:
        return table.slice(0, 0)
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    if len(breaks) + 1 > max(1, len(rows) // _MIN_RUN):
        return table.take(pa.array(rows))
    starts = np.concatenate([[0], breaks])
    lengths = np.diff(np.append(starts, len(rows)))
    slices = [table.slice(int(rows[s]), int(n)) for s, n in zip(starts, lengths, strict=True)]
    return slices[0] if len(slices) == 1 else pa.concat_tables(slices)


def _typed(table: pa.Table, spec: TableSpec) -> pa.Table:
    """``table`` as exactly ``spec.schema`` (no copy when it already is)."""
    if table.schema.equals(spec.schema, check_metadata=False):
        return table
    return table.select(spec.columns).cast(spec.schema)


def _whole(
    stored: StoredRows, sorted_by: pa.Table, sort_columns: Sequence[str], spec: TableSpec
) -> pa.Table:
    """Every column of the stored rows: the sort columns already read, the others read now."""
    rest = [c for c in spec.columns if c not in sort_columns]
    others = stored.read(rest) if rest else None
    arrays = []
    for field in spec.schema:
        column = sorted_by.column(field.name) if field.name in sort_columns else None
        if column is None:
            assert others is not None
            column = others.column(field.name)
        arrays.append(column.cast(field.type) if column.type != field.type else column)
    return pa.Table.from_arrays(arrays, schema=spec.schema)


def _sorted_runs(
    codes: Sequence[NDArray[np.int64]], extracted: NDArray[np.int64], before: int
) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
    """The stable order of the rows by (key, extraction, offer), and for rows 0..n-2 of that
    order whether the next row has another key."""
    packed = _packed(codes)
    if packed is None:  # the ranges do not fit in one int64: sort the columns themselves
        order = np.lexsort([extracted, *reversed(codes)])  # stable; the last column leads
        changes = np.zeros(len(order) - 1, dtype=np.bool_)
        for column in codes:
            ranked = column[order]
            changes |= ranked[1:] != ranked[:-1]
        return order, changes
    if _offered_in_extraction_order(extracted, before):
        order = np.argsort(packed, kind="stable")
    else:
        by_extraction = np.argsort(extracted, kind="stable")
        order = by_extraction[np.argsort(packed[by_extraction], kind="stable")]
    ranked_keys = packed[order]
    return order, ranked_keys[1:] != ranked_keys[:-1]


def _offered_in_extraction_order(extracted: NDArray[np.int64], before: int) -> bool:
    """Whether, within any key, the offered order is already oldest extraction first: the
    existing rows (one per key) are no newer than every incoming row, and the incoming rows
    are offered in non-decreasing extraction order."""
    incoming = extracted[before:]
    if len(incoming) == 0:
        return True
    if before and extracted[:before].max() > incoming.min():
        return False
    return bool(np.all(incoming[1:] >= incoming[:-1]))


def _codes(old: pa.Table | None, new: pa.Table, name: str) -> NDArray[np.int64]:
    """Integers in the order of the values of column ``name``, existing rows then incoming
    rows (equal values, equal integers)."""
    chunks = [*([] if old is None else old.column(name).chunks), *new.column(name).chunks]
    kind = new.schema.field(name).type
    if any(c.null_count for c in chunks):
        raise ValueError(f"the key column {name} cannot hold nulls")
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _string_ranks(chunks, kind)
    if pa.types.is_timestamp(kind):
        chunks = [c.view(pa.int64()) for c in chunks]
    elif pa.types.is_date32(kind):
        chunks = [c.view(pa.int32()) for c in chunks]
    elif not pa.types.is_integer(kind):
        raise TypeError(f"cannot order by a column of type {kind}")
    return np.concatenate([c.to_numpy().astype(np.int64, copy=False) for c in chunks])


def _string_ranks(chunks: Sequence[pa.Array], kind: pa.DataType) -> NDArray[np.int64]:
    """Each string's rank among the distinct strings of all chunks (plain or dictionary)."""
    grouped = [_grouped(c, kind) for c in chunks]
    distinct = sorted({value for values, _ in grouped for value in values})
    rank = {value: n for n, value in enumerate(distinct)}
    parts = [
        expand(np.array([rank[v] for v in values], dtype=np.int64)) for values, expand in grouped
    ]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def _grouped(
    chunk: pa.Array, kind: pa.DataType
) -> tuple[list[str], Callable[[NDArray[np.int64]], NDArray[np.int64]]]:
    """A chunk of strings as (its few values, how a code per value becomes a code per row):
    runs of equal strings (a monitor's rows, a region's) found by comparing neighbours, or the
    chunk's dictionary (Parquet's, or one built by hashing when the runs are short)."""
    n = len(chunk)
    if not pa.types.is_dictionary(chunk.type) and n > 1:
        differs = pc.not_equal(chunk.slice(0, n - 1), chunk.slice(1))
        starts = np.flatnonzero(differs.to_numpy(zero_copy_only=False)) + 1
        if len(starts) < n // _MIN_RUN:
            heads = np.concatenate([[0], starts])
            lengths = np.diff(np.append(heads, n))
            values = chunk.take(pa.array(heads)).to_pylist()
            return values, lambda codes: np.repeat(codes, lengths)
    encoded = chunk if pa.types.is_dictionary(chunk.type) else pc.dictionary_encode(chunk)
    indices = encoded.indices.to_numpy()
    return encoded.dictionary.cast(kind).to_pylist(), lambda codes: codes[indices]


def _packed(codes: Sequence[NDArray[np.int64]]) -> NDArray[np.int64] | None:
    """The key codes packed into one int64 with the same order (mixed radix over each
    column's range), or None when their ranges do not fit in 62 bits."""
    packed: NDArray[np.int64] | None = None
    capacity = 1
    for column in codes:
        low, high = int(column.min()), int(column.max())
        span = high - low + 1
        capacity *= span
        if capacity >= _PACK_LIMIT:
            return None
        shifted = column - low
        packed = shifted if packed is None else packed * span + shifted
    return packed
