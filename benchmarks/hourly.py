"""Benchmark 3: one hourly run (the default window, all four tables): requests per monitor.

It runs on the lake the backfill left, one hour later on the simulator's clock, so incidents
still open in the lake from before the window are re-read as the flow does every hour.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Final

from benchmarks.common import SIM_NOW, BenchConfig, Figure
from benchmarks.flowrun import flow_params, run_tables
from betterstack_etl.simulator import FrozenClock
from betterstack_etl.tables import TABLES

if TYPE_CHECKING:
    from rich.console import Console

    from betterstack_etl.simulator import Simulator

__all__ = ["HourlyResult", "run_hourly"]

_QUIET: Final = 1.5


@dataclass(frozen=True, slots=True)
class HourlyResult:
    monitors: int
    requests: int
    throttled: int
    by_endpoint: dict[str, int]
    seconds: float

    @property
    def per_monitor(self) -> float:
        return self.requests / self.monitors

    def figures(self) -> list[Figure]:
        name = f"3 hourly run, {self.monitors} monitors"
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.by_endpoint.items()))
        return [
            Figure(name, "requests", f"{self.requests}", parts),
            Figure(name, "requests per monitor", f"{self.per_monitor:.2f}", "all four tables"),
            Figure(name, "wall time", f"{self.seconds:.1f} s", f"{self.throttled} × 429"),
        ]


def run_hourly(
    config: BenchConfig, simulator: Simulator, lake_root: str, console: Console
) -> HourlyResult:
    """The flow's default run (yesterday + today, last 24 h of response times), an hour on."""
    later = SIM_NOW + timedelta(hours=1)
    if isinstance(simulator.clock, FrozenClock):
        simulator.clock.set(later)
    monitors = simulator.world.monitor_ids()
    tables = [spec.name for spec in TABLES]
    params = flow_params(simulator.base_url, lake_root, monitors, tables, None)
    time.sleep(_QUIET)
    simulator.stats.reset()
    run = run_tables(config, params, "bench-hourly", later, console=console)
    return HourlyResult(
        monitors=len(monitors),
        requests=simulator.stats.requests,
        throttled=simulator.stats.throttled,
        by_endpoint=dict(simulator.stats.by_endpoint),
        seconds=run.fetch_seconds + run.merge_seconds,
    )
