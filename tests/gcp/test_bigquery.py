"""BigQuery side: the table definition as data, and the publisher against bqemulator.

bqemulator serves datasets and tables but stores external tables as plain ones (it drops
``externalDataConfiguration``), so what BigQuery would do with the external definition is
checked here as the data we send, not by querying it.
"""

from __future__ import annotations

from typing import Any

import pytest
from google.cloud import bigquery

from betterstack_etl.errors import ConfigError
from betterstack_etl.gcp.bigquery import (
    DEFINITION_LABEL,
    BigQueryPublisher,
    bigquery_schema,
    external_table_definition,
    parse_connection_id,
)
from betterstack_etl.tables import COVERAGE, DAILY_SLA, INCIDENTS, RESPONSE_TIMES, TABLES

from .conftest import PROJECT

ROOT = "gs://rj-iplanrio-lake/brutos_betterstack"


def test_definition_is_a_hive_partitioned_parquet_external_table() -> None:
    table = external_table_definition(
        INCIDENTS, ROOT + "/", project="rj-iplanrio", dataset="brutos_betterstack"
    )
    api = table.to_api_repr()
    assert api["tableReference"] == {
        "projectId": "rj-iplanrio",
        "datasetId": "brutos_betterstack",
        "tableId": "eai_gateway_incidents",
    }
    assert api["externalDataConfiguration"] == {
        "sourceFormat": "PARQUET",
        "sourceUris": [f"{ROOT}/eai_gateway_incidents/*"],
        "autodetect": False,
        "hivePartitioningOptions": {
            "mode": "CUSTOM",
            "sourceUriPrefix": f"{ROOT}/eai_gateway_incidents/{{data_particao:DATE}}",
            "requirePartitionFilter": False,
        },
        "parquetOptions": {"enableListInference": True},
    }
    assert api["description"] == INCIDENTS.description
    assert set(api["labels"]) == {DEFINITION_LABEL, "managed-by"}
    assert api["labels"]["managed-by"] == "betterstack-etl"


def test_connection_id_makes_it_a_biglake_table() -> None:
    table = external_table_definition(
        DAILY_SLA, ROOT, project="p", dataset="d", connection_id="rj-iplanrio.us.biglake"
    )
    config = table.to_api_repr()["externalDataConfiguration"]
    assert config["connectionId"] == "rj-iplanrio.us.biglake"
    plain = external_table_definition(DAILY_SLA, ROOT, project="p", dataset="d")
    assert "connectionId" not in plain.to_api_repr()["externalDataConfiguration"]
    assert plain.labels != table.labels  # the fingerprint sees the connection


@pytest.mark.parametrize(
    "connection", ["rj-iplanrio.us.biglake", "projects/rj-iplanrio/locations/us/connections/c_1"]
)
def test_connection_ids_accepted(connection: str) -> None:
    assert parse_connection_id(connection) == connection


@pytest.mark.parametrize("connection", ["biglake", "a.b", "a.b.c.d", "rj iplanrio.us.x", ""])
def test_malformed_connection_ids_are_config_errors(connection: str) -> None:
    with pytest.raises(ConfigError, match="BETTERSTACK_BIGQUERY_CONNECTION_ID"):
        external_table_definition(DAILY_SLA, ROOT, project="p", dataset="d",
                                  connection_id=connection)  # fmt: skip


def test_malformed_lake_root_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="gs://"):
        external_table_definition(DAILY_SLA, "./lake", project="p", dataset="d")


def _columns(fields: list[bigquery.SchemaField]) -> dict[str, tuple[str, str]]:
    return {f.name: (f.field_type, f.mode) for f in fields}


def test_schema_types_follow_the_spec() -> None:
    rt = _columns(bigquery_schema(RESPONSE_TIMES.schema))
    assert rt["monitor_id"] == ("STRING", "NULLABLE")
    assert rt["at"] == ("TIMESTAMP", "NULLABLE")
    assert rt["response_time"] == ("FLOAT64", "NULLABLE")
    assert rt["_extracted_at"] == ("TIMESTAMP", "NULLABLE")
    inc = _columns(bigquery_schema(INCIDENTS.schema))
    assert inc["regions"] == ("STRING", "REPEATED")
    assert inc["call"] == ("BOOL", "NULLABLE")
    assert inc["duration_seconds"] == ("INT64", "NULLABLE")
    sla = _columns(bigquery_schema(DAILY_SLA.schema))
    assert sla["date"] == ("DATE", "NULLABLE")
    for spec in TABLES:  # every column, in order; data_particao comes from the path
        assert [f.name for f in bigquery_schema(spec.schema)] == spec.columns
        assert "data_particao" not in spec.columns


# -- against bqemulator -------------------------------------------------------------------


class Counting:
    """Counts the writes the publisher sends through a real client."""

    def __init__(self, client: bigquery.Client) -> None:
        self.client = client
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if name in ("create_dataset", "create_table", "update_table"):

            def counted(*args: Any, **kwargs: Any) -> Any:
                self.calls.append(name)
                return attr(*args, **kwargs)

            return counted
        return attr


def _publisher(client: Any, dataset: str, root: str = ROOT, **kw: Any) -> BigQueryPublisher:
    return BigQueryPublisher(client, project=PROJECT, dataset=dataset, lake_root=root, **kw)


@pytest.mark.slow
def test_publish_creates_dataset_and_tables(bq_client: bigquery.Client, dataset_id: str) -> None:
    _publisher(bq_client, dataset_id).publish(TABLES)

    dataset = bq_client.get_dataset(f"{PROJECT}.{dataset_id}")
    assert dataset.location == "US"
    listed = sorted(t.table_id for t in bq_client.list_tables(dataset))
    assert listed == sorted(s.name for s in TABLES)
    table = bq_client.get_table(f"{PROJECT}.{dataset_id}.eai_gateway_incidents")
    assert table.description == INCIDENTS.description
    assert [f.name for f in table.schema] == INCIDENTS.columns
    assert {f.name: f.mode for f in table.schema}["regions"] == "REPEATED"
    assert DEFINITION_LABEL in table.labels


@pytest.mark.slow
def test_publish_is_idempotent(bq_client: bigquery.Client, dataset_id: str) -> None:
    counting = Counting(bq_client)
    publisher = _publisher(counting, dataset_id)
    publisher.publish(TABLES)
    assert counting.calls == ["create_dataset"] + ["create_table"] * len(TABLES)
    counting.calls.clear()

    publisher.publish(TABLES)
    _publisher(counting, dataset_id).publish(TABLES)
    assert counting.calls == []  # nothing recreated, nothing updated


@pytest.mark.slow
def test_publish_updates_a_changed_definition(bq_client: bigquery.Client, dataset_id: str) -> None:
    _publisher(bq_client, dataset_id).publish([DAILY_SLA])
    before = bq_client.get_table(f"{PROJECT}.{dataset_id}.eai_gateway_daily_sla")
    bq_client.update_table(_with_label(before, "owner", "ops"), ["labels"])

    counting = Counting(bq_client)
    moved = _publisher(counting, dataset_id, "gs://other-bucket/x", connection_id="p.us.c")
    moved.publish([DAILY_SLA])
    assert counting.calls == ["update_table"]

    after = bq_client.get_table(f"{PROJECT}.{dataset_id}.eai_gateway_daily_sla")
    wanted = moved.definition(DAILY_SLA).labels[DEFINITION_LABEL]
    assert after.labels == {
        DEFINITION_LABEL: wanted,
        "owner": "ops",
        "managed-by": "betterstack-etl",
    }
    assert after.labels[DEFINITION_LABEL] != before.labels[DEFINITION_LABEL]
    counting.calls.clear()
    moved.publish([DAILY_SLA])
    assert counting.calls == []


@pytest.mark.slow
def test_publish_restores_a_description_changed_by_hand(
    bq_client: bigquery.Client, dataset_id: str
) -> None:
    publisher = _publisher(bq_client, dataset_id)
    publisher.publish([DAILY_SLA])
    ref = f"{PROJECT}.{dataset_id}.eai_gateway_daily_sla"
    table = bq_client.get_table(ref)
    table.description = "edited by hand"
    bq_client.update_table(table, ["description"])

    publisher.publish([DAILY_SLA])
    assert bq_client.get_table(ref).description == DAILY_SLA.description


def _with_label(table: bigquery.Table, key: str, value: str) -> bigquery.Table:
    table.labels = {**table.labels, key: value}
    return table


@pytest.mark.slow
def test_publish_sends_the_sla_views_after_the_tables_and_each_runs(
    bq_client: bigquery.Client, dataset_id: str
) -> None:
    """bqemulator keeps a view as a plain table (it drops ``view_query``) and an external table
    as a plain one without its hive ``data_particao``: what BigQuery would store is checked as
    the definitions sent. The views' BigQuery SQL itself is run on the emulator over the same
    rows as DuckDB in tests/sla/test_bigquery_views.py."""
    from betterstack_etl.sla import VIEWS, SlaOptions

    sent: list[bigquery.Table] = []
    counting = Counting(bq_client)
    real_create = bq_client.create_table

    def create(table: bigquery.Table, **kw: Any) -> Any:
        sent.append(table)
        return real_create(table, **kw)

    counting.client = _Patched(bq_client, create_table=create)  # type: ignore[assignment]
    published = (*TABLES, COVERAGE)  # the SLA views read the coverage too
    _publisher(counting, dataset_id, sla=SlaOptions()).publish(published)
    names = [t.table_id for t in sent]
    assert names == [s.name for s in published] + [v.name for v in VIEWS]  # views last, in order
    for table, view in zip(sent[len(published) :], VIEWS, strict=True):
        assert table.description == view.description
        assert f"`{PROJECT}.{dataset_id}.eai_gateway_" in table.view_query


class _Patched:
    def __init__(self, client: bigquery.Client, **overrides: Any) -> None:
        self._client = client
        self._overrides = overrides

    def __getattr__(self, name: str) -> Any:
        return self._overrides.get(name) or getattr(self._client, name)


class _FakeViews:
    """get/create/update of views, kept in memory as BigQuery keeps them."""

    def __init__(self) -> None:
        self.stored: dict[str, bigquery.Table] = {}
        self.calls: list[str] = []

    def get_table(self, ref: Any) -> bigquery.Table:
        from google.api_core import exceptions as gexc

        key = str(ref)
        if key not in self.stored:
            raise gexc.NotFound(key)
        return self.stored[key]

    def create_table(self, table: bigquery.Table, exists_ok: bool = False) -> None:
        self.calls.append("create_table")
        self.stored[str(table.reference)] = table

    def update_table(self, table: bigquery.Table, fields: list[str]) -> None:
        self.calls.append(f"update_table:{','.join(fields)}")
        self.stored[str(table.reference)] = table


def test_a_view_is_created_once_and_updated_only_when_its_definition_changes() -> None:
    from betterstack_etl.sla import VIEWS, SlaOptions

    fake = _FakeViews()
    publisher = _publisher(fake, "d", sla=SlaOptions())
    for view in publisher.views():
        publisher._ensure_view(view)
    assert fake.calls == ["create_table"] * len(VIEWS)
    fake.calls.clear()
    for view in publisher.views():
        publisher._ensure_view(view)
    assert fake.calls == []
    for view in _publisher(fake, "d", sla=SlaOptions(slo_pct=99.5)).views():
        publisher._ensure_view(view)
    assert fake.calls
    assert all(c == "update_table:view_query" for c in fake.calls)
