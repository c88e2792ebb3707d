"""Issue 24: what a run does after its last answer is done once, and not at all when nothing
changed. The checks after the load (SLO, alerts) read the views through one DuckDB connection;
a run whose view definitions did not change does not open DuckDB to publish them; the first
alerts' rows get their view in the run that wrote them, not by the next run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from betterstack_etl import clock
from betterstack_etl.run import runner
from betterstack_etl.settings import load_settings
from betterstack_etl.simulator import Simulator
from betterstack_etl.tables import SLO_ALERTS


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, simulator: Simulator, tmp_path: Path) -> Path:
    """A local run against the simulator, on its clock, with an SLO its monitors miss (seed 7
    has downtime in the window): the first run's alert states change."""
    for var in ("BETTERSTACK_FROM_DATE", "BETTERSTACK_TO_DATE", "BETTERSTACK_TABLES"):
        monkeypatch.delenv(var, raising=False)
    lake = tmp_path / "lake"
    monkeypatch.setenv("BETTERSTACK_TOKEN", "sim-token")
    monkeypatch.setenv("MONITOR_ID", "all")
    monkeypatch.setenv("BETTERSTACK_BASE_URL", simulator.base_url)
    monkeypatch.setenv("BETTERSTACK_LAKE_ROOT", str(lake))
    monkeypatch.setenv("BETTERSTACK_DESTINATION", "local")
    monkeypatch.setenv("BETTERSTACK_SLO", "99.99999")
    monkeypatch.setenv("BETTERSTACK_TASK_RETRIES", "0")
    monkeypatch.setattr(clock, "utcnow", simulator.clock.now)
    return lake


def _opens(monkeypatch: pytest.MonkeyPatch, lake: Path) -> list[bool]:
    """Each connection opened to the lake's DuckDB file from now on: read-only or not."""
    opened: list[bool] = []
    real = duckdb.connect

    def connect(database: str = ":memory:", read_only: bool = False, **kw: Any) -> Any:
        if Path(database) == lake / "betterstack.duckdb":
            opened.append(read_only)
        return real(database, read_only=read_only, **kw)

    monkeypatch.setattr(duckdb, "connect", connect)
    return opened


def _run() -> dict[str, Any]:
    loaded = load_settings()
    return runner.run(loaded.run_params(), loaded.token()).to_dict()


def _rows(lake: Path, view: str) -> int:
    con = duckdb.connect(str(lake / "betterstack.duckdb"), read_only=True)
    try:
        found = con.execute(f'SELECT count(*) FROM "{view}"').fetchone()
    finally:
        con.close()
    assert found is not None
    return int(found[0])


def test_the_checks_share_one_connection_and_a_quiet_run_writes_no_view(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = _opens(monkeypatch, env)
    first = _run()
    assert first["slo_transitions"], "seed 7 misses 99.99999 % in the window"
    assert not first["warnings"]
    # a new lake: the views made (read-write), the checks' one read-only connection, and the
    # views made again after the alerts landed (their table's first file changes its view)
    assert opened == [False, True, False]
    # ... so the views of this run already read the alerts it kept
    kept = pq.read_table(env / SLO_ALERTS.name).num_rows
    assert kept == len(first["slo_transitions"])
    assert _rows(env, SLO_ALERTS.name) == kept

    opened.clear()
    second = _run()
    assert second["slo_transitions"] == []  # the states held: nothing fires, nothing kept
    assert second["slo_breaches"] == first["slo_breaches"]
    # nothing changed: publishing opens nothing; both checks read through one connection
    assert opened == [True]
    assert _rows(env, SLO_ALERTS.name) == kept
