"""Shared fixtures: a frozen clock and the Better Stack API simulator on loopback."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from betterstack_etl.simulator import Clock, FrozenClock, SimConfig, Simulator

SIM_NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
SIM_TOKEN = "sim-token"


@pytest.fixture(autouse=True)
def _no_env_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own ./.env never reaches a test: the settings read an empty file (the
    tests of the .env file point BETTERSTACK_ENV_FILE at theirs)."""
    monkeypatch.setenv("BETTERSTACK_ENV_FILE", os.devnull)


@pytest.fixture
def sim_clock() -> FrozenClock:
    """A clock frozen at 2026-11-25T12:00:00Z (move it with ``.set``/``.advance``)."""
    return FrozenClock(SIM_NOW)


@pytest.fixture
def make_simulator() -> Iterator[Callable[..., Simulator]]:
    """``make_simulator(config=None, clock=None)`` → a started Simulator, stopped at teardown."""
    started: list[Simulator] = []

    def make(config: SimConfig | None = None, clock: Clock | None = None) -> Simulator:
        sim = Simulator(
            config or SimConfig(seed=7, monitors=3), clock=clock or FrozenClock(SIM_NOW)
        )
        sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def simulator(
    request: pytest.FixtureRequest, make_simulator: Callable[..., Simulator], sim_clock: FrozenClock
) -> Simulator:
    """A started ``Simulator(SimConfig(seed=7, monitors=3))`` on ``sim_clock`` (token sim-token):
    the realistic API (SPEC §7). Other ``SimConfig`` fields come from a test's
    ``@pytest.mark.simulator(**fields)`` and from an indirect parameter (a dict of fields)."""
    fields: dict[str, Any] = {"seed": 7, "monitors": 3}
    for marker in reversed(list(request.node.iter_markers("simulator"))):
        fields.update(marker.kwargs)
    fields.update(getattr(request, "param", {}))
    return make_simulator(SimConfig(**fields), sim_clock)


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test harness (temporary database and API) for the whole test session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
