"""Where the tables land: the ``Lake`` interface, the local Parquet lake, DuckDB views and
the per-run staging spool."""

from __future__ import annotations

from betterstack_etl.lake.base import Lake, PartitionResult
from betterstack_etl.lake.duck import DuckDbPublisher, open_duckdb, publish_duckdb_views
from betterstack_etl.lake.local import LocalLake
from betterstack_etl.lake.staging import Staging

__all__ = [
    "DuckDbPublisher",
    "Lake",
    "LocalLake",
    "PartitionResult",
    "Staging",
    "open_duckdb",
    "publish_duckdb_views",
]
