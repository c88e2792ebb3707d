"""SPEC §9: a run that finds a monitor below its SLO emits ``betterstack.slo.breached`` on the
Prefect server it runs against (an automation can notify); a run within the SLO emits none."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from betterstack_etl.simulator import SimConfig, Simulator, SystemClock

from .conftest import PrefectServer

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-m", "betterstack_etl.cli.app"]
EVENT = "betterstack.slo.breached"


def _events(server: PrefectServer, run_id: str) -> list[dict[str, Any]]:
    """The breach events of one run (their payload carries no run id: match the flow run)."""
    with server.client() as client:
        answer = client.post(
            "/events/filter",
            json={"filter": {"event": {"name": [EVENT]}, "any_resource": {}}, "limit": 50},
        )
        answer.raise_for_status()
        events = answer.json().get("events", [])
    return [
        e
        for e in events
        if any(r.get("prefect.resource.id") == f"prefect.flow-run.{run_id}" for r in e["related"])
    ]


def _run(server: PrefectServer, sim: Simulator, lake: Path, slo: str) -> dict[str, Any]:
    env = server.env(
        BETTERSTACK_TOKEN="sim-token",
        MONITOR_ID="all",
        BETTERSTACK_BASE_URL=sim.base_url,
        BETTERSTACK_LAKE_ROOT=str(lake),
        BETTERSTACK_SLO=slo,
        BETTERSTACK_TASK_RETRIES="0",
    )
    done = subprocess.run(
        [*CLI, "run", "--json"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary


def test_a_monitor_below_its_slo_raises_an_event_and_one_within_it_none(
    prefect_server: PrefectServer, make_simulator: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_simulator(SimConfig(seed=7, monitors=3), SystemClock())
    strict = _run(prefect_server, sim, tmp_path / "lake", "99.99999")
    breached = {b["monitor_id"] for b in strict["slo_breaches"]}
    assert breached  # the simulated world has downtime this month (seed 7)
    deadline = time.monotonic() + 60
    events: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        events = _events(prefect_server, strict["run_id"])
        if len(events) >= len(breached):
            break
        time.sleep(0.5)
    assert {e["resource"]["prefect.resource.id"] for e in events} == {
        f"betterstack.monitor.{m}" for m in breached
    }
    for event in events:
        assert event["payload"]["slo_pct"] == 99.99999
        assert event["payload"]["availability_pct"] < 99.99999
    lenient = _run(prefect_server, sim, tmp_path / "lake", "50")
    assert lenient["slo_breaches"] == []
    time.sleep(2)
    assert _events(prefect_server, lenient["run_id"]) == []
