"""The production lake: one Parquet object per partition in a GCS bucket (SPEC §3).

Layout: ``gs://<bucket>/<prefix>/<table>/data_particao=YYYY-MM-DD/data.parquet``.

A merge reads the partition's object and its *generation* (0 when absent), merges by key and
uploads the result with ``if_generation_match=<generation>``: GCS replaces the object in one
atomic write only if nobody replaced it since we read it, and answers 412 otherwise. On 412 the
merge is redone from a fresh read, a bounded number of times, so two runs at once lose no
update. Readers (BigQuery, DuckDB) always see a whole object, the old one or the new one.
"""

from __future__ import annotations

import io
import logging
import random
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa
import pyarrow.parquet as pq
from google.api_core import exceptions as gexc

from betterstack_etl.errors import ConcurrentWriteError, ConfigError, StorageError
from betterstack_etl.gcp_errors import GCS
from betterstack_etl.gcp_errors import google_errors as _google_errors
from betterstack_etl.lake.base import PartitionResult
from betterstack_etl.tables import PARTITION_COLUMN
from betterstack_etl.utils.partitions import (
    check_partition,
    merge_by_key,
    partition_dirname,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    import google.cloud.storage as storage

    from betterstack_etl.lake.base import Publisher
    from betterstack_etl.tables import TableSpec

__all__ = [
    "DATA_FILE",
    "GcsLake",
    "GcsLocation",
    "google_errors",
    "parse_gcs_root",
]

log = logging.getLogger(__name__)

DATA_FILE: Final = "data.parquet"
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
_PARTITION_OBJECT = re.compile(
    rf"^{PARTITION_COLUMN}=(?P<day>\d{{4}}-\d{{2}}-\d{{2}})/{re.escape(DATA_FILE)}$"
)
_BACKOFF_SECONDS: Final = 0.05
_BACKOFF_CAP_SECONDS: Final = 2.0


@dataclass(frozen=True, slots=True)
class GcsLocation:
    """A parsed ``gs://bucket/prefix`` lake root (prefix without leading/trailing ``/``)."""

    bucket: str
    prefix: str

    @property
    def uri(self) -> str:
        return f"gs://{self.bucket}/{self.prefix}" if self.prefix else f"gs://{self.bucket}"

    def table_prefix(self, table: str) -> str:
        """Object-name prefix of a table's folder, ending with ``/``."""
        return f"{self.prefix}/{table}/" if self.prefix else f"{table}/"

    def table_uri(self, table: str) -> str:
        """``gs://bucket/prefix/<table>`` (no trailing ``/``)."""
        return f"{self.uri}/{table}"

    def object_name(self, table: str, partition: date) -> str:
        return f"{self.table_prefix(table)}{partition_dirname(partition)}/{DATA_FILE}"


def parse_gcs_root(root: str) -> GcsLocation:
    """Validate ``gs://bucket[/prefix]``; ConfigError naming the expected shape otherwise."""
    hint = (
        "set BETTERSTACK_LAKE_ROOT to gs://<bucket>/<prefix>, e.g. gs://rj-iplanrio-lake/"
        "brutos_betterstack (bucket names: 3-222 lowercase letters, digits, '-', '_', '.')"
    )
    text = root.strip()
    if not text.startswith("gs://"):
        raise ConfigError(f"lake root {root!r} is not a gs:// URI", hint=hint)
    bucket, _, prefix = text.removeprefix("gs://").partition("/")
    prefix = prefix.strip("/")
    parts = prefix.split("/") if prefix else []
    if not _BUCKET.match(bucket) or any(p in ("", ".", "..") for p in parts):
        raise ConfigError(f"lake root {root!r} is not a valid gs://bucket/prefix", hint=hint)
    return GcsLocation(bucket=bucket, prefix=prefix)


@contextmanager
def google_errors(action: str, *, bucket: str | None = None) -> Iterator[None]:
    """Our errors for Google's, with the storage hints (see ``gcp_errors``)."""
    with _google_errors(action, f"gs://{bucket}" if bucket else "the bucket", GCS):
        yield


class _Changed(Exception):  # internal signal, never escapes this module
    """The object changed between two requests of one read-merge-write attempt."""


@dataclass(frozen=True, slots=True)
class _Snapshot:
    table: pa.Table | None
    generation: int  # 0: the object does not exist


class GcsLake:
    """A partitioned Parquet lake in a GCS bucket; ``publish`` delegates to its publisher
    (BigLake tables and views in BigQuery)."""

    def __init__(
        self,
        storage_client: storage.Client,
        lake_root: str,
        *,
        publisher: Publisher | None = None,
        max_attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._location = parse_gcs_root(lake_root)
        self._client = storage_client
        self._bucket: Any = storage_client.bucket(self._location.bucket)
        self._publisher = publisher
        self._max_attempts = max_attempts
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"GcsLake({self.root!r})"

    @property
    def root(self) -> str:
        return self._location.uri

    @property
    def location(self) -> GcsLocation:
        return self._location

    def merge_partition(
        self, spec: TableSpec, partition: date, incoming: pa.Table
    ) -> PartitionResult:
        check_partition(spec, partition, incoming)
        name = self._location.object_name(spec.name, partition)
        offered = merge_by_key(None, incoming, spec) if incoming.num_rows else None
        for attempt in range(1, self._max_attempts + 1):
            try:
                snapshot = self._snapshot(spec, name)
                before = 0 if snapshot.table is None else snapshot.table.num_rows
                if offered is None:  # nothing to merge: the partition is left untouched
                    return PartitionResult(spec.name, partition, before, 0, before, attempt)
                merged = merge_by_key(snapshot.table, offered, spec)
                self._upload(name, merged, snapshot.generation)
            except _Changed:
                log.info("%s %s changed under us (attempt %d)", spec.name, partition, attempt)
                if attempt < self._max_attempts:
                    self._sleep(_backoff(attempt))
                continue
            return PartitionResult(
                spec.name, partition, before, offered.num_rows, merged.num_rows, attempt
            )
        raise ConcurrentWriteError(
            f"{spec.name} partition {partition}: gs://{self._location.bucket}/{name} kept "
            f"changing during {self._max_attempts} merge attempts",
            hint="another run is writing the same partitions; let it finish and run again",
        )

    def read_partition(self, spec: TableSpec, partition: date) -> pa.Table | None:
        name = self._location.object_name(spec.name, partition)
        for _ in range(self._max_attempts):
            try:
                return self._snapshot(spec, name).table
            except _Changed:
                continue
        raise ConcurrentWriteError(
            f"{spec.name} partition {partition} kept changing while being read",
            hint="another run is writing it; try again when it is done",
        )

    def partitions(self, spec: TableSpec) -> list[date]:
        prefix = self._location.table_prefix(spec.name)
        found: set[date] = set()
        with google_errors(f"listing {spec.name}", bucket=self._location.bucket):
            for blob in self._client.list_blobs(self._location.bucket, prefix=prefix):
                day = _partition_of(str(blob.name).removeprefix(prefix))
                if day is not None:
                    found.add(day)
        return sorted(found)

    def scan(self, spec: TableSpec, columns: Sequence[str]) -> Iterator[pa.Table]:
        wanted = [c for c in columns if c != PARTITION_COLUMN]
        for partition in self.partitions(spec):
            table = self.read_partition(spec, partition)
            if table is None:  # deleted since it was listed
                continue
            table = table.select(wanted)
            if PARTITION_COLUMN in columns:
                value = pa.array([partition] * table.num_rows, pa.date32())
                table = table.append_column(PARTITION_COLUMN, value)
            yield table.select(list(columns))

    def publish(self, specs: Sequence[TableSpec]) -> None:
        if self._publisher is None:
            log.info("no BigQuery publisher configured: %s not published", self.root)
            return
        self._publisher.publish(specs)

    # -- I/O ------------------------------------------------------------------------------

    def _snapshot(self, spec: TableSpec, name: str) -> _Snapshot:
        """The object's rows and generation, consistent with each other."""
        with google_errors(f"reading {name}", bucket=self._location.bucket):
            blob = self._bucket.get_blob(name)
            if blob is None:
                return _Snapshot(None, 0)
            generation = int(blob.generation)
            try:
                data = blob.download_as_bytes(if_generation_match=generation)
            except (gexc.PreconditionFailed, gexc.NotFound) as exc:
                raise _Changed(name) from exc
        return _Snapshot(_decode(spec, data, f"gs://{self._location.bucket}/{name}"), generation)

    def _upload(self, name: str, table: pa.Table, generation: int) -> None:
        """Replace the object in one write, only if it is still at ``generation``."""
        data = _encode(table)
        with google_errors(f"writing {name}", bucket=self._location.bucket):
            blob = self._bucket.blob(name)
            try:
                blob.upload_from_string(
                    data,
                    content_type="application/vnd.apache.parquet",
                    if_generation_match=generation,
                )
            except gexc.PreconditionFailed as exc:
                raise _Changed(name) from exc


def _backoff(attempt: int) -> float:
    base = min(_BACKOFF_CAP_SECONDS, _BACKOFF_SECONDS * 2.0 ** (attempt - 1))
    return base * (0.5 + random.random())  # noqa: S311 — jitter, not cryptography


def _partition_of(relative_name: str) -> date | None:
    """The partition of ``data_particao=YYYY-MM-DD/data.parquet``; None for anything else."""
    match = _PARTITION_OBJECT.match(relative_name)
    if match is None:
        return None
    try:
        return date.fromisoformat(match["day"])
    except ValueError:
        return None


def _encode(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", coerce_timestamps="ms")
    return sink.getvalue()


def _decode(spec: TableSpec, data: bytes, uri: str) -> pa.Table:
    """Parse a partition object into exactly ``spec.schema`` (missing nullable columns: nulls)."""
    try:
        table = pq.read_table(io.BytesIO(data))
        arrays = []
        for field in spec.schema:
            if field.name in table.column_names:
                arrays.append(table.column(field.name))
            elif field.nullable:
                arrays.append(pa.nulls(table.num_rows, field.type))
            else:
                raise ValueError(f"required column {field.name!r} is missing")
        return pa.Table.from_arrays(arrays, names=spec.columns).cast(spec.schema)
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise StorageError(
            f"cannot read {uri}: {exc}",
            hint="the object is damaged or not this table's Parquet: move it out of the "
            "table's folder and re-run the pipeline for that date to rebuild the partition",
        ) from exc
