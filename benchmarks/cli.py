"""Benchmark 7: what a user waits for at the command line (the embedded default).

- ``betterstack-etl run`` for 10 monitors, default window, local lake, a warm disk (one run
  before the measured ones), against the simulator at its default latency, in a fresh process
  as a user starts it: wall time against the API floor (requests / request budget), the median
  of ``REPEATS`` runs. The target is at most ``1.15 × floor`` (issue 24);
  ``hourly_cli_vs_floor`` is wall / floor.
- where the rest goes, from the simulator's request log: the time from starting the command to
  the first request arriving (``startup_seconds``) and from the last answer to the command's
  exit (``shutdown_seconds``), medians; target ≤ 0.3 s each;
- ``betterstack-etl query`` of a small query on that lake: wall time (target ≤ 0.4 s);
- a wrong token: time until the command exits 1;
- ``betterstack-etl demo`` into a fresh folder: wall time (target: under 10 s).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from benchmarks.common import Figure
from betterstack_etl.simulator import SimConfig, Simulator

__all__ = ["CliResult", "run_cli"]

MONITORS: Final = 10
RATE: Final = 8.0
TOKEN: Final = "bench-cli-token"
REPEATS: Final = 3
SMALL_QUERY: Final = "SELECT count(*) AS monitors FROM eai_gateway_monitors"


@dataclass(frozen=True, slots=True)
class CliResult:
    requests: int
    seconds: float
    startup_seconds: float  # start → first request arrives
    shutdown_seconds: float  # last answer → exit
    query_seconds: float
    wrong_token_seconds: float
    wrong_token_exit: int
    demo_seconds: float

    @property
    def floor(self) -> float:
        return self.requests / RATE

    @property
    def vs_floor(self) -> float:
        return self.seconds / self.floor

    def figures(self) -> list[Figure]:
        name = f"7 CLI, {MONITORS} monitors"
        target = 1.15 * self.floor
        return [
            Figure(
                name,
                "hourly run",
                f"{self.seconds:.2f} s",
                f"{self.requests} requests, median of {REPEATS}",
            ),
            Figure(name, "API floor", f"{self.floor:.2f} s", f"requests / {RATE:g} per s"),
            Figure(
                name,
                "run / floor",
                f"{self.vs_floor:.2f}",
                f"target ≤ 1.15 × floor = {target:.2f} s: "
                + ("met" if self.seconds <= target else "NOT met"),
            ),
            Figure(
                name,
                "start → first request",
                f"{self.startup_seconds:.2f} s",
                "simulator's log; target ≤ 0.3 s",
            ),
            Figure(
                name,
                "last answer → exit",
                f"{self.shutdown_seconds:.2f} s",
                "simulator's log; target ≤ 0.3 s",
            ),
            Figure(name, "query, small", f"{self.query_seconds:.2f} s", "median; target ≤ 0.4 s"),
            Figure(
                name,
                "wrong token",
                f"{self.wrong_token_seconds:.2f} s",
                f"exit {self.wrong_token_exit} (target < 5 s)",
            ),
            Figure(name, "demo, fresh folder", f"{self.demo_seconds:.2f} s", "target < 10 s"),
        ]


def _cli(args: list[str], env: dict[str, str]) -> tuple[int, float]:
    exe = Path(sys.executable).with_name("betterstack-etl")
    started = time.monotonic()
    done = subprocess.run([str(exe), *args], env=env, capture_output=True, timeout=300)
    return done.returncode, time.monotonic() - started


def run_cli() -> CliResult:
    config = SimConfig(seed=7, monitors=MONITORS, token=TOKEN)
    with Simulator(config) as sim, tempfile.TemporaryDirectory(prefix="bench-cli-") as folder:
        env = {
            **os.environ,
            "BETTERSTACK_TOKEN": TOKEN,
            "MONITOR_ID": "all",
            "BETTERSTACK_BASE_URL": sim.base_url,
            "BETTERSTACK_LAKE_ROOT": str(Path(folder) / "lake"),
            "BETTERSTACK_RATE": str(RATE),
        }
        for name in ("PREFECT_API_URL", "BETTERSTACK_FROM_DATE", "BETTERSTACK_TO_DATE"):
            env.pop(name, None)
        code, _ = _cli(["run", "--json"], env)  # warm disk: the measured run is the second
        if code != 0:
            raise RuntimeError("the warm-up run failed")
        runs: list[tuple[float, float, float]] = []
        for _ in range(REPEATS):
            sim.stats.reset()
            started = time.monotonic()
            code, seconds = _cli(["run", "--json"], env)
            ended = started + seconds
            first, last = sim.stats.first_arrival, sim.stats.last_answer
            if code != 0 or first is None or last is None:
                raise RuntimeError("the measured run failed")
            runs.append((seconds, first - started, ended - last))
        requests = sim.stats.requests
        queries = [_cli(["query", SMALL_QUERY], env) for _ in range(REPEATS)]
        if any(code != 0 for code, _ in queries):
            raise RuntimeError("the small query failed")
        wrong_code, wrong_seconds = _cli(["run"], {**env, "BETTERSTACK_TOKEN": "not-the-token"})
        _, demo_seconds = _cli(["demo", "--lake-root", str(Path(folder) / "demo")], env)
    return CliResult(
        requests,
        statistics.median(r[0] for r in runs),
        statistics.median(r[1] for r in runs),
        statistics.median(r[2] for r in runs),
        statistics.median(seconds for _, seconds in queries),
        wrong_seconds,
        wrong_code,
        demo_seconds,
    )
