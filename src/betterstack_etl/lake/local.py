"""The embedded default lake: date-partitioned Parquet on local disk (SPEC §3).

Layout: ``<root>/<table>/data_particao=YYYY-MM-DD/data.parquet``, one file per partition.
Everything else under a table's folder starts with ``.`` (locks, temporary files).

A merge takes an exclusive ``flock`` on ``<root>/<table>/.locks/<partition>.lock``, reads the
partition, merges by key, writes the result to ``.data.parquet.<pid>.<random>.tmp`` beside it,
fsyncs it, renames it onto ``data.parquet`` and fsyncs the folder. Readers therefore see the old
file or the new one, a kill at any moment leaves at worst a stale ``.tmp`` (ignored by readers,
removed by the next merge of that partition), and concurrent merges are serialised.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pyarrow as pa
import pyarrow.parquet as pq

from betterstack_etl.errors import ConcurrentWriteError, StorageError
from betterstack_etl.lake.base import PartitionResult
from betterstack_etl.lake.duck import DuckDbPublisher
from betterstack_etl.tables import PARTITION_COLUMN
from betterstack_etl.utils.partitions import (
    check_partition,
    merge_by_key,
    partition_dirname,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from betterstack_etl.lake.base import Publisher
    from betterstack_etl.tables import TableSpec

__all__ = ["DATA_FILE", "LocalLake"]

DATA_FILE: Final = "data.parquet"
LOCK_DIR: Final = ".locks"
TEMP_SUFFIX: Final = ".tmp"
_PREFIX: Final = f"{PARTITION_COLUMN}="
_MAX_LOCK_POLL: Final = 0.5


class LocalLake:
    """A ``Lake`` on a local folder, with DuckDB views on top (see ``lake.duck``)."""

    def __init__(
        self,
        root: Path | str,
        *,
        db_path: Path | str | None = None,
        lock_timeout: float = 600.0,
        sleep: Callable[[float], None] = time.sleep,
        publisher: Publisher | None = None,
    ) -> None:
        self._root = Path(root).expanduser().absolute()
        self._publisher = publisher or DuckDbPublisher(self._root, db_path)
        self._lock_timeout = lock_timeout
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"LocalLake({str(self._root)!r})"

    @property
    def root(self) -> str:
        return str(self._root)

    def table_dir(self, spec: TableSpec) -> Path:
        return self._root / spec.name

    def partition_file(self, spec: TableSpec, partition: date) -> Path:
        return self.table_dir(spec) / partition_dirname(partition) / DATA_FILE

    def merge_partition(
        self, spec: TableSpec, partition: date, incoming: pa.Table
    ) -> PartitionResult:
        check_partition(spec, partition, incoming)
        target = self.partition_file(spec, partition)
        lock = self.table_dir(spec) / LOCK_DIR / f"{partition_dirname(partition)}.lock"
        with _exclusive_lock(lock, self._lock_timeout, self._sleep):
            remove_stale_temps(target.parent)
            existing = _read_file(spec, target, None) if target.exists() else None
            before = 0 if existing is None else existing.num_rows
            if incoming.num_rows == 0:
                return PartitionResult(spec.name, partition, before, 0, before)
            merged = merge_by_key(existing, incoming, spec)
            _write_atomically(merged, target)
        return PartitionResult(
            spec.name, partition, before, _count_keys(spec, incoming), merged.num_rows
        )

    def read_partition(self, spec: TableSpec, partition: date) -> pa.Table | None:
        target = self.partition_file(spec, partition)
        if not target.is_file():
            return None
        return _read_file(spec, target, None)

    def partitions(self, spec: TableSpec) -> list[date]:
        return list_partitions(self.table_dir(spec))

    def scan(self, spec: TableSpec, columns: Sequence[str]) -> Iterator[pa.Table]:
        wanted = [c for c in columns if c != PARTITION_COLUMN]
        for partition in self.partitions(spec):
            table = _read_file(spec, self.partition_file(spec, partition), wanted)
            if PARTITION_COLUMN in columns:
                value = pa.array([partition] * table.num_rows, pa.date32())
                table = table.append_column(PARTITION_COLUMN, value)
            yield table.select(list(columns))

    def publish(self, specs: Sequence[TableSpec]) -> None:
        self._publisher.publish(specs)


def list_partitions(table_dir: Path) -> list[date]:
    """Dates of the ``data_particao=YYYY-MM-DD`` folders that hold a data file, ascending."""
    if not table_dir.is_dir():
        return []
    found = []
    for entry in table_dir.iterdir():
        if entry.name.startswith(_PREFIX) and (entry / DATA_FILE).is_file():
            try:
                found.append(date.fromisoformat(entry.name.removeprefix(_PREFIX)))
            except ValueError:
                continue  # not ours: readers ignore it too (its glob has no date in it)
    return sorted(found)


def remove_stale_temps(folder: Path) -> None:
    """Delete temporary files a killed writer left behind (call it under the partition lock)."""
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX):
            entry.unlink(missing_ok=True)


def _count_keys(spec: TableSpec, table: pa.Table) -> int:
    """Distinct keys in ``table`` (its row count after de-duplication among themselves)."""
    keys = table.select(list(spec.key))
    return int(keys.group_by(list(spec.key), use_threads=False).aggregate([]).num_rows)


@contextmanager
def _exclusive_lock(path: Path, timeout: float, sleep: Callable[[float], None]) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created when missing), polling up to ``timeout``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path, timeout, sleep)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _acquire(fd: int, path: Path, timeout: float, sleep: Callable[[float], None]) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ConcurrentWriteError(
                    f"another writer held the lock {path} for more than {timeout:g} s",
                    hint="wait for the other run to finish (or stop it) and run again",
                ) from None
            sleep(min(delay, remaining))
            delay = min(delay * 2, _MAX_LOCK_POLL)


def _read_file(spec: TableSpec, path: Path, columns: list[str] | None) -> pa.Table:
    try:
        with pq.ParquetFile(path) as parquet:
            present = set(parquet.schema_arrow.names)
            wanted = spec.columns if columns is None else columns
            table = parquet.read(columns=[c for c in wanted if c in present])
        return conform(spec, table, wanted)
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise StorageError(
            f"cannot read {path}: {exc}",
            hint=f"the file is damaged or not this table's Parquet: move {path.parent} aside "
            "and re-run the pipeline for that date to rebuild the partition",
        ) from exc


def conform(spec: TableSpec, table: pa.Table, columns: Sequence[str] | None = None) -> pa.Table:
    """``table`` with the given columns (default: all) typed as in ``spec.schema``.

    Nullable columns missing from an older file come back as nulls."""
    names = spec.columns if columns is None else columns
    fields = [spec.schema.field(name) for name in names]
    arrays = []
    for field in fields:
        if field.name in table.column_names:
            arrays.append(table.column(field.name))
        elif field.nullable:
            arrays.append(pa.nulls(table.num_rows, field.type))
        else:
            raise ValueError(f"required column {field.name!r} is missing")
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields)).cast(pa.schema(fields))


def _write_atomically(table: pa.Table, target: Path) -> None:
    folder = target.parent
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        _fsync_dir(folder.parent)
    temp = folder / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
    try:
        with open(temp, "xb") as handle:
            pq.write_table(table, handle, compression="zstd", coerce_timestamps="ms")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
        _fsync_dir(folder)
    except (OSError, pa.ArrowException) as exc:
        temp.unlink(missing_ok=True)
        raise StorageError(
            f"could not write {target}: {exc}",
            hint="check free space and permissions of the lake folder, then run again "
            "(the previous partition is intact)",
        ) from exc


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
