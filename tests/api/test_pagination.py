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
    # the links dropped from/to/resolved: the walk sends its own filters with every page
    own = "monitor_id=2&from=2025-04-01&to=2025-04-02&resolved=false&per_page=50"
    assert pages[2].url == f"{INCIDENTS}?{own}&page=3"


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
    assert str(script.requests[1].url) == f"{INCIDENTS}?per_page=50&page=2"


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


def test_the_walk_keeps_its_own_filters_whatever_the_link_says(
    script: Script, client: BetterStackClient
) -> None:
    # the live API's links drop the filters (betterstack-api.md §3); a link may even carry
    # other ones: the walk sends exactly its own, and only the link's page
    script.add(
        page([_incident("1")], f"{INCIDENTS}?page=2"),
        page([_incident("2")], f"{INCIDENTS}?monitor_id=999&resolved=true&per_page=10&page=3"),
        page([_incident("3")], None),
    )
    pages = list(client.iter_incident_pages(monitor_id="2", from_date=date(2025, 4, 1)))
    assert len(pages) == 3
    sent = [list(r.url.params.multi_items()) for r in script.requests]
    own = [("monitor_id", "2"), ("from", "2025-04-01"), ("per_page", "50")]
    assert sent == [own, [*own, ("page", "2")], [*own, ("page", "3")]]


@pytest.mark.parametrize(
    "escape",
    [
        f"{BASE}/api/v2/monitors/../../../admin?page=2",
        "/api/v2/monitors/../../../admin?page=2",
        "../../admin?page=2",
        f"{BASE}/api/v2/monitors/%2e%2e/%2e%2e/admin?page=2",
        f"{BASE}/api/v2/monitors-admin?page=2",
        f"{BASE}/admin?page=2",
    ],
)
def test_a_next_link_leaving_the_walks_path_is_refused(
    script: Script, client: BetterStackClient, escape: str
) -> None:
    script.add(page([{"id": "1"}], escape))
    walk = client.iter_monitor_pages()
    next(walk)
    with pytest.raises(ContractError, match="leaves /api/v2/monitors") as caught:
        next(walk)
    assert len(script.requests) == 1  # the token never went to /admin
    assert "\n" not in str(caught.value)


def test_dot_segments_that_stay_under_the_path_are_normalised(
    script: Script, client: BetterStackClient
) -> None:
    script.add(
        page([{"id": "1"}], f"{BASE}/api/v2/monitors/./x/..?page=2"), page([{"id": "2"}], None)
    )
    assert [m["id"] for m in client.list_monitors()] == ["1", "2"]
    assert script.requests[1].url.raw_path == b"/api/v2/monitors?per_page=250&page=2"


def _endless(request: httpx.Request) -> httpx.Response:
    """A server whose next never ends: every page has one record and a link to the next."""
    number = int(request.url.params.get("page", "1"))
    body = {
        "data": [{"id": str(number)}],
        "pagination": {
            "first": f"{BASE}/api/v2/monitors?page=1",
            "last": f"{BASE}/api/v2/monitors?page=3",
            "prev": None,
            "next": f"{BASE}/api/v2/monitors?page={number + 1}",
        },
    }
    return json_response(200, body)


def test_a_next_that_never_ends_stops_soon_after_the_announced_last_page(
    script: Script, client: BetterStackClient
) -> None:
    script.add(*[_endless] * 50)
    with pytest.raises(ContractError, match="past page 8, although the API announced 3"):
        client.list_monitors()
    # the 3 announced pages and the slack (5) for records created during the walk: 8, by hand
    assert len(script.requests) == 8


def test_without_a_last_link_the_account_size_bounds_the_walk(
    script: Script, client: BetterStackClient
) -> None:
    def no_last(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params.get("page", "1"))
        return page([_incident(number)], f"{INCIDENTS}?page={number + 1}")

    script.add(*[no_last] * 50)
    with pytest.raises(ContractError, match="more than 4 pages"):
        list(client.iter_incident_pages(monitor_id="2", max_pages=4))
    assert len(script.requests) == 4


def test_an_empty_page_ends_the_walk_whatever_its_next_says(
    script: Script, client: BetterStackClient
) -> None:
    script.add(
        page([{"id": "1"}], f"{BASE}/api/v2/monitors?page=2"),
        page([], f"{BASE}/api/v2/monitors?page=3"),
    )
    assert [m["id"] for m in client.list_monitors()] == ["1"]
    assert len(script.requests) == 2


def test_the_incident_page_bound_follows_the_account() -> None:
    from betterstack_etl.api import incident_page_bound

    # 3 monitors x 2 days x 500 incidents a day / 50 a page = 60 pages, by hand
    assert incident_page_bound(3, 2) == 60
    assert incident_page_bound(0, 0) == 10
