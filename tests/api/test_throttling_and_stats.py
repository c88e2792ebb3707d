"""Per-request retry of unreadable 200s, the run-wide bound on continuous throttling, and the
request counters a run reports in its ledger (requests, retries, 429s)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest

from betterstack_etl.api import BetterStackClient, Pacer, RequestCounter, RequestStats, RetryPolicy
from betterstack_etl.errors import (
    ContractError,
    NotFoundError,
    ThrottledError,
    ThrottledTooLongError,
    UnreadableAnswerError,
    is_retryable,
)

from .conftest import Script, Sleeps, json_response

MONITOR = {"data": {"id": "7", "type": "monitor", "attributes": {"url": "https://a.test"}}}
HTML = b"<html><body><h1>Welcome to the hotel Wi-Fi</h1></body></html>"


@dataclass
class FakeTime:
    """One fake monotonic clock that both the client's and the pacer's sleeps advance."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


def _throttled(retry_after: int = 60) -> httpx.Response:
    return json_response(429, {"errors": "Rate limit exceeded"}, {"Retry-After": str(retry_after)})


def test_an_html_page_with_status_200_is_retried_per_request(
    script: Script, client: BetterStackClient, sleeps: Sleeps
) -> None:
    script.add(
        httpx.Response(200, content=HTML, headers={"Content-Type": "text/html"}),
        httpx.Response(200, content=b'{"data": {"id": "7"'),  # a cut body
        json_response(200, MONITOR),
    )
    assert client.get_monitor("7").data["id"] == "7"
    assert sleeps.calls == [1.0, 2.0]
    assert len(script.requests) == 3


def test_a_persistent_html_page_gives_up_after_the_bounded_attempts(
    script: Script, client: BetterStackClient, sleeps: Sleeps
) -> None:
    script.add(*[httpx.Response(200, content=HTML) for _ in range(5)])
    with pytest.raises(UnreadableAnswerError) as info:
        client.get_monitor("7")
    assert isinstance(info.value, ContractError)
    assert "not JSON" in str(info.value)
    assert "5 attempts" in str(info.value)
    assert sleeps.calls == [1.0, 2.0, 4.0, 8.0]


def test_html_pages_are_retried_while_walking_pages_too(
    script: Script, client: BetterStackClient
) -> None:
    script.add(httpx.Response(200, content=HTML), json_response(200, {"data": [MONITOR["data"]]}))
    assert [m["id"] for m in client.list_monitors()] == ["7"]


def _paced_client(
    make_client: Callable[..., BetterStackClient], fake: FakeTime, pacer: Pacer | None = None
) -> BetterStackClient:
    pacer = pacer or Pacer(rate=8, clock=fake.clock, sleep=fake.sleep)
    client = make_client(pacer=pacer, retry=RetryPolicy(jitter=False))
    client._sleep = fake.sleep  # the client's waits advance the same fake time
    return client


def test_a_429_with_retry_after_60_on_every_answer_fails_within_3_minutes_in_one_line(
    script: Script, make_client: Callable[..., BetterStackClient]
) -> None:
    fake = FakeTime()
    client = _paced_client(make_client, fake)
    script.add(*[_throttled(60) for _ in range(20)])
    with pytest.raises(ThrottledTooLongError) as info:
        client.get_monitor("7")
    assert 100.0 <= fake.now <= 150.0  # about 2 minutes of 429s, never more than the budget
    assert "for 120 s" in str(info.value)
    assert not is_retryable(info.value)  # no task-level retry: 3 × 60 s more would follow
    text = str(info.value)
    assert "\n" not in text
    assert "throttling" in text
    assert "BETTERSTACK_RATE" in text
    assert "same token" in text


def test_the_throttling_budget_is_run_wide_so_a_task_retry_gives_up_at_once(
    script: Script, make_client: Callable[..., BetterStackClient]
) -> None:
    fake = FakeTime()
    pacer = Pacer(rate=8, clock=fake.clock, sleep=fake.sleep)
    first = _paced_client(make_client, fake, pacer)
    script.add(*[_throttled(60) for _ in range(20)])
    with pytest.raises(ThrottledTooLongError):
        first.get_monitor("7")
    spent = fake.now
    again = _paced_client(make_client, fake, pacer)  # a task retry builds a new client
    with pytest.raises(ThrottledTooLongError):
        again.get_monitor("7")
    assert fake.now - spent <= 60.0 + 1.0  # at most the pause still pending, no new streak


def test_a_success_ends_the_throttling_streak(
    script: Script, make_client: Callable[..., BetterStackClient]
) -> None:
    fake = FakeTime()
    client = _paced_client(make_client, fake)
    script.add(_throttled(60), _throttled(60), json_response(200, MONITOR))
    client.get_monitor("7")
    script.add(_throttled(60), _throttled(60), json_response(200, MONITOR))
    client.get_monitor("7")  # 120 s of 429s before, but a success came in between
    assert client.stats == RequestStats(requests=6, retries=4, throttled=4)


def test_throttling_below_the_budget_is_an_ordinary_retryable_error(
    script: Script, make_client: Callable[..., BetterStackClient]
) -> None:
    client = make_client(retry=RetryPolicy(max_attempts=2, jitter=False))
    script.add(_throttled(1), _throttled(1))
    with pytest.raises(ThrottledError) as info:
        client.get_monitor("7")
    assert not isinstance(info.value, ThrottledTooLongError)
    assert is_retryable(info.value)


def test_the_client_counts_requests_retries_and_429s(
    script: Script, client: BetterStackClient
) -> None:
    assert client.stats == RequestStats(requests=0, retries=0, throttled=0)
    script.add(httpx.Response(503), _throttled(1), json_response(200, MONITOR))
    client.get_monitor("7")
    script.add(json_response(404, {"errors": "not found"}))
    with pytest.raises(NotFoundError):
        client.get_monitor("8")
    assert client.stats == RequestStats(requests=4, retries=2, throttled=1)
    assert client.requests_sent == 4


def test_a_counter_can_be_shared_by_the_clients_of_one_table(
    script: Script, make_client: Callable[..., BetterStackClient]
) -> None:
    counter = RequestCounter()
    for _ in range(2):  # e.g. the first attempt of a task and its retry
        client = make_client(stats=counter)
        script.add(_throttled(1), json_response(200, MONITOR))
        client.get_monitor("7")
    assert counter.snapshot() == RequestStats(requests=4, retries=2, throttled=2)
    assert counter.snapshot().as_dict() == {"requests": 4, "retries": 2, "throttled": 2}
