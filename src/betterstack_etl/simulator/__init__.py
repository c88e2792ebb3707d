"""A faithful local simulator of the Better Stack Uptime API (SPEC §7, betterstack-api.md §7).

    from betterstack_etl.simulator import Simulator, SimConfig, FrozenClock

    clock = FrozenClock(datetime(2026, 11, 25, 12, tzinfo=UTC))
    with Simulator(SimConfig(seed=7, monitors=3), clock=clock) as sim:
        httpx.get(f"{sim.base_url}/api/v2/monitors",
                  headers={"Authorization": "Bearer sim-token"})
        sim.faults.throttle_next(2, retry_after=1)
        clock.advance(timedelta(hours=1))   # incidents move on: Started → Resolved

Serves ``/api/v2/monitors[/{id}[/response-times|/sla]]``, ``/api/v3/incidents[/{id}]`` and
``/api/v2/incidents[/{id}]`` over real HTTP on loopback. Everything served is a pure function
of (seed, clock.now()); the modules say what was chosen where Better Stack's docs are silent:
``world`` (monitors, incidents), ``series`` (response times), ``sla``, ``api`` (routing, paging,
filters), ``server`` (faults, rate limit, lifecycle), ``faults``.
"""

from __future__ import annotations

from betterstack_etl.simulator.api import AUTH_ERROR, NOT_FOUND_ERROR, RANGE_ERROR
from betterstack_etl.simulator.clock import Clock, FrozenClock, SystemClock
from betterstack_etl.simulator.config import SimConfig, SlaSkew
from betterstack_etl.simulator.faults import Faults, Stats
from betterstack_etl.simulator.server import Simulator, serve
from betterstack_etl.simulator.world import Incident, Monitor, World

__all__ = [
    "AUTH_ERROR",
    "NOT_FOUND_ERROR",
    "RANGE_ERROR",
    "Clock",
    "Faults",
    "FrozenClock",
    "Incident",
    "Monitor",
    "SimConfig",
    "Simulator",
    "SlaSkew",
    "Stats",
    "SystemClock",
    "World",
    "serve",
]
