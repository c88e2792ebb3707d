"""``SimConfig(sla_edge_cases=True)``, ``recent_monitor_created_at`` and ``sla_skews``: what
the SLA views need, served over HTTP, with SLA figures under the views' rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from betterstack_etl.errors import ConfigError
from betterstack_etl.simulator import FrozenClock, SimConfig, Simulator, SlaSkew, World
from betterstack_etl.simulator.series import ResponseTimes

from .conftest import get_json, walk

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
CREATED = datetime(2026, 11, 16, 9, 45, tzinfo=UTC)
EXPIRY = {"SSL certificate expires soon", "Domain expires soon"}


def ts(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def edgy(make_simulator: Callable[..., Simulator]) -> Simulator:
    first = World(SimConfig(seed=5, monitors=4)).monitor_ids()[0]
    config = SimConfig(
        seed=5,
        monitors=4,
        sla_edge_cases=True,
        recent_monitor_created_at=CREATED,
        sla_skews=(SlaSkew(first, date(2026, 11, 20), 900),),
    )
    return make_simulator(config, FrozenClock(NOW))


@pytest.fixture
def edgy_http(edgy: Simulator, make_http: Callable[..., httpx.Client]) -> httpx.Client:
    return make_http(edgy)


def union_floor(spans: list[tuple[datetime, datetime]]) -> int:
    total, current = 0, None
    for begin, end in sorted(spans):
        if current and begin <= current[1]:
            current = (current[0], max(current[1], end))
            continue
        if current:
            total += int((current[1] - current[0]).total_seconds())
        current = (begin, end)
    if current:
        total += int((current[1] - current[0]).total_seconds())
    return total


def test_the_edge_cases_are_served(edgy: Simulator, edgy_http: httpx.Client) -> None:
    items = walk(edgy_http, "/api/v3/incidents", per_page=50, **{"from": "2026-09-01"})
    causes = {i["attributes"]["cause"] for i in items}
    assert causes & EXPIRY
    by_monitor: dict[str, list[tuple[datetime, datetime]]] = {}
    for item in items:
        attrs = item["attributes"]
        monitor = item["relationships"].get("monitor")  # heartbeat incidents have none
        if attrs["cause"] not in EXPIRY and monitor is not None:
            span = (ts(attrs["started_at"]), ts(attrs["resolved_at"]) or NOW)
            by_monitor.setdefault(monitor["data"]["id"], []).append(span)  # type: ignore[arg-type]
    overlaps = sum(
        sum(int((b - a).total_seconds()) for a, b in spans) > union_floor(spans) + len(spans)
        for spans in by_monitor.values()
    )
    assert overlaps
    first_of_month = datetime(2026, 11, 1, 3, tzinfo=UTC)  # midnight of Nov 1 in São Paulo
    assert any(a < first_of_month < b for spans in by_monitor.values() for a, b in spans)
    recent = get_json(edgy_http, f"/api/v2/monitors/{edgy.world.monitor_ids()[-1]}")["data"]
    assert ts(recent["attributes"]["created_at"]) == CREATED
    listing = get_json(edgy_http, "/api/v2/monitors")["data"]
    for monitor in listing:
        attrs = monitor["attributes"]
        assert {
            "created_at",
            "check_frequency",
            "regions",
            "pronounceable_name",
            "paused_at",
        } <= set(attrs)


@pytest.mark.parametrize("day", [date(2026, 11, 20), date(2026, 10, 31), date(2026, 11, 1)])
def test_sla_is_the_union_without_expiry_warnings_plus_the_skew(
    edgy: Simulator, edgy_http: httpx.Client, day: date
) -> None:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    end = start + timedelta(days=1)
    skews = {(s.monitor_id, s.day): s.seconds for s in edgy.config.sla_skews}
    for monitor in edgy.world.monitors():
        params: dict[str, Any] = {
            "from": (day - timedelta(days=1)).isoformat(),
            "to": day.isoformat(),
        }
        items = walk(edgy_http, "/api/v3/incidents", per_page=50, monitor_id=monitor.id, **params)
        spans = []
        for item in items:
            attrs = item["attributes"]
            began, stop = ts(attrs["started_at"]), ts(attrs["resolved_at"]) or NOW
            assert began is not None
            if attrs["cause"] in EXPIRY or min(stop, end) <= max(began, start):
                continue
            if attrs["status"] == "Unconfirmed":  # not an incident yet: not downtime
                continue
            spans.append((max(began, start), min(stop, end)))
        created = max(start, datetime.fromtimestamp(monitor.created_ms / 1000, UTC))
        spans = [(max(a, created), b) for a, b in spans if b > created]
        served = get_json(
            edgy_http,
            f"/api/v2/monitors/{monitor.id}/sla",
            **{"from": day.isoformat(), "to": day.isoformat()},
        )["data"]["attributes"]
        assert served["total_downtime"] == union_floor(spans) + skews.get((monitor.id, day), 0)
        assert served["number_of_incidents"] == len(spans)


def test_expiry_warnings_do_not_make_checks_time_out(edgy: Simulator) -> None:
    end_ms = int(NOW.timestamp() * 1000)
    warning = next(
        i
        for m in edgy.world.monitors()
        for i in edgy.world.incidents(m, date(2026, 11, 1), NOW.date(), end_ms)
        if not i.is_downtime
    )
    now_ms = warning.started_ms + 2 * 3_600_000  # a warning lasts at least 2 h
    today = datetime.fromtimestamp(now_ms / 1000, UTC).date()
    series = ResponseTimes(edgy.world)
    checked = 0
    for monitor in edgy.world.monitors():
        incidents = list(edgy.world.incidents(monitor, today - timedelta(days=2), today, now_ms))
        points = [
            json.loads(p) | {"region": region}
            for region, region_points in series.last_24h(monitor, now_ms)
            for p in region_points
        ]
        for point in points:
            at_ms = int(
                datetime.fromisoformat(point["at"].replace("Z", "+00:00")).timestamp() * 1000
            )
            covering = [i for i in incidents if i.started_ms <= at_ms < i.resolved_ms]
            if covering and not any(i.is_downtime for i in covering):
                checked += 1
                assert point["response_time"] < monitor.request_timeout
    assert checked  # some checks fell inside an expiry warning only


def test_recent_monitor_needs_an_aware_datetime() -> None:
    with pytest.raises(ConfigError, match="no time zone"):
        SimConfig(recent_monitor_created_at=datetime(2026, 11, 16))
