"""``prefect.kubernetes.yaml`` (the city hall's way) against a real Prefect server.

- Deployed with ``prefect deploy --all`` to a Kubernetes pool made from the base job template
  of their pool (prefect-kubernetes' default plus ``secretName``: scripts/kubernetes_pool.py);
  the image build step is a stand-in that builds nothing (tests/deploy/image_steps.py; the
  real build and push run in scripts/image-smoke.sh), no push step, and the pull step moves to
  this checkout instead of the image's WORKDIR.
- Each deployment runs one flow run at a time (the server makes a second one wait).
- Flow runs are executed the way a Kubernetes job of that pool executes them: the Job that
  prefect-kubernetes renders for the flow run, its container's ``args`` run in the project
  folder (the image's WORKDIR) with the Job's environment plus the keys of the Secret it names
  (``envFrom``). What the run logged is read back from the server with the client's
  ``read_logs``: our own lines (window, rows per partition, summary, SLO and budget warnings,
  "not retrying") at INFO and up, and never the token.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from betterstack_etl.api.budget import limit_name
from betterstack_etl.lake import open_duckdb
from betterstack_etl.secret import Secret
from betterstack_etl.simulator import SimConfig, Simulator, World

from ..conftest import FAST_PACE
from .conftest import clean_env, load_script
from .test_deploy_server import read_deployment, read_flow_run, run_cli, tail

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .conftest import PrefectServer

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
FLOW = "rj_iplanrio__betterstack_api"
STAGING = "rj-iplanrio--betterstack-api--staging"
PROD = "rj-iplanrio--betterstack-api--prod"
POOL = "default-pool"
JOB_TIMEOUT = 300.0
TOKEN = "k8s-" + secrets.token_hex(12)  # this module's own: its budget limit is its own too

pool = load_script("kubernetes_pool")  # secret_of() only: the worker's side runs below
# The Kubernetes worker's side (its pool's template, the Job it renders for a flow run) runs in
# the worker's own environment, as in production: prefect-kubernetes, by default this
# interpreter's. scripts/iplanrio-compat.sh points it at the project's .venv, since the worker
# is not part of the city hall's workspace (and prefect-kubernetes 0.7.4, the newest that
# allows prefect 3.4.9, no longer imports beside today's kubernetes-asyncio and pydantic).
WORKER_PYTHON = os.environ.get("KUBERNETES_WORKER_PYTHON") or sys.executable


def worker(args: list[str], server: PrefectServer) -> Any:
    """``scripts/kubernetes_pool.py <args>`` with the worker's Python; its JSON output."""
    done = subprocess.run(
        [WORKER_PYTHON, str(REPO / "scripts" / "kubernetes_pool.py"), *args],
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def deployed(
    prefect_server: PrefectServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, dict[str, Any]]]:
    """Both deployments, read back; deleted at the end (prefect.yaml's have the same names and
    the session's server is shared with test_deploy_server.py, in either order)."""
    work = tmp_path_factory.mktemp("deploy-k8s")
    with prefect_server.client() as api:
        answer = api.post(
            "/work_pools/",
            json={
                "name": POOL,
                "type": "kubernetes",
                "base_job_template": worker(["template"], prefect_server),
            },
        )
    assert answer.status_code == 201, answer.text
    config = yaml.safe_load((REPO / "prefect.kubernetes.yaml").read_text())
    for step in config["build"]:
        if "prefect_docker.deployments.steps.build_docker_image" in step:
            arguments = dict(step.pop("prefect_docker.deployments.steps.build_docker_image"))
            arguments.pop("requires")
            step["image_steps.build_docker_image"] = arguments
    config["push"] = None
    config["pull"] = [{"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}]
    test_yaml = work / "prefect.kubernetes.yaml"
    test_yaml.write_text(yaml.safe_dump(config, sort_keys=False))
    run_cli(
        ["deploy", "--all", "--prefect-file", str(test_yaml)],
        env=prefect_server.env(PYTHONPATH=str(Path(__file__).parent)),
        cwd=REPO,  # the entrypoint and the Dockerfile are relative to the project root
        log=work / "deploy.log",
    )
    live = {name: read_deployment(prefect_server, name) for name in (STAGING, PROD)}
    yield live
    with prefect_server.client() as api:
        for deployment in live.values():
            api.delete(f"/deployments/{deployment['id']}")


def test_deployed_with_their_job_variables_and_the_built_image(
    deployed: dict[str, dict[str, Any]],
) -> None:
    tag = f"rj_iplanrio__betterstack_api-{commit()}"
    secret_names = {STAGING: "prefect-jobs-secrets-staging", PROD: "prefect-jobs-secrets"}
    for name, live in deployed.items():
        assert live["work_pool_name"] == POOL
        assert live["job_variables"] == {
            "image": f"ghcr.io/prefeitura-rio/prefect_rj_iplanrio/deployments:{tag}",
            "command": "uv run --no-sync --package betterstack-etl -- prefect flow-run execute",
            "secretName": secret_names[name],
            "image_pull_policy": "Always",
        }
        assert deployment_limit(live) == 1
        assert live["concurrency_options"]["collision_strategy"] == "ENQUEUE"
        assert TOKEN not in json.dumps(live)
    assert deployed[STAGING]["version"] == tag
    assert deployed[PROD]["version"] == commit()
    (schedule,) = deployed[PROD]["schedules"]
    assert schedule["schedule"]["cron"] == "0 * * * *"
    assert schedule["schedule"]["timezone"] == "America/Sao_Paulo"


def deployment_limit(live: dict[str, Any]) -> int | None:
    """The deployment's concurrency limit: its own global limit object (newer servers leave
    the older ``concurrency_limit`` field empty), else that field."""
    limit = (live.get("global_concurrency_limit") or {}).get("limit")
    return limit if limit is not None else live.get("concurrency_limit")


def set_state(server: PrefectServer, flow_run_id: str, state: str) -> dict[str, Any]:
    with server.client() as api:
        answer = api.post(
            f"/flow_runs/{flow_run_id}/set_state", json={"state": {"type": state}, "force": False}
        )
    assert answer.status_code in (200, 201), answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_an_hourly_run_and_a_backfill_of_a_deployment_never_overlap(
    deployed: dict[str, dict[str, Any]], prefect_server: PrefectServer
) -> None:
    runs = []
    with prefect_server.client() as api:
        for parameters in ({}, {"from_date": "2026-01-01", "to_date": "2026-01-31"}):
            answer = api.post(
                f"/deployments/{deployed[PROD]['id']}/create_flow_run",
                json={"parameters": parameters},
            )
            assert answer.status_code == 201, answer.text
            runs.append(answer.json()["id"])
    hourly, backfill = runs
    assert set_state(prefect_server, hourly, "PENDING")["status"] == "ACCEPT"
    assert set_state(prefect_server, hourly, "RUNNING")["status"] == "ACCEPT"
    waiting = set_state(prefect_server, backfill, "PENDING")
    assert waiting["status"] != "ACCEPT", "a second run started beside the first"
    assert read_flow_run(prefect_server, backfill)["state"]["name"] == "AwaitingConcurrencySlot"
    assert set_state(prefect_server, hourly, "COMPLETED")["status"] == "ACCEPT"
    assert set_state(prefect_server, backfill, "PENDING")["status"] == "ACCEPT"
    set_state(prefect_server, backfill, "CANCELLED")


def seed_with_downtime_since(start: datetime, now: datetime) -> int:
    """The first seed from 7 whose three simulated monitors had downtime between ``start`` and
    a minute before ``now``: the month's SLO at 99.99999 % is then breached whatever the time
    of day the test runs (the world is a pure function of the seed and the day)."""
    start_ms, until_ms = (int(t.timestamp() * 1000) for t in (start, now - timedelta(minutes=1)))
    for seed in range(7, 2007):
        world = World(SimConfig(seed=seed, monitors=3, token=TOKEN))
        for monitor in world.monitors():
            for incident in world.incidents(monitor, start.date(), now.date(), until_ms):
                if incident.is_downtime and start_ms <= incident.started_ms <= until_ms:
                    return seed
    raise AssertionError(f"no simulated downtime between {start} and {now} in 2000 seeds")


@pytest.fixture
def simulator() -> Iterator[str]:
    now = datetime.now(UTC)
    yesterday = datetime.combine(now.date() - timedelta(days=1), datetime.min.time(), UTC)
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    seed = seed_with_downtime_since(max(yesterday, month), now)
    sim = Simulator(SimConfig(seed=seed, monitors=3, token=TOKEN))
    try:
        yield sim.start()
    finally:
        sim.stop()


def create_run(
    server: PrefectServer, work: Path, parameters: dict[str, str], env: dict[str, str]
) -> str:
    """``prefect deployment run`` of staging, as an operator types it; the flow run's id."""
    arguments = [arg for key, value in parameters.items() for arg in ("-p", f"{key}={value}")]
    run_cli(
        [
            "deployment",
            "run",
            f"{FLOW}/{STAGING}",
            *arguments,
            "--job-variable",
            f"env={json.dumps(env)}",
        ],
        env=server.env(),
        cwd=work,
        log=work / "run.log",
    )
    found = re.search(r"UUID: ([0-9a-f-]{36})", (work / "run.log").read_text())
    assert found, tail(work / "run.log")
    return found[1]


def run_as_kubernetes_job(
    server: PrefectServer, flow_run_id: str, secrets_by_name: dict[str, dict[str, str]], log: Path
) -> dict[str, Any]:
    """What a Kubernetes job of the pool does with the flow run: the Job prefect-kubernetes
    renders for it, its container's command run in the project folder (the image's WORKDIR),
    with the Job's environment and the keys of the Secret it names. Returns the container."""
    manifest = worker(["job", flow_run_id], server)
    (container,) = manifest["spec"]["template"]["spec"]["containers"]
    env = clean_env(PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}")
    assert shutil.which("uv", path=env["PATH"]), "uv is not on PATH (bash scripts/setup.sh)"
    env.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
    assert env["PREFECT__FLOW_RUN_ID"] == flow_run_id
    assert env["PREFECT_API_URL"] == server.api_url
    env.update(secrets_by_name[pool.secret_of(container)])  # envFrom: secretRef
    # The image's environment is this interpreter's; `uv run --no-sync` must use it.
    env["UV_PROJECT_ENVIRONMENT"] = sys.prefix
    with log.open("wb") as out:
        subprocess.run(
            container["args"],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=JOB_TIMEOUT,
            check=False,
        )
    return container


def flow_run_logs(server: PrefectServer, flow_run_id: str) -> list[Any]:
    """Every log line of the flow run, through the Prefect client's ``read_logs``."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.settings import PREFECT_API_URL, temporary_settings

    found: list[Any] = []
    only = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[uuid.UUID(flow_run_id)]))
    with (
        temporary_settings({PREFECT_API_URL: server.api_url}),
        get_client(sync_client=True) as client,
    ):
        while True:
            page = client.read_logs(log_filter=only, limit=200, offset=len(found))
            found += page
            if len(page) < 200:
                return found


def ours(logs: list[Any]) -> list[Any]:
    return [line for line in logs if line.name.startswith("betterstack_etl")]


def test_a_kubernetes_job_runs_staging_and_our_lines_reach_the_flow_run_logs(
    deployed: dict[str, dict[str, Any]],
    prefect_server: PrefectServer,
    simulator: str,
    tmp_path: Path,
) -> None:
    # A budget limit the operator broke (no slot decay): the run paces itself and says so.
    with prefect_server.client() as api:
        answer = api.post(
            "/v2/concurrency_limits/",
            json={"name": limit_name(Secret(TOKEN)), "limit": 5, "slot_decay_per_second": 0.0},
        )
    assert answer.status_code == 201, answer.text
    lake = tmp_path / "lake"
    today = datetime.now(UTC).date()
    parameters = {
        "destination": "local",
        "lake_root": str(lake),
        "base_url": simulator,
        "monitor_id": "all",
        "from_date": (today - timedelta(days=1)).isoformat(),
        "to_date": today.isoformat(),
    }
    # An SLO no monitor meets (the simulator's seed has downtime in the window this month): the
    # state changes to breached, and the warning saying so is logged.
    job_env = {
        "BETTERSTACK_SLO": "99.99999",
        "BETTERSTACK_TASK_RETRIES": "0",
        **FAST_PACE,  # tests/conftest.py: the simulator answers at once
    }
    flow_run_id = create_run(prefect_server, tmp_path, parameters, job_env)
    container = run_as_kubernetes_job(
        prefect_server,
        flow_run_id,
        {"prefect-jobs-secrets-staging": {"BETTERSTACK_TOKEN": TOKEN, "MONITOR_ID": "all"}},
        tmp_path / "job.log",
    )
    assert pool.secret_of(container) == "prefect-jobs-secrets-staging"
    flow_run = read_flow_run(prefect_server, flow_run_id)
    assert flow_run["state"]["type"] == "COMPLETED", (
        f"{flow_run['state']}\n{tail(tmp_path / 'job.log')}"
    )
    assert flow_run["name"] == f"betterstack {parameters['from_date']}..{parameters['to_date']}"

    con = open_duckdb(lake)
    try:
        (runs,) = con.execute(
            "select list(distinct _run_id) from eai_gateway_incidents"
        ).fetchone() or ([],)
    finally:
        con.close()
    assert runs == [flow_run_id]

    logs = flow_run_logs(prefect_server, flow_run_id)
    mine = ours(logs)
    text = "\n".join(line.message for line in mine)
    assert re.search(r"run \S+: tables .+, window \S+\.\.\S+, destination local", text), text
    assert re.search(r"eai_gateway_incidents \S+: \d+ rows before, \d+ offered, \d+ after", text)
    assert "run summary" in text
    assert "| eai_gateway_response_times |" in text
    slo = [line.level for line in mine if re.search(r"\d+ SLO state change", line.message)]
    assert slo, text
    assert set(slo) == {30}  # WARNING
    assert any("has no slot decay" in line.message and line.level == 30 for line in mine), text
    assert any(line.level == 20 for line in mine), "no INFO line of ours"
    assert all(str(line.flow_run_id) == flow_run_id for line in logs)
    everything = json.dumps([line.model_dump(mode="json") for line in logs])
    assert TOKEN not in everything
    assert TOKEN not in json.dumps(flow_run)
    assert TOKEN not in (tmp_path / "job.log").read_text(errors="replace")


def test_a_refused_token_is_not_retried_and_the_run_logs_say_so(
    deployed: dict[str, dict[str, Any]],
    prefect_server: PrefectServer,
    simulator: str,
    tmp_path: Path,
) -> None:
    wrong = "wrong-" + secrets.token_hex(12)
    parameters = {
        "destination": "local",
        "lake_root": str(tmp_path / "lake"),
        "base_url": simulator,
        "monitor_id": "all",
    }
    # One retry allowed, so that the retry condition is asked, and says no (401).
    job_env = {"BETTERSTACK_TASK_RETRIES": "1", "BETTERSTACK_TASK_RETRY_DELAY": "0"}
    flow_run_id = create_run(prefect_server, tmp_path, parameters, job_env)
    run_as_kubernetes_job(
        prefect_server,
        flow_run_id,
        {"prefect-jobs-secrets-staging": {"BETTERSTACK_TOKEN": wrong, "MONITOR_ID": "all"}},
        tmp_path / "job.log",
    )
    flow_run = read_flow_run(prefect_server, flow_run_id)
    assert flow_run["state"]["type"] == "FAILED", (
        f"{flow_run['state']}\n{tail(tmp_path / 'job.log')}"
    )
    assert re.fullmatch(r"betterstack hourly \d{4}-\d\d-\d\d \d\d:\d\d UTC", flow_run["name"])
    logs = flow_run_logs(prefect_server, flow_run_id)
    refusals = [line for line in ours(logs) if "not retrying" in line.message]
    assert refusals, "\n".join(line.message for line in logs)
    assert all(line.level == 30 and line.task_run_id is not None for line in refusals)
    assert wrong not in json.dumps([line.model_dump(mode="json") for line in logs])
