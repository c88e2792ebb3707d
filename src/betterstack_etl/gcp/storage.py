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
objects, each the old one or the new one. What the merge, the readers and ``verify`` do is
shared with the local lake (``lake.core``); this module is the bucket under them.
"""

from __future__ import annotations

import io
import logging
import time
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa
import pyarrow.parquet as pq
from google.api_core import exceptions as gexc

from betterstack_etl.errors import ConcurrentWriteError, StorageError
from betterstack_etl.gcp.errors import GCS
from betterstack_etl.gcp.errors import google_errors as _google_errors
from betterstack_etl.gcp.location import GcsLocation, parse_gcs_root
from betterstack_etl.lake.base import FileChanged, LakeProblem
from betterstack_etl.lake.core import Entry, LakeCore, damaged
from betterstack_etl.lake.files import StoredFile
from betterstack_etl.lake.layout import (
    decode_parquet,
    encode_parquet,
    is_data_file,
    parse_partition_dir,
)
from betterstack_etl.lake.openindex import STATE_DIR

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
REPAIR_LOCK: Final = ".repair.lock"
REPAIR_LOCK_STALE: Final = timedelta(hours=6)  # longer than any repair runs
_ROWS: Final = "rows"  # object metadata: the file's row count
_INDEX_READS: Final = 5


@contextmanager
def google_errors(action: str, *, bucket: str | None = None) -> Iterator[None]:
    """Our errors for Google's, with the storage hints (see ``gcp_errors``)."""
    with _google_errors(action, f"gs://{bucket}" if bucket else "the bucket", GCS):
        yield


class GcsLake(LakeCore):
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
        super().__init__(max_attempts=max_attempts, sleep=sleep)
        self._location = replace(parse_gcs_root(lake_root), name_prefix=table_prefix)
        self._client = storage_client
        self._bucket: Any = storage_client.bucket(self._location.bucket)
        self._publisher = publisher

    def __repr__(self) -> str:
        return f"GcsLake({self.root!r})"

    @property
    def root(self) -> str:
        return self._location.uri

    @property
    def location(self) -> GcsLocation:
        return self._location

    def partitions(self, spec: TableSpec) -> list[date]:
        prefix = self._location.table_prefix(spec.name)
        found: set[date] = set()
        for blob in self._list(prefix, f"listing {spec.name}"):
            day = _partition_of(str(blob.name).removeprefix(prefix))
            if day is not None:
                found.add(day)
        return sorted(found)

    def publish(self, specs: Sequence[TableSpec]) -> None:
        if self._publisher is None:
            log.info("no BigQuery publisher configured: %s not published", self.root)
            return
        self._publisher.publish(specs)

    # -- the object store of ``LakeCore`` -------------------------------------------------

    def _partition_store(self, spec: TableSpec, partition: date) -> _PartitionObjects:
        prefix = self._location.partition_prefix(spec.name, partition)
        return _PartitionObjects(self, spec, prefix)

    def _state_store(self, name: str) -> _IndexObject:
        return _IndexObject(self, self._location.root_object(f"{STATE_DIR}/{name}"))

    def _writing(self, spec: TableSpec, partition: date) -> AbstractContextManager[None]:
        return nullcontext()  # every replace is conditional on the generation read

    def _entries(self, spec: TableSpec) -> Iterator[Entry]:
        prefix = self._location.table_prefix(spec.name)
        for blob in self._list(prefix, f"verifying {spec.name}"):
            name = str(blob.name)
            folder, _, file = name.removeprefix(prefix).partition("/")
            where = self._location.uri_of(f"{prefix}{folder}")
            stored = StoredFile(file or folder, self._location.uri_of(name), int(blob.generation))
            yield Entry(folder, where, file or None, stored, "file")

    def _aside(self, location: str) -> list[bytes | str]:
        name = location.removeprefix(f"gs://{self._location.bucket}/")
        inside = [str(b.name) for b in self._list(f"{name}/", f"listing {location}")]
        with google_errors(f"reading {location}", bucket=self._location.bucket):
            return [self._bucket.blob(n).download_as_bytes() for n in inside or [name]]

    # -- damaged lakes --------------------------------------------------------------------

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
                try:
                    data = self._bucket.blob(name).download_as_bytes()
                except gexc.NotFound:
                    raise StorageError(
                        f"{self._location.uri_of(name)} is gone: something else moved it meanwhile",
                        hint="look under the lake's _quarantine/ prefix, then run repair again",
                    ) from None
                moved = f"{target}{name.removeprefix(source)}"
                self._bucket.blob(moved).upload_from_string(data)
                self._bucket.blob(name).delete()
        return self._location.uri_of(target)

    @contextmanager
    def repair_lock(self) -> Iterator[None]:
        """``<prefix>/_state/.repair.lock``, created only if absent (``if_generation_match=0``):
        one repair at a time; a lock older than ``REPAIR_LOCK_STALE`` (a repair that was
        killed) is taken over, conditionally on its generation."""
        name = self._location.root_object(f"{STATE_DIR}/{REPAIR_LOCK}")
        where = self._location.bucket
        body = f"since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC"
        blob = self._bucket.blob(name)
        with google_errors("taking the repair lock", bucket=where):
            try:
                blob.upload_from_string(body, if_generation_match=0)
            except gexc.PreconditionFailed:
                held = self._bucket.get_blob(name)
                if held is None or _fresh(held):
                    since = (
                        "" if held is None else held.download_as_bytes().decode(errors="replace")
                    )
                    raise ConcurrentWriteError(
                        f"another `betterstack-etl repair` of {self.root} is running ({since})",
                        hint="let it finish; run repair again afterwards if it still reports "
                        "problems",
                    ) from None
                blob.upload_from_string(body, if_generation_match=int(held.generation))
        generation = int(blob.generation or 0)
        try:
            yield
        finally:
            with google_errors("releasing the repair lock", bucket=where):
                try:
                    self._bucket.blob(name).delete(if_generation_match=generation)
                except (gexc.PreconditionFailed, gexc.NotFound):
                    log.warning("the repair lock gs://%s/%s was taken over meanwhile", where, name)

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
            raise damaged(stored.location, exc) from exc

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


def _fresh(blob: Any) -> bool:
    """Whether a lock object is younger than ``REPAIR_LOCK_STALE``."""
    updated = getattr(blob, "updated", None) or getattr(blob, "time_created", None)
    return updated is None or datetime.now(UTC) - updated < REPAIR_LOCK_STALE


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
        raise damaged(uri, exc) from exc
