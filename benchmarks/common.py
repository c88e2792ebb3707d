"""What every benchmark shares: the configuration, the simulator, figures for the table."""

from __future__ import annotations

import resource
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from betterstack_etl.cli.display import RichProgress
from betterstack_etl.simulator import FrozenClock, SimConfig, Simulator

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rich.console import Console

__all__ = [
    "SIM_NOW",
    "TOKEN",
    "BenchConfig",
    "Figure",
    "own_peak_rss",
    "request_bars",
    "start_simulator",
]

SIM_NOW: Final = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
TOKEN: Final = "sim-token"  # the simulator's own token, not a secret
SEED: Final = 7


@dataclass(frozen=True, slots=True)
class BenchConfig:
    """The knobs of a benchmark run (defaults: the figures of issue 6)."""

    monitors: int = 10
    days: int = 60
    rate: float = 8.0
    max_in_flight: int = 4
    latency: float = 0.2
    merge_rows: tuple[int, ...] = (1_000_000, 10_000_000)
    transform_repeats: int = 5
    warm_up: bool = True


@dataclass(frozen=True, slots=True)
class Figure:
    """One line of the results table."""

    benchmark: str
    measure: str
    value: str
    note: str = ""


def start_simulator(config: BenchConfig, *, throttled: bool = True) -> Simulator:
    """A started simulator: ``config.monitors`` monitors checked every 30 s from 4 regions,
    a fixed latency per request and (when ``throttled``) a token bucket at ``config.rate``."""
    sim_config = SimConfig(
        seed=SEED,
        monitors=config.monitors,
        token=TOKEN,
        rate_limit=config.rate if throttled else None,
        latency=config.latency if throttled else 0.0,
        check_frequency=30,
        regions=("us", "eu", "as", "au"),
    )
    simulator = Simulator(sim_config, clock=FrozenClock(SIM_NOW))
    simulator.start()
    return simulator


@contextmanager
def request_bars(console: Console) -> Iterator[RichProgress]:
    """The CLI's progress bars (done/total requests, rate, ETA), handed to the run."""
    bars = RichProgress(console)
    bars.start()
    try:
        yield bars
    finally:
        bars.stop()


def own_peak_rss() -> int:
    """This process's resident high-water mark, in bytes, since its ``exec``.

    Not ``getrusage``'s ``ru_maxrss``: Linux carries it across ``execve`` from the process
    that spawned the child, so a child of a parent that once held 2 GiB (the simulator's
    cache of 500 monitors) reports 2 GiB whatever it did itself. ``VmHWM`` belongs to the
    address space the child's ``exec`` created."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # not Linux
