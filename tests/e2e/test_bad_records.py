"""SPEC §13 end to end: one bad record never blocks the others or poisons the lake.

- a listing holding a monitor whose id is not digits: that monitor is left out, named, and
  counted in the ledger; every other monitor loads, every table succeeds, and no message talks
  about a setting the user never gave;
- an open incident stored earlier (by an older version) with an id that is not digits: later
  runs leave it out with a warning, the resolution of the other open incidents lands, and
  ``repair`` names it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from betterstack_etl.lake import LocalLake
from betterstack_etl.lake.base import Lake
from betterstack_etl.ops.repair import repair
from betterstack_etl.settings import run_params
from betterstack_etl.simulator import Simulator, render
from betterstack_etl.tables import INCIDENTS, RUNS

pytestmark = pytest.mark.slow

Run = Callable[..., dict[str, Any]]
Query = Callable[[str], list[tuple[Any, ...]]]
BAD_MONITOR = "77x[/bold]\x1b]0;T\x07"
BAD_INCIDENT = "x-1\x1b[31m"


@pytest.fixture
def bad_monitor_listed(monkeypatch: pytest.MonkeyPatch, pipeline_env: Simulator) -> str:
    """The simulator lists its second monitor under an id that is not digits; returns the id
    it really has (the one no run may ask about)."""
    real = pipeline_env.world.monitors()[1].id
    original = render.monitor_resource

    def listed(monitor: Any, now_ms: int, *args: Any, **kwargs: Any) -> Any:
        resource = original(monitor, now_ms, *args, **kwargs)
        if monitor.id == real:
            resource = {**resource, "id": BAD_MONITOR}
        return resource

    monkeypatch.setattr(render, "monitor_resource", listed)
    return real


def _ledger(lake_root: Path) -> list[dict[str, Any]]:
    lake = LocalLake(lake_root)
    return [r for day in lake.partitions(RUNS) for r in lake.read_partition(RUNS, day).to_pylist()]  # type: ignore[union-attr]


def test_a_monitor_listed_with_an_id_not_digits_is_left_out_and_the_rest_loads(
    core_run: Run, query: Query, lake_root: Path, bad_monitor_listed: str, pipeline_env: Simulator
) -> None:
    summary = core_run()  # raises RunFailedError if any table failed
    others = sorted(m.id for m in pipeline_env.world.monitors() if m.id != bad_monitor_listed)
    assert summary["monitors"] == others
    for table in ("eai_gateway_response_times", "eai_gateway_daily_sla", "eai_gateway_monitors"):
        got = query(f"SELECT DISTINCT monitor_id FROM {table} ORDER BY 1")
        assert [r[0] for r in got] == others, table
    shown = "77x[/bold]\\x1b]0;T\\x07"
    [warning] = [w for w in summary["warnings"] if "left out" in w]
    assert shown in warning
    assert "not digits" in warning
    assert "\x1b" not in warning
    assert "MONITOR_ID" not in " ".join(summary["warnings"])
    assert summary["tables"]["eai_gateway_monitors"]["records_skipped"] == 1
    ledger = {r["table_name"]: r["records_skipped"] for r in _ledger(lake_root)}
    assert ledger["eai_gateway_monitors"] == 1
    assert ledger["eai_gateway_response_times"] == 0
    assert query("SELECT max(records_skipped) FROM eai_gateway_runs") == [(1,)]


def _poison(lake: Lake) -> str:
    """Store an open incident with an id that is not digits, beside a real open one (as an
    older version would have); returns the real one's id."""
    for day in lake.partitions(INCIDENTS):
        rows = lake.read_partition(INCIDENTS, day)
        assert rows is not None
        still_open = rows.filter(pc.is_null(rows.column("resolved_at")))
        if still_open.num_rows:
            row = still_open.slice(0, 1)
            column = row.schema.get_field_index("incident_id")
            bad = row.set_column(column, "incident_id", pa.array([BAD_INCIDENT], pa.string()))
            lake.merge_partition(INCIDENTS, day, bad)
            return str(row.column("incident_id")[0])
    raise AssertionError("no open incident in the lake")


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


def test_an_open_row_stored_with_an_id_not_digits_never_sticks_a_later_run(
    core_run: Run, query: Query, lake_root: Path, pipeline_env: Simulator
) -> None:
    _open_incident_time(pipeline_env)
    core_run(tables=["incidents"])
    real = _poison(LocalLake(lake_root))
    # three days on, both starts are outside the window: only the re-read of open rows can
    # resolve the real one, and the bad one must not stop it
    pipeline_env.frozen_clock.advance(timedelta(days=3))
    summary = core_run(tables=["incidents"])
    incidents = summary["tables"]["eai_gateway_incidents"]
    assert incidents["error"] is None
    assert incidents["records_skipped"] == 1
    assert query(
        f"SELECT resolved_at IS NOT NULL FROM eai_gateway_incidents WHERE incident_id = '{real}'"
    ) == [(True,)]
    [warning] = [w for w in summary["warnings"] if "left out" in w]
    assert "x-1\\x1b[31m" in warning
    assert "\x1b" not in warning
    # a later run is not stuck either
    pipeline_env.frozen_clock.advance(timedelta(hours=1))
    assert core_run(tables=["incidents"])["tables"]["eai_gateway_incidents"]["error"] is None

    report = repair(run_params(), None)
    assert report.unreadable_open == ((INCIDENTS.name, BAD_INCIDENT),)
    from betterstack_etl.cli.app import app

    shown = CliRunner().invoke(app, ["repair"])
    assert shown.exit_code == 0, shown.output
    assert "x-1\\x1b[31m" in shown.output
    assert "\x1b" not in shown.output
    assert "nothing to repair" not in shown.output
