"""401, 404 and 400 answers with the documented ``errors`` strings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import httpx
import pytest

from betterstack_etl.simulator import AUTH_ERROR, NOT_FOUND_ERROR, RANGE_ERROR, Simulator

from .conftest import get_json

AUTH_BODY = {
    "errors": "Invalid Team API token. How to find your Team API token: https://betterstack.com"
    "/docs/uptime/api/getting-started-with-better-uptime-api#obtaining-a-better-uptime-api-token"
}


def test_the_error_texts_are_the_documented_ones() -> None:
    assert AUTH_BODY["errors"] == AUTH_ERROR
    assert NOT_FOUND_ERROR == "Resource with provided ID was not found"
    assert RANGE_ERROR.startswith("The data range is invalid. The date format could not be")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Token sim-token"},
        {"Authorization": "sim-token"},
    ],
)
@pytest.mark.parametrize("path", ["/api/v2/monitors", "/api/v3/incidents"])
def test_missing_or_wrong_token_is_401(
    simulator: Simulator,
    make_http: Callable[..., httpx.Client],
    headers: dict[str, str],
    path: str,
) -> None:
    response = make_http(simulator, headers=headers).get(path)
    assert response.status_code == 401
    assert response.json() == AUTH_BODY
    assert response.headers["content-type"].startswith("application/json")


def test_bearer_scheme_is_case_insensitive(
    simulator: Simulator, make_http: Callable[..., httpx.Client]
) -> None:
    client = make_http(simulator, headers={"Authorization": "bearer sim-token"})
    assert client.get("/api/v2/monitors").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/monitors/999",
        "/api/v2/monitors/abc/response-times",
        "/api/v2/monitors/1/sla",
        "/api/v3/incidents/1",
        "/api/v3/incidents/999999999999999",
        "/api/v2/incidents/xyz",
        "/api/v2/nothing-here",
        "/",
    ],
)
def test_unknown_ids_and_routes_are_404(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert response.status_code == 404
    assert response.json() == {"errors": NOT_FOUND_ERROR}


def test_unknown_routes_are_404_even_without_a_token(
    simulator: Simulator, make_http: Callable[..., httpx.Client]
) -> None:
    client = make_http(simulator, headers={})
    assert client.get("/api/v9/whatever").status_code == 404
    assert client.get("/api/v2/monitors").status_code == 401


def test_an_incident_that_has_not_started_yet_is_404(
    simulator: Simulator, http: httpx.Client
) -> None:
    monitor = simulator.world.monitors()[0]
    future = next(
        i
        for day in range(26, 31)
        for i in simulator.world.incidents_on(monitor, date(2026, 11, day))
    )
    assert http.get(f"/api/v3/incidents/{future.id}").status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"from": "yesterday"},
        {"from": "2026-13-01"},
        {"to": "2026/11/20"},
        {"from": "2026-11-20T00:00:00Z"},
        {"from": "2026-11-26"},  # the future (now is 2026-11-25T12:00Z)
        {"from": "2026-11-20", "to": "2026-11-19"},  # to < from
    ],
)
def test_sla_bad_ranges_are_400(
    simulator: Simulator, http: httpx.Client, params: dict[str, str]
) -> None:
    monitor_id = simulator.world.monitor_ids()[0]
    response = http.get(f"/api/v2/monitors/{monitor_id}/sla", params=params)
    assert response.status_code == 400
    assert response.json() == {"errors": RANGE_ERROR}


def test_sla_for_today_and_a_future_to_are_fine(simulator: Simulator, http: httpx.Client) -> None:
    monitor_id = simulator.world.monitor_ids()[0]
    get_json(http, f"/api/v2/monitors/{monitor_id}/sla", **{"from": "2026-11-25"})
    get_json(
        http, f"/api/v2/monitors/{monitor_id}/sla", **{"from": "2026-11-24", "to": "2027-01-01"}
    )


def test_incident_filters_with_unparseable_dates_are_400(http: httpx.Client) -> None:
    response = http.get("/api/v3/incidents", params={"from": "last week"})
    assert response.status_code == 400
    assert response.json() == {"errors": RANGE_ERROR}


def test_writes_are_refused(http: httpx.Client) -> None:
    response = http.post("/api/v2/monitors", json={"url": "https://x"})
    assert response.status_code == 405
    assert isinstance(response.json()["errors"], str)
