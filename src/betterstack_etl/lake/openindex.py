"""The index of open rows kept beside the tables (``<root>/_state/<table>.open.parquet``).

A table that declares ``open_while_null`` (incidents: ``resolved_at``) has rows that the
pipeline re-reads every run until that column is set. Finding them used to read every partition
of the table; the index holds just their key, ``monitor_id`` and partition column, so the lookup
costs one read however long the history. It lives under ``_state/`` at the lake's root, outside
every table's folder, so BigQuery and the DuckDB views never read it as data.

It may list a row that has since closed (harmless: it is re-read once, and the merge that lands
it removes it) but never misses an open one:

- a merge adds the open rows of a file to the index *before* replacing the file, and removes the
  rows that file shows closed only *after* (and, in GCS, only if nobody changed the index in
  between: a skipped removal leaves a harmless stale entry);
- a missing or unreadable index is rebuilt from the partitions (``rebuild``), keeping the
  entries it already had that the partitions do not show closed (a merge may be in flight).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from betterstack_etl.errors import ConcurrentWriteError
from betterstack_etl.lake.base import FileChanged

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from contextlib import AbstractContextManager
    from datetime import date

    from betterstack_etl.tables import TableSpec

__all__ = [
    "STATE_DIR",
    "IndexStore",
    "OpenIndex",
    "anti_join",
    "concat_as",
    "index_columns",
    "index_name",
]

log = logging.getLogger(__name__)

STATE_DIR: Final = "_state"
_ATTEMPTS: Final = 8


def index_name(spec: TableSpec) -> str:
    """The index file's name under ``<root>/_state/``."""
    return f"{spec.name}.open.parquet"


def index_columns(spec: TableSpec) -> list[str]:
    """Key, ``monitor_id`` (when the table has it) and the partition column."""
    wanted = [*spec.key, "monitor_id", spec.partition_by]
    return [c for i, c in enumerate(wanted) if c in spec.schema.names and c not in wanted[:i]]


class IndexStore(Protocol):
    """Where one table's index lives (a local file under a lock, or a GCS object)."""

    def load(self) -> tuple[pa.Table | None, int]:
        """The index rows (None when missing or unreadable) and the version to replace."""
        ...

    def save(self, table: pa.Table, token: int) -> int:
        """Replace the index if it is still at ``token`` (FileChanged otherwise); new token."""
        ...

    def exclusive(self) -> AbstractContextManager[None]:
        """Held around each read-modify-write (a lock locally; nothing in GCS)."""
        ...


class OpenIndex:
    """The open rows of one table; ``scan`` yields the partitions' rows for a rebuild."""

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
        self._columns = index_columns(spec)
        self._schema = pa.schema([spec.schema.field(c) for c in self._columns])

    def _open(self, table: pa.Table) -> pa.Table:
        column = self._spec.open_while_null
        assert column is not None
        return table.filter(pc.is_null(table.column(column))).select(self._columns)

    def _closed_keys(self, table: pa.Table) -> pa.Table:
        column = self._spec.open_while_null
        assert column is not None
        return table.filter(pc.is_valid(table.column(column))).select(list(self._spec.key))

    def rows(self) -> pa.Table:
        """The index (rebuilt from the partitions first when missing or unreadable)."""
        table, _ = self._store.load()
        return self.rebuild() if table is None else table

    def add(self, merged: pa.Table) -> int:
        """Record the open rows of a file about to be written; the token to pass to
        ``remove_closed`` once it is written."""
        fresh = self._open(merged)
        for _ in range(_ATTEMPTS):
            with self._store.exclusive():
                current, token = self._store.load()
                if current is None:
                    return self._rebuild_locked(extra=fresh)
                missing = anti_join(fresh, current, self._spec.key)
                if missing.num_rows == 0:
                    return token
                try:
                    return self._store.save(concat_as(self._schema, current, missing), token)
                except FileChanged:
                    continue
        raise ConcurrentWriteError(
            f"{self._spec.name}: the open-rows index kept changing during {_ATTEMPTS} attempts",
            hint="another run is merging the same table; let it finish and run again",
        )

    def remove_closed(self, written: pa.Table, token: int | None) -> None:
        """Drop the rows ``written`` shows closed, unless the index changed since ``token``
        (then they stay, stale and harmless, until a later merge removes them)."""
        closed = self._closed_keys(written)
        if closed.num_rows == 0:
            return
        with self._store.exclusive():
            current, now = self._store.load()
            if current is None or (token is not None and now != token):
                return
            kept = anti_join(current, closed, self._spec.key)
            if kept.num_rows == current.num_rows:
                return
            try:
                self._store.save(kept, now)
            except FileChanged:
                log.info("%s: index changed; closed rows stay listed for now", self._spec.name)

    def rebuild(self) -> pa.Table:
        """Rebuild the index from the partitions (and keep in-flight entries); returns it."""
        with self._store.exclusive():
            self._rebuild_locked(extra=None)
        table, _ = self._store.load()
        return self._schema.empty_table() if table is None else table

    def _rebuild_locked(self, extra: pa.Table | None) -> int:
        wanted = [*self._columns, self._spec.open_while_null]
        found: list[pa.Table] = []
        closed: list[pa.Table] = []
        for part in self._scan([c for c in dict.fromkeys(wanted) if c is not None]):
            found.append(self._open(part))
            closed.append(self._closed_keys(part))
        scanned = concat_as(self._schema, *found, *([extra] if extra is not None else []))
        keys = pa.schema([self._spec.schema.field(k) for k in self._spec.key])
        shut = concat_as(keys, *closed)
        for _ in range(_ATTEMPTS):
            current, token = self._store.load()
            table = scanned
            if current is not None:  # keep what merges added meanwhile, unless shown closed
                kept = anti_join(anti_join(current, scanned, self._spec.key), shut, self._spec.key)
                table = concat_as(self._schema, scanned, kept)
            try:
                return self._store.save(table, token)
            except FileChanged:
                continue
        raise ConcurrentWriteError(
            f"{self._spec.name}: the open-rows index kept changing while it was rebuilt",
            hint="another run is merging the same table; let it finish and run again",
        )

    def lookup(self, monitors: Sequence[str] | None, before: date) -> list[str]:
        """Keys (first key column) of open rows started before ``before``, for ``monitors``."""
        table = self.rows()
        dates = _dates(table.column(self._spec.partition_by))
        mask = pc.less(dates, pa.scalar(before, pa.date32()))
        if monitors is not None and "monitor_id" in table.column_names:
            wanted = pa.array(list(monitors), pa.string())
            mask = pc.and_(mask, pc.is_in(table.column("monitor_id"), wanted))
        ids = table.filter(mask).column(self._spec.key[0]).to_pylist()
        return sorted(str(i) for i in ids)


def _dates(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_date32(column.type):
        return column
    return pc.cast(pc.cast(column, pa.timestamp("ms", tz="UTC")), pa.date32())


def concat_as(schema: pa.Schema, *tables: pa.Table) -> pa.Table:
    parts = [t.select(schema.names).cast(schema) for t in tables if t.num_rows]
    return pa.concat_tables(parts) if parts else schema.empty_table()


def anti_join(left: pa.Table, right: pa.Table, key: Sequence[str]) -> pa.Table:
    """Rows of ``left`` whose key is not in ``right``."""
    if left.num_rows == 0 or right.num_rows == 0:
        return left
    return left.join(right.select(list(key)), list(key), join_type="left anti").select(
        left.column_names
    )
