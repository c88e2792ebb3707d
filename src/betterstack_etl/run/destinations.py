"""The one place that picks a destination from the run's parameters: where a run writes (the
lake) and where the read-only commands and the SLO check read the views. The Google clients
are imported only for ``bigquery``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from betterstack_etl.lake import Lake
    from betterstack_etl.report import ViewSource
    from betterstack_etl.settings import RunParams

__all__ = ["open_lake", "view_source"]


def open_lake(params: RunParams) -> Lake:
    """A local folder with DuckDB views, or GCS with BigLake tables in BigQuery."""
    if params.destination == "bigquery":
        from betterstack_etl.gcp.credentials import make_gcs_lake
        from betterstack_etl.gcp.layout import layout_of

        names = layout_of(params)  # the layout: dataset, folders, table names
        return make_gcs_lake(
            names.lake_root,
            billing_project_id=params.billing_project_id,
            dataset_id=names.dataset,
            connection_id=params.bigquery_connection_id,
            location=params.bigquery_location,
            sla=params.sla,
            table_prefix=names.table_prefix,
        )
    from betterstack_etl.lake import DuckDbPublisher, LocalLake

    return LocalLake(params.lake_root, publisher=DuckDbPublisher(params.lake_root, sla=params.sla))


def view_source(
    params: RunParams, *, memory_mib: int | None = None, threads: int | None = None
) -> ViewSource:
    """Where the published views are read: the lake's DuckDB file (its queries spilling to
    disk beyond ``memory_mib`` and run on ``threads``, when given), or the BigQuery
    dataset."""
    from betterstack_etl.report import BigQuerySource, DuckDbSource

    if params.destination == "bigquery":
        from betterstack_etl.gcp.layout import layout_of

        return BigQuerySource.from_env(
            project=params.billing_project_id,
            dataset=layout_of(params).dataset,
            location=params.bigquery_location,
        )
    return DuckDbSource.open(params.lake_root, memory_mib=memory_mib, threads=threads)
