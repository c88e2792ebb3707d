"""``run --prefect`` without a Prefect API: the temporary server Prefect needs is started
first, with progress lines while it comes up, instead of half a minute of silence."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from betterstack_etl.cli.prefect_server import STARTUP_TIMEOUT, start_temporary_server
from betterstack_etl.simulator import SimConfig, Simulator, SystemClock

CLI = [sys.executable, "-m", "betterstack_etl.cli.app"]


class SlowServer:
    """Answers after ``ticks`` progress intervals, as a server migrating its database does."""

    def __init__(self, said: list[str], ticks: int) -> None:
        self.said, self.ticks = said, ticks
        self.timeout: int | None = None
        self.api_url = "http://127.0.0.1:8123/api"
        self.seen = threading.Event()

    def start(self, timeout: int | None = None) -> None:
        self.timeout = timeout
        while sum("still starting" in line for line in self.said) < self.ticks:
            self.seen.wait(0.01)


def test_progress_lines_come_while_the_server_starts_then_how_long_it_took() -> None:
    said: list[str] = []
    server = SlowServer(said, ticks=3)
    url = start_temporary_server(said.append, every=0.02, server=lambda: server)
    assert url == server.api_url
    assert said[0].startswith("starting a temporary Prefect server")
    assert all("still starting" in line for line in said[1:-1])
    assert len(said) - 2 >= 3
    assert said[-1].startswith("temporary Prefect server ready after ")
    assert server.api_url in said[-1]
    assert server.timeout is not None
    assert server.timeout >= STARTUP_TIMEOUT


def test_nothing_is_started_when_a_prefect_api_is_configured() -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    said: list[str] = []
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        assert start_temporary_server(said.append) is None
    assert said == []


@pytest.mark.slow
def test_run_prefect_says_it_starts_a_temporary_server(
    make_simulator: Callable[..., Simulator], tmp_path: Path
) -> None:
    simulator = make_simulator(SimConfig(seed=3, monitors=2), SystemClock())
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BETTERSTACK_", "PREFECT_")) and k != "MONITOR_ID"
    }
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        BETTERSTACK_TOKEN="sim-token",
        MONITOR_ID="all",
        BETTERSTACK_BASE_URL=simulator.base_url,
        BETTERSTACK_LAKE_ROOT=str(tmp_path / "lake"),
        BETTERSTACK_TASK_RETRIES="0",
    )
    done = subprocess.run(
        [*CLI, "run", "--prefect", "--json", "--tables", "daily_sla"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    starting = next(
        i for i, line in enumerate(lines) if "starting a temporary Prefect server" in line
    )
    ready = next(
        i for i, line in enumerate(lines) if "temporary Prefect server ready after" in line
    )
    assert starting < ready
    assert '"eai_gateway_daily_sla"' in done.stdout
