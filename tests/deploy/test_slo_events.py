"""SPEC §11: against a real Prefect server, SLO alert events are emitted on state changes
only: three runs while monitors burn their budget emit one ``burning``/``breached`` event per
monitor, a run after they recover one ``recovered`` each; every change is kept in the lake's
``eai_gateway_slo_alerts``."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from betterstack_etl.simulator import SimConfig, Simulator, SystemClock

from ..conftest import FAST_PACE
from .conftest import PrefectServer

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-m", "betterstack_etl.cli.app"]
BAD = ("betterstack.slo.burning", "betterstack.slo.breached")
RECOVERED = "betterstack.slo.recovered"


def _events(
    server: PrefectServer, run_ids: list[str], names: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The SLO events of the given flow runs (their payload carries no run id: match the run)."""
    with server.client() as client:
        answer = client.post(
            "/events/filter",
            json={"filter": {"event": {"name": list(names)}, "any_resource": {}}, "limit": 50},
        )
        answer.raise_for_status()
        events = answer.json().get("events", [])
    wanted = {f"prefect.flow-run.{run_id}" for run_id in run_ids}
    return [e for e in events if any(r.get("prefect.resource.id") in wanted for r in e["related"])]


def _run(server: PrefectServer, sim: Simulator, lake: Path, slo: str) -> dict[str, Any]:
    env = server.env(
        BETTERSTACK_TOKEN="sim-token",
        MONITOR_ID="all",
        BETTERSTACK_BASE_URL=sim.base_url,
        BETTERSTACK_LAKE_ROOT=str(lake),
        BETTERSTACK_SLO=slo,
        BETTERSTACK_TASK_RETRIES="0",
        **FAST_PACE,  # tests/conftest.py: the simulator answers at once
    )
    done = subprocess.run(
        [*CLI, "run", "--json"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary


def _wait(
    server: PrefectServer, run_ids: list[str], names: tuple[str, ...], count: int
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    events: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        events = _events(server, run_ids, names)
        if len(events) >= count:
            break
        time.sleep(0.5)
    time.sleep(2)  # and nothing more arrives
    return _events(server, run_ids, names)


def test_alerts_fire_once_per_state_change(
    prefect_server: PrefectServer, make_simulator: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_simulator(SimConfig(seed=7, monitors=3), SystemClock())
    lake = tmp_path / "lake"
    burning = [_run(prefect_server, sim, lake, "99.99999") for _ in range(3)]
    changed = {t["monitor_id"] for t in burning[0]["slo_transitions"]}
    assert changed, "the simulated world has downtime in the covered days (seed 7)"
    assert burning[1]["slo_transitions"] == burning[2]["slo_transitions"] == []
    bad = _wait(prefect_server, [r["run_id"] for r in burning], BAD, len(changed))
    assert sorted(e["resource"]["prefect.resource.id"] for e in bad) == sorted(
        f"betterstack.monitor.{m}" for m in changed
    )  # exactly one burning/breached event per monitor over the three runs
    recovered = _run(prefect_server, sim, lake, "50")  # the same SLO, now met
    assert {t["monitor_id"] for t in recovered["slo_transitions"]} == changed
    back = _wait(prefect_server, [recovered["run_id"]], (RECOVERED,), len(changed))
    assert sorted(e["resource"]["prefect.resource.id"] for e in back) == sorted(
        f"betterstack.monitor.{m}" for m in changed
    )
    history = pq.read_table(lake / "eai_gateway_slo_alerts").to_pylist()
    assert len(history) == 2 * len(changed)  # the transitions, kept in the lake
    assert {r["state"] for r in history} == {"ok"} | {e["event"].rsplit(".", 1)[1] for e in bad}
