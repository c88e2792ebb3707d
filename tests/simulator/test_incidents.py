"""Incidents: filters, order, lifecycle as the clock moves, and determinism."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from betterstack_etl.simulator import FrozenClock, SimConfig, Simulator

from .conftest import get_json, walk

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-25"}


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_from_and_to_filter_on_the_utc_start_date_inclusive(http: httpx.Client) -> None:
    items = walk(
        http, "/api/v3/incidents", per_page=50, **{"from": "2026-11-10", "to": "2026-11-12"}
    )
    days = {ts(i["attributes"]["started_at"]).date() for i in items}
    assert days == {date(2026, 11, 10), date(2026, 11, 11), date(2026, 11, 12)}
    wider = walk(
        http, "/api/v3/incidents", per_page=50, **{"from": "2026-11-09", "to": "2026-11-13"}
    )
    assert {i["id"] for i in items} < {i["id"] for i in wider}


def test_to_before_from_is_empty(http: httpx.Client) -> None:
    body = get_json(http, "/api/v3/incidents", **{"from": "2026-11-12", "to": "2026-11-10"})
    assert body["data"] == []


def test_monitor_id_filter(simulator: Simulator, http: httpx.Client) -> None:
    for monitor_id in simulator.world.monitor_ids():
        items = walk(http, "/api/v3/incidents", per_page=50, monitor_id=monitor_id, **NOVEMBER)
        assert items
        assert {i["relationships"]["monitor"]["data"]["id"] for i in items} == {monitor_id}
    assert get_json(http, "/api/v3/incidents", monitor_id="1")["data"] == []


@pytest.mark.parametrize("true", ["true", "True", "TRUE"])
@pytest.mark.parametrize("false", ["false", "False"])
def test_resolved_and_acknowledged_filters_accept_any_case(
    simulator: Simulator, http: httpx.Client, sim_clock: FrozenClock, true: str, false: str
) -> None:
    sim_clock.set(datetime(2026, 11, 25, 23, 0, tzinfo=UTC))
    everything = walk(http, "/api/v3/incidents", per_page=50, **NOVEMBER)
    resolved = walk(http, "/api/v3/incidents", per_page=50, resolved=true, **NOVEMBER)
    open_ = walk(http, "/api/v3/incidents", per_page=50, resolved=false, **NOVEMBER)
    acked = walk(http, "/api/v3/incidents", per_page=50, acknowledged=true, **NOVEMBER)
    assert resolved
    assert all(i["attributes"]["status"] == "Resolved" for i in resolved)
    assert all(i["attributes"]["resolved_at"] is None for i in open_)
    assert all(i["attributes"]["acknowledged_at"] is not None for i in acked)
    assert len(resolved) + len(open_) == len(everything)
    assert 0 < len(acked) < len(everything)


def test_newest_first(http: httpx.Client) -> None:
    items = walk(http, "/api/v3/incidents", per_page=50, **NOVEMBER)
    starts = [i["attributes"]["started_at"] for i in items]
    assert starts == sorted(starts, reverse=True)


def test_ids_are_unique_and_incidents_of_a_monitor_never_overlap(
    simulator: Simulator, http: httpx.Client
) -> None:
    items = walk(http, "/api/v3/incidents", per_page=50, **{"from": "2026-09-01"})
    assert len({i["id"] for i in items}) == len(items)
    for monitor in simulator.world.monitors():
        spans = sorted(
            (ts(i["attributes"]["started_at"]), ts(i["attributes"]["resolved_at"]))
            for i in items
            if i["relationships"].get("monitor", {}).get("data", {}).get("id") == monitor.id
            and i["attributes"]["resolved_at"]
        )
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))


def test_rates_durations_and_midnight_crossings_are_plausible(http: httpx.Client) -> None:
    items = walk(
        http, "/api/v3/incidents", per_page=50, **{"from": "2026-08-01", "to": "2026-10-31"}
    )
    per_monitor_day = len(items) / (3 * 92)
    assert 0.4 < per_monitor_day < 2.0
    durations = [
        ts(i["attributes"]["resolved_at"]) - ts(i["attributes"]["started_at"]) for i in items
    ]
    assert min(durations) >= timedelta(seconds=30)
    assert max(durations) <= timedelta(hours=4)
    crossing = [
        i
        for i in items
        if ts(i["attributes"]["resolved_at"]).date() != ts(i["attributes"]["started_at"]).date()
    ]
    assert 0 < len(crossing) < len(items) // 5


def test_no_incident_starts_within_an_hour_of_monitor_creation(
    simulator: Simulator, http: httpx.Client
) -> None:
    for monitor_id in simulator.world.monitor_ids():
        created = ts(
            get_json(http, f"/api/v2/monitors/{monitor_id}")["data"]["attributes"]["created_at"]
        )
        items = walk(
            http,
            "/api/v3/incidents",
            per_page=50,
            monitor_id=monitor_id,
            **{"from": "2025-01-01", "to": (created.date() + timedelta(days=30)).isoformat()},
        )
        assert items
        assert min(ts(i["attributes"]["started_at"]) for i in items) >= created + timedelta(hours=1)


def test_an_incident_moves_from_started_to_resolved_as_the_clock_advances(
    make_simulator: Callable[..., Simulator],
    make_http: Callable[..., httpx.Client],
    sim_clock: FrozenClock,
) -> None:
    simulator = make_simulator(SimConfig(seed=7, monitors=3, tidy=True), sim_clock)
    http = make_http(simulator)
    monitor = simulator.world.monitors()[0]
    incident = next(
        i
        for day in range(1, 25)
        for i in simulator.world.incidents_on(monitor, date(2026, 11, day))
        if i.acknowledged_ms is not None
    )
    assert incident.acknowledged_ms is not None
    at = lambda ms: datetime.fromtimestamp(ms / 1000, UTC)  # noqa: E731

    sim_clock.set(at(incident.started_ms - 1000))
    assert http.get(f"/api/v3/incidents/{incident.id}").status_code == 404
    seen = []
    for moment in (incident.started_ms, incident.acknowledged_ms, incident.resolved_ms):
        sim_clock.set(at(moment))
        seen.append(get_json(http, f"/api/v3/incidents/{incident.id}")["data"]["attributes"])
    assert [s["status"] for s in seen] == ["Started", "Acknowledged", "Resolved"]
    assert seen[0]["acknowledged_at"] is None
    assert seen[0]["resolved_at"] is None
    assert seen[1]["acknowledged_by"]
    assert seen[1]["resolved_at"] is None
    assert seen[2]["resolved_by"]
    assert seen[2]["acknowledged_at"] == seen[1]["acknowledged_at"]
    assert len({s["started_at"] for s in seen}) == 1


def test_a_realistic_incident_is_unconfirmed_then_validating_before_it_resolves(
    simulator: Simulator, http: httpx.Client, sim_clock: FrozenClock
) -> None:
    monitor = simulator.world.monitors()[0]  # a 60 s confirmation period (traits)
    incident = next(
        i
        for day in range(1, 25)
        for i in simulator.world.incidents_on(monitor, date(2026, 11, day))
        if i.acknowledged_ms is not None
    )
    assert incident.acknowledged_ms is not None
    duration = incident.resolved_ms - incident.started_ms
    # by hand, from the docs' periods: the first min(60 s, d/3) unconfirmed, the last
    # min(recovery, d/3) validating
    unconfirmed = min(60_000, duration // 3)
    validating = min(monitor.recovery_period * 1000, duration // 3)
    at = lambda ms: datetime.fromtimestamp(ms / 1000, UTC)  # noqa: E731
    moments = {
        "Unconfirmed": incident.started_ms,
        "Started": incident.started_ms + unconfirmed,
        "Validating": incident.resolved_ms - validating,
        "Resolved": incident.resolved_ms,
    }
    if incident.acknowledged_ms < incident.resolved_ms - validating:
        moments["Acknowledged"] = incident.acknowledged_ms
    for status, moment in sorted(moments.items(), key=lambda kv: kv[1]):
        sim_clock.set(at(moment))
        attrs = get_json(http, f"/api/v3/incidents/{incident.id}")["data"]["attributes"]
        assert attrs["status"] == status, moment
        assert (attrs["resolved_at"] is None) == (status != "Resolved")
    sim_clock.set(at(incident.resolved_ms - validating))
    listed = get_json(http, f"/api/v2/monitors/{monitor.id}")["data"]["attributes"]
    assert listed["status"] == "validating"


def test_listing_sees_the_same_lifecycle(
    simulator: Simulator, http: httpx.Client, sim_clock: FrozenClock
) -> None:
    monitor = simulator.world.monitors()[0]
    incident = next(
        i
        for day in range(1, 25)
        for i in simulator.world.incidents_on(monitor, date(2026, 11, day))
    )
    sim_clock.set(datetime.fromtimestamp(incident.started_ms / 1000 + 60, UTC))
    open_now = walk(http, "/api/v3/incidents", per_page=50, resolved="false")
    assert incident.id in {i["id"] for i in open_now}
    assert all(i["attributes"]["status"] != "Resolved" for i in open_now)
    sim_clock.advance(timedelta(hours=5))
    later = {
        i["id"]: i["attributes"]["status"]
        for i in walk(http, "/api/v3/incidents", per_page=50, **{"from": "2026-10-30"})
    }
    assert all(later[i["id"]] == "Resolved" for i in open_now)


def test_same_seed_and_clock_give_identical_answers(
    make_simulator: Callable[..., Simulator], make_http: Callable[..., httpx.Client]
) -> None:
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    sims = [make_simulator(SimConfig(seed=11, monitors=2), FrozenClock(now)) for _ in range(2)]
    clients = [make_http(sim) for sim in sims]
    monitor_id = sims[0].world.monitor_ids()[0]
    paths = [
        "/api/v2/monitors",
        f"/api/v2/monitors/{monitor_id}/response-times",
        f"/api/v2/monitors/{monitor_id}/sla?from=2026-11-01&to=2026-11-25",
        "/api/v3/incidents?per_page=50&from=2026-11-01",
    ]
    for path in paths:
        bodies = [c.get(path).content for c in clients]
        port_free = [
            b.replace(str(s.base_url).encode(), b"") for b, s in zip(bodies, sims, strict=False)
        ]
        assert port_free[0] == port_free[1], path
    other = make_http(make_simulator(SimConfig(seed=12, monitors=2), FrozenClock(now)))
    assert other.get("/api/v2/monitors").json() != clients[0].get("/api/v2/monitors").json()


def test_past_data_does_not_change_when_the_clock_moves(
    simulator: Simulator, http: httpx.Client, sim_clock: FrozenClock
) -> None:
    params = {"from": "2026-11-01", "to": "2026-11-20"}
    before = walk(http, "/api/v3/incidents", per_page=50, **params)
    sim_clock.advance(timedelta(days=3))
    assert walk(http, "/api/v3/incidents", per_page=50, **params) == before
