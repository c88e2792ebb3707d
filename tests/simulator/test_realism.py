"""The realistic default (SPEC §7): heartbeats, maintenance windows, markup-like text, and the
tidy option that serves none of it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import httpx

from betterstack_etl.simulator import FrozenClock, SimConfig, Simulator
from betterstack_etl.simulator.traits import HOSTILE_TEXTS

from .conftest import get_json, walk

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-25"}


def _owner(item: dict[str, object]) -> tuple[str, str]:
    relationships = item["relationships"]
    assert isinstance(relationships, dict)
    ((kind, related),) = relationships.items()
    return kind, related["data"]["id"]


def test_heartbeat_incidents_are_filtered_by_heartbeat_id_never_by_monitor_id(
    simulator: Simulator, http: httpx.Client
) -> None:
    everything = walk(http, "/api/v3/incidents", per_page=50, **NOVEMBER)
    heartbeats = {hb.id for hb in simulator.world.heartbeats()}
    assert len(heartbeats) == 2
    owners = {_owner(i) for i in everything}
    assert {("heartbeat", hb) for hb in heartbeats} <= owners
    for hb in heartbeats:
        mine = walk(http, "/api/v3/incidents", per_page=50, heartbeat_id=hb, **NOVEMBER)
        assert mine
        assert {_owner(i) for i in mine} == {("heartbeat", hb)}
        assert all(i["attributes"]["cause"] == "Missed heartbeat" for i in mine)
    for monitor_id in simulator.world.monitor_ids():
        mine = walk(http, "/api/v3/incidents", per_page=50, monitor_id=monitor_id, **NOVEMBER)
        assert {_owner(i) for i in mine} == {("monitor", monitor_id)}
    both = {"monitor_id": simulator.world.monitor_ids()[0], "heartbeat_id": min(heartbeats)}
    assert get_json(http, "/api/v3/incidents", **both)["data"] == []


def test_a_heartbeat_incident_is_served_alone_too(simulator: Simulator, http: httpx.Client) -> None:
    item = next(
        i
        for i in walk(http, "/api/v3/incidents", per_page=50, **NOVEMBER)
        if _owner(i)[0] == "heartbeat"
    )
    assert len(item["id"]) == 15
    assert get_json(http, f"/api/v3/incidents/{item['id']}") == {"data": item}
    v2 = get_json(http, f"/api/v2/incidents/{item['id']}")
    assert v2["included"]["type"] == "heartbeat"


def test_no_incident_overlaps_a_maintenance_window_and_the_window_shows(
    simulator: Simulator, http: httpx.Client, sim_clock: FrozenClock
) -> None:
    monitor = simulator.world.monitors()[0]  # the one with a maintenance window (traits)
    window = monitor.maintenance
    assert window is not None
    listed = get_json(http, f"/api/v2/monitors/{monitor.id}")["data"]["attributes"]
    assert listed["maintenance_timezone"] == "Brasilia"
    assert listed["maintenance_days"] == list(window.days)
    start_h, start_m = map(int, listed["maintenance_from"].split(":")[:2])
    end_h, end_m = map(int, listed["maintenance_to"].split(":")[:2])
    # the windows, by hand from the listing: Brasília is UTC-3 all year
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    windows = []
    for offset in range(-1, 70):
        local = date(2026, 9, 20) + timedelta(days=offset)
        if names[local.weekday()] in listed["maintenance_days"]:
            begin = datetime(local.year, local.month, local.day, start_h, start_m, tzinfo=UTC)
            begin += timedelta(hours=3)
            end = begin + timedelta(hours=end_h - start_h, minutes=end_m - start_m)
            windows.append((begin, end))
    assert len(windows) >= 5
    items = walk(http, "/api/v3/incidents", per_page=50, monitor_id=monitor.id, **{
        "from": "2026-09-20", "to": "2026-11-25"
    })  # fmt: skip
    assert len(items) > 20
    for item in items:
        began = datetime.fromisoformat(item["attributes"]["started_at"].replace("Z", "+00:00"))
        resolved = item["attributes"]["resolved_at"]
        ended = datetime.fromisoformat(resolved.replace("Z", "+00:00")) if resolved else began
        assert not any(b < ended and began < e for b, e in windows), item["id"]
    past = [b for b, _ in windows if b < sim_clock.now()]
    sim_clock.set(past[-1] + timedelta(minutes=1))
    status = get_json(http, f"/api/v2/monitors/{monitor.id}")["data"]["attributes"]["status"]
    assert status == "maintenance"


def test_names_and_causes_hold_markup_like_text(simulator: Simulator, http: httpx.Client) -> None:
    names = [
        m["attributes"]["pronounceable_name"] for m in get_json(http, "/api/v2/monitors")["data"]
    ]
    assert "[/bold] $\\frac{1}{$ <script>alert(1)</script>" in names[1]  # SPEC §13's example
    causes = {
        i["attributes"]["cause"] for i in walk(http, "/api/v3/incidents", per_page=50, **NOVEMBER)
    }
    assert any(text in cause for cause in causes for text in HOSTILE_TEXTS)


def test_hostile_text_can_be_turned_off_alone(
    make_simulator: Callable[..., Simulator], make_http: Callable[..., httpx.Client]
) -> None:
    sim = make_simulator(SimConfig(seed=7, monitors=3, hostile_text=False))
    http = make_http(sim)
    names = [
        m["attributes"]["pronounceable_name"] for m in get_json(http, "/api/v2/monitors")["data"]
    ]
    assert names == ["EAí gateway 1", "Portal da prefeitura 2", "API de dados abertos 3"]
    causes = {
        i["attributes"]["cause"] for i in walk(http, "/api/v3/incidents", per_page=50, **NOVEMBER)
    }
    assert not any(text in cause for cause in causes for text in HOSTILE_TEXTS)
    assert sim.world.heartbeats()  # the rest of the realistic world stays


def test_the_tidy_option_serves_none_of_the_awkward_ways(
    make_simulator: Callable[..., Simulator], make_http: Callable[..., httpx.Client]
) -> None:
    sim = make_simulator(SimConfig(seed=7, monitors=8, tidy=True))
    http = make_http(sim)
    monitors = get_json(http, "/api/v2/monitors", per_page=5)
    assert monitors["pagination"]["next"].endswith("/api/v2/monitors?per_page=5&page=2")
    for item in get_json(http, "/api/v2/monitors")["data"]:
        attrs = item["attributes"]
        assert attrs["url"] is not None
        assert attrs["monitor_group_id"] is None
        assert attrs["paused_at"] is None
        assert attrs["maintenance_from"] is None
        assert attrs["confirmation_period"] == 0
        assert "[" not in attrs["pronounceable_name"]
    items = walk(http, "/api/v3/incidents", per_page=50, **NOVEMBER)
    assert {_owner(i)[0] for i in items} == {"monitor"}
    assert {i["attributes"]["status"] for i in items} <= {"Started", "Acknowledged", "Resolved"}
    filtered = get_json(http, "/api/v3/incidents", monitor_id=sim.world.monitor_ids()[0])
    assert "monitor_id=" in filtered["pagination"]["next"]  # echo links
    assert get_json(http, "/api/v2/monitor-groups")["data"] == []


def test_tidy_and_realistic_worlds_share_their_monitors_and_incident_times(
    make_simulator: Callable[..., Simulator],
) -> None:
    tidy = make_simulator(SimConfig(seed=7, monitors=3, tidy=True)).world
    real = make_simulator(SimConfig(seed=7, monitors=3)).world
    assert tidy.monitor_ids() == real.monitor_ids()
    for a, b in zip(tidy.monitors(), real.monitors(), strict=True):
        assert (a.regions, a.check_frequency, a.created_ms) == (
            b.regions,
            b.check_frequency,
            b.created_ms,
        )
    day = date(2026, 11, 20)
    for a, b in zip(tidy.monitors(), real.monitors(), strict=True):
        real_spans = {(i.id, i.started_ms, i.resolved_ms) for i in real.incidents_on(b, day)}
        tidy_spans = {(i.id, i.started_ms, i.resolved_ms) for i in tidy.incidents_on(a, day)}
        assert real_spans <= tidy_spans  # realistic drops those in maintenance or pauses
