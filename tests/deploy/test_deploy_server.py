"""``prefect.yaml`` against a real Prefect server on loopback: ``prefect deploy --all``
registers both deployments as written, and a process worker (the production setup: the
token only in the worker's environment) runs the staging deployment against the simulator
into a local lake.

The only change to the yaml for the test is the pull step's directory: the image's WORKDIR
does not exist here, so the runs set their working directory to this checkout instead.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from betterstack_etl.lake import open_duckdb
from betterstack_etl.simulator import SimConfig, Simulator

from ..conftest import FAST_PACE

if TYPE_CHECKING:
    from collections.abc import Iterator

    from conftest import PrefectServer  # tests/deploy/conftest.py

REPO = Path(__file__).resolve().parents[2]
PREFECT = Path(sys.executable).parent / "prefect"  # see conftest.VENV_BIN

pytestmark = pytest.mark.slow

FLOW = "rj_iplanrio__betterstack_api"
STAGING = "rj-iplanrio--betterstack-api--staging"
PROD = "rj-iplanrio--betterstack-api--prod"
TOKEN = "sim-token"
CLI_TIMEOUT = 180.0
WORKER_TIMEOUT = 240.0
TABLES = ("eai_gateway_response_times", "eai_gateway_incidents", "eai_gateway_daily_sla")


def tail(path: Path, chars: int = 4000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"


def run_cli(args: list[str], *, env: dict[str, str], cwd: Path, log: Path) -> None:
    """One bounded ``prefect`` command; fails the test with its output if it fails."""
    with log.open("wb") as out:
        done = subprocess.run(
            [str(PREFECT), "--no-prompt", *args],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=CLI_TIMEOUT,
            check=False,
        )
    if done.returncode != 0:
        pytest.fail(f"prefect {' '.join(args)} exited {done.returncode}:\n{tail(log)}")


def create_process_pool(server: PrefectServer, name: str) -> None:
    from prefect.workers.process import ProcessWorker

    template = ProcessWorker.get_default_base_job_template()
    with server.client() as api:
        answer = api.post(
            "/work_pools/", json={"name": name, "type": "process", "base_job_template": template}
        )
    assert answer.status_code == 201, answer.text


def read_deployment(server: PrefectServer, name: str) -> dict[str, Any]:
    with server.client() as api:
        answer = api.get(f"/deployments/name/{FLOW}/{name}")
    assert answer.status_code == 200, f"{name}: {answer.status_code} {answer.text}"
    found: dict[str, Any] = answer.json()
    return found


@pytest.fixture(scope="module")
def deployed(
    prefect_server: PrefectServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    """Both deployments of prefect.yaml registered with ``prefect deploy --all``, read back."""
    work = tmp_path_factory.mktemp("deploy")
    config = yaml.safe_load((REPO / "prefect.yaml").read_text())
    pools = {d["work_pool"]["name"] for d in config["deployments"]}
    for pool in pools:
        create_process_pool(prefect_server, pool)
    config["pull"] = [{"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}]
    test_yaml = work / "prefect.yaml"
    test_yaml.write_text(yaml.safe_dump(config, sort_keys=False))
    run_cli(
        ["deploy", "--all", "--prefect-file", str(test_yaml)],
        env=prefect_server.env(),
        cwd=REPO,  # the entrypoint is relative to the project root
        log=work / "deploy.log",
    )
    return {name: read_deployment(prefect_server, name) for name in (STAGING, PROD)}


@pytest.fixture
def simulator() -> Iterator[str]:
    sim = Simulator(SimConfig(seed=7, monitors=3, token=TOKEN))
    try:
        yield sim.start()
    finally:
        sim.stop()


def test_both_deployments_are_registered_as_written(
    deployed: dict[str, dict[str, Any]], prefect_yaml: dict[str, Any]
) -> None:
    for written in prefect_yaml["deployments"]:
        live = deployed[written["name"]]
        assert live["name"] == written["name"]
        assert live["entrypoint"] == written["entrypoint"]
        assert live["parameters"] == written["parameters"]
        assert live["work_pool_name"] == written["work_pool"]["name"]
        assert live["parameter_openapi_schema"]["properties"].keys() >= {
            "from_date",
            "to_date",
            "dataset_id",
            "billing_project_id",
            "destination",
        }
    assert deployed[PROD]["parameters"]["billing_project_id"] == "rj-iplanrio"
    assert deployed[STAGING]["parameters"]["billing_project_id"] == "rj-iplanrio"
    assert deployed[PROD]["parameters"]["dataset_id"] == "brutos_betterstack"


def test_production_is_scheduled_hourly_in_sao_paulo_and_staging_is_not(
    deployed: dict[str, dict[str, Any]],
) -> None:
    (schedule,) = deployed[PROD]["schedules"]
    assert schedule["active"] is True
    assert schedule["schedule"]["cron"] == "0 * * * *"
    assert schedule["schedule"]["timezone"] == "America/Sao_Paulo"
    assert deployed[STAGING]["schedules"] == []


def test_no_secret_reaches_the_server(deployed: dict[str, dict[str, Any]]) -> None:
    for live in deployed.values():
        assert TOKEN not in json.dumps(live)
        # The docs of the flow may name the variables; what a run gets may not carry them.
        given = json.dumps([live["parameters"], live["job_variables"], live["pull_steps"]])
        assert "BETTERSTACK_TOKEN" not in given
        assert "MONITOR_ID" not in given


def test_a_worker_runs_the_staging_deployment_into_the_lake(
    deployed: dict[str, dict[str, Any]],
    prefect_server: PrefectServer,
    simulator: str,
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    today = datetime.now(UTC).date()
    overrides = {
        "destination": "local",
        "lake_root": str(lake),
        "base_url": simulator,
        "monitor_id": "all",
        "from_date": (today - timedelta(days=1)).isoformat(),
        "to_date": today.isoformat(),
    }
    # The documented command (docs/deploy.md), with -p key=value as an operator types it.
    run_cli(
        ["deployment", "run", f"{FLOW}/{STAGING}"]
        + [arg for key, value in overrides.items() for arg in ("-p", f"{key}={value}")],
        env=prefect_server.env(),
        cwd=tmp_path,
        log=tmp_path / "run.log",
    )
    flow_run = only_flow_run(prefect_server, deployed[STAGING]["id"])
    assert flow_run["parameters"] == {**deployed[STAGING]["parameters"], **overrides}

    worker_log = tmp_path / "worker.log"
    worker_env = prefect_server.env(
        BETTERSTACK_TOKEN=TOKEN,  # what Infisical does in production: the worker's env only
        BETTERSTACK_TASK_RETRIES="0",
        **FAST_PACE,  # tests/conftest.py: the simulator answers at once
    )
    with worker_log.open("wb") as out:
        subprocess.run(
            [
                str(PREFECT),
                "worker",
                "start",
                "--pool",
                deployed[STAGING]["work_pool_name"],
                "--run-once",
            ],
            env=worker_env,
            cwd=tmp_path,  # not the checkout: the deployment's pull step must move there
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=WORKER_TIMEOUT,
            check=False,
        )
    state = read_flow_run(prefect_server, flow_run["id"])["state"]
    assert state["type"] == "COMPLETED", f"{state}\n{tail(worker_log)}"
    assert TOKEN not in json.dumps(read_flow_run(prefect_server, flow_run["id"]))

    con = open_duckdb(lake)
    try:
        for table in TABLES:
            rows, runs = con.execute(
                f"select count(*), list(distinct _run_id) from {table}"
            ).fetchone() or (0, [])
            assert rows > 0, f"{table} is empty"
            assert runs == [flow_run["id"]], f"{table} rows come from another run: {runs}"
        monitors = con.execute(
            "select count(distinct monitor_id) from eai_gateway_response_times"
        ).fetchone()
        assert monitors == (3,), "monitor_id=all loads every monitor the token sees"
    finally:
        con.close()


def only_flow_run(server: PrefectServer, deployment_id: str) -> dict[str, Any]:
    with server.client() as api:
        answer = api.post(
            "/flow_runs/filter", json={"deployments": {"id": {"any_": [deployment_id]}}}
        )
    assert answer.status_code == 200, answer.text
    (flow_run,) = answer.json()
    assert isinstance(flow_run, dict)
    return flow_run


def read_flow_run(server: PrefectServer, flow_run_id: str) -> dict[str, Any]:
    with server.client() as api:
        answer = api.get(f"/flow_runs/{flow_run_id}")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found
