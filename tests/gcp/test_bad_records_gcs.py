"""SPEC §13 on the production flavour (GCS emulator + bqemulator): an open incident stored
earlier with an id that is not digits never sticks a later run; the resolution of the other
open incidents lands in the bucket, the ledger counts the record left out, ``repair`` names it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from google.cloud import storage

from betterstack_etl.gcp.storage import GcsLake
from betterstack_etl.lake.base import Lake
from betterstack_etl.ops.repair import repair
from betterstack_etl.run import runner
from betterstack_etl.settings import read_token, run_params
from betterstack_etl.simulator import Simulator
from betterstack_etl.tables import INCIDENTS, RUNS

pytestmark = pytest.mark.slow

BAD = "x-1\x1b[31m"


@pytest.fixture
def gcs_run_env(gcs_env: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The production-shaped run of conftest's ``gcs_env``, of the incidents table alone and
    with no task retry; returns the lake root."""
    monkeypatch.setenv("BETTERSTACK_TABLES", "incidents")
    monkeypatch.setenv("BETTERSTACK_TASK_RETRIES", "0")
    return gcs_env


def _run() -> dict[str, Any]:
    return runner.run(run_params(), read_token()).to_dict()


def _open_incident_time(sim: Simulator) -> None:
    for _ in range(72):
        answer = httpx.get(
            f"{sim.base_url}/api/v3/incidents",
            params={"resolved": "false"},
            headers={"Authorization": "Bearer sim-token"},
        )
        if answer.json()["data"]:
            return
        sim.frozen_clock.advance(timedelta(hours=1))
    pytest.fail("the simulator had no open incident in 72 hours")


def _poison(lake: Lake) -> str:
    """An open incident stored with an id that is not digits, beside a real open one."""
    for day in lake.partitions(INCIDENTS):
        rows = lake.read_partition(INCIDENTS, day)
        assert rows is not None
        still_open = rows.filter(pc.is_null(rows.column("resolved_at")))
        if still_open.num_rows:
            row = still_open.slice(0, 1)
            column = row.schema.get_field_index("incident_id")
            lake.merge_partition(
                INCIDENTS, day, row.set_column(column, "incident_id", pa.array([BAD]))
            )
            return str(row.column("incident_id")[0])
    raise AssertionError("no open incident in the lake")


def test_a_bad_open_row_in_the_bucket_never_sticks_a_later_run(
    gcs_run_env: str, simulator: Simulator, gcs_client: storage.Client
) -> None:
    _open_incident_time(simulator)
    _run()
    lake = GcsLake(gcs_client, gcs_run_env)
    real = _poison(lake)
    assert BAD in lake.open_keys(INCIDENTS, None, date.max)  # in the open-rows index
    simulator.frozen_clock.advance(timedelta(days=3))  # both starts now lie before the window
    summary = _run()
    incidents = summary["tables"]["eai_gateway_incidents"]
    assert incidents["error"] is None
    assert incidents["records_skipped"] == 1
    resolved = {
        r["incident_id"]: r["resolved_at"]
        for day in lake.partitions(INCIDENTS)
        for r in (lake.read_partition(INCIDENTS, day) or INCIDENTS.schema.empty_table()).to_pylist()
    }
    assert resolved[real] is not None
    ledger = [
        r
        for day in lake.partitions(RUNS)
        for r in (lake.read_partition(RUNS, day) or RUNS.schema.empty_table()).to_pylist()
        if r["run_id"] == summary["run_id"]
    ]
    assert [(r["table_name"], r["records_skipped"]) for r in ledger] == [
        ("eai_gateway_incidents", 1)
    ]
    report = repair(run_params(), None)
    assert report.unreadable_open == ((INCIDENTS.name, BAD),)
