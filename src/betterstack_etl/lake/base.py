"""The storage interface every lake implements (local folder + DuckDB, or GCS + BigQuery).

Layout (SPEC §3): ``<root>/<table>/data_particao=YYYY-MM-DD/<file>.parquet``. Under a table's
folder there is nothing but partitions' Parquet files, apart from names beginning with ``.`` or
``_`` (temporary files, locks, markers). A partition is replaced as one step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import date

    import pyarrow as pa

    from betterstack_etl.tables import TableSpec

__all__ = ["Lake", "PartitionResult", "Publisher"]


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
        self, spec: TableSpec, partition: date, incoming: pa.Table
    ) -> PartitionResult:
        """Merge ``incoming`` (rows of ``spec.schema`` whose partition is ``partition``) into
        that partition by ``spec.key``, newest ``_extracted_at`` winning (ties: incoming wins),
        and replace the partition atomically. Safe against concurrent writers (no lost update)
        and against a crash at any moment (the old partition stays readable)."""
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

    def publish(self, specs: Sequence[TableSpec]) -> None:
        """Make the tables queryable: DuckDB views locally, BigLake tables in BigQuery.
        Idempotent; creates what is missing and updates definitions that changed."""
        ...
