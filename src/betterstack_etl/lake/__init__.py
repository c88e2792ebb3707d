"""Where the tables land: the ``Lake`` interface, the local Parquet lake, DuckDB views and
the per-run staging spool.

Each name is imported when first used (PEP 562): ``query`` needs only the DuckDB side, not
pyarrow's compute and Parquet modules that the local lake and the spool bring (issue 24)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from betterstack_etl.lazy import lazy_names

if TYPE_CHECKING:
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

_WHERE: Final = {
    "DuckDbPublisher": "duck",
    "Lake": "base",
    "LocalLake": "local",
    "PartitionResult": "base",
    "Staging": "staging",
    "open_duckdb": "duck",
    "publish_duckdb_views": "duck",
}


__getattr__, __dir__ = lazy_names(__name__, _WHERE)
