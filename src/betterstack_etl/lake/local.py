"""The embedded default lake: date-partitioned Parquet on local disk (SPEC §3).

Layout: ``<root>/<table>/data_particao=YYYY-MM-DD/<file>`` (``lake.layout``: ``data.parquet``,
or ``pXXX.parquet`` per hash bucket of ``TableSpec.file_key``). Everything else under a table's
folder starts with ``.`` (locks, temporary files); the open-rows index is
``<root>/_state/<table>.open.parquet``, moved-aside files are under ``<root>/_quarantine/``.

A merge takes an exclusive ``flock`` on ``<root>/<table>/.locks/<partition>.lock``, then merges
the partition file by file (``lake.files``): each touched file is merged, written to
``.<file>.<pid>.<random>.tmp`` beside it, fsynced, renamed onto its name, and the folder is
fsynced. Readers therefore see each file old or new, a kill at any moment leaves at worst a
stale ``.tmp`` (ignored by readers, removed by the next merge of that partition), and concurrent
merges of a partition are serialised.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pyarrow as pa
import pyarrow.parquet as pq

from betterstack_etl.errors import (
    ConcurrentWriteError,
    DamagedFileError,
    StorageError,
    storage_error,
)
from betterstack_etl.lake.base import FileChanged, IncomingRows, LakeProblem, PartitionResult
from betterstack_etl.lake.duck import DuckDbPublisher
from betterstack_etl.lake.files import (
    CheckedRows,
    StoredFile,
    TableRows,
    merge_partition_files,
    read_partition_files,
)
from betterstack_etl.lake.layout import (
    decode_parquet,
    is_data_file,
    is_hidden,
    parse_partition_dir,
    write_options,
)
from betterstack_etl.lake.openindex import STATE_DIR, OpenIndex, OpenRowsLookup, index_name
from betterstack_etl.lake.partitions import check_partition, partition_dirname
from betterstack_etl.tables import PARTITION_COLUMN, TABLES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from betterstack_etl.lake.base import Publisher
    from betterstack_etl.tables import TableSpec

__all__ = ["LocalLake"]

log = logging.getLogger(__name__)

LOCK_DIR: Final = ".locks"
TEMP_SUFFIX: Final = ".tmp"
QUARANTINE_DIR: Final = "_quarantine"
_MAX_LOCK_POLL: Final = 0.5
_READ_ATTEMPTS: Final = 5


class LocalLake(OpenRowsLookup):
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

    def partition_dir(self, spec: TableSpec, partition: date) -> Path:
        return self.table_dir(spec) / partition_dirname(partition)

    def data_files(self, spec: TableSpec, partition: date) -> list[Path]:
        """The partition's data files, by name (empty when the partition does not exist)."""
        store = _FolderStore(spec, self.partition_dir(spec, partition))
        return [Path(f.location) for _, f in sorted(store.list_files().items())]

    def merge_partition(
        self, spec: TableSpec, partition: date, incoming: pa.Table | IncomingRows
    ) -> PartitionResult:
        if isinstance(incoming, pa.Table):
            check_partition(spec, partition, incoming)
            incoming = TableRows(spec, incoming)
        folder = self.partition_dir(spec, partition)
        lock = self.table_dir(spec) / LOCK_DIR / f"{partition_dirname(partition)}.lock"
        with _exclusive_lock(lock, self._lock_timeout, self._sleep):
            _remove_stale_temps(folder)
            return merge_partition_files(
                _FolderStore(spec, folder),
                spec,
                partition,
                CheckedRows(spec, partition, incoming),
                index=self._index(spec),
            )

    def read_partition(self, spec: TableSpec, partition: date) -> pa.Table | None:
        store = _FolderStore(spec, self.partition_dir(spec, partition))
        for _ in range(_READ_ATTEMPTS):
            try:
                return read_partition_files(store, spec)
            except FileChanged:  # a merge finished migrating the partition meanwhile
                continue
        return read_partition_files(store, spec)

    def partitions(self, spec: TableSpec) -> list[date]:
        return _list_partitions(self.table_dir(spec))

    def scan(self, spec: TableSpec, columns: Sequence[str]) -> Iterator[pa.Table]:
        """The given columns, file by file; damaged files are skipped with a warning
        (``verify`` lists them) so one bad file never blocks the readers of the rest."""
        wanted = [c for c in columns if c != PARTITION_COLUMN]
        for partition in self.partitions(spec):
            store = _FolderStore(spec, self.partition_dir(spec, partition))
            try:
                table = read_partition_files(store, spec, wanted, skip_damaged=True)
            except FileChanged as exc:
                log.warning("skipped while scanning (it changed meanwhile): %s", exc)
                continue
            if table is None:
                continue
            if PARTITION_COLUMN in columns:
                value = pa.array([partition] * table.num_rows, pa.date32())
                table = table.append_column(PARTITION_COLUMN, value)
            yield table.select(list(columns))

    # -- open rows ------------------------------------------------------------------------

    def _index(self, spec: TableSpec) -> OpenIndex | None:
        if spec.open_while_null is None:
            return None
        store = _IndexFile(
            self._root / STATE_DIR / index_name(spec), self._lock_timeout, self._sleep
        )
        return OpenIndex(spec, store, lambda columns: self.scan(spec, columns))

    # -- damaged lakes --------------------------------------------------------------------

    def verify(self, specs: Sequence[TableSpec] | None = None) -> list[LakeProblem]:
        problems: list[LakeProblem] = []
        for spec in TABLES if specs is None else specs:
            table_dir = self.table_dir(spec)
            if not table_dir.is_dir():
                continue
            for entry in sorted(table_dir.iterdir()):
                if is_hidden(entry.name):
                    continue
                if parse_partition_dir(entry.name) is None or not entry.is_dir():
                    problems.append(
                        LakeProblem(
                            "bad_folder", spec.name, str(entry), "not data_particao=YYYY-MM-DD"
                        )
                    )
                    continue
                problems += _verify_partition(spec, entry)
        return problems

    def quarantine(self, problem: LakeProblem) -> str:
        source = Path(problem.location)
        relative = source.relative_to(self._root)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self._root / QUARANTINE_DIR / stamp / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, target)
        except OSError as exc:
            raise StorageError(
                f"could not move {source} to {target}: {exc}",
                hint=f"move {source} out of the lake by hand (it is kept nowhere else)",
            ) from exc
        _fsync_dir(source.parent)
        return str(target)

    def publish(self, specs: Sequence[TableSpec]) -> None:
        self._publisher.publish(specs)


class _FolderStore:
    """``PartitionStore`` over a partition folder (writers hold the partition lock)."""

    def __init__(self, spec: TableSpec, folder: Path) -> None:
        self._spec = spec
        self._folder = folder

    def list_files(self) -> dict[str, StoredFile]:
        if not self._folder.is_dir():
            return {}
        return {
            e.name: StoredFile(e.name, str(e), 0)
            for e in self._folder.iterdir()
            if is_data_file(e.name) and e.is_file()
        }

    def stat(self, name: str) -> StoredFile | None:
        path = self._folder / name
        return StoredFile(name, str(path), 0) if path.is_file() else None

    def read(
        self,
        stored: StoredFile,
        columns: Sequence[str] | None = None,
        *,
        dictionaries: bool = False,
    ) -> pa.Table:
        return _read_file(self._spec, Path(stored.location), columns, dictionaries=dictionaries)

    def count_rows(self, stored: StoredFile) -> int:
        try:
            return int(pq.read_metadata(stored.location).num_rows)
        except (OSError, pa.ArrowException) as exc:
            raise _damaged(Path(stored.location), exc) from exc

    def write(self, name: str, table: pa.Table, replacing: StoredFile | None) -> None:
        _write_atomically(table, self._folder / name)

    def delete(self, stored: StoredFile) -> None:
        Path(stored.location).unlink(missing_ok=True)
        _fsync_dir(self._folder)


class _IndexFile:
    """``IndexStore`` on a local file, each read-modify-write under an ``flock``."""

    def __init__(self, path: Path, timeout: float, sleep: Callable[[float], None]) -> None:
        self._path = path
        self._lock = path.parent / f".{path.name}.lock"
        self._timeout = timeout
        self._sleep = sleep

    def load(self) -> tuple[pa.Table | None, int]:
        if not self._path.is_file():
            return None, 0
        try:
            return pq.read_table(self._path), 0
        except (OSError, pa.ArrowException) as exc:
            log.warning("%s is unreadable (%s): rebuilding it from the partitions", self._path, exc)
            return None, 0

    def save(self, table: pa.Table, token: int) -> int:
        _write_atomically(table, self._path)
        return token

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with _exclusive_lock(self._lock, self._timeout, self._sleep):
            yield


def _verify_partition(spec: TableSpec, folder: Path) -> list[LakeProblem]:
    problems = []
    for entry in sorted(folder.iterdir()):
        if is_hidden(entry.name):
            continue
        if not is_data_file(entry.name) or not entry.is_file():
            problems.append(LakeProblem("stray", spec.name, str(entry), "not a file of the lake"))
            continue
        try:
            _read_file(spec, entry)
        except StorageError as exc:
            problems.append(LakeProblem("damaged", spec.name, str(entry), exc.message))
    return problems


def _list_partitions(table_dir: Path) -> list[date]:
    """Dates of the valid ``data_particao=YYYY-MM-DD`` folders holding a data file, ascending."""
    if not table_dir.is_dir():
        return []
    found = []
    for entry in table_dir.iterdir():
        day = parse_partition_dir(entry.name)
        if (
            day is not None
            and entry.is_dir()
            and any(is_data_file(f.name) for f in entry.iterdir())
        ):
            found.append(day)
    return sorted(found)


def _remove_stale_temps(folder: Path) -> None:
    """Delete temporary files a killed writer left behind (call it under the partition lock)."""
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX):
            entry.unlink(missing_ok=True)


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


def _damaged(path: Path, exc: Exception) -> DamagedFileError:
    return DamagedFileError(
        f"cannot read {path}: {exc}",
        path=str(path),
        hint=f"the file is damaged or not this table's Parquet: run `betterstack-etl repair` "
        f"(or move {path} out of the lake) and re-run the pipeline for that date",
    )


def _read_file(
    spec: TableSpec,
    path: Path,
    columns: Sequence[str] | None = None,
    *,
    dictionaries: bool = False,
) -> pa.Table:
    try:
        return decode_parquet(spec, str(path), columns, dictionaries=dictionaries)
    except FileNotFoundError as exc:
        raise FileChanged(str(path)) from exc
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise _damaged(path, exc) from exc


def _write_atomically(table: pa.Table, target: Path) -> None:
    folder = target.parent
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        _fsync_dir(folder.parent)
    temp = folder / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
    try:
        with open(temp, "xb") as handle:
            pq.write_table(table, handle, **write_options(table.schema))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
        _fsync_dir(folder)
    except (OSError, pa.ArrowException) as exc:
        temp.unlink(missing_ok=True)
        hint = "check free space and permissions of the lake folder, then run again (the "
        hint += "previous file is intact)"
        if isinstance(exc, OSError):
            raise storage_error(exc, str(target), "write", hint) from exc
        raise StorageError(f"could not write {target}: {exc}", hint=hint) from exc


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
