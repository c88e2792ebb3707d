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
merges of a partition are serialised. What the merge, the readers and ``verify`` do is shared
with the GCS lake (``lake.core``); this module is the folder under them. Writes never leave the
root: a symbolic link on the way to a partition, a lock or the state is refused, never followed.
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

from betterstack_etl.errors import ConcurrentWriteError, StorageError, storage_error
from betterstack_etl.lake.base import FileChanged, LakeProblem, NotPermitted
from betterstack_etl.lake.core import Entry, LakeCore, damaged
from betterstack_etl.lake.duck import DuckDbPublisher
from betterstack_etl.lake.files import StoredFile
from betterstack_etl.lake.layout import (
    decode_parquet,
    is_data_file,
    parse_partition_dir,
    write_options,
)
from betterstack_etl.lake.openindex import STATE_DIR
from betterstack_etl.lake.partitions import partition_dirname

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from betterstack_etl.lake.base import Publisher
    from betterstack_etl.lake.core import EntryKind
    from betterstack_etl.tables import TableSpec

__all__ = ["LocalLake"]

log = logging.getLogger(__name__)

LOCK_DIR: Final = ".locks"
TEMP_SUFFIX: Final = ".tmp"
QUARANTINE_DIR: Final = "_quarantine"
REPAIR_LOCK: Final = ".repair.lock"
_MAX_LOCK_POLL: Final = 0.5


class LocalLake(LakeCore):
    """A ``Lake`` on a local folder, with DuckDB views on top (see ``lake.duck``)."""

    def __init__(
        self,
        root: Path | str,
        *,
        db_path: Path | str | None = None,
        lock_timeout: float = 600.0,
        sleep: Callable[[float], None] = time.sleep,
        publisher: Publisher | None = None,
        max_attempts: int = 5,
    ) -> None:
        super().__init__(max_attempts=max_attempts, sleep=sleep)
        self._root = Path(root).expanduser().absolute()
        self._publisher = publisher or DuckDbPublisher(self._root, db_path)
        self._lock_timeout = lock_timeout

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
        store = self._partition_store(spec, partition)
        return [Path(f.location) for _, f in sorted(store.list_files().items())]

    def partitions(self, spec: TableSpec) -> list[date]:
        return _list_partitions(self.table_dir(spec))

    def publish(self, specs: Sequence[TableSpec]) -> None:
        self._publisher.publish(specs)

    # -- the object store of ``LakeCore`` -------------------------------------------------

    def _partition_store(self, spec: TableSpec, partition: date) -> _FolderStore:
        return _FolderStore(spec, self.partition_dir(spec, partition), self._confine)

    def _state_store(self, name: str) -> _IndexFile:
        path = self._root / STATE_DIR / name
        return _IndexFile(path, self._lock_timeout, self._sleep, self._confine)

    @contextmanager
    def _writing(self, spec: TableSpec, partition: date) -> Iterator[None]:
        """The partition's ``flock``; stale temporary files of killed writers removed."""
        folder = self.partition_dir(spec, partition)
        self._confine(folder)
        lock = self.table_dir(spec) / LOCK_DIR / f"{partition_dirname(partition)}.lock"
        self._confine(lock.parent)
        with _exclusive_lock(lock, self._lock_timeout, self._sleep):
            _remove_stale_temps(folder)
            yield

    def _entries(self, spec: TableSpec) -> Iterator[Entry]:
        table_dir = self.table_dir(spec)
        if table_dir.is_symlink():
            yield Entry(spec.name, str(table_dir), kind="link")
            return
        if not table_dir.is_dir():
            return
        for entry in sorted(table_dir.iterdir()):
            folder = str(entry)
            if entry.is_symlink() or not entry.is_dir():
                yield Entry(entry.name, folder, kind="link" if entry.is_symlink() else "file")
                continue
            yield Entry(entry.name, folder)
            for file in sorted(entry.iterdir()):
                kind: EntryKind = "file" if file.is_file() and not file.is_symlink() else "other"
                stored = StoredFile(file.name, str(file), 0)
                yield Entry(entry.name, folder, file.name, stored, kind)

    def _aside(self, location: str) -> list[bytes | str]:
        path = Path(location)
        if path.is_dir():
            return [str(p) for p in sorted(path.rglob("*")) if p.is_file()]
        return [location]

    def _confine(self, path: Path) -> None:
        """Refuse ``path`` unless it is inside the lake root with no symbolic link on the way
        (a write never leaves the lake, SPEC §3)."""
        try:
            parts = path.relative_to(self._root).parts
        except ValueError:
            raise StorageError(
                f"{path} is outside the lake {self._root}", hint="this is a bug: report it"
            ) from None
        current = self._root
        for part in parts:
            current = current / part
            if current.is_symlink():
                raise StorageError(
                    f"{current} is a symbolic link (to {os.readlink(current)}): the lake never "
                    "writes through one",
                    hint="run `betterstack-etl repair` (it moves the link aside, never what it "
                    "points to) or replace it with a real folder, then run again",
                )

    # -- damaged lakes ----------------------------------------------------------------------

    def quarantine(self, problem: LakeProblem) -> str:
        source = Path(problem.location)
        relative = source.relative_to(self._root)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self._root / QUARANTINE_DIR / stamp / relative
        self._confine(self._root / QUARANTINE_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, target)
        except FileNotFoundError:
            raise StorageError(
                f"{source} is gone: something else moved it meanwhile",
                hint="look under the lake's _quarantine/ folder, then run repair again",
            ) from None
        except OSError as exc:
            raise StorageError(
                f"could not move {source} to {target}: {exc}",
                hint=f"move {source} out of the lake by hand (it is kept nowhere else)",
            ) from exc
        _fsync_dir(source.parent)
        return str(target)

    @contextmanager
    def repair_lock(self) -> Iterator[None]:
        """``<root>/_state/.repair.lock``, taken without waiting: one repair at a time."""
        path = self._root / STATE_DIR / REPAIR_LOCK
        self._confine(path.parent)
        fd = _open_lock(path)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
                raise ConcurrentWriteError(
                    f"another `betterstack-etl repair` of {self._root} is running "
                    f"({holder or 'pid unknown'})",
                    hint="let it finish; run repair again afterwards if it still reports problems",
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(
                fd,
                f"pid {os.getpid()}, since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC".encode(),
                0,
            )
            yield
        finally:
            os.close(fd)


class _FolderStore:
    """``PartitionStore`` over a partition folder (writers hold the partition lock). A
    partition folder that is a symbolic link is refused, never followed."""

    def __init__(self, spec: TableSpec, folder: Path, confine: Callable[[Path], None]) -> None:
        self._spec = spec
        self._folder = folder
        self._confine = confine

    def list_files(self) -> dict[str, StoredFile]:
        self._confine(self._folder)
        if not self._folder.is_dir():
            return {}
        return {
            e.name: StoredFile(e.name, str(e), 0)
            for e in self._folder.iterdir()
            if is_data_file(e.name) and e.is_file() and not e.is_symlink()
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
        except FileNotFoundError as exc:
            raise FileChanged(stored.location) from exc
        except (OSError, pa.ArrowException) as exc:
            raise damaged(stored.location, exc) from exc

    def write(self, name: str, table: pa.Table, replacing: StoredFile | None) -> None:
        self._confine(self._folder)
        _write_atomically(table, self._folder / name)

    def delete(self, stored: StoredFile) -> None:
        self._confine(self._folder)
        Path(stored.location).unlink(missing_ok=True)
        _fsync_dir(self._folder)


class _IndexFile:
    """``IndexStore`` on a local file, each read-modify-write under an ``flock``."""

    def __init__(
        self,
        path: Path,
        timeout: float,
        sleep: Callable[[float], None],
        confine: Callable[[Path], None],
    ) -> None:
        self._path = path
        self._lock = path.parent / f".{path.name}.lock"
        self._timeout = timeout
        self._sleep = sleep
        self._confine = confine

    def load(self) -> tuple[pa.Table | None, int]:
        if not self._path.is_file():
            return None, 0
        try:
            return pq.read_table(self._path), 0
        except (OSError, pa.ArrowException) as exc:
            log.warning("%s is unreadable (%s): rebuilding it from the partitions", self._path, exc)
            return None, 0

    def save(self, table: pa.Table, token: int) -> int:
        self._confine(self._path.parent)
        _write_atomically(table, self._path)
        return token

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        self._confine(self._lock.parent)
        with _exclusive_lock(self._lock, self._timeout, self._sleep):
            yield


def _list_partitions(table_dir: Path) -> list[date]:
    """Dates of the valid ``data_particao=YYYY-MM-DD`` folders holding a data file, ascending
    (a folder that is a symbolic link is not ours: never followed, ``verify`` reports it)."""
    if table_dir.is_symlink() or not table_dir.is_dir():
        return []
    found = []
    for entry in table_dir.iterdir():
        day = parse_partition_dir(entry.name)
        if day is None or entry.is_symlink() or not entry.is_dir():
            continue
        if any(is_data_file(f.name) for f in entry.iterdir()):
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
    fd = _open_lock(path)
    try:
        _acquire(fd, path, timeout, sleep)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _open_lock(path: Path) -> int:
    """A descriptor on the lock file ``path`` (created when missing); one line when the path
    is not a file we may open."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except IsADirectoryError:
        raise StorageError(
            f"the lock {path} is a folder, not a file",
            hint=f"remove the folder {path} (only a lock file belongs there) and run again",
        ) from None
    except OSError as exc:
        raise StorageError(
            f"cannot open the lock {path}: {exc.strerror or exc}",
            hint="check the permissions of the lake folder (the run must be able to write "
            "there), then run again",
        ) from exc


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
    except PermissionError as exc:
        raise NotPermitted(
            f"cannot read {path}: permission denied",
            hint=f"give the user running the pipeline read and write access to {path} "
            "(chown/chmod); it is not damaged, and repair leaves it where it is",
        ) from exc
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise damaged(str(path), exc) from exc


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
