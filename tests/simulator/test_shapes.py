"""Every answer has the shape betterstack-api.md §4 documents: names, types, units."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from betterstack_etl.simulator import FrozenClock, Simulator

from .conftest import TIMESTAMP, get_json, walk

MONITOR_ATTRIBUTES = {
    "url", "pronounceable_name", "monitor_type", "monitor_group_id", "last_checked_at",
    "status", "policy_id", "expiration_policy_id", "team_name", "required_keyword",
    "verify_ssl", "check_frequency", "call", "sms", "email", "push", "team_wait",
    "http_method", "request_timeout", "recovery_period", "request_headers", "request_body",
    "paused_at", "created_at", "updated_at", "ssl_expiration", "domain_expiration", "regions",
    "maintenance_from", "maintenance_to", "maintenance_timezone", "maintenance_days", "port",
    "confirmation_period", "expected_status_codes",
}  # fmt: skip
INCIDENT_ATTRIBUTES = {
    "name", "url", "http_method", "cause", "incident_group_id", "started_at",
    "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by", "status", "team_name",
    "response_content", "response_options", "regions", "response_url", "screenshot_url",
    "origin_url", "escalation_policy_id", "call", "sms", "email", "push", "metadata",
}  # fmt: skip
POINT_FIELDS = {
    "at", "response_time", "name_lookup_time", "connection_time", "tls_handshake_time",
    "data_transfer_time",
}  # fmt: skip
COMPONENTS = ("name_lookup_time", "connection_time", "tls_handshake_time", "data_transfer_time")


def parse_ts(text: str) -> datetime:
    assert TIMESTAMP.fullmatch(text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_monitor_list_items_have_the_documented_attributes(http: httpx.Client) -> None:
    body = get_json(http, "/api/v2/monitors")
    assert set(body) == {"data", "pagination"}
    assert len(body["data"]) == 3
    for item in body["data"]:
        assert isinstance(item["id"], str)
        assert item["id"].isdigit()
        assert item["type"] == "monitor"
        attrs = item["attributes"]
        assert set(attrs) == MONITOR_ATTRIBUTES
        assert attrs["check_frequency"] in (30, 60, 180)
        assert attrs["regions"]
        assert set(attrs["regions"]) <= {"us", "eu", "as", "au"}
        assert attrs["http_method"] == "get"
        assert attrs["status"] in ("up", "down")
        parse_ts(attrs["created_at"])
        parse_ts(attrs["last_checked_at"])


def test_single_monitor_is_the_same_resource_as_in_the_list(http: httpx.Client) -> None:
    listed = get_json(http, "/api/v2/monitors")["data"][1]
    single = get_json(http, f"/api/v2/monitors/{listed['id']}")
    assert single == {"data": listed}


def test_monitor_status_is_down_while_an_incident_is_open(
    simulator: Simulator, http: httpx.Client, sim_clock: FrozenClock
) -> None:
    incident = next(
        i
        for i in walk(http, "/api/v3/incidents", per_page=50, **{"from": "2026-11-20"})
        if i["attributes"]["status"] == "Resolved"
    )
    started = parse_ts(incident["attributes"]["started_at"])
    monitor_id = incident["relationships"]["monitor"]["data"]["id"]
    sim_clock.set(started + timedelta(seconds=1))
    assert (
        get_json(http, f"/api/v2/monitors/{monitor_id}")["data"]["attributes"]["status"] == "down"
    )
    sim_clock.set(parse_ts(incident["attributes"]["resolved_at"]) + timedelta(seconds=1))
    assert get_json(http, f"/api/v2/monitors/{monitor_id}")["data"]["attributes"]["status"] == "up"


def response_times(http: httpx.Client, monitor_id: str) -> dict[str, Any]:
    body = get_json(http, f"/api/v2/monitors/{monitor_id}/response-times")
    assert set(body) == {"data"}  # no pagination
    return body["data"]  # type: ignore[no-any-return]


def test_response_times_cover_the_last_24h_per_region(
    simulator: Simulator, http: httpx.Client, sim_clock: FrozenClock
) -> None:
    now = sim_clock.now()
    for monitor in get_json(http, "/api/v2/monitors")["data"]:
        data = response_times(http, monitor["id"])
        assert data["id"] == monitor["id"]
        assert data["type"] == "monitor_response_times"
        regions = data["attributes"]["regions"]
        assert [r["region"] for r in regions] == monitor["attributes"]["regions"]
        step = monitor["attributes"]["check_frequency"]
        for region in regions:
            times = [parse_ts(p["at"]) for p in region["response_times"]]
            assert all(now - timedelta(hours=24) < t <= now for t in times)
            assert times == sorted(times)
            assert len(times) == 24 * 3600 // step
            assert {(b - a).total_seconds() for a, b in itertools.pairwise(times)} == {step}


def test_response_time_points_are_floats_in_seconds_whose_components_add_up(
    simulator: Simulator, http: httpx.Client
) -> None:
    for monitor_id in simulator.world.monitor_ids():
        for region in response_times(http, monitor_id)["attributes"]["regions"]:
            for point in region["response_times"]:
                assert set(point) == POINT_FIELDS
                assert all(isinstance(point[c], float) for c in (*COMPONENTS, "response_time"))
                assert all(round(point[c], 5) == point[c] for c in COMPONENTS)
                assert sum(point[c] for c in COMPONENTS) == pytest.approx(
                    point["response_time"], abs=1e-9
                )
                assert 0 < point["response_time"] <= 30.0  # seconds, not milliseconds


def test_region_series_are_not_aligned(simulator: Simulator, http: httpx.Client) -> None:
    starts = set()
    for monitor_id in simulator.world.monitor_ids():
        for region in response_times(http, monitor_id)["attributes"]["regions"]:
            starts.add(region["response_times"][0]["at"])
    assert len(starts) > 1


def test_points_during_an_incident_carry_the_timeout(
    simulator: Simulator, http: httpx.Client, sim_clock: FrozenClock
) -> None:
    incidents = walk(http, "/api/v3/incidents", per_page=50, **{"from": "2026-11-24"})
    incident = next(
        i for i in incidents if i["attributes"]["regions"] and i["attributes"]["resolved_at"]
    )
    attrs = incident["attributes"]
    monitor_id = incident["relationships"]["monitor"]["data"]["id"]
    monitor = get_json(http, f"/api/v2/monitors/{monitor_id}")["data"]["attributes"]
    start, end = parse_ts(attrs["started_at"]), parse_ts(attrs["resolved_at"])
    sim_clock.set(end + timedelta(minutes=10))
    region = attrs["regions"][0]
    series = next(
        r["response_times"]
        for r in response_times(http, monitor_id)["attributes"]["regions"]
        if r["region"] == region
    )
    inside = [p for p in series if start <= parse_ts(p["at"]) < end]
    outside = [p for p in series if not start <= parse_ts(p["at"]) < end]
    assert all(p["response_time"] == monitor["request_timeout"] for p in inside)
    assert all(p["response_time"] < monitor["request_timeout"] for p in outside[-20:])


def test_incident_items_have_the_documented_v3_attributes(http: httpx.Client) -> None:
    items = walk(http, "/api/v3/incidents", per_page=50, **{"from": "2026-11-01"})
    assert len(items) > 10
    for item in items:
        assert isinstance(item["id"], str)
        assert item["id"].isdigit()
        assert item["type"] == "incident"
        attrs = item["attributes"]
        assert set(attrs) == INCIDENT_ATTRIBUTES
        assert attrs["status"] in ("Started", "Acknowledged", "Resolved")
        assert isinstance(attrs["response_options"], str)
        json.loads(attrs["response_options"])
        assert attrs["regions"] is None or set(attrs["regions"]) <= {"us", "eu", "as", "au"}
        for values in attrs["metadata"].values():
            assert all(set(v) == {"type", "value"} for v in values)
        for key in ("started_at", "acknowledged_at", "resolved_at"):
            assert attrs[key] is None or TIMESTAMP.fullmatch(attrs[key])
        assert (attrs["resolved_at"] is None) == (attrs["resolved_by"] is None)
        assert (attrs["acknowledged_at"] is None) == (attrs["acknowledged_by"] is None)
        relation = item["relationships"]["monitor"]["data"]
        assert relation["type"] == "monitor"
        assert isinstance(relation["id"], str)
    assert any(i["attributes"]["regions"] is None for i in items)
    assert any(i["attributes"]["metadata"] for i in items)


def test_v2_incidents_have_flat_metadata_and_the_single_one_includes_its_monitor(
    http: httpx.Client,
) -> None:
    items = walk(http, "/api/v2/incidents", per_page=50, **{"from": "2026-11-01"})
    with_metadata = [i for i in items if i["attributes"]["metadata"]]
    assert with_metadata
    for item in with_metadata:
        assert all(isinstance(v, str) for v in item["attributes"]["metadata"].values())
    single = get_json(http, f"/api/v2/incidents/{with_metadata[0]['id']}")
    assert single["data"] == with_metadata[0]
    assert single["included"]["type"] == "monitor"


def test_single_v3_incident_matches_the_list(http: httpx.Client) -> None:
    item = get_json(http, "/api/v3/incidents")["data"][0]
    assert get_json(http, f"/api/v3/incidents/{item['id']}") == {"data": item}


def test_sla_has_the_documented_attributes(simulator: Simulator, http: httpx.Client) -> None:
    monitor_id = simulator.world.monitor_ids()[0]
    body = get_json(http, f"/api/v2/monitors/{monitor_id}/sla", **{"from": "2026-11-01"})
    assert body["data"]["id"] == monitor_id
    assert body["data"]["type"] == "monitor_sla"
    attrs = body["data"]["attributes"]
    assert set(attrs) == {
        "availability", "total_downtime", "number_of_incidents", "longest_incident",
        "average_incident",
    }  # fmt: skip
    assert isinstance(attrs["availability"], float)
    assert 0 <= attrs["availability"] <= 100
    assert all(isinstance(attrs[k], int) for k in attrs if k != "availability")
