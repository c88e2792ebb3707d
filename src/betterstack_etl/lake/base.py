"""The storage interface every lake implements (local folder + DuckDB, or GCS + BigQuery).

Layout (SPEC §3): ``<root>/<table>/data_particao=YYYY-MM-DD/<file>.parquet`` (see
``lake.layout``: one file per partition, or several keyed by a hash of ``TableSpec.file_key``).
Under a table's folder there is nothing but partitions' Parquet files, apart from names beginning
with ``.`` or ``_`` (temporary files, locks, markers). Each file is replaced as one step, and a
key is in one file only. State that is not a table (the open-rows index) lives under
``<root>/_state/``, moved-aside files under ``<root>/_quarantine/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from betterstack_etl.errors import StorageError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from contextlib import AbstractContextManager
    from datetime import date

    import pyarrow as pa

    from betterstack_etl.tables import TableSpec

__all__ = [
    "FileChanged",
    "IncomingRows",
    "Lake",
    "LakeProblem",
    "NotPermitted",
    "PartitionResult",
    "Publisher",
]

# damaged: a file that is not this table's Parquet; stray: not our file; bad_folder: not a
# data_particao=YYYY-MM-DD folder; symlink: a link where the lake holds folders (never
# followed); forbidden: a file this process may not read (a permission, not damage: it stays);
# migration: a legacy data.parquet beside bucket files (a migration that was cut short)
ProblemKind = Literal["damaged", "stray", "bad_folder", "symlink", "forbidden", "migration"]


class NotPermitted(StorageError):
    """The file exists but this process may not read or replace it (a permission problem)."""


@dataclass(frozen=True, slots=True)
class LakeProblem:
    """Something ``verify`` found that readers skip or cannot read (SPEC §10)."""

    kind: ProblemKind
    table: str
    location: str  # the file or folder: a path, or a gs:// URI
    detail: str

    def __str__(self) -> str:
        return f"{self.table}: {self.kind.replace('_', ' ')} {self.location}: {self.detail}"


class FileChanged(Exception):  # internal signal between a store and the merge
    """The file changed since it was listed or read (a concurrent writer won the race)."""


class IncomingRows(Protocol):
    """Rows offered to one partition, readable one lake file at a time (``lake.layout``)."""

    def files(self) -> list[str]: ...

    def rows(self, name: str) -> pa.Table: ...


@dataclass(frozen=True, slots=True)
class PartitionResult:
    """What one merge did to one partition (small: safe to pass between tasks and log)."""

    table: str
    partition: date
    rows_before: int  # rows in the partition before the merge
    rows_incoming: int  # rows offered by this run (after de-duplication among themselves)
    rows_after: int  # rows in the partition after the merge
    attempts: int = 1  # >1 when a concurrent writer forced the merge to be redone

    @property
    def rows_inserted(self) -> int:
        return self.rows_after - self.rows_before

    @property
    def rows_updated(self) -> int:
        """Incoming rows whose key already existed (replaced by the newer extraction)."""
        return self.rows_incoming - self.rows_inserted


class Publisher(Protocol):
    """Makes a lake's tables queryable where its users query: DuckDB views over the local
    folder, BigLake tables (and views) in BigQuery over the bucket. Both lakes hold one and
    call it the same way."""

    def publish(self, specs: Sequence[TableSpec]) -> None:
        """Create what is missing and update what changed; idempotent."""
        ...


@runtime_checkable
class Lake(Protocol):
    """A partitioned Parquet lake that merges by key."""

    @property
    def root(self) -> str:
        """Where the lake lives: a folder path or ``gs://bucket/prefix`` (never a credential)."""
        ...

    def merge_partition(
        self, spec: TableSpec, partition: date, incoming: pa.Table | IncomingRows
    ) -> PartitionResult:
        """Merge ``incoming`` (rows of ``spec.schema`` whose partition is ``partition``; a
        table, or rows readable one file at a time) into that partition by ``spec.key``, newest
        ``_extracted_at`` winning (ties: incoming wins), replacing each touched file of the
        partition atomically. Safe against concurrent writers (no lost update) and against a
        crash at any moment (every file stays readable, no key is lost)."""
        ...

    def read_partition(self, spec: TableSpec, partition: date) -> pa.Table | None:
        """The partition's rows with ``spec.schema``, or None when it does not exist."""
        ...

    def partitions(self, spec: TableSpec) -> list[date]:
        """Existing partitions of a table, ascending."""
        ...

    def scan(self, spec: TableSpec, columns: Sequence[str]) -> Iterator[pa.Table]:
        """The given columns of every partition, one partition at a time (flat memory)."""
        ...

    def open_keys(self, spec: TableSpec, monitors: Sequence[str] | None, before: date) -> list[str]:
        """Keys of rows of ``spec`` still open in the lake (``spec.open_while_null`` is null:
        incidents not resolved) whose ``partition_by`` date is before ``before``, of
        ``monitors`` (None: all), sorted. Reads the open-rows index only (one file or object,
        rebuilt from the partitions when missing); [] for a table without open rows."""
        ...

    def reaching(self, spec: TableSpec, since: date) -> list[date]:
        """The partitions of ``spec`` before ``since`` (a UTC date) that may hold a row still
        open or ending (``open_while_null``) at or after ``since``'s midnight, sorted: what a
        period's query reads of the older history (``lake.reach``; two small files or objects,
        rebuilt from the partitions when missing). Every partition before ``since`` for a
        table without open rows."""
        ...

    def rebuild_indexes(self, specs: Sequence[TableSpec] | None = None) -> None:
        """Rebuild the indexes beside each table (open rows, where keys live) from its
        partitions."""
        ...

    def verify(self, specs: Sequence[TableSpec] | None = None) -> list[LakeProblem]:
        """Every damaged, stray or forbidden file, bad folder, symlink and interrupted
        migration under the tables' folders."""
        ...

    def quarantine(self, problem: LakeProblem) -> str:
        """Move the file or folder of ``problem`` aside, under ``<root>/_quarantine/``, where
        no reader looks; returns its new location."""
        ...

    def read_aside(self, spec: TableSpec, location: str, columns: Sequence[str]) -> pa.Table:
        """The given columns of a file moved aside (StorageError when it cannot be read)."""
        ...

    def missing_keys(self, spec: TableSpec, rows: pa.Table) -> int:
        """How many distinct keys of ``rows`` (key columns and ``partition_by``) the table
        does not hold."""
        ...

    def finish_migrations(self, specs: Sequence[TableSpec]) -> list[PartitionResult]:
        """Finish every interrupted legacy → bucketed migration (``lake.layout``)."""
        ...

    def settle_keys(self, specs: Sequence[TableSpec]) -> int:
        """Keep every key in one partition only (SPEC §3): the newest extraction's row stays,
        the others go (what a move that was cut short left); the rows removed."""
        ...

    def repair_lock(self) -> AbstractContextManager[None]:
        """Held by a repair: a second one fails at once with ConcurrentWriteError."""
        ...

    def publish(self, specs: Sequence[TableSpec]) -> None:
        """Make the tables queryable: DuckDB views locally, BigLake tables in BigQuery.
        Idempotent; creates what is missing and updates definitions that changed."""
        ...
