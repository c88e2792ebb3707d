"""The Base dos Dados layout (SPEC §12, ``gcp.layout``): raw BigLake tables ``etl_<table>`` in
``<dataset>_staging`` over ``gs://<bucket>/staging/<dataset>/etl_<table>/``, beside the old
pipeline's ``eai_gateway_incidents`` (its objects under ``ano_particao=…/mes_particao=…/``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa
import pytest
from google.cloud import storage

from betterstack_etl.errors import ConfigError
from betterstack_etl.gcp.bigquery import external_table_definition
from betterstack_etl.gcp.layout import bigquery_layout, layout_of
from betterstack_etl.gcp.storage import GcsLake
from betterstack_etl.settings import RunParams, run_params
from betterstack_etl.tables import DAILY_SLA, INCIDENTS

BASE = {"MONITOR_ID": "1", "BETTERSTACK_DESTINATION": "bigquery"}


def _params(**env: str) -> RunParams:
    return run_params({**BASE, **env})


def test_flat_is_the_default_and_changes_nothing() -> None:
    params = _params(BETTERSTACK_LAKE_ROOT="gs://lake/x", BETTERSTACK_DATASET_ID="d")
    names = layout_of(params)
    assert (names.layout, names.dataset, names.lake_root, names.table_name("t")) == (
        "flat", "d", "gs://lake/x", "t",
    )  # fmt: skip


@pytest.mark.parametrize(
    "root", ["gs://rj-iplanrio", "gs://rj-iplanrio/staging/brutos_betterstack/"]
)
def test_basedosdados_names(root: str) -> None:
    params = _params(BETTERSTACK_LAKE_ROOT=root, BETTERSTACK_BIGQUERY_LAYOUT="basedosdados")
    names = layout_of(params)
    assert names.dataset == "brutos_betterstack_staging"
    assert names.lake_root == "gs://rj-iplanrio/staging/brutos_betterstack"
    assert names.table_name("eai_gateway_incidents") == "etl_eai_gateway_incidents"
    table = external_table_definition(
        INCIDENTS, names.lake_root, project="rj-iplanrio", dataset=names.dataset,
        table_prefix=names.table_prefix,
    )  # fmt: skip
    api = table.to_api_repr()
    assert api["tableReference"]["datasetId"] == "brutos_betterstack_staging"
    assert api["tableReference"]["tableId"] == "etl_eai_gateway_incidents"
    folder = "gs://rj-iplanrio/staging/brutos_betterstack/etl_eai_gateway_incidents"
    assert api["externalDataConfiguration"]["sourceUris"] == [f"{folder}/*"]
    prefix = api["externalDataConfiguration"]["hivePartitioningOptions"]["sourceUriPrefix"]
    assert prefix == f"{folder}/{{data_particao:DATE}}"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"BETTERSTACK_LAKE_ROOT": "gs://rj-iplanrio/brutos"}, "BETTERSTACK_LAKE_ROOT"),
        ({"BETTERSTACK_LAKE_ROOT": "gs://b", "BETTERSTACK_DATASET_ID": "x_staging"},
         "BETTERSTACK_DATASET_ID"),
    ],
)  # fmt: skip
def test_a_layout_that_does_not_fit_is_refused_before_any_request(
    env: dict[str, str], named: str
) -> None:
    """Refused by the layout, and so by a run's session before its first request."""
    from betterstack_etl.run.session import run_session
    from betterstack_etl.secret import Secret

    params = _params(**{"BETTERSTACK_BIGQUERY_LAYOUT": "basedosdados", **env})
    with pytest.raises(ConfigError, match=named):
        layout_of(params)
    with pytest.raises(ConfigError, match=named), run_session(params, Secret("t")):
        pytest.fail("the session must not start")


def test_an_unknown_layout_is_refused_with_the_settings() -> None:
    with pytest.raises(ConfigError) as info:
        _params(BETTERSTACK_LAKE_ROOT="gs://b", BETTERSTACK_BIGQUERY_LAYOUT="bdd")
    assert str(info.value) == (
        "BETTERSTACK_BIGQUERY_LAYOUT='bdd' is not a layout — use 'flat' (tables and views in "
        "BETTERSTACK_DATASET_ID) or 'basedosdados' (raw tables in <dataset>_staging over "
        "gs://<bucket>/staging/<dataset>/)"
    )
    assert _params(
        BETTERSTACK_LAKE_ROOT="gs://b", BETTERSTACK_BIGQUERY_LAYOUT=" BD "
    ).bigquery_layout == ("basedosdados")


def test_the_layout_is_read_the_same_way_as_every_setting() -> None:
    params = run_params({**BASE, "BETTERSTACK_LAKE_ROOT": "gs://b"}, bigquery_layout="basedosdados")
    assert params.bigquery_layout == "basedosdados"
    assert bigquery_layout("flat", dataset_id="d", lake_root="gs://b") == layout_of(
        run_params({**BASE, "BETTERSTACK_LAKE_ROOT": "gs://b", "BETTERSTACK_DATASET_ID":
                            "d"})
    )  # fmt: skip


@pytest.mark.slow
def test_a_gcs_lake_in_the_bd_layout_writes_beside_the_old_pipelines_folder(
    gcs_client: storage.Client, bucket: str
) -> None:
    old = "staging/brutos_betterstack/eai_gateway_incidents/ano_particao=2026/mes_particao=03/"
    old += "data_particao=2026-03-01/0b9e.parquet"
    gcs_client.bucket(bucket).blob(old).upload_from_string(b"their file")
    names = bigquery_layout(
        "basedosdados", dataset_id="brutos_betterstack", lake_root=f"gs://{bucket}"
    )
    lake = GcsLake(gcs_client, names.lake_root, table_prefix=names.table_prefix)
    day = date(2026, 3, 1)
    row = {"monitor_id": "1", "date": day, "availability": 99.0, "is_complete": True,
           "_extracted_at": datetime(2026, 3, 2, tzinfo=UTC), "_run_id": "r"}  # fmt: skip
    lake.merge_partition(DAILY_SLA, day, pa.Table.from_pylist([row], schema=DAILY_SLA.schema))

    stored = sorted(b.name for b in gcs_client.list_blobs(bucket))
    ours = [n for n in stored if n != old]
    assert ours == [
        "staging/brutos_betterstack/etl_eai_gateway_daily_sla/data_particao=2026-03-01/data.parquet"
    ]
    assert old in stored  # untouched
    assert lake.partitions(DAILY_SLA) == [day]
    assert lake.partitions(INCIDENTS) == []  # the old folder is not ours to read
    assert lake.verify([INCIDENTS, DAILY_SLA]) == []
