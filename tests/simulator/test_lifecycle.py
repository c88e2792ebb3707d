"""Starting and stopping, the blocking ``serve``, settings validation, the clocks, the API."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

import betterstack_etl.simulator as simulator_pkg
from betterstack_etl.errors import ConfigError
from betterstack_etl.secret import Secret
from betterstack_etl.simulator import FrozenClock, SimConfig, Simulator, SystemClock, serve

from .conftest import AUTH


def test_public_names() -> None:
    for name in ("Simulator", "SimConfig", "Faults", "FrozenClock", "SystemClock", "serve"):
        assert name in simulator_pkg.__all__
        assert hasattr(simulator_pkg, name)


def test_context_manager_serves_then_releases_the_port() -> None:
    with Simulator(SimConfig(seed=1, monitors=1)) as sim:
        url = sim.base_url
        assert url.startswith("http://127.0.0.1:")
        assert sim.start() == url  # idempotent
        assert httpx.get(f"{url}/api/v2/monitors", headers=AUTH).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/api/v2/monitors", headers=AUTH)
    sim.stop()  # idempotent
    with pytest.raises(ConfigError):
        _ = sim.base_url


def test_stop_hangs_up_keep_alive_connections() -> None:
    sim = Simulator(SimConfig(seed=1, monitors=1))
    with httpx.Client(base_url=sim.start(), headers=AUTH) as client:
        assert client.get("/api/v2/monitors").status_code == 200
        sim.stop()
        with pytest.raises(httpx.TransportError):
            client.get("/api/v2/monitors")


def test_default_clock_is_the_system_clock() -> None:
    sim = Simulator(SimConfig(seed=1, monitors=1))
    assert isinstance(sim.clock, SystemClock)
    assert abs(sim.clock.now() - datetime.now(UTC)) < timedelta(minutes=1)


def test_serve_blocks_until_stopped_and_reports_its_url() -> None:
    urls: list[str] = []
    ready, stop = threading.Event(), threading.Event()

    def on_ready(url: str) -> None:
        urls.append(url)
        ready.set()

    clock = FrozenClock(datetime(2026, 11, 25, 12, tzinfo=UTC))
    thread = threading.Thread(
        target=serve,
        args=(SimConfig(seed=2, monitors=2, token="other-token"),),
        kwargs={"clock": clock, "port": 0, "on_ready": on_ready, "stop": stop},
    )
    thread.start()
    try:
        assert ready.wait(10)
        answer = httpx.get(
            f"{urls[0]}/api/v2/monitors", headers={"Authorization": "Bearer other-token"}
        )
        assert len(answer.json()["data"]) == 2
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{urls[0]}/api/v2/monitors")


def test_a_busy_port_is_a_config_error(make_simulator: Callable[..., Simulator]) -> None:
    busy = make_simulator()
    port = int(busy.base_url.rsplit(":", 1)[1])
    with pytest.raises(ConfigError, match="cannot listen"):
        Simulator(SimConfig(), port=port).start()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"monitors": 0},
        {"monitors": 10_001},
        {"token": ""},
        {"rate_limit": 0},
        {"latency": -1},
        {"error_rate": 1.5},
        {"retry_after_format": "minutes"},
        {"check_frequency": 0},
        {"regions": ("us", "mars")},
        {"regions": ()},
    ],
)
def test_bad_settings_are_config_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        SimConfig(**kwargs)  # type: ignore[arg-type]


def test_the_token_never_shows_and_may_be_a_secret(
    make_simulator: Callable[..., Simulator],
) -> None:
    assert "hunter2-token" not in repr(SimConfig(token="hunter2-token"))
    sim = make_simulator(SimConfig(seed=1, token=Secret("hunter2-token")))
    assert "hunter2-token" not in repr(sim)
    client_ok = httpx.get(
        f"{sim.base_url}/api/v2/monitors", headers={"Authorization": "Bearer hunter2-token"}
    )
    assert client_ok.status_code == 200


def test_series_overrides_apply_to_every_monitor(make_simulator: Callable[..., Simulator]) -> None:
    sim = make_simulator(SimConfig(seed=5, monitors=4, check_frequency=30, regions=ALL))
    assert {(m.check_frequency, m.regions) for m in sim.world.monitors()} == {(30, ALL)}


ALL = ("us", "eu", "as", "au")


def test_frozen_clock_moves_only_when_told() -> None:
    start = datetime(2026, 11, 25, 12, tzinfo=UTC)
    clock = FrozenClock(start)
    assert clock.now() == start
    assert clock.advance(timedelta(hours=2)) == start + timedelta(hours=2)
    clock.set(start - timedelta(days=1))
    assert clock.now() == start - timedelta(days=1)
    with pytest.raises(ConfigError):
        FrozenClock(datetime(2026, 11, 25, 12))  # naive
    with pytest.raises(ConfigError):
        clock.set(datetime(2026, 11, 25, 12))
