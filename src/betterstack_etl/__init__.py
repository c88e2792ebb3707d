"""Better Stack Uptime ETL: response times, incidents, daily SLA and monitors into a
partitioned Parquet lake (local DuckDB, or GCS + BigQuery BigLake). See the README's code map."""

from __future__ import annotations

from functools import cache

__all__ = ["__version__"]


@cache
def _version() -> str:
    # importlib.metadata costs ~60 ms to import: read only when the version is asked for
    from importlib import metadata

    try:
        return metadata.version("betterstack-etl")
    except metadata.PackageNotFoundError:  # run from a bare checkout, not installed
        return "0+unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
