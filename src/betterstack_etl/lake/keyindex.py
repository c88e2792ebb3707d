"""Where each key of a table lives, kept beside the tables (``<root>/_state/<table>.keys.parquet``).

SPEC §3: a key is unique in the whole table, not only in its partition. For a table whose
partition column is not part of its key (incidents: ``started_at``), a row can change partition
at the source: an incident whose start is corrected into another UTC day lands in another
partition, and its old row must go. Finding that old row by reading every partition would cost
the whole history on every merge; the index holds one row per key and partition (the key
columns and ``data_particao``), so a merge reads one file to learn which of its keys live
elsewhere.

Like the open-rows index it may list a pair that no longer holds the key (harmless: the next
settle reads that partition, finds nothing, and forgets the pair) but never misses one:

- a merge *claims* the keys of each file it is about to write (their pair is added before the
  file is replaced), and learns which of them the index lists in other partitions;
- after the merge the lake *settles* those keys: the newest extraction's row stays, the others
  are removed from their partitions, and only then are their pairs forgotten;
- a missing or unreadable index is rebuilt from the partitions (keeping the pairs it had: a
  merge may be in flight). A key listed in two partitions (a settle cut short by a crash, or a
  lake written before the index) is settled by the next merge of the table, or by ``repair``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import pyarrow as pa
import pyarrow.compute as pc

from betterstack_etl.errors import ConcurrentWriteError
from betterstack_etl.lake.base import FileChanged
from betterstack_etl.lake.openindex import anti_join, concat_as
from betterstack_etl.tables import PARTITION_COLUMN

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from datetime import date

    from betterstack_etl.lake.openindex import IndexStore
    from betterstack_etl.tables import TableSpec

__all__ = ["KeyIndex", "key_index_name"]

log = logging.getLogger(__name__)

_ATTEMPTS: Final = 8


def key_index_name(spec: TableSpec) -> str:
    """The index file's name under ``<root>/_state/``."""
    return f"{spec.name}.keys.parquet"


class KeyIndex:
    """The (key, partition) pairs of one table; ``scan`` yields the partitions' rows (the key
    columns and ``data_particao``) for a rebuild."""

    def __init__(
        self,
        spec: TableSpec,
        store: IndexStore,
        scan: Callable[[Sequence[str]], Iterable[pa.Table]],
    ) -> None:
        if not spec.keys_can_move:
            raise ValueError(f"{spec.name}: its partition is a function of its key")
        self._spec = spec
        self._store = store
        self._scan = scan
        self._key = list(spec.key)
        self._pair = [*self._key, PARTITION_COLUMN]
        fields = [spec.schema.field(k) for k in self._key]
        self._schema = pa.schema([*fields, pa.field(PARTITION_COLUMN, pa.date32(), False)])

    def pairs(self, rows: pa.Table, partition: date) -> pa.Table:
        """The distinct keys of ``rows`` as pairs with ``partition``."""
        keys = rows.select(self._key).group_by(self._key).aggregate([])
        day = pa.array([partition] * keys.num_rows, pa.date32())
        return concat_as(self._schema, keys.append_column(PARTITION_COLUMN, day))

    def claim(self, rows: pa.Table, partition: date) -> pa.Table:
        """Record that the keys of ``rows`` live in ``partition`` (before their file is
        written). Returns the pairs to settle: those keys listed in another partition, and
        any key the index lists in more than one."""
        mine = self.pairs(rows, partition)
        for _ in range(_ATTEMPTS):
            with self._store.exclusive():
                current, token = self._store.load()
                if current is None:
                    self._rebuild_locked(extra=mine)
                    current, token = self._store.load()
                    current = mine if current is None else current
                missing = anti_join(mine, current, self._pair)
                table = (
                    current if missing.num_rows == 0 else concat_as(self._schema, current, missing)
                )
                if missing.num_rows:
                    try:
                        self._store.save(table, token)
                    except FileChanged:
                        continue
            return self._unsettled(table, mine)
        raise ConcurrentWriteError(
            f"{self._spec.name}: the key index kept changing during {_ATTEMPTS} attempts",
            hint="another run is merging the same table; let it finish and run again",
        )

    def _unsettled(self, table: pa.Table, mine: pa.Table) -> pa.Table:
        """The pairs of every key listed in more than one partition, among the keys of
        ``mine`` and (a move cut short) among all."""
        found = self._of_keys(table, mine.select(self._key))
        if self._listed_twice(table):
            counts = table.group_by(self._key).aggregate([([], "count_all")])
            twice = counts.filter(pc.greater(counts.column("count_all"), 1)).select(self._key)
            found = concat_as(self._schema, found, self._of_keys(table, twice))
        if found.num_rows == 0:
            return self._schema.empty_table()
        counts = found.group_by(self._pair).aggregate([]).group_by(self._key)
        several = counts.aggregate([([], "count_all")])
        several = several.filter(pc.greater(several.column("count_all"), 1)).select(self._key)
        if several.num_rows == 0:
            return self._schema.empty_table()
        pairs = found.group_by(self._pair).aggregate([])
        return concat_as(self._schema, self._of_keys(pairs, several))

    def _of_keys(self, table: pa.Table, keys: pa.Table) -> pa.Table:
        """The rows of ``table`` whose key is among ``keys``."""
        if keys.num_rows == 0 or table.num_rows == 0:
            return table.slice(0, 0)
        if len(self._key) == 1:
            name = self._key[0]
            return table.filter(pc.is_in(table.column(name), keys.column(name)))
        distinct = keys.group_by(self._key).aggregate([])
        return table.join(distinct, self._key, join_type="inner").select(table.column_names)

    def _listed_twice(self, table: pa.Table) -> bool:
        """Whether some key has pairs in two partitions (cheap for a one-column key)."""
        if len(self._key) == 1:
            return bool(pc.count_distinct(table.column(self._key[0])).as_py() < table.num_rows)
        return bool(table.group_by(self._key).aggregate([]).num_rows < table.num_rows)

    def duplicates(self) -> pa.Table:
        """Pairs of every key the index lists in more than one partition."""
        table = self.rows()
        return self._unsettled(table, self._schema.empty_table())

    def forget(self, pairs: pa.Table) -> None:
        """Drop ``pairs`` (their partition no longer holds the key). Best effort: a pair left
        behind is stale and harmless."""
        if pairs.num_rows == 0:
            return
        for _ in range(_ATTEMPTS):
            with self._store.exclusive():
                current, token = self._store.load()
                if current is None:
                    return
                kept = anti_join(current, pairs.select(self._pair), self._pair)
                if kept.num_rows == current.num_rows:
                    return
                try:
                    self._store.save(kept, token)
                except FileChanged:
                    continue
                return
        log.info("%s: key index busy; %d stale pair(s) stay", self._spec.name, pairs.num_rows)

    def rows(self) -> pa.Table:
        """The index (rebuilt from the partitions first when missing or unreadable)."""
        table, _ = self._store.load()
        return self.rebuild() if table is None else table

    def rebuild(self) -> pa.Table:
        """Rebuild the index from the partitions (and keep in-flight pairs); returns it."""
        with self._store.exclusive():
            self._rebuild_locked(extra=None)
        table, _ = self._store.load()
        return self._schema.empty_table() if table is None else table

    def _rebuild_locked(self, extra: pa.Table | None) -> None:
        found = [
            concat_as(self._schema, part.group_by(self._pair).aggregate([]))
            for part in self._scan(self._pair)
        ]
        scanned = concat_as(self._schema, *found, *([extra] if extra is not None else []))
        for _ in range(_ATTEMPTS):
            current, token = self._store.load()
            table = scanned
            if current is not None:  # keep what merges added meanwhile
                table = concat_as(self._schema, scanned, anti_join(current, scanned, self._pair))
            try:
                self._store.save(table, token)
                return
            except FileChanged:
                continue
        raise ConcurrentWriteError(
            f"{self._spec.name}: the key index kept changing while it was rebuilt",
            hint="another run is merging the same table; let it finish and run again",
        )
