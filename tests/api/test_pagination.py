"""Walking ``pagination.next``: several pages, the stop rules, and the guards."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from betterstack_etl.api import BetterStackClient
from betterstack_etl.api._errors import RequestContext
from betterstack_etl.api._pages import PageWalk
from betterstack_etl.errors import ContractError

from .conftest import BASE, NOW, Script, json_response, page

INCIDENTS = f"{BASE}/api/v3/incidents"


def _incident(i: int | str, monitor: int | str = 2) -> dict[str, object]:
    return {
        "id": i,
        "type": "incident",
        "attributes": {"name": "x"},
        "relationships": {"monitor": {"data": {"id": monitor, "type": "monitor"}}},
    }


def test_walks_every_page_in_order(script: Script, client: BetterStackClient) -> None:
    script.add(
        page([_incident("1"), _incident("2")], f"{INCIDENTS}?monitor_id=2&per_page=50&page=2"),
        page([_incident("3")], f"{INCIDENTS}?monitor_id=2&per_page=50&page=3"),
        page([_incident("4")], None),
    )
    pages = list(
        client.iter_incident_pages(
            monitor_id="2", from_date=date(2025, 4, 1), to_date=date(2025, 4, 2), resolved=False
        )
    )
    assert [p.number for p in pages] == [1, 2, 3]
    assert [r["id"] for p in pages for r in p.resources] == ["1", "2", "3", "4"]
    assert all(p.fetched_at == NOW for p in pages)
    first = script.requests[0].url
    assert first.path == "/api/v3/incidents"
    assert dict(first.params) == {
        "monitor_id": "2",
        "from": "2025-04-01",
        "to": "2025-04-02",
        "resolved": "false",
        "per_page": "50",
    }
    assert script.requests[2].url.params["page"] == "3"
    assert pages[2].url == f"{INCIDENTS}?monitor_id=2&per_page=50&page=3"


def test_pages_are_fetched_lazily(script: Script, client: BetterStackClient) -> None:
    script.add(page([_incident(1)], f"{INCIDENTS}?page=2"), page([], None))
    walk = client.iter_incident_pages()
    next(walk)
    assert len(script.requests) == 1


@pytest.mark.parametrize("last_next", [None, "", "absent"])
def test_stops_on_null_empty_or_absent_next(
    script: Script, client: BetterStackClient, last_next: str | None
) -> None:
    last = (
        json_response(200, {"data": [{"id": "9"}]})
        if last_next == "absent"
        else page([{"id": "9"}], last_next)
    )
    script.add(page([{"id": "8"}], f"{BASE}/api/v2/monitors?per_page=250&page=2"), last)
    assert [m["id"] for m in client.list_monitors()] == ["8", "9"]
    assert script.requests[0].url.params["per_page"] == "250"


def test_int_ids_are_normalised_to_strings(script: Script, client: BetterStackClient) -> None:
    script.add(page([_incident(25, monitor=2), _incident("26", monitor="3")], None))
    (only,) = list(client.iter_incident_pages())
    assert [r["id"] for r in only.resources] == ["25", "26"]
    monitors = [r["relationships"]["monitor"]["data"]["id"] for r in only.resources]
    assert monitors == ["2", "3"]


def test_loop_is_contract_error(script: Script, client: BetterStackClient) -> None:
    script.add(
        page([{"id": "1"}], f"{INCIDENTS}?page=2&per_page=50"),
        page([{"id": "2"}], f"{INCIDENTS}?per_page=50&page=2"),  # same page, reordered query
    )
    walk = client.iter_incident_pages()
    assert next(walk).number == 1
    assert next(walk).number == 2
    with pytest.raises(ContractError, match="already read"):
        next(walk)
    assert len(script.requests) == 2


@pytest.mark.parametrize(
    "foreign",
    [
        "https://evil.test/api/v3/incidents?page=2",
        "http://uptime.example.test/api/v3/incidents?page=2",
        "https://uptime.example.test:8443/api/v3/incidents?page=2",
        "//evil.test/api/v3/incidents?page=2",
    ],
)
def test_foreign_next_is_refused(script: Script, client: BetterStackClient, foreign: str) -> None:
    script.add(page([{"id": "1"}], foreign))
    walk = client.iter_incident_pages()
    next(walk)
    with pytest.raises(ContractError, match="leaves the API host"):
        next(walk)
    assert len(script.requests) == 1


def test_relative_next_is_resolved_on_the_api_host(
    script: Script, client: BetterStackClient
) -> None:
    script.add(page([{"id": "1"}], "/api/v3/incidents?page=2"), page([{"id": "2"}], None))
    pages = list(client.iter_incident_pages())
    assert len(pages) == 2
    assert str(script.requests[1].url) == f"{INCIDENTS}?page=2"


def test_default_port_is_the_same_origin(script: Script, client: BetterStackClient) -> None:
    script.add(
        page([{"id": "1"}], "https://uptime.example.test:443/api/v3/incidents?page=2"),
        page([], None),
    )
    assert len(list(client.iter_incident_pages())) == 2


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"id": "1"}, "pagination": {"next": None}},
        {"data": [{"id": "1"}], "pagination": "next"},
        {"data": [{"id": "1"}], "pagination": {"next": 2}},
        {"data": ["1"]},
        {"pagination": {"next": None}},
    ],
)
def test_bad_list_envelope_is_contract_error(
    script: Script, client: BetterStackClient, body: dict[str, object]
) -> None:
    script.add(json_response(200, body))
    with pytest.raises(ContractError):
        list(client.iter_monitor_pages())


def test_page_count_is_bounded() -> None:
    walk = PageWalk(httpx.URL(f"{BASE}/"), max_pages=3)
    context = RequestContext("/api/v3/incidents")
    for n in range(3):
        walk.visit(httpx.URL(f"{INCIDENTS}?page={n}"), context)
    with pytest.raises(ContractError, match="more than 3 pages"):
        walk.visit(httpx.URL(f"{INCIDENTS}?page=99"), context)
