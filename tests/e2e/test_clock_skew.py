"""A run on a machine whose clock is a day off refuses, before it stamps anything (issue 25
item 3).

On ``main`` such a run stamped ``_extracted_at`` a day ahead; the newest extraction wins a
merge, so every real extraction lost for a day (an incident resolved at the API stayed open in
the lake). Here the run compares its clock with the API's ``Date`` header on the monitor
listing and refuses in one line; the lake keeps its data, and the next run on a right clock
lands what a clean lake gets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from betterstack_etl import clock
from betterstack_etl.cli.app import app
from betterstack_etl.errors import ConfigError
from betterstack_etl.run import runner
from betterstack_etl.settings import read_token, run_params
from betterstack_etl.simulator import Simulator
from betterstack_etl.tables import RUNS, TABLES

pytestmark = pytest.mark.slow

Rows = Callable[..., list[Any]]


def _data_files(lake: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(lake)): p.read_bytes()
        for spec in TABLES
        for p in sorted((lake / spec.name).rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("off", [timedelta(days=1), -timedelta(days=1), timedelta(minutes=20)])
def test_a_clock_off_from_the_apis_refuses_and_freezes_nothing(
    pipeline_env: Simulator,
    lake_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    table_rows: Rows,
    off: timedelta,
) -> None:
    start = pipeline_env.clock.now()
    runner.run(run_params(), read_token())
    before = _data_files(lake_root)
    pipeline_env.stats.reset()
    pipeline_env.frozen_clock.advance(timedelta(minutes=30))
    monkeypatch.setattr(clock, "utcnow", lambda: pipeline_env.clock.now() + off)

    with pytest.raises(ConfigError) as info:
        runner.run(run_params(), read_token())
    said = str(info.value)
    assert ("ahead of" if off > timedelta(0) else "behind") in said
    assert ("1 d" if abs(off) == timedelta(days=1) else "20 min") in said
    assert "no data was fetched" in said
    assert "NTP" in said
    assert _data_files(lake_root) == before  # nothing stamped with the wrong clock
    assert pipeline_env.stats.by_endpoint == {"/api/v2/monitors": 1}  # the listing only

    monkeypatch.setattr(clock, "utcnow", pipeline_env.clock.now)  # the clock set right
    pipeline_env.frozen_clock.advance(timedelta(minutes=30))
    runner.run(run_params(), read_token())

    clean = tmp_path / "clean"  # the two good runs, at the same times, on a clean lake
    monkeypatch.setenv("BETTERSTACK_LAKE_ROOT", str(clean))
    pipeline_env.frozen_clock.set(start)
    runner.run(run_params(), read_token())
    pipeline_env.frozen_clock.advance(timedelta(hours=1))
    runner.run(run_params(), read_token())
    for spec in TABLES:  # _extracted_at included: no row carries the wrong clock
        assert table_rows(lake_root, spec.name) == table_rows(clean, spec.name), spec.name
    ledger = pq.read_table(lake_root / RUNS.name).to_pylist()
    refused = [r for r in ledger if r["status"] == "failed"]
    assert len(refused) == len(TABLES)  # the refused run left its ledger rows, saying why
    assert all("clock" in r["error"] for r in refused)


def test_the_cli_says_it_in_one_line(
    pipeline_env: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: pipeline_env.clock.now() + timedelta(days=1))
    done = CliRunner().invoke(app, ["run"])
    assert done.exit_code == 1
    errors = [line for line in done.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.output
    assert "clock is 1 d ahead of the Better Stack API's" in errors[0]


def test_the_simulator_sends_its_own_time_as_date(pipeline_env: Simulator) -> None:
    answer = httpx.get(f"{pipeline_env.base_url}/api/v2/monitors")
    assert parsedate_to_datetime(answer.headers["Date"]) == pipeline_env.clock.now()
