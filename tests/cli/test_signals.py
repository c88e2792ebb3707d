"""SIGINT and SIGTERM stop a run promptly and the ledger says so (issue 25 item 6, issue 19
item 15).

On ``main`` SIGTERM (a pod eviction, a Prefect cancel) ended a run with no message and no ledger
row; Ctrl-C let every request of a backfill finish first (34 s) and left ``requests 0`` and
``KeyboardInterrupt: `` in the ledger. Here a real ``betterstack-etl run`` process, a backfill
against a slow simulator, gets the signal mid-run: it sends at most the requests already in
flight, exits 130/143 with one line, its ledger rows say it was stopped and count the requests
really made, and the lake it leaves reads as a clean one once a later run completes."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from betterstack_etl.simulator import FrozenClock, SimConfig, Simulator
from betterstack_etl.tables import RUNS, TABLES

from ..conftest import FAST_PACE

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-m", "betterstack_etl.cli.app"]
IN_FLIGHT = 4  # BETTERSTACK_MAX_IN_FLIGHT: requests that may be on the wire when the signal comes


def _rows(lake: Path, table: str) -> list[tuple[Any, ...]]:
    """A table's rows as a reader sees them, without what differs between runs."""
    files = str(lake / table / "data_particao=*" / "*.parquet")
    con = duckdb.connect()
    try:
        return con.execute(
            f"SELECT * EXCLUDE (_extracted_at, _run_id) FROM read_parquet('{files}', "
            "hive_partitioning = true, union_by_name = true) ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_a_backfill_promptly_and_the_ledger_says_so(
    make_simulator: Callable[..., Simulator],
    process_env: Callable[..., dict[str, str]],
    tmp_path: Path,
    sig: signal.Signals,
    code: int,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    sim = make_simulator(SimConfig(seed=5, monitors=4, latency=0.25), FrozenClock(now))
    lake = tmp_path / "lake"
    env = process_env(sim, lake, tmp_path / "tmp", BETTERSTACK_MAX_IN_FLIGHT=str(IN_FLIGHT))
    start = (now.date() - timedelta(days=40)).isoformat()
    planned = 4 * 41  # the SLA requests alone: one per monitor and day
    proc = subprocess.Popen(
        [*CLI, "run", "--from-date", start],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while sim.stats.requests < 12:  # the listing, then the tables are on their way
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never got going"
        time.sleep(0.02)
    at_signal = sim.stats.requests
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    time.sleep(0.5)  # an answer still on the wire is counted when it is sent
    after = sim.stats.requests

    assert proc.returncode == code, err
    assert after - at_signal <= 2 * IN_FLIGHT, (at_signal, after)  # no new request started
    assert after < planned / 2
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    assert f"stopped by {sig.name}" in errors[0]
    assert "Traceback" not in err
    assert "FAILED" in out  # the per-table summary is still shown
    assert "partitions" in out

    ledger = _ledger(lake)
    assert {r["table_name"] for r in ledger} == {s.name for s in TABLES}
    stopped = [r for r in ledger if r["status"] == "failed"]
    assert stopped, ledger
    for row in stopped:
        assert row["error"].startswith(f"stopped by {sig.name}"), row["error"]
    assert sum(r["requests"] for r in ledger) > 0
    assert sum(r["requests"] for r in stopped) > 0

    # the lake it left is whole: a later complete run makes it the same as a clean lake (those
    # two runs need no slow answers: the simulator answers at once, the runs pace at 100/s)
    sim.config = dataclasses.replace(sim.config, latency=0.0)
    env = {**env, **FAST_PACE}
    again = subprocess.run([*CLI, "run", "--from-date", start], env=env, capture_output=True)
    assert again.returncode == 0, again.stderr
    clean = tmp_path / "clean"
    fresh = subprocess.run(
        [*CLI, "run", "--from-date", start],
        env={**env, "BETTERSTACK_LAKE_ROOT": str(clean)},
        capture_output=True,
    )
    assert fresh.returncode == 0, fresh.stderr
    for spec in TABLES:
        assert _rows(lake, spec.name) == _rows(clean, spec.name), spec.name


def _ledger(lake: Path) -> list[dict[str, Any]]:
    files = str(lake / RUNS.name / "data_particao=*" / "*.parquet")
    con = duckdb.connect()
    try:
        result = con.execute(f"SELECT * FROM read_parquet('{files}')")
        names = [d[0] for d in result.description or []]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
    finally:
        con.close()
