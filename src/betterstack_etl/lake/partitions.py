"""Partition helpers (the seed's ``utils/tasks.py`` role): pure functions on Arrow tables.

- ``partition_dates``: the ``data_particao`` (UTC date) of each row of a table;
- ``split_by_partition``: one sub-table per partition;
- ``check_partition``: refuse rows offered to a partition they do not belong to.

The merge by key lives with the lakes (``lake.merge``), the file layout in ``lake.layout``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from betterstack_etl.tables import PARTITION_COLUMN

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import date

    from betterstack_etl.tables import TableSpec

__all__ = [
    "check_partition",
    "partition_dates",
    "partition_dirname",
    "split_by_partition",
]

_MS_PER_DAY = 86_400_000


def partition_dirname(partition: date) -> str:
    """``data_particao=YYYY-MM-DD``"""
    return f"{PARTITION_COLUMN}={partition.isoformat()}"


def partition_dates(spec: TableSpec, table: pa.Table) -> pa.Array:
    """The UTC calendar date (date32) of ``spec.partition_by`` for every row."""
    column = table.column(spec.partition_by)
    if pa.types.is_date32(column.type):
        return column.combine_chunks()
    if not pa.types.is_timestamp(column.type):
        raise TypeError(f"{spec.name}.{spec.partition_by} must be a timestamp or a date")
    millis = pc.cast(pc.cast(column, pa.timestamp("ms", tz="UTC")), pa.int64())
    days = pc.floor(pc.divide(pc.cast(millis, pa.float64()), float(_MS_PER_DAY)))
    return pc.cast(pc.cast(days, pa.int32()), pa.date32()).combine_chunks()


def split_by_partition(spec: TableSpec, table: pa.Table) -> Iterator[tuple[date, pa.Table]]:
    """Yield ``(partition, rows)`` for each partition present in ``table``, ascending."""
    if table.num_rows == 0:
        return
    dates = partition_dates(spec, table)
    for value in sorted(pc.unique(dates).to_pylist()):
        yield value, table.filter(pc.equal(dates, pa.scalar(value, pa.date32())))


def check_partition(spec: TableSpec, partition: date, rows: pa.Table) -> None:
    """Refuse rows that do not all belong to ``partition`` (a lake merges one partition): the
    earliest and the latest value of ``spec.partition_by`` must both fall on it."""
    if rows.num_rows == 0:
        return
    column = rows.column(spec.partition_by)
    bounds = pc.min_max(column)
    ends = pa.table({spec.partition_by: pa.array([bounds["min"], bounds["max"]], column.type)})
    if column.null_count or pc.any(pc.not_equal(partition_dates(spec, ends), partition)).as_py():
        raise ValueError(
            f"{spec.name}: rows offered to partition {partition} belong to other partitions "
            "(split them with utils.partitions.split_by_partition first)"
        )
