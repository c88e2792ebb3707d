"""Better Stack Uptime ETL: response times, incidents, daily SLA and monitors into a
partitioned Parquet lake (local DuckDB, or GCS + BigQuery BigLake). See the README's code map."""

from __future__ import annotations

from importlib import metadata

__all__ = ["__version__"]

try:
    __version__: str = metadata.version("betterstack-etl")
except metadata.PackageNotFoundError:  # run from a bare checkout, not installed
    __version__ = "0+unknown"
