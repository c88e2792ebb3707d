"""Client construction: credentials the Google way, emulators by setting, clear errors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from google.cloud import bigquery

from betterstack_etl.errors import ConfigError
from betterstack_etl.gcp.credentials import (
    BIGQUERY_ENDPOINT_ENV,
    CREDENTIALS_ENV,
    STORAGE_EMULATOR_ENV,
    GcpConfig,
    load_credentials,
    make_gcs_lake,
)
from betterstack_etl.tables import DAILY_SLA, TABLES

from .conftest import PROJECT


def test_config_reads_emulator_endpoints() -> None:
    env = {STORAGE_EMULATOR_ENV: "127.0.0.1:4443", BIGQUERY_ENDPOINT_ENV: "http://127.0.0.1:9050/"}
    config = GcpConfig.from_env(env, billing_project_id="proj")
    assert config.storage_endpoint == "http://127.0.0.1:4443"
    assert config.bigquery_endpoint == "http://127.0.0.1:9050"
    assert GcpConfig.from_env({}).billing_project_id == "rj-iplanrio"
    assert GcpConfig.from_env({}).storage_endpoint is None


def test_empty_billing_project_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="BETTERSTACK_BILLING_PROJECT_ID"):
        GcpConfig.from_env({}, billing_project_id=" ")


def test_missing_application_default_credentials_name_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(CREDENTIALS_ENV, str(tmp_path / "nope.json"))
    with pytest.raises(ConfigError) as err:
        load_credentials(GcpConfig())
    assert "gcloud auth application-default login" in str(err.value)
    assert CREDENTIALS_ENV in str(err.value)


def test_missing_key_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_credentials(GcpConfig(credentials_file=str(tmp_path / "sa.json")))


def test_malformed_key_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "sa.json"
    path.write_text(json.dumps({"type": "service_account", "client_email": "x@y"}))
    with pytest.raises(ConfigError, match="not a usable service-account JSON key file"):
        load_credentials(GcpConfig(credentials_file=str(path)))


def test_make_gcs_lake_refuses_a_bad_root_before_any_client() -> None:
    with pytest.raises(ConfigError, match="gs://"):
        make_gcs_lake("./lake", billing_project_id="p", dataset_id="d")


def test_make_gcs_lake_without_credentials_fails_fast(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(STORAGE_EMULATOR_ENV, raising=False)
    monkeypatch.delenv(BIGQUERY_ENDPOINT_ENV, raising=False)
    monkeypatch.setenv(CREDENTIALS_ENV, str(tmp_path / "missing.json"))
    with pytest.raises(ConfigError, match="gcloud auth application-default login"):
        make_gcs_lake("gs://bkt/raw", billing_project_id="p", dataset_id="d")


@pytest.mark.slow
def test_make_gcs_lake_on_the_emulators(
    gcs_endpoint: str, bq_endpoint: str, bq_client: bigquery.Client, bucket: str, dataset_id: str
) -> None:
    env = {STORAGE_EMULATOR_ENV: gcs_endpoint, BIGQUERY_ENDPOINT_ENV: bq_endpoint}
    lake = make_gcs_lake(
        f"gs://{bucket}/raw", billing_project_id=PROJECT, dataset_id=dataset_id, env=env
    )
    day = date(2026, 3, 1)
    row = {"monitor_id": "1", "date": day, "is_complete": False, "_run_id": "r",
           "_extracted_at": pa.scalar(0, pa.timestamp("ms", tz="UTC")).as_py()}  # fmt: skip
    lake.merge_partition(DAILY_SLA, day, pa.Table.from_pylist([row], schema=DAILY_SLA.schema))
    lake.publish(TABLES)

    assert lake.partitions(DAILY_SLA) == [day]
    tables = sorted(t.table_id for t in bq_client.list_tables(f"{PROJECT}.{dataset_id}"))
    assert tables == sorted(s.name for s in TABLES)
