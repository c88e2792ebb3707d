"""How far each partition's rows reach in time, kept beside the tables (issue 24):
``<root>/_state/<table>.reach.parquet``, one row per partition: ``data_particao`` and ``reach``,
the latest ``open_while_null`` value (incidents: ``resolved_at``) of the partition's rows.

Incidents are partitioned by the day they started, yet a month's SLA also counts the ones that
started before it and were resolved in it (or are still open). Which older partitions hold such
an incident: those whose ``reach`` is at or after the month's start, and those the open-rows
index (``lake.openindex``) lists. Reading just these keeps a month's query bounded by the month,
not by the lake's age (``reaching``; the SQL then names those partitions: ``sla.views``).

It may say a partition reaches later than it does (harmless: one more partition read) but never
earlier:

- a merge raises a partition's ``reach`` to the latest value of the file it is about to write,
  *before* replacing the file, and never lowers it;
- a missing or unreadable summary is rebuilt from the partitions (``rebuild``), keeping the
  larger of the scanned and the stored value of each partition (a merge may be in flight).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import pyarrow as pa
import pyarrow.compute as pc

from betterstack_etl.errors import ConcurrentWriteError
from betterstack_etl.lake.base import FileChanged
from betterstack_etl.tables import PARTITION_COLUMN

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from datetime import date

    from betterstack_etl.lake.openindex import IndexStore
    from betterstack_etl.tables import TableSpec

__all__ = ["REACH_COLUMN", "ReachIndex", "reach_name", "reaching"]

REACH_COLUMN: Final = "reach"
_ATTEMPTS: Final = 8


def reach_name(spec: TableSpec) -> str:
    """The summary file's name under ``<root>/_state/``."""
    return f"{spec.name}.reach.parquet"


def _schema(spec: TableSpec) -> pa.Schema:
    column = spec.open_while_null
    assert column is not None
    return pa.schema(
        [
            pa.field(PARTITION_COLUMN, pa.date32()),
            pa.field(REACH_COLUMN, spec.schema.field(column).type),
        ]
    )


class ReachIndex:
    """Each partition's latest ``open_while_null`` value; ``scan`` yields the partitions' rows
    (with ``data_particao``) for a rebuild."""

    def __init__(
        self,
        spec: TableSpec,
        store: IndexStore,
        scan: Callable[[Sequence[str]], Iterable[pa.Table]],
    ) -> None:
        if spec.open_while_null is None:
            raise ValueError(f"{spec.name} declares no open rows (open_while_null)")
        self._spec = spec
        self._store = store
        self._scan = scan
        self._schema = _schema(spec)

    def _summary(self, table: pa.Table, partition: date | None = None) -> pa.Table:
        """``table``'s latest value per partition (``partition``: all its rows are of it)."""
        column = self._spec.open_while_null
        assert column is not None
        values = table.column(column)
        if partition is not None:
            latest = pc.max(values)
            if not latest.is_valid:
                return self._schema.empty_table()
            return pa.table([[partition], [latest.as_py()]], schema=self._schema)
        found = table.filter(pc.is_valid(values))
        grouped = found.group_by(PARTITION_COLUMN).aggregate([(column, "max")])
        return pa.table(
            [grouped.column(PARTITION_COLUMN), grouped.column(f"{column}_max")],
            schema=self._schema,
        )

    def rows(self) -> pa.Table:
        """The summary (rebuilt from the partitions first when missing or unreadable)."""
        table, _ = self._store.load()
        return self.rebuild() if table is None else table

    def raise_to(self, merged: pa.Table, partition: date) -> None:
        """Raise ``partition``'s reach to the latest value of ``merged``, the file about to be
        written there (before it is)."""
        fresh = self._summary(merged, partition)
        for _ in range(_ATTEMPTS):
            with self._store.exclusive():
                current, token = self._store.load()
                if current is None:
                    self._rebuild_locked(extra=fresh)
                    return
                combined = _larger(self._schema, current, fresh)
                if combined.equals(current):
                    return
                try:
                    self._store.save(combined, token)
                    return
                except FileChanged:
                    continue
        raise ConcurrentWriteError(
            f"{self._spec.name}: the reach summary kept changing during {_ATTEMPTS} attempts",
            hint="another run is merging the same table; let it finish and run again",
        )

    def rebuild(self) -> pa.Table:
        """Rebuild the summary from the partitions (keeping larger stored values)."""
        with self._store.exclusive():
            self._rebuild_locked(extra=None)
        table, _ = self._store.load()
        return self._schema.empty_table() if table is None else table

    def _rebuild_locked(self, extra: pa.Table | None) -> None:
        column = self._spec.open_while_null
        assert column is not None
        parts = [self._summary(part) for part in self._scan([PARTITION_COLUMN, column])]
        scanned = _larger(self._schema, *parts, *([extra] if extra is not None else []))
        for _ in range(_ATTEMPTS):
            current, token = self._store.load()
            table = scanned if current is None else _larger(self._schema, current, scanned)
            try:
                self._store.save(table, token)
                return
            except FileChanged:
                continue
        raise ConcurrentWriteError(
            f"{self._spec.name}: the reach summary kept changing while it was rebuilt",
            hint="another run is merging the same table; let it finish and run again",
        )


def _larger(schema: pa.Schema, *tables: pa.Table) -> pa.Table:
    """One row per partition: the largest reach of the tables, sorted by partition."""
    parts = [t.select(schema.names).cast(schema) for t in tables if t.num_rows]
    if not parts:
        return schema.empty_table()
    grouped = pa.concat_tables(parts).group_by(PARTITION_COLUMN).aggregate([(REACH_COLUMN, "max")])
    table = pa.table(
        [grouped.column(PARTITION_COLUMN), grouped.column(f"{REACH_COLUMN}_max")], schema=schema
    )
    return table.sort_by(PARTITION_COLUMN)


def reaching(spec: TableSpec, reach: pa.Table, open_rows: pa.Table, since: date) -> list[date]:
    """The partitions of ``spec`` before ``since`` (a UTC date) that may hold a row still open
    or ending at or after ``since``'s midnight: ``reach`` at or after it, or listed in
    ``open_rows`` (the open-rows index: its ``partition_by`` column). Sorted."""
    found: set[date] = set()
    for day, value in zip(
        reach.column(PARTITION_COLUMN).to_pylist(),
        reach.column(REACH_COLUMN).to_pylist(),
        strict=True,
    ):
        if day < since and value is not None and value.date() >= since:
            found.add(day)
    found |= {day for day in _days(open_rows.column(spec.partition_by)) if day < since}
    return sorted(found)


def _days(column: pa.ChunkedArray) -> list[date]:
    if not pa.types.is_date32(column.type):
        column = pc.cast(pc.cast(column, pa.timestamp("ms", tz="UTC")), pa.date32())
    return [d for d in column.to_pylist() if d is not None]
