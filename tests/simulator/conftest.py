"""Fixtures for the simulator's own tests: an authenticated httpx client on ``simulator``."""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from betterstack_etl.simulator import Simulator

AUTH = {"Authorization": "Bearer sim-token"}
# One TLS context for every test client: building one per client costs ~0.1 s (unused on http).
_TLS = ssl.create_default_context()
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


@pytest.fixture
def make_http() -> Iterator[Callable[..., httpx.Client]]:
    """``make_http(sim, **kw)``: an httpx client on the simulator, with the token by default."""
    clients: list[httpx.Client] = []

    def make(sim: Simulator, **kwargs: Any) -> httpx.Client:
        kwargs.setdefault("headers", AUTH)
        kwargs.setdefault("timeout", 10.0)
        kwargs.setdefault("verify", _TLS)
        kwargs.setdefault("base_url", sim.base_url)
        client = httpx.Client(**kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def http(simulator: Simulator, make_http: Callable[..., httpx.Client]) -> httpx.Client:
    return make_http(simulator)


def get_json(client: httpx.Client, url: str, **params: Any) -> Any:
    response = client.get(url, params=params or None)
    assert response.status_code == 200, response.text
    return response.json()


def walk(client: httpx.Client, url: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paginated list, following ``pagination.next`` (bounded) as a client of
    the live API must: its links drop the filters, so each page is asked with ``params``."""
    items: list[dict[str, Any]] = []
    body = get_json(client, url, **params)
    for _ in range(1000):
        items.extend(body["data"])
        next_url = body["pagination"]["next"]
        if next_url is None:
            return items
        page = httpx.URL(next_url).params["page"]
        body = get_json(client, url, **{**params, "page": page})
    raise AssertionError("pagination did not end")
