"""The city hall's Kubernetes work pool, as far as this project relies on it.

Their deployments (prefeitura-rio/prefect_rj_iplanrio) give the pool a ``secretName`` job
variable: the name of the Kubernetes Secret whose keys become the job container's environment
(their README: "qual Kubernetes Secret deve ser montado no container"). The base job template
that prefect-kubernetes ships has no such variable, so their pool's template adds it; this
module makes that template from the shipped one (the ``secretName`` variable, and an
``envFrom: secretRef`` in the job's container), and renders the Job a Kubernetes worker would
create for a flow run, without a cluster (prefect-kubernetes' own job configuration code).

    python scripts/kubernetes_pool.py template > pool.json   # then, to make such a pool:
    prefect work-pool create default-pool --type kubernetes --base-job-template pool.json
    python scripts/kubernetes_pool.py job <flow-run-id>      # the Job, as JSON (PREFECT_API_URL)

Needs prefect-kubernetes (a dev dependency; scripts/iplanrio-compat.sh adds it as a test tool).
"""

from __future__ import annotations

import asyncio
import copy
import json
import sys
from typing import Any

SECRET_VARIABLE = "secretName"


def shipped_template() -> dict[str, Any]:
    """The default base job template of prefect-kubernetes' worker, as installed."""
    from prefect_kubernetes.worker import KubernetesWorker

    template: dict[str, Any] = KubernetesWorker.get_default_base_job_template()
    return template


def base_job_template() -> dict[str, Any]:
    """``shipped_template()`` plus their ``secretName``: the Secret's keys as the container's
    environment (``envFrom``); with no ``secretName`` the job has no such source."""
    template = copy.deepcopy(shipped_template())
    template["variables"]["properties"][SECRET_VARIABLE] = {
        "title": "Secret name",
        "description": "Name of the Kubernetes Secret whose keys become the job's environment",
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "default": None,
    }
    (container,) = template["job_configuration"]["job_manifest"]["spec"]["template"]["spec"][
        "containers"
    ]
    container["envFrom"] = [{"secretRef": {"name": "{{ secretName }}"}}]
    return template


async def _job(flow_run_id: str, template: dict[str, Any]) -> dict[str, Any]:
    from prefect.client.orchestration import get_client
    from prefect_kubernetes.worker import KubernetesWorkerJobConfiguration

    async with get_client() as client:
        flow_run = await client.read_flow_run(flow_run_id)
        if flow_run.deployment_id is None:
            raise SystemExit(f"flow run {flow_run_id} has no deployment")
        deployment = await client.read_deployment(flow_run.deployment_id)
        flow = await client.read_flow(flow_run.flow_id)
        pool_name = deployment.work_pool_name or ""
        pool = await client.read_work_pool(pool_name)
        values = {**(deployment.job_variables or {}), **(flow_run.job_variables or {})}
        configuration = await KubernetesWorkerJobConfiguration.from_template_and_values(
            template if template else pool.base_job_template, values, client=client
        )
        configuration.prepare_for_flow_run(flow_run, deployment=deployment, flow=flow)
    manifest: dict[str, Any] = configuration.job_manifest
    return manifest


def job_manifest(flow_run_id: str, template: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Job a Kubernetes worker of the run's pool would create for flow run
    ``flow_run_id`` (the pool's own template, unless ``template`` is given)."""
    return asyncio.run(_job(flow_run_id, template or {}))


def secret_of(container: dict[str, Any]) -> str | None:
    """The name of the Secret the container's environment comes from, if any."""
    for source in container.get("envFrom") or []:
        name = (source.get("secretRef") or {}).get("name")
        if name:
            return str(name)
    return None


def main(argv: list[str]) -> None:
    if argv[:1] == ["template"]:
        json.dump(base_job_template(), sys.stdout, indent=2)
        print()
    elif len(argv) == 2 and argv[0] == "job":
        json.dump(job_manifest(argv[1]), sys.stdout, indent=2)
        print()
    else:
        raise SystemExit("usage: kubernetes_pool.py template | job <flow-run-id>")


if __name__ == "__main__":
    main(sys.argv[1:])
