"""End-to-end fixtures: the flow against the simulator into a throwaway local lake."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from betterstack_etl import clock
from betterstack_etl.simulator import Simulator


@pytest.fixture
def lake_root(tmp_path: Path) -> Path:
    return tmp_path / "lake"


@pytest.fixture
def pipeline_env(
    monkeypatch: pytest.MonkeyPatch, simulator: Simulator, lake_root: Path
) -> Simulator:
    """Environment of a run against ``simulator``; the pipeline's clock follows the simulator's."""
    for var in (
        "BETTERSTACK_FROM_DATE",
        "BETTERSTACK_TO_DATE",
        "BETTERSTACK_TABLES",
        "BETTERSTACK_DESTINATION",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("BETTERSTACK_TOKEN", "sim-token")
    monkeypatch.setenv("MONITOR_ID", "all")
    monkeypatch.setenv("BETTERSTACK_BASE_URL", simulator.base_url)
    monkeypatch.setenv("BETTERSTACK_LAKE_ROOT", str(lake_root))
    monkeypatch.setenv("BETTERSTACK_TASK_RETRIES", "1")
    monkeypatch.setenv("BETTERSTACK_TASK_RETRY_DELAY", "0")
    monkeypatch.setenv("BETTERSTACK_RETRY_BASE_DELAY", "0.01")
    monkeypatch.setattr(clock, "utcnow", simulator.clock.now)
    return simulator


def _core_run(**params: Any) -> dict[str, Any]:
    """The flow's parameters, run by the Prefect-free core in this process (the CLI's path)."""
    from betterstack_etl.run import runner
    from betterstack_etl.settings import load_settings

    loaded = load_settings(**params)  # the flow's parameters are named as the settings
    return runner.run(loaded.run_params(), loaded.token()).to_dict()


@pytest.fixture
def flow_run(prefect_harness: None, pipeline_env: Simulator) -> Callable[..., dict[str, Any]]:
    """One run of the Prefect flow (test harness), with the flow's own parameters."""
    from betterstack_etl.flow import rj_iplanrio__betterstack_api

    def run(**params: Any) -> dict[str, Any]:
        return rj_iplanrio__betterstack_api(**params)

    return run


@pytest.fixture
def core_run(pipeline_env: Simulator) -> Callable[..., dict[str, Any]]:
    """One run of the core in process, with the flow's parameters."""
    return _core_run


@pytest.fixture(params=["core", "flow"])
def run_either(
    request: pytest.FixtureRequest, pipeline_env: Simulator
) -> Callable[..., dict[str, Any]]:
    """A run by either path, for what the Prefect shell could change: how failures and retries
    end a run, and what reaches the logs. What lands in the lake is the same by both paths
    (``test_the_flow_and_the_core_land_the_same_lake``), so the data scenarios run the core."""
    if request.param == "core":
        return _core_run
    runner: Callable[..., dict[str, Any]] = request.getfixturevalue("flow_run")
    return runner


@pytest.fixture
def query(lake_root: Path) -> Callable[[str], list[tuple[Any, ...]]]:
    """SQL over the lake's DuckDB views (a fresh read-only connection per query)."""

    def run(sql: str) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(lake_root / "betterstack.duckdb"), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    return run


def read_rows(lake: Path, table: str, *, without: tuple[str, ...] = ("_run_id",)) -> list[Any]:
    """A table's rows straight from its Parquet files (no DuckDB file), sorted, without the
    columns that differ between two runs doing the same thing: to compare a lake with a clean
    copy. An empty list when the table has no file."""
    if not any((lake / table).glob("data_particao=*/*.parquet")):
        return []
    files = str(lake / table / "data_particao=*" / "*.parquet")
    con = duckdb.connect()
    try:
        return con.execute(
            f"SELECT * EXCLUDE ({', '.join(without)}) FROM read_parquet('{files}', "
            "hive_partitioning = true, union_by_name = true) ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()


@pytest.fixture
def table_rows() -> Callable[..., list[Any]]:
    """``table_rows(lake, table)``: see ``read_rows``."""
    return read_rows
