"""Bad days on demand: queued faults, the rate limit, random 503s, latency, and the stats."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
import pytest

from betterstack_etl.errors import ConfigError
from betterstack_etl.simulator import SimConfig, Simulator
from betterstack_etl.simulator.faults import RateLimiter, retry_after_value

MakeSim = Callable[..., Simulator]
MakeHttp = Callable[..., httpx.Client]


def test_fail_next_answers_that_status_then_recovers(
    simulator: Simulator, http: httpx.Client
) -> None:
    simulator.faults.fail_next(2, status=502)
    first, second, third = (http.get("/api/v2/monitors") for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (502, 502, 200)
    assert isinstance(first.json()["errors"], str)
    assert simulator.stats.by_status[502] == 2
    assert simulator.faults.pending == 0


def test_faults_are_taken_in_order_one_per_request(
    simulator: Simulator, http: httpx.Client
) -> None:
    simulator.faults.fail_next(1)
    simulator.faults.malform_next(1)
    simulator.faults.throttle_next(1)
    statuses = [http.get("/api/v2/monitors").status_code for _ in range(4)]
    assert statuses == [503, 200, 429, 200]


def test_throttle_next_sends_429_with_ceiled_retry_after(
    simulator: Simulator, http: httpx.Client
) -> None:
    simulator.faults.throttle_next(1, retry_after=2.2)
    response = http.get("/api/v3/incidents")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response.json() == {"errors": "Rate limit exceeded"}
    assert simulator.stats.throttled == 1


def test_throttle_next_can_send_an_http_date(make_simulator: MakeSim, make_http: MakeHttp) -> None:
    sim = make_simulator(SimConfig(seed=7, retry_after_format="http-date"))
    sim.faults.throttle_next(1, retry_after=3)
    response = make_http(sim).get("/api/v2/monitors")
    assert response.status_code == 429
    when = parsedate_to_datetime(response.headers["Retry-After"])
    answered = parsedate_to_datetime(response.headers["Date"])  # both on the simulator's clock
    assert answered == sim.clock.now().replace(microsecond=0)
    assert timedelta(seconds=2) < when - answered <= timedelta(seconds=10)


def test_cut_next_promises_more_than_it_sends(simulator: Simulator, http: httpx.Client) -> None:
    simulator.faults.cut_next(1)
    with pytest.raises(httpx.RemoteProtocolError):
        http.get("/api/v2/monitors")
    assert http.get("/api/v2/monitors").status_code == 200


def test_malform_next_answers_200_with_html(simulator: Simulator, http: httpx.Client) -> None:
    simulator.faults.malform_next(1)
    response = http.get("/api/v2/monitors")
    assert response.status_code == 200
    assert response.text.startswith("<html>")
    with pytest.raises(ValueError, match="Expecting value"):
        response.json()


def test_slow_next_delays_past_a_short_client_timeout(
    simulator: Simulator, make_http: MakeHttp
) -> None:
    simulator.faults.slow_next(1, seconds=1.5)
    impatient = make_http(simulator, timeout=0.2)
    with pytest.raises(httpx.ReadTimeout):
        impatient.get("/api/v2/monitors")
    assert impatient.get("/api/v2/monitors").status_code == 200


def test_latency_applies_to_every_answer(make_simulator: MakeSim, make_http: MakeHttp) -> None:
    sim = make_simulator(SimConfig(seed=7, latency=1.0))
    impatient = make_http(sim, timeout=0.2)
    for path in ("/api/v2/monitors", "/not-a-route"):
        with pytest.raises(httpx.ReadTimeout):
            impatient.get(path)


@pytest.mark.parametrize("fmt", ["seconds", "http-date"])
def test_rate_limit_answers_429_with_retry_after(
    make_simulator: MakeSim, make_http: MakeHttp, fmt: str
) -> None:
    sim = make_simulator(SimConfig(seed=7, rate_limit=0.01, retry_after_format=fmt))  # type: ignore[arg-type]
    client = make_http(sim)
    assert client.get("/api/v2/monitors").status_code == 200  # the burst of one
    throttled = client.get("/api/v2/monitors")
    assert throttled.status_code == 429
    assert throttled.json() == {"errors": "Rate limit exceeded"}
    value = throttled.headers["Retry-After"]
    if fmt == "seconds":
        assert value == "100"  # 1 token at 0.01/s
    else:
        wait = parsedate_to_datetime(value) - parsedate_to_datetime(throttled.headers["Date"])
        assert timedelta(seconds=90) < wait <= timedelta(seconds=110)
    assert sim.stats.throttled == 1


def test_token_bucket_refills_at_the_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(2.0, monotonic=lambda: now[0])
    assert limiter.acquire() is None
    assert limiter.acquire() is None
    assert limiter.acquire() == pytest.approx(0.5)
    now[0] += 0.5
    assert limiter.acquire() is None
    assert limiter.acquire() == pytest.approx(0.5)


def test_retry_after_value_formats() -> None:
    moment = datetime(2026, 11, 25, 12, 0, 0, 300_000, tzinfo=UTC)
    assert retry_after_value(0.2, "seconds") == "1"
    assert retry_after_value(4.0, "seconds") == "4"
    assert retry_after_value(4.0, "http-date", moment) == "Wed, 25 Nov 2026 12:00:05 GMT"


def test_error_rate_one_fails_everything(make_simulator: MakeSim, make_http: MakeHttp) -> None:
    client = make_http(make_simulator(SimConfig(seed=7, error_rate=1.0)))
    assert {client.get("/api/v2/monitors").status_code for _ in range(5)} == {503}


def test_error_rate_is_seeded(make_simulator: MakeSim, make_http: MakeHttp) -> None:
    runs = []
    for _ in range(2):
        client = make_http(make_simulator(SimConfig(seed=3, error_rate=0.5)))
        runs.append([client.get("/api/v2/monitors").status_code for _ in range(20)])
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 503}


def test_stats_count_by_status_and_endpoint_and_reset(
    simulator: Simulator, http: httpx.Client
) -> None:
    monitor_id = simulator.world.monitor_ids()[0]
    http.get("/api/v2/monitors")
    http.get(f"/api/v2/monitors/{monitor_id}/sla")
    http.get("/api/v2/monitors/999")
    http.get("/elsewhere")
    stats = simulator.stats
    assert stats.requests == 4
    assert stats.by_status == {200: 2, 404: 2}
    assert stats.by_endpoint == {
        "/api/v2/monitors": 1,
        "/api/v2/monitors/{id}/sla": 1,
        "/api/v2/monitors/{id}": 1,
        "unknown": 1,
    }
    stats.reset()
    assert (stats.requests, stats.throttled, stats.by_status[200]) == (0, 0, 0)


def test_stats_keep_when_the_first_request_came_and_the_last_was_answered(
    simulator: Simulator, http: httpx.Client
) -> None:
    """What benchmark 7 reads to split a run into start-up, API and shut-down (issue 24)."""
    stats = simulator.stats
    stats.reset()
    assert (stats.first_arrival, stats.last_answer) == (None, None)
    before = time.monotonic()
    http.get("/api/v2/monitors")
    middle = time.monotonic()
    http.get("/api/v2/monitors")
    after = time.monotonic()
    first, last = stats.first_arrival, stats.last_answer
    assert first is not None
    assert last is not None
    assert before <= first <= middle <= last <= after
    stats.reset()
    assert (stats.first_arrival, stats.last_answer) == (None, None)


@pytest.mark.parametrize(
    "call",
    [
        lambda f: f.fail_next(1, status=200),
        lambda f: f.fail_next(-1),
        lambda f: f.throttle_next(1, retry_after=-1),
        lambda f: f.slow_next(1, seconds=-2),
    ],
)
def test_bad_fault_arguments_are_config_errors(
    simulator: Simulator, call: Callable[..., None]
) -> None:
    with pytest.raises(ConfigError):
        call(simulator.faults)


def test_a_monitor_deleted_after_the_listing_is_listed_once_then_gone(
    simulator: Simulator, http: httpx.Client
) -> None:
    """The fault behind issue 25 item 5: a monitor a run lists, then finds deleted."""
    ids = simulator.world.monitor_ids()
    gone = ids[-1]
    simulator.delete_monitor(gone, after="/api/v2/monitors")
    assert http.get(f"/api/v2/monitors/{gone}/sla").status_code == 200  # not yet
    listed = [m["id"] for m in http.get("/api/v2/monitors").json()["data"]]
    assert listed == ids
    for path in ("", "/response-times", "/sla"):
        answer = http.get(f"/api/v2/monitors/{gone}{path}")
        assert answer.status_code == 404, path
        assert answer.json() == {"errors": "Resource with provided ID was not found"}
    assert [m["id"] for m in http.get("/api/v2/monitors").json()["data"]] == ids[:-1]
    assert http.get(f"/api/v2/monitors/{ids[0]}/sla").status_code == 200
    with pytest.raises(ConfigError):
        simulator.delete_monitor("999999999")
