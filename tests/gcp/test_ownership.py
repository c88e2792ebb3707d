"""Ownership (SPEC §12): everything publish creates carries ``managed-by: betterstack-etl``, and
an object of someone else's at one of our names is never altered: publish stops with one line
(the object, who seems to own it, the fix) and ``check`` lists it before the first run.

bqemulator keeps labels, descriptions, schemas and table types (TABLE / VIEW), so the planted
objects below are real ones there; it keeps no external configuration, so the old pipeline's
raw BigLake table is recognised there by its columns, and as an external table in the unit
tests with in-memory tables at the end.
"""

from __future__ import annotations

from typing import Any

import pytest
from google.api_core import exceptions as gexc
from google.cloud import bigquery

from betterstack_etl.gcp.bigquery import DEFINITION_LABEL, BigQueryPublisher, OwnershipError
from betterstack_etl.gcp.layout import layout_of
from betterstack_etl.gcp.ownership import collision, foreign_owner, is_ours
from betterstack_etl.ops.check import check_ownership
from betterstack_etl.settings import RunParams, run_params
from betterstack_etl.sla import VIEWS, SlaOptions
from betterstack_etl.tables import TABLES, WRITTEN

from .conftest import PROJECT

ROOT = "gs://rj-iplanrio-lake/brutos_betterstack"
OURS = {"managed-by": "betterstack-etl"}
# the analysts' dbt models as dbt-bigquery leaves them (columns from their schema.yml)
THEIR_INCIDENTS = ["id", "name", "status", "cause", "url", "team_name", "started_at",
                   "resolved_at", "acknowledged_at", "response_code", "monitor_id",
                   "ano_particao", "mes_particao", "data_particao"]  # fmt: skip
THEIR_DESCRIPTION = "Incidentes brutos do BetterStack tratados e desaninhados."
OLD_RAW = ["id", "type", "attributes", "relationships"]  # the old pipeline: every column STRING

pytestmark = pytest.mark.slow


def _dataset(client: bigquery.Client, name: str) -> str:
    client.create_dataset(bigquery.Dataset(f"{PROJECT}.{name}"), exists_ok=True)
    return f"{PROJECT}.{name}"


def _plant_table(
    client: bigquery.Client, ref: str, columns: list[str], description: str | None = None
) -> bigquery.Table:
    table = bigquery.Table(ref, schema=[bigquery.SchemaField(c, "STRING") for c in columns])
    table.description = description
    return client.create_table(table)


def _plant_view(client: bigquery.Client, ref: str) -> bigquery.Table:
    view = bigquery.Table(ref)
    view.view_query = "SELECT '2026-01' AS mes, 0 AS total_downtime_minutes"
    view.description = "KPI mensal de disponibilidade (Uptime %) do EAI Gateway."
    return client.create_table(view)


def _publisher(client: Any, dataset: str, **kw: Any) -> BigQueryPublisher:
    return BigQueryPublisher(
        client, project=PROJECT, dataset=dataset, lake_root=ROOT, sla=SlaOptions(), **kw
    )


def _params(dataset: str, **env: str) -> RunParams:
    base = {
        "MONITOR_ID": "1",
        "BETTERSTACK_DESTINATION": "bigquery",
        "BETTERSTACK_LAKE_ROOT": "gs://rj-iplanrio",
        "BETTERSTACK_DATASET_ID": dataset,
        "BETTERSTACK_BILLING_PROJECT_ID": PROJECT,
    }
    return run_params({**base, **env})


def test_everything_publish_creates_carries_the_label(
    bq_client: bigquery.Client, dataset_id: str
) -> None:
    _publisher(bq_client, dataset_id).publish((*TABLES, *WRITTEN))
    listed = list(bq_client.list_tables(f"{PROJECT}.{dataset_id}"))
    assert sorted(t.table_id for t in listed) == sorted(
        [s.name for s in (*TABLES, *WRITTEN)] + [v.name for v in VIEWS]
    )
    for item in listed:
        table = bq_client.get_table(item.reference)
        assert table.labels.get("managed-by") == "betterstack-etl", table.table_id
    assert bq_client.get_dataset(f"{PROJECT}.{dataset_id}").labels == OURS


def test_publish_refuses_their_native_table_and_alters_nothing(
    bq_client: bigquery.Client, dataset_id: str
) -> None:
    ref = f"{_dataset(bq_client, dataset_id)}.eai_gateway_incidents"
    planted = _plant_table(bq_client, ref, THEIR_INCIDENTS, THEIR_DESCRIPTION)

    with pytest.raises(OwnershipError) as caught:
        _publisher(bq_client, dataset_id).publish((*TABLES, *WRITTEN))
    line = str(caught.value)
    assert "\n" not in line
    assert line.startswith(f"{ref} is not ours: it seems to be the analysts' dbt model ")
    assert "raw_eai_gateway_incidents" in line
    assert repr(THEIR_DESCRIPTION) in line  # what the object says of itself, quoted
    assert "disable that dbt model" in line  # the fix
    after = bq_client.get_table(ref)
    assert [f.name for f in after.schema] == THEIR_INCIDENTS
    assert after.labels == {}
    assert after.description == THEIR_DESCRIPTION
    assert after.modified == planted.modified


def test_publish_refuses_a_foreign_view_at_a_view_name(
    bq_client: bigquery.Client, dataset_id: str
) -> None:
    kpi = f"{_dataset(bq_client, dataset_id)}.eai_gateway_uptime_kpi"
    planted = _plant_view(bq_client, kpi)
    with pytest.raises(
        OwnershipError, match=r"uptime_kpi is not ours: it seems to be someone's view"
    ):
        _publisher(bq_client, dataset_id).publish((*TABLES, *WRITTEN))
    after = bq_client.get_table(kpi)
    assert after.labels == {}
    assert after.modified == planted.modified
    # the views before it in dependency order were made (and are ours); the tables too
    daily = bq_client.get_table(f"{PROJECT}.{dataset_id}.eai_gateway_availability_daily")
    assert daily.labels == OURS


def test_check_lists_every_collision_and_the_legacy_table_before_the_first_run(
    bq_client: bigquery.Client, dataset_id: str
) -> None:
    dataset = _dataset(bq_client, dataset_id)
    _plant_table(bq_client, f"{dataset}.eai_gateway_incidents", THEIR_INCIDENTS, THEIR_DESCRIPTION)
    _plant_view(bq_client, f"{dataset}.eai_gateway_uptime_kpi")
    staging = _dataset(bq_client, f"{dataset_id}_staging")
    _plant_table(bq_client, f"{staging}.eai_gateway_incidents", OLD_RAW)

    results = check_ownership(_params(dataset_id), bq_client)
    crosses = [r for r in results if not r.ok]
    assert [r.detail.split(" is not ours")[0] for r in crosses] == [
        f"{dataset}.eai_gateway_incidents",
        f"{dataset}.eai_gateway_uptime_kpi",
    ]
    assert all(r.name == "ownership" and r.fix for r in crosses)
    legacy = [r for r in results if r.name == "legacy table"]
    assert len(legacy) == 1
    assert legacy[0].detail.startswith(f"{staging}.eai_gateway_incidents: the old pipeline's")
    assert bq_client.get_table(f"{dataset}.eai_gateway_incidents").labels == {}  # read only


def test_the_basedosdados_layout_lands_beside_the_old_raw_table(
    bq_client: bigquery.Client, dataset_id: str
) -> None:
    """Their layout: our raw tables are etl_<table> in <dataset>_staging, where the old
    pipeline's eai_gateway_incidents stays untouched; check sees no collision, only it."""
    staging = _dataset(bq_client, f"{dataset_id}_staging")
    old = _plant_table(bq_client, f"{staging}.eai_gateway_incidents", OLD_RAW)
    params = _params(dataset_id, BETTERSTACK_BIGQUERY_LAYOUT="basedosdados")
    names = layout_of(params)
    assert names.dataset == f"{dataset_id}_staging"

    assert [r.ok for r in check_ownership(params, bq_client) if r.name == "ownership"] == [True]
    publisher = _publisher(bq_client, names.dataset, table_prefix=names.table_prefix)
    publisher.publish((*TABLES, *WRITTEN))
    listed = {t.table_id for t in bq_client.list_tables(staging)}
    assert listed == (
        {f"etl_{s.name}" for s in (*TABLES, *WRITTEN)}
        | {v.name for v in VIEWS}
        | {"eai_gateway_incidents"}
    )
    assert bq_client.get_table(f"{staging}.eai_gateway_incidents").modified == old.modified
    view = publisher.views()[0]
    assert f"`{PROJECT}.{dataset_id}_staging.etl_eai_gateway_incidents`" in view.view_query


def test_a_table_of_an_earlier_version_is_adopted_not_refused(
    bq_client: bigquery.Client, dataset_id: str
) -> None:
    """Tables made before the label carry our definition fingerprint: publish adds the label
    (keeping the others' labels) instead of refusing."""
    from betterstack_etl.tables import DAILY_SLA

    publisher = _publisher(bq_client, dataset_id)
    _dataset(bq_client, dataset_id)
    earlier = publisher.definition(DAILY_SLA)
    fingerprint = earlier.labels[DEFINITION_LABEL]
    earlier.labels = {DEFINITION_LABEL: fingerprint, "owner": "ops"}  # no managed-by yet
    bq_client.create_table(earlier)
    ref = f"{PROJECT}.{dataset_id}.{DAILY_SLA.name}"

    publisher.publish([DAILY_SLA])
    assert bq_client.get_table(ref).labels == {
        DEFINITION_LABEL: publisher.definition(DAILY_SLA).labels[DEFINITION_LABEL],
        "owner": "ops",
        **OURS,
    }


# -- without the emulator: what the emulator cannot keep --------------------------------------


def _external(columns: list[str], **labels: str) -> bigquery.Table:
    table = bigquery.Table(
        f"{PROJECT}.d.t", schema=[bigquery.SchemaField(c, "STRING") for c in columns]
    )
    table.external_data_configuration = bigquery.ExternalConfig("PARQUET")
    table.labels = labels
    return table


@pytest.mark.parametrize(
    ("table", "owner"),
    [
        (_external(OLD_RAW), "the old pipeline rj_iplanrio__betterstack_api's raw table (a "
         "external table"),
        (_external(["a"], **{"managed-by": "betterstack-etl-dbt"}),
         "a model of betterstack-etl's dbt package (external table)"),
        (_external(["a"], **{"managed-by": "terraform"}), "'terraform' (its managed-by label"),
        (_external(["a"]), "someone else (a external table)"),
    ],
)  # fmt: skip
def test_who_seems_to_own_an_object(table: bigquery.Table, owner: str) -> None:
    assert foreign_owner(table).startswith(owner)
    assert not is_ours(table, kind="table")


def test_an_unlabelled_view_is_ours_only_with_one_of_our_descriptions() -> None:
    view = bigquery.Table(f"{PROJECT}.d.eai_gateway_uptime_kpi")
    view.view_query = "SELECT 1"
    view.description = VIEWS[2].description
    assert is_ours(view, kind="view", our_descriptions=[v.description for v in VIEWS])
    view.description = "KPI mensal"
    assert not is_ours(view, kind="view", our_descriptions=[v.description for v in VIEWS])
    view.labels = OURS
    assert not is_ours(view, kind="table")  # a view where a table is wanted: never
    found = collision(view, object_id="p.d.v", kind="table")
    assert "ours, but a view where publish makes a table" in found.line()


def test_a_name_or_description_is_shown_as_data() -> None:
    table = _external(["a"])
    table.description = "[x](javascript:alert(1))\n<img onerror=x>" + "y" * 200
    owner = foreign_owner(table)
    assert "\n" not in owner
    assert len(owner) < 200


class _Fake:
    """get/create/update of tables in memory, as BigQuery answers them."""

    def __init__(self, stored: dict[str, bigquery.Table]) -> None:
        self.stored = stored
        self.writes: list[str] = []

    def get_dataset(self, ref: Any) -> Any:
        return object()

    def get_table(self, ref: Any) -> bigquery.Table:
        if str(ref) not in self.stored:
            raise gexc.NotFound(str(ref))
        return self.stored[str(ref)]

    def create_table(self, table: bigquery.Table, exists_ok: bool = False) -> None:
        self.writes.append(f"create {table.table_id}")
        self.stored[str(table.reference)] = table

    def update_table(self, table: bigquery.Table, fields: list[str]) -> None:
        self.writes.append(f"update {table.table_id}")


def test_publish_never_writes_over_the_old_pipelines_biglake_table() -> None:
    """What the emulator cannot hold: an external table of the old pipeline's shape at our
    raw table's name (the flat layout pointed at brutos_betterstack_staging)."""
    old = _external(OLD_RAW)
    old = bigquery.Table.from_api_repr(
        {**old.to_api_repr(), "tableReference": {"projectId": PROJECT, "datasetId": "d",
                                                 "tableId": "eai_gateway_incidents"}}
    )  # fmt: skip
    fake = _Fake({f"{PROJECT}.d.eai_gateway_incidents": old})
    with pytest.raises(OwnershipError, match="old pipeline rj_iplanrio__betterstack_api") as e:
        _publisher(fake, "d").publish(TABLES)
    assert "BETTERSTACK_BIGQUERY_LAYOUT=basedosdados" in str(e.value)
    assert not any("eai_gateway_incidents" in w for w in fake.writes)
