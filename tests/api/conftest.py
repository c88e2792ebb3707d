"""Fixtures for the API client tests: a scripted mock transport, a recorded sleep, a clock."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from betterstack_etl.api import BetterStackClient, RetryPolicy
from betterstack_etl.secret import Secret

TOKEN = "tok-SUPER-secret-4242"
BASE = "https://uptime.example.test"
NOW = datetime(2025, 4, 3, 12, 0, 0, tzinfo=UTC)

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)


def page(items: list[dict[str, Any]], next_url: str | None) -> httpx.Response:
    return json_response(
        200,
        {
            "data": items,
            "pagination": {"first": None, "last": None, "prev": None, "next": next_url},
        },
    )


@dataclass
class Script:
    """A mock API answering from a queue of replies; records every request it saw."""

    replies: list[Reply] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def add(self, *replies: Reply) -> Script:
        self.replies.extend(replies)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.replies:
            raise AssertionError(f"unexpected request {request.url}")
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return reply
        return reply(request)


@dataclass
class Sleeps:
    """A ``sleep`` that records instead of sleeping."""

    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(script: Script, sleeps: Sleeps) -> Iterator[Callable[..., BetterStackClient]]:
    clients: list[httpx.Client] = []

    def make(**kwargs: Any) -> BetterStackClient:
        http = httpx.Client(transport=httpx.MockTransport(script))
        clients.append(http)
        kwargs.setdefault("retry", RetryPolicy(jitter=False))
        kwargs.setdefault("base_url", BASE)
        return BetterStackClient(http, Secret(TOKEN), sleep=sleeps, clock=lambda: NOW, **kwargs)

    yield make
    for http in clients:
        http.close()


@pytest.fixture
def client(make_client: Callable[..., BetterStackClient]) -> BetterStackClient:
    return make_client()
