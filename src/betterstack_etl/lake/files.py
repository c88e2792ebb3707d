"""The merge of one partition, file by file, over any storage (local folder or GCS bucket).

A lake hands :func:`merge_partition_files` a :class:`PartitionStore` (list, read, replace one
file atomically with a precondition, delete) and the incoming rows readable one file at a time
(:class:`IncomingRows`). Each touched file is merged on its own (:func:`merge.merge_rows`) and
replaced in one step; only one file's rows are in memory at a time.

A partition still in the legacy layout (one ``data.parquet`` holding every bucket) is rewritten
by its next non-empty merge, in this order: each bucket's new ``pXXX.parquet`` is written first
(its legacy rows merged with the incoming ones), then ``data.parquet`` is deleted. In between,
this package's readers let ``pXXX.parquet`` win over the legacy rows of its bucket, so they
never count a key twice nor miss one; a glob reader (DuckDB views, BigQuery) may count the keys
of the buckets written so far twice until ``data.parquet`` is gone, never zero times. A crash in
between leaves exactly that state, and the next merge of the partition finishes the job.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from betterstack_etl.errors import ConcurrentWriteError, StorageError
from betterstack_etl.lake.base import FileChanged, IncomingRows, PartitionResult
from betterstack_etl.lake.layout import (
    LEGACY_FILE,
    file_names,
    split_by_file,
    without_superseded,
)
from betterstack_etl.lake.merge import Merged, merge_rows
from betterstack_etl.lake.partitions import check_partition
from betterstack_etl.tables import EXTRACTED_AT

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import date

    from betterstack_etl.tables import TableSpec

__all__ = [
    "CheckedRows",
    "FileChanged",
    "FileHooks",
    "IncomingRows",
    "NoRows",
    "PartitionStore",
    "StoredFile",
    "TableRows",
    "backoff",
    "merge_partition_files",
    "read_partition_files",
    "remove_rows",
]

log = logging.getLogger(__name__)

_BOUND: Final = "__bound"
_ROW: Final = "__row"
_BACKOFF_SECONDS: Final = 0.05
_BACKOFF_CAP_SECONDS: Final = 2.0


@dataclass(frozen=True, slots=True)
class StoredFile:
    """One data file of a partition as listed: its name, where it is, and its version."""

    name: str
    location: str  # a path or a gs:// URI, for messages
    token: int  # the version to replace (GCS generation; 0 locally)
    rows: int | None = None  # row count when the listing knows it


class PartitionStore(Protocol):
    """One partition of one table in some storage."""

    def list_files(self) -> dict[str, StoredFile]:
        """Our data files in the partition (stray, hidden and temporary files excluded)."""
        ...

    def stat(self, name: str) -> StoredFile | None: ...

    def read(
        self,
        stored: StoredFile,
        columns: Sequence[str] | None = None,
        *,
        dictionaries: bool = False,
    ) -> pa.Table:
        """The file's rows (``spec.schema``; ``columns`` only when given, strings as
        dictionaries with ``dictionaries``); StorageError naming it when it is damaged,
        FileChanged when it changed since ``stored`` was listed."""
        ...

    def count_rows(self, stored: StoredFile) -> int: ...

    def write(self, name: str, table: pa.Table, replacing: StoredFile | None) -> None:
        """Replace ``name`` (or create it when ``replacing`` is None) in one step, only if it
        is still ``replacing``; FileChanged otherwise."""
        ...

    def delete(self, stored: StoredFile) -> None:
        """Delete the file if it is still ``stored`` (FileChanged otherwise)."""
        ...


class FileHooks(Protocol):
    """What a lake records beside the tables around each file it replaces (its indexes)."""

    def add(self, merged: pa.Table) -> int | None:
        """Before the file is replaced by ``merged``: a token for ``remove_closed``."""
        ...

    def remove_closed(self, written: pa.Table, token: int | None) -> None:
        """After the file was replaced by ``written``."""
        ...


class NoRows:
    """:class:`IncomingRows` with nothing in it (a merge that only finishes a migration)."""

    def files(self) -> list[str]:
        return []

    def rows(self, name: str) -> pa.Table:
        raise KeyError(name)


class TableRows:
    """:class:`IncomingRows` over a table already in memory."""

    def __init__(self, spec: TableSpec, table: pa.Table) -> None:
        self._parts = dict(split_by_file(spec, table))

    def files(self) -> list[str]:
        return sorted(self._parts)

    def rows(self, name: str) -> pa.Table:
        return self._parts[name]


class CheckedRows:
    """Incoming rows checked to belong to the partition as each file's rows are read (what
    both lakes hand to ``merge_partition_files``)."""

    def __init__(self, spec: TableSpec, partition: date, rows: IncomingRows) -> None:
        self._spec, self._partition, self._rows = spec, partition, rows

    def files(self) -> list[str]:
        return self._rows.files()

    def rows(self, name: str) -> pa.Table:
        table = self._rows.rows(name)
        check_partition(self._spec, self._partition, table)
        return table


def merge_partition_files(
    store: PartitionStore,
    spec: TableSpec,
    partition: date,
    incoming: IncomingRows,
    *,
    index: FileHooks | None = None,
    max_attempts: int = 1,
    sleep: Callable[[float], None] | None = None,
    finish_legacy: bool = False,
) -> PartitionResult:
    """Merge ``incoming`` into the partition file by file (see the module docstring); with
    ``finish_legacy`` a legacy ``data.parquet`` beside bucket files is rewritten into its
    buckets even when nothing comes in (a migration that was cut short, finished)."""
    files = store.list_files()
    touched = incoming.files()
    legacy = files.get(LEGACY_FILE) if spec.file_key else None
    legacy_parts: dict[str, pa.Table] = {}
    if legacy is not None and (touched or finish_legacy):
        own = set(files) - {LEGACY_FILE}
        legacy_parts = dict(split_by_file(spec, without_superseded(spec, store.read(legacy), own)))
    names = sorted(set(touched) | set(legacy_parts))
    before = offered = after = 0
    attempts = 1
    for name in names:
        rows = incoming.rows(name) if name in touched else None
        merged, used = _merge_file(
            store,
            spec,
            name,
            files.get(name),
            rows,
            legacy_parts.pop(name, None),
            index=index,
            max_attempts=max_attempts,
            sleep=sleep,
        )
        before += merged.rows_before
        offered += merged.rows_offered
        after += merged.rows_after
        attempts = max(attempts, used)
    for name, stored in files.items():
        if name in names or (name == LEGACY_FILE and names and legacy is not None):
            continue
        count = _count(store, stored)
        before += count
        after += count
    if legacy is not None and names:
        try:
            store.delete(legacy)  # last: every key of it now lives in its own file
        except FileChanged:
            log.info("%s was removed by another writer", legacy.location)
    return PartitionResult(spec.name, partition, before, offered, after, attempts)


def _merge_file(
    store: PartitionStore,
    spec: TableSpec,
    name: str,
    listed: StoredFile | None,
    rows: pa.Table | None,
    legacy_rows: pa.Table | None,
    *,
    index: FileHooks | None,
    max_attempts: int,
    sleep: Callable[[float], None] | None,
) -> tuple[Merged, int]:
    current = listed
    for attempt in range(1, max_attempts + 1):
        try:
            existing = _Stored(store, current) if current is not None else legacy_rows
            merged = merge_rows(existing, rows, spec)
            token = index.add(merged.table) if index is not None else None
            store.write(name, merged.table, current)
            if index is not None:
                index.remove_closed(merged.table, token)
        except FileChanged:
            log.info("%s/%s changed under us (attempt %d)", spec.name, name, attempt)
            if attempt < max_attempts and sleep is not None:
                sleep(backoff(attempt))
            current = store.stat(name)
            continue
        return merged, attempt
    raise ConcurrentWriteError(
        f"{spec.name}: {name} kept changing during {max_attempts} merge attempts",
        hint="another run is writing the same partitions; let it finish and run again",
    )


class _Stored:
    """A listed file as :class:`merge.StoredRows`: the merge reads the columns it needs."""

    def __init__(self, store: PartitionStore, stored: StoredFile) -> None:
        self._store, self._stored = store, stored

    def read(self, columns: Sequence[str], *, dictionaries: bool = False) -> pa.Table:
        return self._store.read(self._stored, columns, dictionaries=dictionaries)


def _count(store: PartitionStore, stored: StoredFile) -> int:
    if stored.rows is not None:
        return stored.rows
    try:
        return store.count_rows(stored)
    except StorageError as exc:  # an untouched damaged file does not fail this merge
        log.warning("not counted: %s", exc)
        return 0


def read_partition_files(
    store: PartitionStore,
    spec: TableSpec,
    columns: Sequence[str] | None = None,
    *,
    skip_damaged: bool = False,
) -> pa.Table | None:
    """Every row of the partition (legacy rows superseded by their own file left out).

    A damaged file raises StorageError, or with ``skip_damaged`` is left out with a warning."""
    files = store.list_files()
    if not files:
        return None
    parts = []
    own = set(files) - {LEGACY_FILE}
    wanted = None if columns is None else list(dict.fromkeys([*columns, *spec.file_key]))
    for name in sorted(files):
        try:
            table = store.read(files[name], wanted)
        except StorageError as exc:
            if not skip_damaged:
                raise
            log.warning("skipped: %s", exc)
            continue
        if name == LEGACY_FILE and spec.file_key:
            table = without_superseded(spec, table, own)
        parts.append(table if columns is None else table.select(list(columns)))
    return pa.concat_tables(parts) if parts else None


def backoff(attempt: int) -> float:
    """Seconds to wait before attempt ``attempt + 1`` (exponential, capped, jittered)."""
    base = min(_BACKOFF_CAP_SECONDS, _BACKOFF_SECONDS * 2.0 ** (attempt - 1))
    return base * (0.5 + random.random())  # noqa: S311 — jitter, not cryptography


def remove_rows(store: PartitionStore, spec: TableSpec, doomed: pa.Table) -> int:
    """Remove from the partition the rows whose key is in ``doomed`` (its key columns and
    ``_extracted_at``) and that are no newer than that ``_extracted_at``: a newer row written
    meanwhile stays. Each touched file is replaced in one step (deleted when it empties), in
    its order; FileChanged when one changed since it was listed. Returns the rows removed."""
    key = list(spec.key)
    limits = doomed.select([*key, EXTRACTED_AT]).rename_columns([*key, _BOUND])
    files = store.list_files()
    wanted = set(pc.unique(file_names(spec, limits)).to_pylist()) | {LEGACY_FILE}
    removed = 0
    for name in sorted(wanted & set(files)):
        stored = files[name]
        table = store.read(stored)
        numbered = table.select(key).append_column(
            _ROW, pa.array(range(table.num_rows), pa.int64())
        )
        hits = numbered.join(limits, key, join_type="inner")
        extracted = table.column(EXTRACTED_AT).take(hits.column(_ROW))
        hits = hits.filter(pc.less_equal(extracted, hits.column(_BOUND)))
        if hits.num_rows == 0:
            continue
        kept = table.filter(pc.invert(pc.is_in(numbered.column(_ROW), hits.column(_ROW))))
        removed += hits.num_rows
        if kept.num_rows == 0:
            store.delete(stored)
        else:
            store.write(name, kept, stored)
    return removed
