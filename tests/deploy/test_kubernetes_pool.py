"""The Kubernetes variant's job variables against the base job template prefect-kubernetes
ships (offline: the template's ``variables`` JSON schema), and the Job a Kubernetes worker of
the city hall's pool would make of them (prefect-kubernetes' own rendering, no cluster)."""

from __future__ import annotations

import asyncio
import copy
import shlex
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from .conftest import load_script

REPO = Path(__file__).resolve().parents[2]
STAGING = "rj-iplanrio--betterstack-api--staging"
PROD = "rj-iplanrio--betterstack-api--prod"
# What the build step gives: {{ build-image.image_name }}:{{ build-image.tag }}
IMAGE = (
    "ghcr.io/prefeitura-rio/prefect_rj_iplanrio/deployments:rj_iplanrio__betterstack_api-0a1b2c3"
)

pool = load_script("kubernetes_pool")


def job_variables(name: str) -> dict[str, Any]:
    config = yaml.safe_load((REPO / "prefect.kubernetes.yaml").read_text())
    (found,) = [d for d in config["deployments"] if d["name"] == name]
    variables: dict[str, Any] = dict(found["work_pool"]["job_variables"])
    assert variables["image"] == "{{ build-image.image_name }}:{{ build-image.tag }}"
    variables["image"] = IMAGE  # as `prefect deploy` resolves it
    return variables


def errors(schema: dict[str, Any], values: dict[str, Any]) -> list[str]:
    validator = jsonschema.validators.validator_for(schema)(schema)
    return sorted(e.message for e in validator.iter_errors(values))


@pytest.mark.parametrize("name", [STAGING, PROD])
def test_job_variables_are_valid_for_the_shipped_template(name: str) -> None:
    schema = pool.shipped_template()["variables"]
    values = job_variables(name)
    assert errors(schema, values) == []
    # Closed to unknown names, the only one it does not know is their pool's secretName:
    # every other variable is one of prefect-kubernetes', with a valid value.
    closed = {**copy.deepcopy(schema), "additionalProperties": False}
    (unknown,) = errors(closed, values)
    assert "'secretName' was unexpected" in unknown
    assert errors(pool.base_job_template()["variables"], values) == []
    assert (
        errors({**pool.base_job_template()["variables"], "additionalProperties": False}, values)
        == []
    )


def test_the_schema_check_can_fail() -> None:
    schema = pool.shipped_template()["variables"]
    wrong = {**job_variables(PROD), "image_pull_policy": "always", "command": ["uv", "run"]}
    found = errors(schema, wrong)
    assert len(found) == 2, found


@pytest.fixture
def api(prefect_harness: None) -> None:
    """Rendering resolves block and variable references through a Prefect API: the suite's
    harness (else Prefect would start a temporary server for it)."""


def render(template: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    from prefect.client.schemas.objects import FlowRun
    from prefect_kubernetes.worker import KubernetesWorkerJobConfiguration

    configuration = asyncio.run(
        KubernetesWorkerJobConfiguration.from_template_and_values(template, values)
    )
    flow_run = FlowRun(id=uuid.uuid4(), name="betterstack hourly", flow_id=uuid.uuid4())
    configuration.prepare_for_flow_run(flow_run)
    manifest: dict[str, Any] = configuration.job_manifest
    (container,) = manifest["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    assert env["PREFECT__FLOW_RUN_ID"] == str(flow_run.id)
    return container


@pytest.mark.parametrize(
    ("name", "secret"),
    [(STAGING, "prefect-jobs-secrets-staging"), (PROD, "prefect-jobs-secrets")],
)
def test_their_pool_runs_our_image_with_the_secret_as_environment(
    api: None, name: str, secret: str
) -> None:
    values = job_variables(name)
    container = render(pool.base_job_template(), values)
    assert container["image"] == IMAGE
    assert container["imagePullPolicy"] == "Always"
    assert container["args"] == shlex.split(values["command"])
    assert container["args"][-4:] == ["--", "prefect", "flow-run", "execute"]
    assert pool.secret_of(container) == secret


def test_the_shipped_template_would_drop_the_secret_silently(api: None) -> None:
    """Why the pool's template matters: on prefect-kubernetes' default one, secretName is
    accepted and ignored, so the job would start without BETTERSTACK_TOKEN (and fail on it)."""
    container = render(pool.shipped_template(), job_variables(PROD))
    assert pool.secret_of(container) is None
    assert container["image"] == IMAGE
