"""A per-run spool of one table's rows on disk, merged into the lake at the end of the run.

Pages are transformed and ``add``-ed as they arrive; each ``add`` writes one small Arrow IPC
file (lz4: the cheapest to write and read back) per partition and lake file it touches, under
``<directory>/<YYYY-MM-DD>/<file>/`` (``<file>``: the lake file the rows belong in, see
``lake.layout``), so memory does not grow with the length of a backfill. ``commit`` then merges
the staged partitions into the lake one at a time, in ascending order, and within a partition one
lake file at a time: only one file's rows (one monitor's day, for response times) are in memory.
"""

from __future__ import annotations

import shutil
import threading
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pyarrow as pa

from betterstack_etl.errors import StorageError, storage_error
from betterstack_etl.lake.gates import GateReport, check_rows
from betterstack_etl.lake.layout import split_by_file
from betterstack_etl.lake.merge import merge_by_key
from betterstack_etl.lake.partitions import split_by_partition

if TYPE_CHECKING:
    from betterstack_etl.lake.base import Lake, PartitionResult
    from betterstack_etl.tables import TableSpec

__all__ = ["Staging", "fit_schema"]

_SPOOL_COMPRESSION: Final = "lz4"
_SUFFIX: Final = ".arrow"


def fit_schema(spec: TableSpec, rows: pa.Table) -> pa.Table:
    """``rows`` cast to ``spec.schema``; ``TypeError`` naming the problem when they do not fit."""
    missing = [c for c in spec.columns if c not in rows.column_names]
    extra = [c for c in rows.column_names if c not in spec.schema.names]
    if missing or extra:
        raise TypeError(
            f"{spec.name}: rows do not fit the schema (missing {missing}, extra {extra})"
        )
    nulls = [f.name for f in spec.schema if not f.nullable and rows.column(f.name).null_count]
    if nulls:
        raise TypeError(f"{spec.name}: nulls in required columns {nulls}")
    try:
        return rows.select(spec.columns).cast(spec.schema)
    except (pa.ArrowException, ValueError) as exc:
        raise TypeError(f"{spec.name}: rows do not fit the schema: {exc}") from exc


def _write(table: pa.Table, path: Path) -> None:
    options = pa.ipc.IpcWriteOptions(compression=_SPOOL_COMPRESSION)
    try:
        with (
            pa.OSFile(str(path), "wb") as sink,
            pa.ipc.new_file(sink, table.schema, options=options) as w,
        ):
            w.write_table(table)
    except (OSError, pa.ArrowException) as exc:
        hint = "check free space and permissions of the temporary folder (TMPDIR)"
        if isinstance(exc, OSError):
            raise storage_error(exc, str(path), "write the staging file", hint) from exc
        raise StorageError(f"could not write the staging file {path}: {exc}", hint=hint) from exc


def _read(path: Path) -> pa.Table:
    # read, not memory-mapped: mapped pages would stay in the process's resident set
    with pa.OSFile(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def _sequence(path: Path) -> int:
    """The add order of a spool file, from its name ``<sequence>-<rows>.arrow``."""
    return int(path.stem.split("-")[0])


def _num_rows(path: Path) -> int:
    """Its row count, from its name (reading it back would cost its decompression)."""
    return int(path.stem.split("-")[1])


def _concat(spec: TableSpec, files: list[Path]) -> pa.Table:
    parts = [_read(f) for f in sorted(files, key=_sequence)]  # in the order added
    return pa.concat_tables(parts) if parts else spec.schema.empty_table()


class _SpooledPartition:
    """The staged rows of one partition, readable one lake file at a time (``IncomingRows``)."""

    def __init__(self, spec: TableSpec, folder: Path) -> None:
        self._spec = spec
        self._folder = folder

    def files(self) -> list[str]:
        if not self._folder.is_dir():
            return []
        return sorted(d.name for d in self._folder.iterdir() if d.is_dir())

    def rows(self, name: str) -> pa.Table:
        return _concat(self._spec, list((self._folder / name).glob(f"*{_SUFFIX}")))


class Staging:
    """Spools one table's rows for one run under ``directory``.

    The folder is created when missing; a folder already holding a spool is adopted, so one
    task can fill it and another (or a retry) can ``commit`` it."""

    def __init__(self, spec: TableSpec, directory: Path | str) -> None:
        self._spec = spec
        self._dir = Path(directory)
        self._dir.mkdir(parents=True, exist_ok=True)
        staged = self._staged_files()
        self._files = 1 + max((_sequence(f) for f in staged), default=-1)
        self._lock = threading.Lock()  # add() may be called from worker threads
        self._rows = sum(_num_rows(f) for f in staged)

    def __repr__(self) -> str:
        return f"Staging({self._spec.name!r}, {str(self._dir)!r}, rows_staged={self._rows})"

    @property
    def spec(self) -> TableSpec:
        return self._spec

    @property
    def directory(self) -> Path:
        return self._dir

    @property
    def rows_staged(self) -> int:
        """Rows added so far (before de-duplication)."""
        return self._rows

    def add(self, rows: pa.Table) -> None:
        """Write ``rows`` to the spool now, one file per partition they touch."""
        table = fit_schema(self._spec, rows)
        with self._lock:
            for partition, part in split_by_partition(self._spec, table):
                for file, rows in split_by_file(self._spec, part):
                    folder = self._dir / partition.isoformat() / file
                    folder.mkdir(parents=True, exist_ok=True)
                    _write(rows, folder / f"{self._files:08d}-{rows.num_rows}{_SUFFIX}")
                    self._files += 1
            self._rows += table.num_rows

    def _staged_files(self) -> list[Path]:
        return sorted(self._dir.glob(f"????-??-??/*/*{_SUFFIX}"), key=_sequence)

    def partitions(self) -> list[date]:
        """Staged partitions, ascending."""
        if not self._dir.is_dir():
            return []
        return sorted(date.fromisoformat(d.name) for d in self._dir.iterdir() if d.is_dir())

    def read(self, partition: date) -> pa.Table:
        """The staged rows of one partition, one row per key (later adds win ties)."""
        folder = self._dir / partition.isoformat()
        staged = _concat(self._spec, list(folder.glob(f"*/*{_SUFFIX}")))
        return merge_by_key(None, staged, self._spec)

    def gate(self, now: datetime | None = None) -> GateReport:
        """The quality gates (``spec.rules``) over every staged row, one lake file's rows in
        memory at a time, before anything is merged: hard violations and warnings, summed."""
        total = GateReport(self._spec.name, 0)
        for partition in self.partitions():
            spooled = _SpooledPartition(self._spec, self._dir / partition.isoformat())
            for name in spooled.files():
                found = check_rows(self._spec, spooled.rows(name), partition, now=now)
                total = total.plus(found)
        return total

    def commit(self, lake: Lake) -> list[PartitionResult]:
        """Merge every staged partition into ``lake``, ascending, one lake file's rows in
        memory at a time. The lake's merge settles duplicates among the staged rows too (later
        adds win ties), so they are handed over as staged, not de-duplicated twice."""
        return [
            lake.merge_partition(
                self._spec, p, _SpooledPartition(self._spec, self._dir / p.isoformat())
            )
            for p in self.partitions()
        ]

    def cleanup(self) -> None:
        """Remove the spool (idempotent)."""
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()
