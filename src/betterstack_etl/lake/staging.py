"""A per-run spool of one table's rows on disk, merged into the lake at the end of the run.

Pages are transformed and ``add``-ed as they arrive; each ``add`` writes one small Parquet file
per partition under ``<directory>/<YYYY-MM-DD>/`` right away, so memory does not grow with the
length of a backfill. ``commit`` then merges the staged partitions into the lake one at a time,
in ascending order, each de-duplicated among its own rows first (later adds win ties).
"""

from __future__ import annotations

import shutil
import threading
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pyarrow as pa
import pyarrow.parquet as pq

from betterstack_etl.errors import StorageError
from betterstack_etl.utils.partitions import merge_by_key, split_by_partition

if TYPE_CHECKING:
    from betterstack_etl.lake.base import Lake, PartitionResult
    from betterstack_etl.tables import TableSpec

__all__ = ["Staging", "fit_schema"]

_SPOOL_COMPRESSION: Final = "lz4"


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
    try:
        pq.write_table(table, path, compression=_SPOOL_COMPRESSION)
    except (OSError, pa.ArrowException) as exc:
        raise StorageError(
            f"could not write the staging file {path}: {exc}",
            hint="check free space and permissions of the temporary folder (TMPDIR)",
        ) from exc


def _read(path: Path) -> pa.Table:
    with pq.ParquetFile(path) as parquet:
        return parquet.read()


def _num_rows(path: Path) -> int:
    with pq.ParquetFile(path) as parquet:
        return int(parquet.metadata.num_rows)


class Staging:
    """Spools one table's rows for one run under ``directory``.

    The folder is created when missing; a folder already holding a spool is adopted, so one
    task can fill it and another (or a retry) can ``commit`` it."""

    def __init__(self, spec: TableSpec, directory: Path | str) -> None:
        self._spec = spec
        self._dir = Path(directory)
        self._dir.mkdir(parents=True, exist_ok=True)
        staged = self._staged_files()
        self._files = 1 + max((int(f.stem) for f in staged), default=-1)
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
                folder = self._dir / partition.isoformat()
                folder.mkdir(exist_ok=True)
                name = f"{self._files:08d}.parquet"
                _write(part, folder / name)
                self._files += 1
            self._rows += table.num_rows

    def _staged_files(self) -> list[Path]:
        return sorted(self._dir.glob("????-??-??/*.parquet"), key=lambda f: f.stem)

    def partitions(self) -> list[date]:
        """Staged partitions, ascending."""
        if not self._dir.is_dir():
            return []
        return sorted(date.fromisoformat(d.name) for d in self._dir.iterdir() if d.is_dir())

    def read(self, partition: date) -> pa.Table:
        """The staged rows of one partition, one row per key (later adds win ties)."""
        return merge_by_key(None, self._staged(partition), self._spec)

    def _staged(self, partition: date) -> pa.Table:
        """Every staged row of one partition, in the order they were added."""
        folder = self._dir / partition.isoformat()
        files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
        parts = [_read(f) for f in files]
        return pa.concat_tables(parts) if parts else self._spec.schema.empty_table()

    def commit(self, lake: Lake) -> list[PartitionResult]:
        """Merge every staged partition into ``lake``, ascending, one partition in memory.
        The lake's merge settles duplicates among the staged rows too (later adds win ties),
        so they are handed over as staged, not de-duplicated twice."""
        return [lake.merge_partition(self._spec, p, self._staged(p)) for p in self.partitions()]

    def cleanup(self) -> None:
        """Remove the spool (idempotent)."""
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()
