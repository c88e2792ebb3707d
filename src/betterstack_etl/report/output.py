"""Write the report: a local file (written whole, then renamed) or a ``gs://`` object."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from betterstack_etl.errors import ConfigError, StorageError

if TYPE_CHECKING:
    from google.cloud import storage

__all__ = ["write_report"]

CONTENT_TYPE = "text/html; charset=utf-8"


def write_report(html: str, out: str, *, client: storage.Client | None = None) -> str:
    """Write ``html`` to ``out`` (a path or ``gs://bucket/path.html``); where it went."""
    if out.startswith("gs://"):
        return _upload(html, out, client)
    if "://" in out:
        raise ConfigError(f"cannot write the report to {out}", hint="use a file path or gs://")
    path = Path(out).expanduser()
    if path.is_dir():
        raise ConfigError(f"--out {out} is a folder", hint="give a file name, e.g. report.html")
    if not path.parent.is_dir():
        raise ConfigError(
            f"the folder of --out {out} does not exist", hint=f"create {path.parent} first"
        )
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(html)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as a plain open() would (mkstemp makes it 0600)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise StorageError(
            f"could not write {path}: {exc.strerror}", hint="choose a writable --out"
        ) from exc
    return str(path.absolute())


def _upload(html: str, out: str, client: storage.Client | None) -> str:
    from google.api_core import exceptions as gexc

    bucket, _, name = out.removeprefix("gs://").partition("/")
    if not bucket or not name or name.endswith("/"):
        raise ConfigError(f"--out {out} names no object", hint="use gs://bucket/path/report.html")
    if client is None:
        from betterstack_etl.gcp.credentials import GcpConfig, storage_client

        client = storage_client(GcpConfig.from_env())
    blob = client.bucket(bucket).blob(name)
    try:
        blob.upload_from_string(html.encode("utf-8"), content_type=CONTENT_TYPE)
    except gexc.NotFound as exc:
        raise ConfigError(
            f"the bucket {bucket} does not exist", hint="create it or fix --out"
        ) from exc
    except gexc.GoogleAPIError as exc:
        raise StorageError(
            f"could not upload the report to {out}: {exc}".split("\n")[0],
            hint="check the credentials' write permission on the bucket",
        ) from exc
    return out
