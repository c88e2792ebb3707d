"""Pure helpers: id validation, id normalisation, error classification, Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

import betterstack_etl.api as api
from betterstack_etl.api import RetryPolicy, validate_monitor_id
from betterstack_etl.api._errors import (
    RequestContext,
    api_error_text,
    classify_status,
    classify_transport,
    parse_retry_after,
)
from betterstack_etl.api._ids import normalise_ids
from betterstack_etl.errors import (
    AuthenticationError,
    BadRequestError,
    ConfigError,
    ContractError,
    NotFoundError,
    ThrottledError,
    TransientError,
)

NOW = datetime(2025, 4, 3, 12, 0, tzinfo=UTC)
CTX = RequestContext("/api/v2/monitors/7", "7")


@pytest.mark.parametrize(("value", "expected"), [("123", "123"), (" 42 ", "42"), (7, "7")])
def test_valid_monitor_ids(value: str, expected: str) -> None:
    assert validate_monitor_id(value) == expected


@pytest.mark.parametrize(
    "value", ["", "12a", "1/2", "../1", "-1", "１２", "1" * 21, True, -3, None]
)
def test_invalid_monitor_ids_are_config_errors(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        validate_monitor_id(value)
    assert info.value.hint


def test_normalise_ids_handles_to_one_and_to_many() -> None:
    resource = {
        "id": 5,
        "relationships": {
            "monitor": {"data": {"id": 9, "type": "monitor"}},
            "tags": {"data": [{"id": 1}, {"id": "2"}]},
            "policy": {"data": None},
        },
    }
    normalise_ids(resource)
    assert resource["id"] == "5"
    rel = resource["relationships"]
    assert rel["monitor"]["data"]["id"] == "9"  # type: ignore[index]
    assert [d["id"] for d in rel["tags"]["data"]] == ["1", "2"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, NotFoundError),
        (422, BadRequestError),
        (429, ThrottledError),
        (500, TransientError),
        (502, TransientError),
        (503, TransientError),
        (504, TransientError),
        (301, ContractError),
        (418, ContractError),
    ],
)
def test_classify_status(status: int, cls: type[Exception]) -> None:
    err = classify_status(status, b'{"errors": "nope"}', {}, CTX, NOW)
    assert type(err) is cls
    assert err.status == status
    assert "HTTP " + str(status) in str(err)
    assert "nope" in str(err)
    assert err.hint


def test_classify_transport() -> None:
    assert type(classify_transport(httpx.ReadTimeout("t"), CTX)) is TransientError
    assert type(classify_transport(httpx.RemoteProtocolError("cut"), CTX)) is TransientError
    assert type(classify_transport(httpx.DecodingError("gz"), CTX)) is TransientError
    assert type(classify_transport(httpx.TooManyRedirects("r"), CTX)) is ContractError


def test_api_error_text_forms() -> None:
    assert api_error_text(b'{"errors": "Invalid Team API token."}') == "Invalid Team API token."
    assert api_error_text(b'{"errors": {"name": ["blank"]}}') == '{"name": ["blank"]}'
    assert api_error_text(b"<h1>502 Bad Gateway</h1>") == "<h1>502 Bad Gateway</h1>"
    assert api_error_text(b"") is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("30", 30.0),
        ("0", 0.0),
        ("Thu, 03 Apr 2025 12:00:45 GMT", 45.0),
        ("Thu, 03 Apr 2025 11:00:00 GMT", 0.0),  # in the past: retry now
        ("soon", None),
        ("-5", None),
        (None, None),
        ("", None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, NOW) == expected


def test_retry_policy_math() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=5, jitter=False)
    assert [policy.backoff(n, 0.5) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]
    assert RetryPolicy(base_delay=1, max_delay=5).backoff(3, 0.5) == 2.0
    assert policy.delay(1, 500.0, 0.5) == 60.0
    assert policy.delay(1, 3.0, 0.5) == 3.0
    with pytest.raises(ConfigError):
        RetryPolicy(max_attempts=0)


def test_public_surface() -> None:
    expected = {
        "BetterStackClient",
        "RetryPolicy",
        "Pacer",
        "Page",
        "Resource",
        "DEFAULT_BASE_URL",
        "validate_monitor_id",
    }
    assert expected <= set(api.__all__)
    for name in api.__all__:
        assert hasattr(api, name)
    assert api.DEFAULT_BASE_URL == "https://uptime.betterstack.com"
