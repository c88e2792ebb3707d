"""Where the tables land: the ``Lake`` interface, the local Parquet lake, DuckDB views and
the per-run staging spool."""

from __future__ import annotations

from typing import TYPE_CHECKING

from betterstack_etl.lake.base import Lake, PartitionResult
from betterstack_etl.lake.duck import DuckDbPublisher, open_duckdb, publish_duckdb_views
from betterstack_etl.lake.local import LocalLake
from betterstack_etl.lake.staging import Staging

if TYPE_CHECKING:
    from betterstack_etl.settings import RunParams

__all__ = [
    "Lake",
    "LocalLake",
    "PartitionResult",
    "Staging",
    "open_duckdb",
    "open_lake",
    "publish_duckdb_views",
]


def open_lake(params: RunParams) -> Lake:
    """The destination the run parameters choose: a local folder with DuckDB views, or GCS
    with BigLake tables in BigQuery (its Google clients are imported only then)."""
    if params.destination == "bigquery":
        from betterstack_etl.gcp.credentials import make_gcs_lake

        return make_gcs_lake(
            params.lake_root,
            billing_project_id=params.billing_project_id,
            dataset_id=params.dataset_id,
            connection_id=params.bigquery_connection_id,
            location=params.bigquery_location,
            sla=params.sla,
        )
    return LocalLake(params.lake_root, publisher=DuckDbPublisher(params.lake_root, sla=params.sla))
