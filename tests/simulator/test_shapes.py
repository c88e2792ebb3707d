"""Every answer has the shape betterstack-api.md §4 documents: names, types, units."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from betterstack_etl.simulator import FrozenClock, SimConfig, Simulator

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
        assert attrs["status"] in ("up", "down", "validating", "paused", "maintenance")
        assert isinstance(attrs["confirmation_period"], int)
        parse_ts(attrs["created_at"])
        parse_ts(attrs["last_checked_at"])
    realistic = [m["attributes"] for m in body["data"]]
    assert any(a["url"] is None for a in realistic)  # url: null (betterstack-api.md §11)
    assert any(isinstance(a["monitor_group_id"], int) for a in realistic)
    assert any(a["maintenance_from"] and a["maintenance_days"] for a in realistic)
    assert any("[/bold]" in a["pronounceable_name"] for a in realistic)  # markup-like text


def test_monitor_groups_are_listed(simulator: Simulator, http: httpx.Client) -> None:
    body = get_json(http, "/api/v2/monitor-groups")
    groups = {g["id"]: g for g in body["data"]}
    assert len(groups) == 2
    assert all(g["type"] == "monitor_group" and g["attributes"]["name"] for g in groups.values())
    used = {m.group_id for m in simulator.world.monitors() if m.group_id is not None}
    assert {str(g) for g in used} <= set(groups)


def test_a_paused_monitor_shows_paused_at_and_has_no_checks_or_incidents_in_its_pause(
    simulator: Simulator, http: httpx.Client, sim_clock: FrozenClock
) -> None:
    monitor = simulator.world.monitors()[2]  # the pausing one (traits)
    now_ms = int(sim_clock.now().timestamp() * 1000)
    begin, end = next(
        p
        for p in simulator.world.pauses(monitor, now_ms - 60 * 86_400_000, now_ms)
        if p[1] - p[0] > 3 * 3_600_000
    )
    sim_clock.set(datetime.fromtimestamp((begin + 3 * 3_600_000) / 1000, tz=sim_clock.now().tzinfo))
    attrs = get_json(http, f"/api/v2/monitors/{monitor.id}")["data"]["attributes"]
    assert attrs["status"] == "paused"
    assert parse_ts(attrs["paused_at"]).timestamp() * 1000 == begin
    times = [
        parse_ts(p["at"]).timestamp() * 1000
        for region in response_times(http, monitor.id)["attributes"]["regions"]
        for p in region["response_times"]
    ]
    assert times
    assert not [t for t in times if begin <= t < end]
    day = datetime.fromtimestamp(begin / 1000, tz=sim_clock.now().tzinfo).date()
    items = walk(
        http, "/api/v3/incidents", per_page=50, monitor_id=monitor.id,
        **{"from": (day - timedelta(days=1)).isoformat(), "to": (day + timedelta(days=2)).isoformat()},
    )  # fmt: skip
    for item in items:
        started = parse_ts(item["attributes"]["started_at"]).timestamp() * 1000
        resolved = item["attributes"]["resolved_at"]
        stop = parse_ts(resolved).timestamp() * 1000 if resolved else started + 1
        assert stop <= begin or started >= end


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


def test_tidy_response_times_cover_the_last_24h_per_region_on_a_grid(
    make_simulator: Callable[..., Simulator],
    make_http: Callable[..., httpx.Client],
    sim_clock: FrozenClock,
) -> None:
    http = make_http(make_simulator(SimConfig(seed=7, monitors=3, tidy=True), sim_clock))
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


def test_realistic_response_times_are_on_an_irregular_grid(
    simulator: Simulator, http: httpx.Client, sim_clock: FrozenClock
) -> None:
    now = sim_clock.now()
    for monitor in simulator.world.monitors():
        step = monitor.check_frequency
        for region in response_times(http, monitor.id)["attributes"]["regions"]:
            times = [parse_ts(p["at"]) for p in region["response_times"]]
            assert all(now - timedelta(hours=24) < t <= now for t in times)
            assert times == sorted(times)
            assert len(times) < 24 * 3600 // step  # some checks are missing
            gaps = {(b - a).total_seconds() for a, b in itertools.pairwise(times)}
            assert len(gaps) > 1  # not an exact step
            assert min(gaps) > step / 2  # never two checks of one slot
            assert any(t.microsecond for t in times)  # milliseconds, not whole seconds


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
    start = parse_ts(attrs["started_at"])
    # the Validating end of an incident is up again: the checks fail until it begins
    modelled = simulator.world.incident(incident["id"])
    assert modelled is not None
    end = datetime.fromtimestamp(modelled.failing_until_ms / 1000, tz=start.tzinfo)
    sim_clock.set(parse_ts(attrs["resolved_at"]) + timedelta(minutes=10))
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
        assert attrs["status"] in (
            "Started", "Acknowledged", "Resolved", "Unconfirmed", "Validating"
        )  # fmt: skip
        (kind,) = item["relationships"]
        if kind == "heartbeat":  # a heartbeat incident: no monitor, no URL, no regions
            assert attrs["url"] is attrs["regions"] is attrs["http_method"] is None
            assert attrs["response_options"] is None
            continue
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
    assert any("heartbeat" in i["relationships"] for i in items)
    assert any(i["attributes"]["url"] is None and "monitor" in i["relationships"] for i in items)


def test_the_listing_serves_unconfirmed_and_validating_incidents(
    simulator: Simulator, http: httpx.Client, sim_clock: FrozenClock
) -> None:
    monitor = simulator.world.monitors()[0]  # a 60 s confirmation period (traits)
    incident = next(
        i
        for day in range(1, 25)
        for i in simulator.world.incidents_on(monitor, date(2026, 11, day))
        if i.unconfirmed_ms and i.validating_ms
    )
    moments = {
        "Unconfirmed": incident.started_ms + incident.unconfirmed_ms // 2,
        "Validating": incident.resolved_ms - incident.validating_ms // 2,
    }
    for status, moment in moments.items():
        sim_clock.set(datetime.fromtimestamp(moment / 1000, tz=UTC))
        listed = walk(http, "/api/v3/incidents", per_page=50, resolved="false")
        (item,) = [i for i in listed if i["id"] == incident.id]
        assert item["attributes"]["status"] == status
        assert item["attributes"]["resolved_at"] is None
