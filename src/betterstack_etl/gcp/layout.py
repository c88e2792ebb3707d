"""Where the BigQuery destination puts things: which dataset, which GCS folders, which names.

Two layouts (``BETTERSTACK_BIGQUERY_LAYOUT``):

- ``flat`` (default): BigLake tables and SLA views in ``BETTERSTACK_DATASET_ID``, over
  ``<BETTERSTACK_LAKE_ROOT>/<table>/``, named as the tables are (``eai_gateway_incidents``).
- ``basedosdados``: the Base dos Dados convention the city hall's pipelines follow (their
  ``iplanrio.pipelines_utils.bd.create_table_and_upload_to_gcs``): raw BigLake tables in
  ``<dataset>_staging`` over ``gs://<bucket>/staging/<dataset>/<table>/``, modelled tables built
  from them by dbt in ``<dataset>`` (our package in ``dbt/``). Raw table names get the prefix
  ``etl_`` (``brutos_betterstack_staging.etl_eai_gateway_incidents``) so that they can never
  be the old pipeline's ``brutos_betterstack_staging.eai_gateway_incidents`` nor its folder
  while both run during the switch. ``BETTERSTACK_LAKE_ROOT`` is the bucket (``gs://rj-iplanrio``)
  or the whole BD folder (``gs://rj-iplanrio/staging/brutos_betterstack``); the SLA views go in
  the staging dataset beside the tables (the dbt package builds the modelled ones in
  ``<dataset>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from betterstack_etl.errors import ConfigError
from betterstack_etl.settings import knob

if TYPE_CHECKING:
    from betterstack_etl.settings import RunParams

__all__ = [
    "BD_TABLE_PREFIX",
    "LAYOUTS",
    "LAYOUT_ENV",
    "BigQueryLayout",
    "Layout",
    "bigquery_layout",
    "layout_of",
]

Layout = Literal["flat", "basedosdados"]
LAYOUTS: Final[tuple[Layout, ...]] = ("flat", "basedosdados")
LAYOUT_ENV: Final = knob("bigquery_layout").variable
BD_TABLE_PREFIX: Final = "etl_"
_STAGING: Final = "_staging"


@dataclass(frozen=True, slots=True)
class BigQueryLayout:
    """``dataset``: where the BigLake tables and the SLA views are; ``lake_root``: the
    ``gs://`` folder holding one folder per table; ``table_prefix``: put before a table's name
    for its folder and its BigQuery table (views keep their names)."""

    layout: Layout
    dataset: str
    lake_root: str
    table_prefix: str = ""

    def table_name(self, name: str) -> str:
        """The BigQuery table (and GCS folder) name of the lake's table ``name``."""
        return f"{self.table_prefix}{name}"


def bigquery_layout(layout: Layout, *, dataset_id: str, lake_root: str) -> BigQueryLayout:
    """The datasets, folders and names of ``layout`` for ``dataset_id`` and ``lake_root``."""
    dataset = dataset_id.strip()
    if layout == "flat":
        return BigQueryLayout("flat", dataset, lake_root)
    if dataset.endswith(_STAGING):
        raise ConfigError(
            f"BETTERSTACK_DATASET_ID={dataset!r} already ends in {_STAGING}",
            hint=f"with {LAYOUT_ENV}=basedosdados give the modelled dataset "
            f"({dataset.removesuffix(_STAGING)}): the raw tables go in <dataset>{_STAGING}",
        )
    text = lake_root.strip().rstrip("/")
    bucket, _, prefix = text.removeprefix("gs://").partition("/")
    wanted = f"staging/{dataset}"
    if not text.startswith("gs://") or prefix not in ("", wanted):
        raise ConfigError(
            f"BETTERSTACK_LAKE_ROOT={lake_root!r} is not a Base dos Dados staging folder",
            hint=f"with {LAYOUT_ENV}=basedosdados set BETTERSTACK_LAKE_ROOT to the bucket "
            f"(gs://{bucket or 'rj-iplanrio'}) or to gs://{bucket or 'rj-iplanrio'}/{wanted}",
        )
    return BigQueryLayout(
        "basedosdados",
        f"{dataset}{_STAGING}",
        f"gs://{bucket}/{wanted}",
        BD_TABLE_PREFIX,
    )


def layout_of(params: RunParams) -> BigQueryLayout:
    """The layout of a run's settings (``BETTERSTACK_BIGQUERY_LAYOUT``, the dataset, the lake
    root); ConfigError naming the setting when they do not fit together."""
    return bigquery_layout(
        params.bigquery_layout,  # already checked by the settings
        dataset_id=params.dataset_id,
        lake_root=params.lake_root,
    )
