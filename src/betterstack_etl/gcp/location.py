"""Where a GCS lake is: a parsed, validated ``gs://bucket/prefix`` and the object names of
its tables, partitions and root folders."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from betterstack_etl.errors import ConfigError
from betterstack_etl.lake.partitions import partition_dirname

if TYPE_CHECKING:
    from datetime import date

__all__ = ["GcsLocation", "parse_gcs_root"]

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")


@dataclass(frozen=True, slots=True)
class GcsLocation:
    """A parsed ``gs://bucket/prefix`` lake root (prefix without leading/trailing ``/``);
    ``name_prefix`` goes before each table's folder name (``gcp.layout``: ``etl_`` in the Base
    dos Dados layout)."""

    bucket: str
    prefix: str
    name_prefix: str = ""

    @property
    def uri(self) -> str:
        return f"gs://{self.bucket}/{self.prefix}" if self.prefix else f"gs://{self.bucket}"

    def table_prefix(self, table: str) -> str:
        """Object-name prefix of a table's folder, ending with ``/``."""
        folder = f"{self.name_prefix}{table}"
        return f"{self.prefix}/{folder}/" if self.prefix else f"{folder}/"

    def table_uri(self, table: str) -> str:
        """``gs://bucket/prefix/<table>`` (no trailing ``/``)."""
        return f"{self.uri}/{self.name_prefix}{table}"

    def partition_prefix(self, table: str, partition: date) -> str:
        """Object-name prefix of a partition's folder, ending with ``/``."""
        return f"{self.table_prefix(table)}{partition_dirname(partition)}/"

    def root_object(self, name: str) -> str:
        """The object name of ``name`` at the lake's root (``_state/…``, ``_quarantine/…``)."""
        return f"{self.prefix}/{name}" if self.prefix else name

    def uri_of(self, name: str) -> str:
        return f"gs://{self.bucket}/{name}"


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
