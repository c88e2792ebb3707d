"""``betterstack-etl check`` with the BigQuery destination: the bucket against the storage
emulator; the dataset through a stand-in (the BigQuery emulator is too slow to start here)."""

from __future__ import annotations

from typing import Any

from google.api_core import exceptions as gexc

from betterstack_etl.ops.check import CheckResult, run_checks
from betterstack_etl.secret import Secret
from betterstack_etl.settings import RunParams, run_params
from betterstack_etl.simulator import Simulator


def _settings(sim: Simulator, lake: str, **env: str) -> RunParams:
    base = {
        "BETTERSTACK_TOKEN": "sim-token",
        "MONITOR_ID": "all",
        "BETTERSTACK_BASE_URL": sim.base_url,
    }
    return run_params({**base, "BETTERSTACK_LAKE_ROOT": lake, **env})


def _by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.name: r for r in results}


class _Datasets:
    """A BigQuery client stand-in answering ``get_dataset`` (the emulator here is GCS only)."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    def get_dataset(self, ref: str) -> Any:
        if self.error:
            raise self.error
        return type("Dataset", (), {"location": "US"})()

    def list_tables(self, ref: str) -> list[Any]:  # an empty dataset: nothing collides
        if self.error:
            raise self.error
        return []

    def get_table(self, ref: str) -> Any:
        raise gexc.NotFound(ref)


def test_bigquery_destination_checks_bucket_dataset_and_connection(
    simulator: Simulator, gcs_endpoint: str, bucket: str
) -> None:
    env = {"STORAGE_EMULATOR_HOST": gcs_endpoint}
    settings = _settings(
        simulator,
        f"gs://{bucket}/brutos",
        BETTERSTACK_DESTINATION="bigquery",
        BETTERSTACK_BIGQUERY_CONNECTION_ID="rj-iplanrio.us.biglake",
    )
    results = _by_name(
        run_checks(settings, Secret("sim-token"), env=env, bigquery_factory=_Datasets)
    )
    assert results["bucket"].ok, results["bucket"]
    names = ("token", "monitors", "bucket", "dataset", "ownership", "connection")
    assert [results[n].ok for n in names] == [True] * 6


def test_a_missing_bucket_is_a_cross_naming_it(simulator: Simulator, gcs_endpoint: str) -> None:
    env = {"STORAGE_EMULATOR_HOST": gcs_endpoint}
    settings = _settings(
        simulator,
        "gs://no-such-bucket-here/brutos",
        BETTERSTACK_DESTINATION="bigquery",
        BETTERSTACK_BIGQUERY_CONNECTION_ID="rj-iplanrio.eu.biglake",
    )
    forbidden = _Datasets(gexc.Forbidden("no"))
    results = _by_name(
        run_checks(settings, Secret("sim-token"), env=env, bigquery_factory=lambda: forbidden)
    )
    assert not results["bucket"].ok
    assert "gs://no-such-bucket-here" in results["bucket"].detail
    assert "gcloud storage buckets create" in (results["bucket"].fix or "")
    assert not results["dataset"].ok
    assert not results["connection"].ok  # in eu, the dataset in US
    assert "location" in (results["connection"].fix or "")


class _Bucket:
    def __init__(self, held: list[str]) -> None:
        self.held = held

    def test_iam_permissions(self, permissions: list[str]) -> list[str]:
        return [p for p in permissions if p in self.held]


class _Storage:
    """Real GCS answers testIamPermissions with the subset held (the emulator has no route)."""

    def __init__(self, held: list[str]) -> None:
        self.held = held

    def bucket(self, name: str) -> _Bucket:
        return _Bucket(self.held)


def test_missing_object_permissions_are_named_with_the_role_to_grant(simulator: Simulator) -> None:
    settings = _settings(simulator, "gs://lake/brutos", BETTERSTACK_DESTINATION="bigquery")
    storage = _Storage(["storage.objects.get", "storage.objects.list"])
    results = _by_name(
        run_checks(
            settings,
            Secret("sim-token"),
            env={},
            storage_factory=lambda: storage,
            bigquery_factory=_Datasets,
        )
    )
    assert not results["bucket"].ok
    assert "storage.objects.create, storage.objects.delete" in results["bucket"].detail
    assert "roles/storage.objectAdmin" in (results["bucket"].fix or "")
