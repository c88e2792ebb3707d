"""What every lake does the same way, over a small per-flavour object store (SPEC §3, §10).

A flavour (``lake.local``: a folder; ``gcp.storage``: a GCS bucket) says how to reach one
partition's files (a ``files.PartitionStore``) and one state file beside the tables (an
``openindex.IndexStore``), which partitions exist, what it lists under a table's folder
(``Entry``, for ``verify``), how a file moved aside is read, and what holding a partition for
writing means (an ``flock`` locally; nothing in GCS, whose every replace is conditional).

Everything else is here, once: the merge of a partition file by file with the indexes beside
the tables (open rows; where each key lives), reading a partition, scanning a table, verifying,
finishing a migration that was cut short, and settling keys that moved to another partition.
One rule for a file that changes under a reader or a writer (a concurrent run, a repair): read
or merge again, a bounded number of times, then ``ConcurrentWriteError``; the internal
``FileChanged`` never leaves a lake.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Final, Literal, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from betterstack_etl.errors import ConcurrentWriteError, DamagedFileError, StorageError
from betterstack_etl.lake.base import FileChanged, LakeProblem, NotPermitted
from betterstack_etl.lake.files import (
    CheckedRows,
    NoRows,
    StoredFile,
    TableRows,
    backoff,
    merge_partition_files,
    read_partition_files,
    remove_rows,
)
from betterstack_etl.lake.keyindex import KeyIndex, key_index_name
from betterstack_etl.lake.layout import (
    LEGACY_FILE,
    decode_parquet,
    is_data_file,
    is_hidden,
    parse_partition_dir,
)
from betterstack_etl.lake.openindex import OpenIndex, anti_join, index_name
from betterstack_etl.lake.partitions import check_partition, partition_dates
from betterstack_etl.lake.reach import ReachIndex, reach_name
from betterstack_etl.lake.reach import reaching as reaching_partitions
from betterstack_etl.tables import EXTRACTED_AT, PARTITION_COLUMN, TABLES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from contextlib import AbstractContextManager
    from datetime import date

    from betterstack_etl.lake.base import IncomingRows, PartitionResult
    from betterstack_etl.lake.files import PartitionStore
    from betterstack_etl.lake.openindex import IndexStore
    from betterstack_etl.tables import TableSpec

__all__ = ["Entry", "EntryKind", "LakeCore", "damaged"]

log = logging.getLogger(__name__)

T = TypeVar("T")
EntryKind = Literal["folder", "file", "link", "other"]
_ATTEMPTS: Final = 5


@dataclass(frozen=True, slots=True)
class Entry:
    """One thing under a table's folder, as a flavour lists it for ``verify``."""

    folder: str  # its name under the table's folder (the first level)
    folder_location: str
    file: str | None = None  # its name inside that folder; None: the first level itself
    stored: StoredFile | None = None  # a file's location and version
    kind: EntryKind = "folder"  # link: a symbolic link; other: neither a file nor a folder


def damaged(location: str, exc: Exception) -> DamagedFileError:
    """The error for a file that is not this table's Parquet (the fix: ``repair``; no task
    retry reads it better)."""
    return DamagedFileError(
        f"cannot read {location}: {exc}",
        path=location,
        hint="the file is damaged or not this table's Parquet: run `betterstack-etl repair` "
        f"(or move {location} out of the table's folder) and re-run the pipeline for that date",
    )


class LakeCore:
    """The ``Lake`` operations every flavour shares; a flavour implements the ``_`` hooks
    below and ``partitions``, ``quarantine``, ``repair_lock`` and ``publish``."""

    def __init__(self, *, max_attempts: int, sleep: Callable[[float], None]) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._max_attempts = max_attempts
        self._sleep = sleep

    # -- what a flavour provides -----------------------------------------------------------

    def _partition_store(self, spec: TableSpec, partition: date) -> PartitionStore:
        raise NotImplementedError

    def _state_store(self, name: str) -> IndexStore:
        raise NotImplementedError

    def _writing(self, spec: TableSpec, partition: date) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _entries(self, spec: TableSpec) -> Iterator[Entry]:
        raise NotImplementedError

    def _aside(self, location: str) -> list[bytes | str]:
        """The files (bytes, or local paths) of a file or folder moved aside."""
        raise NotImplementedError

    def partitions(self, spec: TableSpec) -> list[date]:
        raise NotImplementedError

    # -- reading ---------------------------------------------------------------------------

    def _retrying(self, what: str, action: Callable[[], T]) -> T:
        """``action()``, again while a file changes under it, then ConcurrentWriteError."""
        for attempt in range(1, self._max_attempts + 1):
            try:
                return action()
            except FileChanged as exc:
                log.info("%s: %s changed meanwhile (attempt %d)", what, exc, attempt)
                if attempt < self._max_attempts:
                    self._sleep(backoff(attempt))
        raise ConcurrentWriteError(
            f"{what} kept changing during {self._max_attempts} attempts",
            hint="another run or a repair is writing it; let it finish and run again",
        )

    def read_partition(self, spec: TableSpec, partition: date) -> pa.Table | None:
        store = self._partition_store(spec, partition)
        return self._retrying(
            f"{spec.name} partition {partition}", lambda: read_partition_files(store, spec)
        )

    def scan(self, spec: TableSpec, columns: Sequence[str]) -> Iterator[pa.Table]:
        """The given columns, partition by partition; damaged files are skipped with a
        warning (``verify`` lists them) so one bad file never blocks the rest."""
        wanted = [c for c in columns if c != PARTITION_COLUMN]
        for partition in self.partitions(spec):
            store = self._partition_store(spec, partition)
            table = self._retrying(
                f"{spec.name} partition {partition}",
                partial(read_partition_files, store, spec, wanted, skip_damaged=True),
            )
            if table is None:  # gone since it was listed
                continue
            if PARTITION_COLUMN in columns:
                value = pa.array([partition] * table.num_rows, pa.date32())
                table = table.append_column(PARTITION_COLUMN, value)
            yield table.select(list(columns))

    def read_aside(self, spec: TableSpec, location: str, columns: Sequence[str]) -> pa.Table:
        """The given columns of every file moved aside at ``location`` (a file or a folder);
        StorageError when one of them cannot be read."""
        parts = []
        for source in self._aside(location):
            try:
                parts.append(decode_parquet(spec, source, columns))
            except (OSError, pa.ArrowException, ValueError) as exc:
                raise damaged(location, exc) from exc
        return pa.concat_tables(parts) if parts else spec.schema.empty_table().select(columns)

    def missing_keys(self, spec: TableSpec, rows: pa.Table) -> int:
        """How many distinct keys of ``rows`` (key columns and ``spec.partition_by``) the
        table does not hold (anywhere in it, for a table whose keys can move)."""
        key = list(spec.key)
        wanted = rows.select(key).group_by(key).aggregate([])
        keys = self._key_index(spec)
        if keys is not None:
            held = keys.rows().select(key)
        else:
            found = [
                part.select(key)
                for day in pc.unique(partition_dates(spec, rows)).to_pylist()
                if (part := self.read_partition(spec, day)) is not None
            ]
            held = pa.concat_tables(found) if found else wanted.slice(0, 0)
        return int(anti_join(wanted, held.cast(wanted.schema), key).num_rows)

    # -- merging ---------------------------------------------------------------------------

    def merge_partition(
        self, spec: TableSpec, partition: date, incoming: pa.Table | IncomingRows
    ) -> PartitionResult:
        if isinstance(incoming, pa.Table):
            check_partition(spec, partition, incoming)
            incoming = TableRows(spec, incoming)
        keys = self._key_index(spec)
        hooks = _Hooks(self._index(spec), keys, partition, self._reach(spec))
        with self._writing(spec, partition):
            result = self._merge(spec, partition, CheckedRows(spec, partition, incoming), hooks)
        if keys is not None and hooks.unsettled:
            self._settle(spec, keys, pa.concat_tables(hooks.unsettled), prefer=partition)
        return result

    def _merge(
        self,
        spec: TableSpec,
        partition: date,
        incoming: IncomingRows,
        hooks: _Hooks,
        *,
        finish_legacy: bool = False,
    ) -> PartitionResult:
        store = self._partition_store(spec, partition)
        return self._retrying(
            f"{spec.name} partition {partition}",
            lambda: merge_partition_files(
                store,
                spec,
                partition,
                incoming,
                index=hooks,
                max_attempts=self._max_attempts,
                sleep=self._sleep,
                finish_legacy=finish_legacy,
            ),
        )

    def finish_migrations(self, specs: Sequence[TableSpec]) -> list[PartitionResult]:
        """Rewrite each legacy ``data.parquet`` that sits beside bucket files into its buckets
        (a migration cut short: glob readers count its keys twice until it is done)."""
        done = []
        for spec in specs:
            if not spec.file_key:
                continue
            for partition in self.partitions(spec):
                if not _interrupted(self._partition_store(spec, partition).list_files()):
                    continue
                hooks = _Hooks(
                    self._index(spec), self._key_index(spec), partition, self._reach(spec)
                )
                with self._writing(spec, partition):
                    done.append(self._merge(spec, partition, NoRows(), hooks, finish_legacy=True))
                log.warning("%s %s: the interrupted migration was finished", spec.name, partition)
        return done

    # -- where keys live (SPEC §3: a key is unique in the whole table) -----------------------

    def _key_index(self, spec: TableSpec) -> KeyIndex | None:
        if not spec.keys_can_move:
            return None
        store = self._state_store(key_index_name(spec))
        return KeyIndex(spec, store, lambda columns: self.scan(spec, columns))

    def settle_keys(self, specs: Sequence[TableSpec]) -> int:
        removed = 0
        for spec in specs:
            keys = self._key_index(spec)
            if keys is not None:
                removed += self._settle(spec, keys, keys.duplicates(), prefer=None)
        return removed

    def _settle(self, spec: TableSpec, keys: KeyIndex, pairs: pa.Table, prefer: date | None) -> int:
        """Keep each key of ``pairs`` in one partition: the row extracted last stays (a tie:
        the partition just merged, else the later one), the others are removed from their
        partitions (only if still no newer), then their pairs are forgotten."""
        if pairs.num_rows == 0:
            return 0
        key = list(spec.key)
        wanted = pairs.select(key).group_by(key).aggregate([])
        found: list[tuple[tuple[object, ...], date, object]] = []
        for day in sorted(set(pairs.column(PARTITION_COLUMN).to_pylist())):
            store = self._partition_store(spec, day)
            table = self._retrying(
                f"{spec.name} partition {day}",
                partial(read_partition_files, store, spec, [*key, EXTRACTED_AT]),
            )
            if table is None:
                continue
            for row in table.join(wanted, key, join_type="inner").to_pylist():
                found.append((tuple(row[k] for k in key), day, row[EXTRACTED_AT]))
        best: dict[tuple[object, ...], tuple[date, object]] = {}
        for ident, day, extracted in found:
            rank = (extracted, day == prefer, day)
            held = best.get(ident)
            if held is None or rank > (held[1], held[0] == prefer, held[0]):
                best[ident] = (day, extracted)
        removed = 0
        losers: dict[date, list[dict[str, object]]] = {}
        for ident, day, _ in found:
            if best[ident][0] != day:
                row = dict(zip(key, ident, strict=True))
                losers.setdefault(day, []).append({**row, EXTRACTED_AT: best[ident][1]})
        for day, rows in sorted(losers.items()):
            fields = [spec.schema.field(c) for c in (*key, EXTRACTED_AT)]
            doomed = pa.Table.from_pylist(rows, schema=pa.schema(fields))
            store = self._partition_store(spec, day)
            with self._writing(spec, day):
                removed += self._retrying(
                    f"{spec.name} partition {day}", partial(remove_rows, store, spec, doomed)
                )
            log.warning(
                "%s: %d row(s) moved out of partition %s (SPEC §3)", spec.name, len(rows), day
            )
        kept = [
            {**dict(zip(key, i, strict=True)), PARTITION_COLUMN: d} for i, (d, _) in best.items()
        ]
        winners = pa.Table.from_pylist(kept, schema=pairs.schema) if kept else pairs.slice(0, 0)
        keys.forget(anti_join(pairs, winners, [*key, PARTITION_COLUMN]))
        return removed

    # -- open rows -------------------------------------------------------------------------

    def _index(self, spec: TableSpec) -> OpenIndex | None:
        if spec.open_while_null is None:
            return None
        store = self._state_store(index_name(spec))
        return OpenIndex(spec, store, lambda columns: self.scan(spec, columns))

    def _reach(self, spec: TableSpec) -> ReachIndex | None:
        if spec.open_while_null is None:
            return None
        store = self._state_store(reach_name(spec))
        return ReachIndex(spec, store, lambda columns: self.scan(spec, columns))

    def open_keys(self, spec: TableSpec, monitors: Sequence[str] | None, before: date) -> list[str]:
        index = self._index(spec)
        return [] if index is None else index.lookup(monitors, before)

    def reaching(self, spec: TableSpec, since: date) -> list[date]:
        index, reach = self._index(spec), self._reach(spec)
        if index is None or reach is None:
            return [d for d in self.partitions(spec) if d < since]
        return reaching_partitions(spec, reach.rows(), index.rows(), since)

    def rebuild_indexes(self, specs: Sequence[TableSpec] | None = None) -> None:
        for spec in TABLES if specs is None else specs:
            index = self._index(spec)
            if index is not None:
                index.rebuild()
            reach = self._reach(spec)
            if reach is not None:
                reach.rebuild()
            keys = self._key_index(spec)
            if keys is not None:
                keys.rebuild()

    # -- damaged lakes ---------------------------------------------------------------------

    def verify(self, specs: Sequence[TableSpec] | None = None) -> list[LakeProblem]:
        problems: list[LakeProblem] = []
        for spec in TABLES if specs is None else specs:
            bad_folders: dict[str, None] = {}
            files: dict[date, list[StoredFile]] = {}
            for entry in self._entries(spec):
                if is_hidden(entry.folder) or (entry.file is not None and is_hidden(entry.file)):
                    continue
                day = parse_partition_dir(entry.folder)
                where = entry.stored.location if entry.stored else entry.folder_location
                if entry.kind == "link":
                    problems.append(LakeProblem("symlink", spec.name, where, _LINK))
                elif entry.file is None and entry.kind != "folder":
                    problems.append(LakeProblem("stray", spec.name, where, _STRAY))
                elif day is None:
                    bad_folders.setdefault(entry.folder_location)
                elif entry.file is None or entry.stored is None:
                    continue
                elif entry.kind != "file" or not is_data_file(entry.file) or "/" in entry.file:
                    problems.append(LakeProblem("stray", spec.name, where, _STRAY))
                else:
                    problems += self._check(spec, day, entry.stored)
                    files.setdefault(day, []).append(entry.stored)
            problems += [
                LakeProblem("bad_folder", spec.name, f, "not data_particao=YYYY-MM-DD")
                for f in bad_folders
            ]
            problems += [
                LakeProblem("migration", spec.name, legacy.location, _MIGRATION)
                for stored in files.values()
                if spec.file_key and _interrupted({s.name: s for s in stored})
                for legacy in stored
                if legacy.name == LEGACY_FILE
            ]
        return problems

    def _check(self, spec: TableSpec, day: date, stored: StoredFile) -> list[LakeProblem]:
        try:
            self._partition_store(spec, day).read(stored)
        except NotPermitted as exc:
            return [LakeProblem("forbidden", spec.name, stored.location, exc.message)]
        except FileChanged:
            return []  # gone since it was listed: nothing to report
        except StorageError as exc:
            return [LakeProblem("damaged", spec.name, stored.location, exc.message)]
        return []


_LINK: Final = "a symbolic link: the lake never writes through one"
_STRAY: Final = "not a file of the lake"
_MIGRATION: Final = (
    "a legacy file beside bucket files (a migration cut short): glob readers count its keys "
    "twice until it is finished"
)


def _interrupted(files: dict[str, StoredFile]) -> bool:
    return LEGACY_FILE in files and len(files) > 1


class _Hooks:
    """Around each file a merge replaces: the open-rows index (``add`` before, closed rows
    removed after), the key index (the file's keys claimed before it is written) and the
    reach summary (raised before)."""

    def __init__(
        self,
        index: OpenIndex | None,
        keys: KeyIndex | None,
        partition: date,
        reach: ReachIndex | None = None,
    ) -> None:
        self._index = index
        self._keys = keys
        self._partition = partition
        self._reach = reach
        self.unsettled: list[pa.Table] = []

    def add(self, merged: pa.Table) -> int | None:
        if self._reach is not None:
            self._reach.raise_to(merged, self._partition)
        if self._keys is not None:
            pairs = self._keys.claim(merged, self._partition)
            if pairs.num_rows:
                self.unsettled.append(pairs)
        return None if self._index is None else self._index.add(merged)

    def remove_closed(self, written: pa.Table, token: int | None) -> None:
        if self._index is not None:
            self._index.remove_closed(written, token)
