"""Contract tests: the client against the real simulator on loopback (no internet)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from betterstack_etl.api import BetterStackClient, Pacer, RetryPolicy
from betterstack_etl.errors import (
    AuthenticationError,
    BadRequestError,
    ContractError,
    NotFoundError,
    TransientError,
)
from betterstack_etl.secret import Secret
from betterstack_etl.simulator import SimConfig, Simulator

from .conftest import Sleeps

pytestmark = pytest.mark.slow

SIM_TOKEN = "sim-token"
FROM, TO = date(2026, 9, 1), date(2026, 11, 25)  # the shared sim clock is 2026-11-25T12:00Z

MakeClient = Callable[..., BetterStackClient]


@pytest.fixture
def connect(sleeps: Sleeps) -> Iterator[Callable[..., BetterStackClient]]:
    """``connect(sim, token=..., **client_kwargs)`` → a client on the simulator's URL."""
    opened: list[httpx.Client] = []

    def make(sim: Simulator, token: str = SIM_TOKEN, **kwargs: Any) -> BetterStackClient:
        http = httpx.Client(timeout=httpx.Timeout(10.0))
        opened.append(http)
        kwargs.setdefault("retry", RetryPolicy(jitter=False))
        return BetterStackClient(http, Secret(token), base_url=sim.base_url, sleep=sleeps, **kwargs)

    yield make
    for http in opened:
        http.close()


def test_monitors_walk_several_pages_of_250(
    make_simulator: Callable[..., Simulator], connect: MakeClient
) -> None:
    # regions pinned: with drawn regions some monitors get none (simulator bug, reported)
    sim = make_simulator(SimConfig(seed=7, monitors=260, regions=("us", "eu")))
    client = connect(sim)
    pages = list(client.iter_monitor_pages())
    assert [len(p.resources) for p in pages] == [250, 10]
    assert [m["id"] for p in pages for m in p.resources] == sim.world.monitor_ids()
    assert client.requests_sent == 2


def test_single_resources(simulator: Simulator, connect: MakeClient) -> None:
    client = connect(simulator)
    mid = simulator.world.monitor_ids()[0]
    monitor = client.get_monitor(mid)
    assert monitor.data["id"] == mid
    assert monitor.data["type"] == "monitor"
    times = client.get_response_times(mid)
    assert times.data["type"] == "monitor_response_times"
    assert all(r["response_times"] for r in times.data["attributes"]["regions"])
    sla = client.get_sla(mid, date(2026, 11, 1), date(2026, 11, 2))
    assert sla.data["type"] == "monitor_sla"
    assert set(sla.data["attributes"]) >= {"availability", "total_downtime", "number_of_incidents"}
    assert sla.url.endswith(f"/api/v2/monitors/{mid}/sla?from=2026-11-01&to=2026-11-02")


def test_incidents_walk_pages_of_50_without_duplicates(
    simulator: Simulator, connect: MakeClient
) -> None:
    client = connect(simulator)
    mid = simulator.world.monitor_ids()[0]
    pages = list(client.iter_incident_pages(monitor_id=mid, from_date=FROM, to_date=TO))
    assert len(pages) >= 2
    assert all(len(p.resources) == 50 for p in pages[:-1])
    ids = [i["id"] for p in pages for i in p.resources]
    assert len(ids) == len(set(ids))
    assert {i["relationships"]["monitor"]["data"]["id"] for p in pages for i in p.resources} == {
        mid
    }
    assert client.requests_sent == len(pages)  # no page fetched twice
    one = client.get_incident(ids[0])
    assert one.data["id"] == ids[0]


@pytest.mark.parametrize("links", ["bare", "echo"])
def test_a_one_monitor_walk_reads_exactly_that_monitors_incidents(
    make_simulator: Callable[..., Simulator], connect: MakeClient, links: str
) -> None:
    """Issue 19, 1: on links without the filters (the live API's), following next verbatim
    read the whole account from page 2 on. The walk must read that monitor's and no other."""
    sim = make_simulator(SimConfig(seed=7, monitors=5, links=links))  # type: ignore[arg-type]
    monitor = sim.world.monitors()[1]
    now_ms = int(sim.clock.now().timestamp() * 1000)
    # the expected figures from the simulator's model, not from its HTTP layer
    expected = {i.id for i in sim.world.incidents(monitor, FROM, TO, now_ms)}
    assert len(expected) > 50
    client = connect(sim)
    pages = list(client.iter_incident_pages(monitor_id=monitor.id, from_date=FROM, to_date=TO))
    got = [i["id"] for p in pages for i in p.resources]
    assert sorted(got) == sorted(expected)
    assert client.requests_sent == -(-len(expected) // 50)  # 50 a page, each page once


def test_resolved_filter_is_sent(simulator: Simulator, connect: MakeClient) -> None:
    client = connect(simulator)
    mid = simulator.world.monitor_ids()[0]
    pages = client.iter_incident_pages(monitor_id=mid, from_date=FROM, to_date=TO, resolved=True)
    statuses = {i["attributes"]["status"] for p in pages for i in p.resources}
    assert statuses == {"Resolved"}


def test_wrong_token_is_authentication_error(simulator: Simulator, connect: MakeClient) -> None:
    client = connect(simulator, token="wrong-token-123")
    with pytest.raises(AuthenticationError) as info:
        client.list_monitors()
    assert "Invalid Team API token" in str(info.value)
    assert "wrong-token-123" not in str(info.value)
    assert client.requests_sent == 1


def test_unknown_monitor_is_not_found(simulator: Simulator, connect: MakeClient) -> None:
    with pytest.raises(NotFoundError, match="not found"):
        connect(simulator).get_monitor("1")


def test_future_sla_range_is_bad_request(simulator: Simulator, connect: MakeClient) -> None:
    mid = simulator.world.monitor_ids()[0]
    with pytest.raises(BadRequestError):
        connect(simulator).get_sla(mid, date(2027, 1, 1), date(2027, 1, 2))


def test_injected_5xx_are_retried(
    simulator: Simulator, connect: MakeClient, sleeps: Sleeps
) -> None:
    simulator.faults.fail_next(2, status=503)
    client = connect(simulator)
    assert len(client.list_monitors()) == 3
    assert sleeps.calls == [1.0, 2.0]
    assert client.requests_sent == 3


def test_persistent_5xx_gives_up_after_max_attempts(
    simulator: Simulator, connect: MakeClient
) -> None:
    simulator.faults.fail_next(5, status=502)
    client = connect(simulator)
    with pytest.raises(TransientError, match="5 attempts"):
        client.list_monitors()
    assert client.requests_sent == 5


@pytest.mark.parametrize("fmt", ["seconds", "http-date"])
def test_throttle_honours_retry_after(
    make_simulator: Callable[..., Simulator], connect: MakeClient, sleeps: Sleeps, fmt: str
) -> None:
    sim = make_simulator(SimConfig(seed=7, monitors=3, retry_after_format=fmt))  # type: ignore[arg-type]
    sim.faults.throttle_next(1, retry_after=3)
    client = connect(sim)
    assert len(client.list_monitors()) == 3
    (waited,) = sleeps.calls
    assert 2.0 <= waited <= 4.0  # an HTTP-date is read against the real clock, in whole seconds


def test_cut_body_is_retried(simulator: Simulator, connect: MakeClient, sleeps: Sleeps) -> None:
    simulator.faults.cut_next(1)
    client = connect(simulator)
    assert len(client.list_monitors()) == 3
    assert len(sleeps.calls) == 1
    assert client.requests_sent == 2


def test_a_proxy_html_page_is_retried_then_a_contract_error(
    simulator: Simulator, connect: MakeClient
) -> None:
    simulator.faults.malform_next(1)
    assert len(connect(simulator).list_monitors()) == 3  # one HTML page, then the real answer
    simulator.faults.malform_next(5)
    with pytest.raises(ContractError, match="not JSON"):
        connect(simulator).list_monitors()


def test_paced_threads_never_trip_the_rate_limit(
    make_simulator: Callable[..., Simulator], connect: MakeClient
) -> None:
    rate = 50.0
    sim = make_simulator(SimConfig(seed=7, monitors=3, rate_limit=rate))
    client = connect(sim, pacer=Pacer(rate=rate, max_in_flight=4))
    mid = sim.world.monitor_ids()[0]
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                client.get_monitor(mid)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=30)
    assert errors == []
    assert client.requests_sent == 80
    assert sim.stats.throttled == 0


def test_create_builds_and_closes_its_own_http_client(simulator: Simulator) -> None:
    with BetterStackClient.create(Secret(SIM_TOKEN), base_url=simulator.base_url) as client:
        assert len(client.list_monitors()) == 3
        http = client._http
        assert not http.is_closed
    assert http.is_closed
    assert SIM_TOKEN not in repr(client)
