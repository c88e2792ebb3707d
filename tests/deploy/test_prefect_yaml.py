"""Static checks of ``prefect.yaml`` and of its Kubernetes variant ``prefect.kubernetes.yaml``:
the deployments the seed names, their parameters, the production schedule, one run at a time,
the pull step, and no secret anywhere in either file."""

from __future__ import annotations

import inspect
import re
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
import yaml

from betterstack_etl.settings import run_params

REPO = Path(__file__).resolve().parents[2]
STAGING = "rj-iplanrio--betterstack-api--staging"
PROD = "rj-iplanrio--betterstack-api--prod"
ENTRYPOINT = "src/betterstack_etl/flow.py:rj_iplanrio__betterstack_api"
SECRET_NAME = re.compile(r"token|secret|password|passwd|credential|api_?key|private", re.I)
FILES = ("prefect.yaml", "prefect.kubernetes.yaml")
# The city hall's pools take the *name* of a Kubernetes Secret (their secrets live in it).
SECRET_REFERENCES = {"prefect-jobs-secrets", "prefect-jobs-secrets-staging"}


@pytest.fixture(params=FILES)
def yaml_file(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def prefect_yaml(yaml_file: str) -> dict[str, Any]:
    """Each deployment file in turn (overrides conftest's, which is prefect.yaml only)."""
    loaded: dict[str, Any] = yaml.safe_load((REPO / yaml_file).read_text())
    return loaded


def deployment(config: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [d for d in config["deployments"] if d["name"] == name]
    assert isinstance(found, dict)
    return found


def walk(node: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every (dotted key path, scalar value) of a parsed YAML document."""
    if isinstance(node, dict):
        return [kv for k, v in node.items() for kv in walk(v, f"{path}.{k}")]
    if isinstance(node, list):
        return [kv for i, v in enumerate(node) for kv in walk(v, f"{path}[{i}]")]
    return [(path, node)]


def test_the_two_deployments_exist_with_the_seed_names(prefect_yaml: dict[str, Any]) -> None:
    names = [d["name"] for d in prefect_yaml["deployments"]]
    assert sorted(names) == sorted([STAGING, PROD])


@pytest.mark.parametrize("name", [STAGING, PROD])
def test_entrypoint_is_the_flow(prefect_yaml: dict[str, Any], name: str) -> None:
    entry = deployment(prefect_yaml, name)["entrypoint"]
    assert entry == ENTRYPOINT
    path, func = entry.split(":")
    assert re.search(rf"^def {func}\(", (REPO / path).read_text(), re.M)


@pytest.mark.parametrize("name", [STAGING, PROD])
def test_parameters_target_rj_iplanrio_bigquery(prefect_yaml: dict[str, Any], name: str) -> None:
    params = deployment(prefect_yaml, name)["parameters"]
    assert params["billing_project_id"] == "rj-iplanrio"
    assert params["destination"] == "bigquery"
    assert params["dataset_id"].startswith("brutos_betterstack")
    assert params["lake_root"].startswith("gs://")


@pytest.mark.parametrize("name", [STAGING, PROD])
def test_parameters_are_flow_parameters_and_valid_settings(
    prefect_yaml: dict[str, Any], name: str
) -> None:
    from betterstack_etl.flow import rj_iplanrio__betterstack_api

    params = deployment(prefect_yaml, name)["parameters"]
    accepted = inspect.signature(rj_iplanrio__betterstack_api.fn).parameters
    assert set(params) <= set(accepted)
    # The values a run would get, with the secrets Infisical injects: must validate.
    settings = run_params({"BETTERSTACK_TOKEN": "t", "MONITOR_ID": "all"}, **params)
    assert settings.destination == "bigquery"
    assert settings.lake_root == params["lake_root"]


def test_production_dataset_and_lake_are_not_shared_with_staging(
    prefect_yaml: dict[str, Any],
) -> None:
    prod = deployment(prefect_yaml, PROD)["parameters"]
    staging = deployment(prefect_yaml, STAGING)["parameters"]
    assert prod["dataset_id"] == "brutos_betterstack"
    # A staging run re-points its dataset's BigLake tables at its own lake: never prod's.
    assert staging["dataset_id"] != prod["dataset_id"]
    assert staging["lake_root"] != prod["lake_root"]


# What the city hall already has, read from their repositories (docs/cutover.md): the old
# pipeline's raw table and its folder (prefect_rj_iplanrio, pipelines/rj_iplanrio__betterstack_api,
# Base dos Dados convention) and the analysts' dbt tables (queries-rj-iplanrio,
# models/raw/iplanrio/eai_logs/raw_eai_gateway_{incidents,uptime_kpi}.sql: schema
# brutos_betterstack, aliases eai_gateway_incidents and eai_gateway_uptime_kpi).
THEIRS = {
    "brutos_betterstack_staging.eai_gateway_incidents",
    "brutos_betterstack.eai_gateway_incidents",
    "brutos_betterstack.eai_gateway_uptime_kpi",
}
THEIR_FOLDERS = {"gs://rj-iplanrio/staging/brutos_betterstack/eai_gateway_incidents/"}


def _made_by(parameters: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The BigQuery objects (dataset.name) and GCS folders a run of these parameters creates:
    every table of the lake and of the run (ledger, coverage, alerts) and every SLA view."""
    from betterstack_etl.gcp.layout import layout_of
    from betterstack_etl.sla import VIEWS
    from betterstack_etl.tables import TABLES, WRITTEN

    names = layout_of(run_params({"BETTERSTACK_TOKEN": "t", "MONITOR_ID": "all"}, **parameters))
    tables = [names.table_name(spec.name) for spec in (*TABLES, *WRITTEN)]
    objects = {f"{names.dataset}.{n}" for n in (*tables, *(v.name for v in VIEWS))}
    return objects, {f"{names.lake_root.rstrip('/')}/{t}/" for t in tables}


def test_no_deployment_lands_on_the_city_halls_objects_or_on_the_other(
    prefect_yaml: dict[str, Any],
) -> None:
    prod_objects, prod_folders = _made_by(deployment(prefect_yaml, PROD)["parameters"])
    staging_objects, staging_folders = _made_by(deployment(prefect_yaml, STAGING)["parameters"])
    # 4 lake tables, 3 the run writes (ledger, coverage, alerts), 6 views: no two share a name
    assert len(prod_objects) == len(staging_objects) == 13
    assert not (prod_objects | staging_objects) & THEIRS
    assert not (prod_folders | staging_folders) & THEIR_FOLDERS
    assert not prod_objects & staging_objects
    assert not prod_folders & staging_folders
    # production is where the cut-over plan puts it: beside the old table, in their layout
    assert "brutos_betterstack_staging.etl_eai_gateway_incidents" in prod_objects
    assert "gs://rj-iplanrio/staging/brutos_betterstack/etl_eai_gateway_incidents/" in prod_folders


def test_production_runs_hourly_in_sao_paulo_time(prefect_yaml: dict[str, Any]) -> None:
    schedules = deployment(prefect_yaml, PROD)["schedules"]
    assert len(schedules) == 1
    (schedule,) = schedules
    assert schedule["cron"] == "0 * * * *"
    assert schedule["timezone"] == "America/Sao_Paulo"
    assert schedule.get("active", True) is True
    zoneinfo.ZoneInfo(schedule["timezone"])


def test_staging_has_no_schedule(prefect_yaml: dict[str, Any]) -> None:
    assert not deployment(prefect_yaml, STAGING).get("schedules")


def test_both_deployments_use_the_same_pool_and_pull_into_the_image_workdir(
    prefect_yaml: dict[str, Any], yaml_file: str, dockerfile: str
) -> None:
    pools = {deployment(prefect_yaml, n)["work_pool"]["name"] for n in (STAGING, PROD)}
    assert pools == {"rj-iplanrio-betterstack" if yaml_file == "prefect.yaml" else "default-pool"}
    (step,) = prefect_yaml["pull"]
    workdir = re.search(r"^WORKDIR\s+(\S+)", dockerfile, re.M)
    assert workdir
    assert step["prefect.deployments.steps.set_working_directory"]["directory"] == workdir[1]
    if yaml_file == "prefect.yaml":  # the image is built by CI; its CMD is the pool's worker
        assert prefect_yaml.get("build") is None
        assert prefect_yaml.get("push") is None


@pytest.mark.parametrize("name", [STAGING, PROD])
def test_one_run_of_a_deployment_at_a_time(prefect_yaml: dict[str, Any], name: str) -> None:
    """An hourly run and a backfill of the same deployment never overlap: the later waits."""
    limit = deployment(prefect_yaml, name)["concurrency_limit"]
    assert limit == {"limit": 1, "collision_strategy": "ENQUEUE"}


def test_the_kubernetes_variant_is_written_their_way() -> None:
    """prefeitura-rio/prefect_rj_iplanrio's pipelines/*/prefect.yaml: the image built and
    pushed at deploy time by prefect-docker, tagged with the commit, and job variables
    image / command / secretName / image_pull_policy on their pool."""
    config = yaml.safe_load((REPO / "prefect.kubernetes.yaml").read_text())
    commit, build = config["build"]
    assert commit["prefect.deployments.steps.run_shell_script"]["id"] == "get-commit-hash"
    assert (
        commit["prefect.deployments.steps.run_shell_script"]["script"]
        == "git rev-parse --short HEAD"
    )
    image = build["prefect_docker.deployments.steps.build_docker_image"]
    assert image["id"] == "build-image"
    assert image["requires"].startswith("prefect-docker>=")
    assert image["dockerfile"] == "Dockerfile"
    assert "{{ get-commit-hash.stdout }}" in image["tag"]
    (push,) = config["push"]
    assert push["prefect_docker.deployments.steps.push_docker_image"] == {
        "requires": image["requires"],
        "image_name": "{{ build-image.image_name }}",
        "tag": "{{ build-image.tag }}",
    }
    secrets = {}
    for name in (STAGING, PROD):
        pool = deployment(config, name)["work_pool"]
        assert pool["work_queue_name"] == "default"
        variables = pool["job_variables"]
        assert set(variables) == {"image", "command", "secretName", "image_pull_policy"}
        assert variables["image"] == "{{ build-image.image_name }}:{{ build-image.tag }}"
        assert variables["image_pull_policy"] == "Always"
        # their shape: uv run --package <package> -- prefect flow-run execute
        assert re.fullmatch(
            r"uv run (--no-sync )?--package betterstack-etl -- prefect flow-run execute",
            variables["command"],
        )
        secrets[name] = variables["secretName"]
    assert secrets == {STAGING: "prefect-jobs-secrets-staging", PROD: "prefect-jobs-secrets"}


def test_no_secret_is_written_in_the_yaml(prefect_yaml: dict[str, Any], yaml_file: str) -> None:
    for path, value in walk(prefect_yaml):
        assert "MONITOR_ID" not in path, path
        if path.endswith(".job_variables.secretName"):  # a reference, by name
            assert value in SECRET_REFERENCES, path
            continue
        assert not SECRET_NAME.search(path), f"{path} looks like a secret setting"
        if isinstance(value, str):
            assert "{{ prefect.blocks" not in value, f"{path}: resolved and stored at deploy time"
            assert not re.search(r"bearer\s|sim-token|[A-Za-z0-9]{24,}", value, re.I), path
    raw = (REPO / yaml_file).read_text()
    assert not re.search(r"^\s*(BETTERSTACK_TOKEN|MONITOR_ID)\s*:", raw, re.M)
