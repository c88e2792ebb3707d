"""Benchmark 7: what a user waits for at the command line (the embedded default).

- ``betterstack-etl run`` for 10 monitors, default window, local lake, a warm disk (one run
  before the measured one), against the simulator at its default latency, in a fresh process as
  a user starts it: wall time against the API floor (requests / request budget). The target is
  at most ``1.3 × floor + 1 s``; ``hourly_cli_vs_floor`` is wall / floor.
- a wrong token: time until the command exits 1;
- ``betterstack-etl demo`` into a fresh folder: wall time (target: under 10 s).
"""

from __future__ import annotations

import os
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


@dataclass(frozen=True, slots=True)
class CliResult:
    requests: int
    seconds: float
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
        target = 1.3 * self.floor + 1.0
        return [
            Figure(name, "hourly run", f"{self.seconds:.2f} s", f"{self.requests} requests"),
            Figure(name, "API floor", f"{self.floor:.2f} s", f"requests / {RATE:g} per s"),
            Figure(
                name,
                "run / floor",
                f"{self.vs_floor:.2f}",
                f"target ≤ 1.3 × floor + 1 s = {target:.2f} s: "
                + ("met" if self.seconds <= target else "NOT met"),
            ),
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
        sim.stats.reset()
        code, seconds = _cli(["run", "--json"], env)
        if code != 0:
            raise RuntimeError("the measured run failed")
        requests = sim.stats.requests
        wrong_code, wrong_seconds = _cli(["run"], {**env, "BETTERSTACK_TOKEN": "not-the-token"})
        _, demo_seconds = _cli(["demo", "--lake-root", str(Path(folder) / "demo")], env)
    return CliResult(requests, seconds, wrong_seconds, wrong_code, demo_seconds)
