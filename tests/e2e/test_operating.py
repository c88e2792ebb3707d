"""Operating it (SPEC §10): every run leaves its ledger rows, failed runs included; a quality
gate stops a table whose rows break a hard rule and writes nothing of it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from betterstack_etl.errors import AuthenticationError, RunFailedError
from betterstack_etl.run import runner
from betterstack_etl.settings import read_token, run_params
from betterstack_etl.simulator import SimConfig, Simulator
from betterstack_etl.simulator.config import SlaSkew
from betterstack_etl.tables import DAILY_SLA, RUNS, TABLES

pytestmark = pytest.mark.slow


def _ledger(lake: Path) -> list[dict[str, Any]]:
    files = sorted((lake / RUNS.name).glob("data_particao=*/*.parquet"))
    return [row for f in files for row in pq.read_table(f).to_pylist()]


def test_every_run_leaves_one_ledger_row_per_table(
    pipeline_env: Simulator, lake_root: Path, query: Callable[[str], list[tuple[Any, ...]]]
) -> None:
    summary = runner.run(run_params(), read_token())
    rows = {r["table_name"]: r for r in _ledger(lake_root) if r["run_id"] == summary.run_id}
    assert set(rows) == {s.name for s in TABLES}
    for table in summary.tables:
        row = rows[table.table]
        assert row["status"] == "ok"
        assert row["error"] is None
        assert row["rows_inserted"] == table.rows_inserted
        assert row["partitions"] == len(table.partitions)
        assert row["window_end"] == pipeline_env.clock.now().date()
        assert sorted(row["monitors"]) == sorted(pipeline_env.world.monitor_ids())
    assert rows["eai_gateway_monitors"]["requests"] == 0  # made from the listing
    assert rows["eai_gateway_daily_sla"]["requests"] == 2 * len(summary.monitors)
    assert query(f"SELECT count(*) FROM {RUNS.name}") == [(len(TABLES),)]  # a view, like others


def test_a_refused_token_leaves_failed_ledger_rows_naming_it(
    pipeline_env: Simulator, lake_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BETTERSTACK_TOKEN", "not-the-token")
    with pytest.raises(AuthenticationError):
        runner.run(run_params(), read_token())
    rows = _ledger(lake_root)
    assert {r["table_name"] for r in rows} == {s.name for s in TABLES}
    for row in rows:
        assert row["status"] == "failed"
        assert "401" in row["error"]
        assert "BETTERSTACK_TOKEN" in row["error"]
        assert "not-the-token" not in row["error"]


def test_a_gate_stops_a_table_with_a_bad_row_and_writes_nothing_of_it(
    pipeline_env: Simulator,
    lake_root: Path,
    make_simulator: Callable[..., Simulator],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner.run(run_params(), read_token())
    before = {p: p.read_bytes() for p in (lake_root / DAILY_SLA.name).rglob("*.parquet")}
    assert before
    monitor = pipeline_env.world.monitor_ids()[0]
    today = pipeline_env.clock.now().date()
    bad = make_simulator(  # the API reports 10 days of *negative* downtime: availability > 100
        SimConfig(seed=7, monitors=3, sla_skews=(SlaSkew(monitor, today, -10 * 86400),)),
        pipeline_env.clock,
    )
    monkeypatch.setenv("BETTERSTACK_BASE_URL", bad.base_url)
    pipeline_env.frozen_clock.advance(timedelta(minutes=30))
    with pytest.raises(RunFailedError) as info:
        runner.run(run_params(), read_token())
    assert set(info.value.failures) == {DAILY_SLA.name}
    why = info.value.failures[DAILY_SLA.name]
    assert "availability_out_of_range" in why
    assert monitor in why  # a few of the keys
    assert "nothing of this table was written" in why
    after = {p: p.read_bytes() for p in (lake_root / DAILY_SLA.name).rglob("*.parquet")}
    assert after == before  # byte-identical
    ledger = [r for r in _ledger(lake_root) if r["table_name"] == DAILY_SLA.name]
    assert [r["status"] for r in sorted(ledger, key=lambda r: r["started_at"])] == ["ok", "failed"]


def test_no_sla_day_is_asked_or_written_before_a_monitor_existed(
    pipeline_env: Simulator,
    lake_root: Path,
    make_simulator: Callable[..., Simulator],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fault 5 of issue 12: a backfill from long before wrote 100 % SLA rows for years before
    the monitor existed. Days before a monitor's creation are neither requested nor written."""
    now = pipeline_env.clock.now()
    created = now - timedelta(days=2, hours=5)
    sim = make_simulator(
        SimConfig(seed=7, monitors=3, recent_monitor_created_at=created), pipeline_env.clock
    )
    monkeypatch.setenv("BETTERSTACK_BASE_URL", sim.base_url)
    young = sim.world.monitor_ids()[-1]
    start = now.date() - timedelta(days=6)
    params = run_params(
        from_date=start.isoformat(), to_date=now.date().isoformat(), tables="daily_sla"
    )
    sim.stats.reset()
    runner.run(params, read_token())
    files = sorted((lake_root / DAILY_SLA.name).glob("data_particao=*/*.parquet"))
    rows = [r for f in files for r in pq.read_table(f).to_pylist()]
    young_days = sorted(r["date"] for r in rows if r["monitor_id"] == young)
    assert young_days == [created.date() + timedelta(days=i) for i in range(3)]
    older = {r["monitor_id"] for r in rows} - {young}
    assert all(sorted(r["date"] for r in rows if r["monitor_id"] == m)[0] == start for m in older)
    sla_requests = sum(n for path, n in sim.stats.by_endpoint.items() if path.endswith("/sla"))
    assert sla_requests == len(rows)  # nothing asked for the days before
