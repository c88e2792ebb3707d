"""Pagination: absolute links that keep the query, null ends, defaults, maxima, past the end."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import httpx

from betterstack_etl.simulator import SimConfig, Simulator

from .conftest import get_json, walk


def test_echo_links_are_absolute_keep_the_query_and_put_page_last(
    make_simulator: Callable[..., Simulator], make_http: Callable[..., httpx.Client]
) -> None:
    simulator = make_simulator(SimConfig(seed=7, monitors=3, links="echo"))
    http = make_http(simulator)
    monitor_id = simulator.world.monitor_ids()[0]
    params = {"monitor_id": monitor_id, "from": "2026-11-01", "resolved": "true", "per_page": "5"}
    body = get_json(http, "/api/v3/incidents", page=2, **params)
    links = body["pagination"]
    base = f"{simulator.base_url}/api/v3/incidents?"
    for name, page in (("first", 1), ("prev", 1), ("next", 3)):
        assert links[name].startswith(base)
        query = parse_qsl(urlsplit(links[name]).query)
        assert query == [*params.items(), ("page", str(page))]
    total = len(get_json(http, "/api/v3/incidents", **{**params, "per_page": "50"})["data"])
    assert 10 < total < 50
    assert links["last"] == base + httpx.QueryParams({**params, "page": -(-total // 5)}).__str__()


def test_bare_links_drop_the_filters_as_the_live_api_does(
    simulator: Simulator, http: httpx.Client
) -> None:
    # recorded live (betterstack-api.md §3): links keep only page (and per_page when sent)
    monitor_id = simulator.world.monitor_ids()[0]
    params = {"monitor_id": monitor_id, "from": "2026-11-01", "resolved": "true", "per_page": "5"}
    links = get_json(http, "/api/v3/incidents", page=2, **params)["pagination"]
    base = f"{simulator.base_url}/api/v3/incidents?"
    assert links["first"] == f"{base}per_page=5&page=1"
    assert links["prev"] == f"{base}per_page=5&page=1"
    assert links["next"] == f"{base}per_page=5&page=3"
    total = len(walk(http, "/api/v3/incidents", **{**params, "per_page": "50"}))
    assert links["last"] == f"{base}per_page=5&page={-(-total // 5)}"  # of the filtered list
    filtered = get_json(http, "/api/v3/incidents", monitor_id=monitor_id)["pagination"]
    assert filtered["next"] == f"{base}page=2"
    # following it verbatim reads the whole account: another monitor's incidents
    followed = get_json(http, filtered["next"])["data"]
    owners = {i["relationships"].get("monitor", {}).get("data", {}).get("id") for i in followed}
    assert owners - {monitor_id}


def test_links_use_the_host_the_client_used(
    simulator: Simulator, make_http: Callable[..., httpx.Client]
) -> None:
    port = simulator.base_url.rsplit(":", 1)[1]
    client = make_http(simulator, base_url=f"http://localhost:{port}")
    links = get_json(client, "/api/v2/monitors", per_page=1)["pagination"]
    assert links["next"] == f"http://localhost:{port}/api/v2/monitors?per_page=1&page=2"


def test_prev_is_null_on_the_first_page_and_next_on_the_last(
    simulator: Simulator, http: httpx.Client
) -> None:
    first = get_json(http, "/api/v2/monitors", per_page=2)["pagination"]
    assert first["prev"] is None
    assert first["next"] is not None
    last = get_json(http, first["last"])["pagination"]
    assert last["next"] is None
    assert last["prev"] is not None
    only = get_json(http, "/api/v2/monitors")["pagination"]
    assert only["prev"] is None
    assert only["next"] is None
    assert only["first"] == only["last"] == f"{simulator.base_url}/api/v2/monitors?page=1"


def test_walking_several_pages_yields_every_item_once(
    simulator: Simulator, http: httpx.Client
) -> None:
    params = {"from": "2026-11-18", "to": "2026-11-25"}
    everything = get_json(http, "/api/v3/incidents", per_page=50, **params)["data"]
    assert 10 < len(everything) < 50
    walked = walk(http, "/api/v3/incidents", per_page=3, **params)
    assert [i["id"] for i in walked] == [i["id"] for i in everything]


def test_page_past_the_last_is_empty(http: httpx.Client) -> None:
    body = get_json(http, "/api/v2/monitors", page=9)
    assert body["data"] == []
    assert body["pagination"]["next"] is None


def test_monitors_default_to_50_a_page_and_clamp_to_250(
    make_simulator: Callable[..., Simulator], make_http: Callable[..., httpx.Client]
) -> None:
    client = make_http(make_simulator(SimConfig(seed=1, monitors=260)))
    first = get_json(client, "/api/v2/monitors")
    assert len(first["data"]) == 50
    assert first["pagination"]["last"].endswith("?page=6")
    clamped = get_json(client, "/api/v2/monitors", per_page=1000)
    assert len(clamped["data"]) == 250
    assert clamped["pagination"]["next"].endswith("?per_page=1000&page=2")
    assert len(get_json(client, clamped["pagination"]["next"])["data"]) == 10


def test_incidents_default_to_10_a_page_and_clamp_to_50(http: httpx.Client) -> None:
    assert len(get_json(http, "/api/v3/incidents")["data"]) == 10
    assert len(get_json(http, "/api/v3/incidents", per_page=500)["data"]) == 50
    assert len(get_json(http, "/api/v2/incidents")["data"]) == 10


def test_bad_page_numbers_fall_back_to_the_defaults(http: httpx.Client) -> None:
    default = get_json(http, "/api/v3/incidents")["data"]
    assert get_json(http, "/api/v3/incidents", page="x", per_page="0")["data"] == default
