"""`repair`'s screen: paths relative to the lake root and whole, each fact said once (no WARNING
lines repeating the table), no SLO lines from the re-fetch."""

from __future__ import annotations

import logging
import re
import shutil
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from betterstack_etl.cli.app import app
from betterstack_etl.simulator import SimConfig, Simulator

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def demo_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repair") / "lake"
    with pytest.MonkeyPatch.context() as mp:
        for var in [v for v in __import__("os").environ if v.startswith("BETTERSTACK_")]:
            mp.delenv(var)
        mp.setenv("BETTERSTACK_TASK_RETRIES", "0")
        ran = CliRunner().invoke(app, ["demo", "--monitors", "2", "--lake-root", str(root)])
    assert ran.exit_code == 0, ran.output
    return root


@pytest.mark.parametrize("with_token", [False, True])
def test_repair_says_each_fact_once_with_whole_relative_paths(
    demo_lake: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    with_token: bool,
) -> None:
    lake = tmp_path / "a-rather-long-folder-name-so-paths-would-be-cut" / "lake"
    shutil.copytree(demo_lake, lake)
    damaged = sorted((lake / "eai_gateway_daily_sla").rglob("*.parquet"))[0]
    damaged.write_bytes(b"x")
    (lake / "eai_gateway_incidents" / "stray.txt").write_text("?")
    for var in [v for v in __import__("os").environ if v.startswith("BETTERSTACK_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("BETTERSTACK_TASK_RETRIES", "0")
    monkeypatch.setenv("COLUMNS", "80")
    caplog.set_level(logging.INFO, logger="betterstack_etl")
    with Simulator(SimConfig(seed=7, monitors=2)) as sim:
        if with_token:
            monkeypatch.setenv("BETTERSTACK_TOKEN", "sim-token")
            monkeypatch.setenv("BETTERSTACK_BASE_URL", sim.base_url)
        ran = CliRunner().invoke(app, ["repair", "--lake-root", str(lake)])
    assert ran.exit_code == 0, ran.output
    relative = damaged.relative_to(lake).as_posix()
    # the title names the lake once; every path after it is relative to it
    assert ran.output.count(str(lake)) == 1, ran.output
    assert re.search(r"\S…|…\S", ran.output) is None  # no path cut to "/tmp/…/lake/eai…"
    assert relative in ran.output
    said_twice = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert said_twice == [], said_twice
    assert "SLO" not in ran.output
