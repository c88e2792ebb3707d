"""Error classes, retries and secrecy of the client, against a scripted mock transport."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from betterstack_etl.api import BetterStackClient, Pacer, RetryPolicy
from betterstack_etl.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ContractError,
    NotFoundError,
    ThrottledError,
    TransientError,
)

from .conftest import NOW, TOKEN, Script, Sleeps, json_response

INVALID_TOKEN_BODY = {
    "errors": "Invalid Team API token. How to find your Team API token: "
    "https://betterstack.com/docs/uptime/api/getting-started-with-better-uptime-api"
    "#obtaining-a-better-uptime-api-token"
}
MONITOR = {"data": {"id": "7", "type": "monitor", "attributes": {"url": "https://a.test"}}}


def test_sends_bearer_accept_and_user_agent(script: Script, client: BetterStackClient) -> None:
    script.add(json_response(200, MONITOR))
    resource = client.get_monitor("7")
    request = script.requests[0]
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"].startswith("betterstack-etl/")
    assert request.url.path == "/api/v2/monitors/7"
    assert resource.data["id"] == "7"
    assert resource.fetched_at == NOW
    assert resource.url.endswith("/api/v2/monitors/7")


def test_401_documented_body_is_authentication_error_with_hint(
    script: Script, client: BetterStackClient, sleeps: Sleeps
) -> None:
    script.add(json_response(401, INVALID_TOKEN_BODY))
    with pytest.raises(AuthenticationError) as info:
        client.get_monitor("7")
    err = info.value
    assert err.status == 401
    assert err.endpoint == "/api/v2/monitors/7"
    assert "Invalid Team API token" in str(err)
    assert "monitor 7" in str(err)
    assert "BETTERSTACK_TOKEN" in str(err)
    assert len(script.requests) == 1
    assert sleeps.calls == []


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (403, {"errors": "Forbidden"}, AuthenticationError),
        (404, {"errors": "Resource with provided ID was not found"}, NotFoundError),
        (400, {"errors": "The data range is invalid."}, BadRequestError),
        (422, {"errors": {"name": ["Can't be blank."]}}, BadRequestError),
    ],
)
def test_client_errors_are_classified_and_never_retried(
    script: Script,
    client: BetterStackClient,
    sleeps: Sleeps,
    status: int,
    body: dict[str, object],
    cls: type[ApiError],
) -> None:
    script.add(json_response(status, body))
    with pytest.raises(cls) as info:
        client.get_sla("7", date(2025, 4, 1), date(2025, 4, 2))
    assert type(info.value) is cls
    assert info.value.status == status
    assert info.value.endpoint == "/api/v2/monitors/7/sla?from=2025-04-01&to=2025-04-02"
    assert len(script.requests) == 1
    assert sleeps.calls == []


def test_422_object_errors_are_shown(script: Script, client: BetterStackClient) -> None:
    script.add(json_response(422, {"errors": {"name": ["Can't be blank."]}}))
    with pytest.raises(BadRequestError) as info:
        client.get_monitor("7")
    assert "Can't be blank." in str(info.value)
    assert "name" in (info.value.api_message or "")


def test_long_api_text_is_truncated(script: Script, client: BetterStackClient) -> None:
    script.add(json_response(404, {"errors": "x" * 5000}))
    with pytest.raises(NotFoundError) as info:
        client.get_monitor("7")
    assert len(str(info.value)) < 600


def test_5xx_is_retried_with_exponential_backoff(
    script: Script, client: BetterStackClient, sleeps: Sleeps
) -> None:
    script.add(httpx.Response(503), httpx.Response(502), json_response(200, MONITOR))
    assert client.get_monitor("7").data["id"] == "7"
    assert sleeps.calls == [1.0, 2.0]
    assert client.requests_sent == 3


def test_attempts_are_bounded_and_the_message_says_so(
    script: Script, client: BetterStackClient, sleeps: Sleeps
) -> None:
    script.add(*[httpx.Response(500, text="boom") for _ in range(5)])
    with pytest.raises(TransientError) as info:
        client.get_monitor("7")
    assert info.value.status == 500
    assert "5 attempts" in str(info.value)
    assert len(script.requests) == 5
    assert sleeps.calls == [1.0, 2.0, 4.0, 8.0]


def test_total_wait_is_bounded(
    script: Script, make_client: Callable[..., BetterStackClient], sleeps: Sleeps
) -> None:
    retry = RetryPolicy(
        max_attempts=10, base_delay=10, max_delay=100, max_total_wait=35, jitter=False
    )
    client = make_client(retry=retry)
    script.add(*[httpx.Response(503) for _ in range(10)])
    with pytest.raises(TransientError) as info:
        client.get_monitor("7")
    assert sleeps.calls == [10.0, 20.0]  # a third wait of 40 s would pass 35 s in all
    assert sum(sleeps.calls) <= 35
    assert "3 attempts" in str(info.value)


def test_jitter_stays_within_the_backoff(
    script: Script, make_client: Callable[..., BetterStackClient], sleeps: Sleeps
) -> None:
    client = make_client(retry=RetryPolicy(max_attempts=4, jitter=True))
    script.add(*[httpx.Response(503) for _ in range(4)])
    with pytest.raises(TransientError):
        client.get_monitor("7")
    assert len(sleeps.calls) == 3
    assert all(0 <= s <= cap for s, cap in zip(sleeps.calls, [1, 2, 4], strict=True))


def test_429_honours_retry_after_seconds(
    script: Script, client: BetterStackClient, sleeps: Sleeps
) -> None:
    script.add(json_response(429, {}, {"Retry-After": "7"}), json_response(200, MONITOR))
    client.get_monitor("7")
    assert sleeps.calls == [7.0]


def test_429_honours_retry_after_http_date_capped(
    script: Script, make_client: Callable[..., BetterStackClient], sleeps: Sleeps
) -> None:
    client = make_client(retry=RetryPolicy(max_total_wait=1000, jitter=False))
    date = {"Date": format_datetime(NOW, usegmt=True)}  # the server's clock, not ours
    soon = format_datetime(NOW + timedelta(seconds=12), usegmt=True)
    late = format_datetime(NOW + timedelta(hours=2), usegmt=True)
    script.add(
        json_response(429, {}, {"Retry-After": soon, **date}),
        json_response(429, {}, {"Retry-After": "3600"}),
        json_response(429, {}, {"Retry-After": late, **date}),
        json_response(200, MONITOR),
    )
    client.get_monitor("7")
    assert sleeps.calls == [12.0, 60.0, 60.0]


def test_429_http_date_without_date_header_uses_the_wall_clock(
    script: Script, client: BetterStackClient, sleeps: Sleeps
) -> None:
    # the client's injected clock (NOW, in 2025) is for fetched_at only; waits are real time
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    script.add(json_response(429, {}, {"Retry-After": soon}), json_response(200, MONITOR))
    client.get_monitor("7")
    (waited,) = sleeps.calls
    assert 17.0 <= waited <= 20.0


def test_429_without_retry_after_uses_backoff(
    script: Script, client: BetterStackClient, sleeps: Sleeps
) -> None:
    script.add(httpx.Response(429), httpx.Response(429), json_response(200, MONITOR))
    client.get_monitor("7")
    assert sleeps.calls == [1.0, 2.0]


def test_429_exhausted_is_throttled_error_with_retry_after(
    script: Script, make_client: Callable[..., BetterStackClient]
) -> None:
    client = make_client(retry=RetryPolicy(max_attempts=2, jitter=False))
    script.add(*[json_response(429, {}, {"Retry-After": "2"}) for _ in range(2)])
    with pytest.raises(ThrottledError) as info:
        client.get_monitor("7")
    assert info.value.retry_after == 2.0
    assert "2 attempts" in str(info.value)


def test_429_penalizes_the_shared_pacer(
    script: Script, make_client: Callable[..., BetterStackClient]
) -> None:
    now = [0.0]
    pacer = Pacer(rate=8, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    client = make_client(pacer=pacer)
    script.add(json_response(429, {}, {"Retry-After": "5"}), json_response(200, MONITOR))
    client.get_monitor("7")
    assert pacer.penalties == 1
    assert pacer.in_flight == 0
    assert now[0] >= 5.0  # the retry waited for the pipeline-wide pause


def test_cut_body_is_retried(script: Script, client: BetterStackClient, sleeps: Sleeps) -> None:
    script.add(httpx.RemoteProtocolError("peer closed connection"), json_response(200, MONITOR))
    assert client.get_monitor("7").data["id"] == "7"
    assert sleeps.calls == [1.0]
    assert client.requests_sent == 2


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("connect timed out"),
    ],
)
def test_timeouts_and_connection_errors_are_transient(
    script: Script, make_client: Callable[..., BetterStackClient], exc: Exception
) -> None:
    client = make_client(retry=RetryPolicy(max_attempts=2, jitter=False))
    script.add(exc, exc)
    with pytest.raises(TransientError) as info:
        client.get_monitor("7")
    assert type(exc).__name__ in str(info.value)
    assert len(script.requests) == 2


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"[1, 2]", "not an object"),
        (b'{"errors": "x"}', "no 'data'"),
        (b'{"data": []}', "not an object"),
    ],
)
def test_wrongly_shaped_json_is_contract_error_not_retried(
    script: Script, client: BetterStackClient, content: bytes, what: str
) -> None:
    script.add(httpx.Response(200, content=content))
    with pytest.raises(ContractError) as info:
        client.get_monitor("7")
    assert what in str(info.value)
    assert len(script.requests) == 1


def test_redirect_is_contract_error(script: Script, client: BetterStackClient) -> None:
    script.add(httpx.Response(302, headers={"Location": "https://evil.test/"}))
    with pytest.raises(ContractError):
        client.get_monitor("7")


def test_invalid_ids_never_reach_the_network(script: Script, client: BetterStackClient) -> None:
    from betterstack_etl.errors import ConfigError

    for bad in ("7/../../admin", "abc", "", "1 2"):
        with pytest.raises(ConfigError):
            client.get_monitor(bad)
    with pytest.raises(ConfigError):
        client.get_incident("1?x=1")
    with pytest.raises(ConfigError):
        list(client.iter_incident_pages(monitor_id="1&per_page=1000"))
    assert script.requests == []


def test_token_never_in_errors_reprs_or_logs(
    script: Script,
    client: BetterStackClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = {"errors": f"bad header Authorization: Bearer {TOKEN}"}
    script.add(
        json_response(401, echo),
        httpx.ConnectError(f"failed with {TOKEN}"),
        httpx.ConnectError("again"),
        httpx.ConnectError("again"),
        httpx.ConnectError("again"),
        httpx.ConnectError("again"),
        *[httpx.Response(200, content=b"not json") for _ in range(5)],
    )
    texts: list[str] = [repr(client)]
    for _ in range(3):
        try:
            client.get_monitor("7")
        except ApiError as err:
            texts += [str(err), repr(err), err.message, err.api_message or ""]
    assert len(texts) == 1 + 3 * 4
    texts.append(caplog.text)
    texts.append(repr(script.requests[0].headers))
    for text in texts:
        assert TOKEN not in text
    assert "Bearer ***" in texts[1]
