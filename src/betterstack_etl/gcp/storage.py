"""The production lake: Parquet objects per partition in a GCS bucket (SPEC §3).

Layout: ``gs://<bucket>/<prefix>/<table>/data_particao=YYYY-MM-DD/<file>`` (``lake.layout``:
``data.parquet``, or ``pXXX.parquet`` per hash bucket of ``TableSpec.file_key``); the open-rows
index is ``<prefix>/_state/<table>.open.parquet`` and moved-aside objects go under
``<prefix>/_quarantine/``, outside every table's folder (BigLake reads ``<table>/*``).

A merge lists the partition once (objects, generations, row counts kept in the objects'
metadata), then merges it file by file (``lake.files``): it reads a file at its *generation*
(0 when absent), merges by key and uploads the result with ``if_generation_match=<generation>``:
GCS replaces the object in one atomic write only if nobody replaced it since we read it, and
answers 412 otherwise. On 412 that file's merge is redone from a fresh read, a bounded number
of times, so two runs at once lose no update. Readers (BigQuery, DuckDB) always see whole
objects, each the old one or the new one.
"""

from __future__ import annotations

import io
import logging
import time
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa
import pyarrow.parquet as pq
from google.api_core import exceptions as gexc

from betterstack_etl.errors import ConcurrentWriteError, DamagedFileError
from betterstack_etl.gcp.errors import GCS
from betterstack_etl.gcp.errors import google_errors as _google_errors
from betterstack_etl.gcp.location import GcsLocation, parse_gcs_root
from betterstack_etl.lake.base import FileChanged, IncomingRows, LakeProblem, PartitionResult
from betterstack_etl.lake.files import (
    CheckedRows,
    StoredFile,
    TableRows,
    merge_partition_files,
    read_partition_files,
)
from betterstack_etl.lake.layout import (
    decode_parquet,
    encode_parquet,
    is_data_file,
    is_hidden,
    parse_partition_dir,
)
from betterstack_etl.lake.openindex import STATE_DIR, OpenIndex, OpenRowsLookup, index_name
from betterstack_etl.lake.partitions import check_partition
from betterstack_etl.tables import PARTITION_COLUMN, TABLES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from contextlib import AbstractContextManager

    import google.cloud.storage as storage

    from betterstack_etl.lake.base import Publisher
    from betterstack_etl.tables import TableSpec

__all__ = [
    "GcsLake",
    "google_errors",
]

log = logging.getLogger(__name__)

QUARANTINE_DIR: Final = "_quarantine"
_ROWS: Final = "rows"  # object metadata: the file's row count
_INDEX_READS: Final = 5


@contextmanager
def google_errors(action: str, *, bucket: str | None = None) -> Iterator[None]:
    """Our errors for Google's, with the storage hints (see ``gcp_errors``)."""
    with _google_errors(action, f"gs://{bucket}" if bucket else "the bucket", GCS):
        yield


class GcsLake(OpenRowsLookup):
    """A partitioned Parquet lake in a GCS bucket; ``publish`` delegates to its publisher
    (BigLake tables and views in BigQuery)."""

    def __init__(
        self,
        storage_client: storage.Client,
        lake_root: str,
        *,
        publisher: Publisher | None = None,
        table_prefix: str = "",
        max_attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._location = replace(parse_gcs_root(lake_root), name_prefix=table_prefix)
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

    def _store(self, spec: TableSpec, partition: date) -> _PartitionObjects:
        prefix = self._location.partition_prefix(spec.name, partition)
        return _PartitionObjects(self, spec, prefix)

    def merge_partition(
        self, spec: TableSpec, partition: date, incoming: pa.Table | IncomingRows
    ) -> PartitionResult:
        if isinstance(incoming, pa.Table):
            check_partition(spec, partition, incoming)
            incoming = TableRows(spec, incoming)
        return merge_partition_files(
            self._store(spec, partition),
            spec,
            partition,
            CheckedRows(spec, partition, incoming),
            index=self._index(spec),
            max_attempts=self._max_attempts,
            sleep=self._sleep,
        )

    def read_partition(self, spec: TableSpec, partition: date) -> pa.Table | None:
        store = self._store(spec, partition)
        for _ in range(self._max_attempts):
            try:
                return read_partition_files(store, spec)
            except FileChanged:
                continue
        raise ConcurrentWriteError(
            f"{spec.name} partition {partition} kept changing while being read",
            hint="another run is writing it; try again when it is done",
        )

    def partitions(self, spec: TableSpec) -> list[date]:
        prefix = self._location.table_prefix(spec.name)
        found: set[date] = set()
        for blob in self._list(prefix, f"listing {spec.name}"):
            day = _partition_of(str(blob.name).removeprefix(prefix))
            if day is not None:
                found.add(day)
        return sorted(found)

    def scan(self, spec: TableSpec, columns: Sequence[str]) -> Iterator[pa.Table]:
        """The given columns, partition by partition; damaged objects are skipped with a
        warning (``verify`` lists them) so one bad object never blocks the rest."""
        wanted = [c for c in columns if c != PARTITION_COLUMN]
        for partition in self.partitions(spec):
            try:
                table = read_partition_files(
                    self._store(spec, partition), spec, wanted, skip_damaged=True
                )
            except FileChanged as exc:
                log.warning("skipped while scanning (it changed meanwhile): %s", exc)
                continue
            if table is None:  # deleted since it was listed
                continue
            if PARTITION_COLUMN in columns:
                value = pa.array([partition] * table.num_rows, pa.date32())
                table = table.append_column(PARTITION_COLUMN, value)
            yield table.select(list(columns))

    def publish(self, specs: Sequence[TableSpec]) -> None:
        if self._publisher is None:
            log.info("no BigQuery publisher configured: %s not published", self.root)
            return
        self._publisher.publish(specs)

    # -- open rows ------------------------------------------------------------------------

    def _index(self, spec: TableSpec) -> OpenIndex | None:
        if spec.open_while_null is None:
            return None
        name = self._location.root_object(f"{STATE_DIR}/{index_name(spec)}")
        return OpenIndex(spec, _IndexObject(self, name), lambda cols: self.scan(spec, cols))

    # -- damaged lakes --------------------------------------------------------------------

    def verify(self, specs: Sequence[TableSpec] | None = None) -> list[LakeProblem]:
        problems: list[LakeProblem] = []
        for spec in TABLES if specs is None else specs:
            prefix = self._location.table_prefix(spec.name)
            bad_folders: dict[str, None] = {}
            for blob in self._list(prefix, f"verifying {spec.name}"):
                name = str(blob.name)
                folder, _, file = name.removeprefix(prefix).partition("/")
                if is_hidden(folder) or is_hidden(file):
                    continue
                if file and parse_partition_dir(folder) is None:
                    bad_folders.setdefault(f"{prefix}{folder}")
                elif not file or not is_data_file(file) or "/" in file:
                    problems.append(
                        LakeProblem(
                            "stray",
                            spec.name,
                            self._location.uri_of(name),
                            "not a file of the lake",
                        )
                    )
                else:
                    problems += self._check_object(spec, blob)
            problems += [
                LakeProblem(
                    "bad_folder",
                    spec.name,
                    self._location.uri_of(f),
                    "not data_particao=YYYY-MM-DD",
                )
                for f in bad_folders
            ]
        return problems

    def _check_object(self, spec: TableSpec, blob: Any) -> list[LakeProblem]:
        uri = self._location.uri_of(str(blob.name))
        with google_errors(f"reading {blob.name}", bucket=self._location.bucket):
            data = self._bucket.blob(str(blob.name)).download_as_bytes()
        try:
            decode_parquet(spec, data)
        except (OSError, pa.ArrowException, ValueError) as exc:
            return [LakeProblem("damaged", spec.name, uri, str(exc))]
        return []

    def quarantine(self, problem: LakeProblem) -> str:
        """Copy the object(s) under ``<prefix>/_quarantine/<stamp>/`` and delete them."""
        source = problem.location.removeprefix(f"gs://{self._location.bucket}/")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        relative = source.removeprefix(f"{self._location.prefix}/" if self._location.prefix else "")
        target = self._location.root_object(f"{QUARANTINE_DIR}/{stamp}/{relative}")
        names = (
            [str(b.name) for b in self._list(f"{source}/", f"listing {source}")]
            if problem.kind == "bad_folder"
            else [source]
        )
        with google_errors(f"moving {source} aside", bucket=self._location.bucket):
            for name in names:
                blob = self._bucket.blob(name)
                data = blob.download_as_bytes()
                moved = f"{target}{name.removeprefix(source)}"
                self._bucket.blob(moved).upload_from_string(data)
                self._bucket.blob(name).delete()
        return self._location.uri_of(target)

    # -- I/O ------------------------------------------------------------------------------

    def _list(self, prefix: str, action: str) -> list[Any]:
        with google_errors(action, bucket=self._location.bucket):
            return list(self._client.list_blobs(self._location.bucket, prefix=prefix))


class _PartitionObjects:
    """``PartitionStore`` over a partition's objects, every replace conditional."""

    def __init__(self, lake: GcsLake, spec: TableSpec, prefix: str) -> None:
        self._lake = lake
        self._spec = spec
        self._prefix = prefix
        self._bucket: Any = lake._bucket
        self._where = lake.location.bucket
        self._last: tuple[str, int, bytes] | None = None  # the last object read, one at most

    def _stored(self, blob: Any) -> StoredFile:
        name = str(blob.name)
        metadata = getattr(blob, "metadata", None) or {}
        rows = metadata.get(_ROWS)
        return StoredFile(
            name.removeprefix(self._prefix),
            f"gs://{self._where}/{name}",
            int(blob.generation),
            int(rows) if rows is not None and str(rows).isdigit() else None,
        )

    def list_files(self) -> dict[str, StoredFile]:
        found = {}
        for blob in self._lake._list(self._prefix, f"listing {self._prefix}"):
            file = str(blob.name).removeprefix(self._prefix)
            if is_data_file(file):
                found[file] = self._stored(blob)
        return found

    def stat(self, name: str) -> StoredFile | None:
        with google_errors(f"reading {self._prefix}{name}", bucket=self._where):
            blob = self._bucket.get_blob(f"{self._prefix}{name}")
        return None if blob is None else self._stored(blob)

    def _download(self, stored: StoredFile) -> bytes:
        name = f"{self._prefix}{stored.name}"
        if self._last is not None and self._last[:2] == (name, stored.token):
            return self._last[2]  # a merge reads a file's columns in two steps
        with google_errors(f"reading {name}", bucket=self._where):
            try:
                data: bytes = self._bucket.blob(name).download_as_bytes(
                    if_generation_match=stored.token
                )
            except (gexc.PreconditionFailed, gexc.NotFound) as exc:
                raise FileChanged(name) from exc
        self._last = (name, stored.token, data)  # that generation's bytes never change
        return data

    def read(
        self,
        stored: StoredFile,
        columns: Sequence[str] | None = None,
        *,
        dictionaries: bool = False,
    ) -> pa.Table:
        data = self._download(stored)
        return _decode(self._spec, data, stored.location, columns, dictionaries=dictionaries)

    def count_rows(self, stored: StoredFile) -> int:
        data = self._download(stored)
        try:
            return int(pq.read_metadata(io.BytesIO(data)).num_rows)
        except (OSError, pa.ArrowException) as exc:
            raise _damaged(stored.location, exc) from exc

    def write(self, name: str, table: pa.Table, replacing: StoredFile | None) -> None:
        _upload(
            self._bucket,
            f"{self._prefix}{name}",
            table,
            0 if replacing is None else replacing.token,
            self._where,
        )

    def delete(self, stored: StoredFile) -> None:
        name = f"{self._prefix}{stored.name}"
        with google_errors(f"deleting {name}", bucket=self._where):
            try:
                self._bucket.blob(name).delete(if_generation_match=stored.token)
            except (gexc.PreconditionFailed, gexc.NotFound) as exc:
                raise FileChanged(name) from exc


class _IndexObject:
    """``IndexStore`` on one object: each replace conditional on the generation read."""

    def __init__(self, lake: GcsLake, name: str) -> None:
        self._bucket: Any = lake._bucket
        self._name = name
        self._where = lake.location.bucket

    def load(self) -> tuple[pa.Table | None, int]:
        for _ in range(_INDEX_READS):  # replaced between metadata and download: read again
            with google_errors(f"reading {self._name}", bucket=self._where):
                blob = self._bucket.get_blob(self._name)
                if blob is None:
                    return None, 0
                generation = int(blob.generation)
                try:
                    data = blob.download_as_bytes(if_generation_match=generation)
                except (gexc.PreconditionFailed, gexc.NotFound):
                    continue
            try:
                return pq.read_table(io.BytesIO(data)), generation
            except (OSError, pa.ArrowException) as exc:
                log.warning(
                    "gs://%s/%s is unreadable (%s): rebuilding it", self._where, self._name, exc
                )
                return None, generation
        raise ConcurrentWriteError(
            f"gs://{self._where}/{self._name} kept changing while being read",
            hint="another run is merging the same table; let it finish and run again",
        )

    def save(self, table: pa.Table, token: int) -> int:
        return _upload(self._bucket, self._name, table, token, self._where)

    def exclusive(self) -> AbstractContextManager[None]:
        return nullcontext()


def _upload(bucket: Any, name: str, table: pa.Table, generation: int, where: str) -> int:
    """Replace the object in one write, only if it is still at ``generation``; its new one."""
    data = encode_parquet(table)
    with google_errors(f"writing {name}", bucket=where):
        blob = bucket.blob(name)
        blob.metadata = {_ROWS: str(table.num_rows)}
        try:
            blob.upload_from_string(
                data,
                content_type="application/vnd.apache.parquet",
                if_generation_match=generation,
            )
        except gexc.PreconditionFailed as exc:
            raise FileChanged(name) from exc
    return int(blob.generation or 0)


def _partition_of(relative_name: str) -> date | None:
    """The partition of ``data_particao=YYYY-MM-DD/<our file>``; None for anything else."""
    folder, _, file = relative_name.partition("/")
    if not is_data_file(file):
        return None
    return parse_partition_dir(folder)


def _damaged(uri: str, exc: Exception) -> DamagedFileError:
    return DamagedFileError(
        f"cannot read {uri}: {exc}",
        path=uri,
        hint="the object is damaged or not this table's Parquet: run `betterstack-etl repair` "
        f"(or move {uri} out of the table's folder) and re-run the pipeline for that date",
    )


def _decode(
    spec: TableSpec,
    data: bytes,
    uri: str,
    columns: Sequence[str] | None = None,
    *,
    dictionaries: bool = False,
) -> pa.Table:
    """Parse an object into exactly ``spec.schema`` (missing nullable columns: nulls)."""
    try:
        return decode_parquet(spec, data, columns, dictionaries=dictionaries)
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise _damaged(uri, exc) from exc
