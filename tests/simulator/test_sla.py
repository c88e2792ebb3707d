"""The SLA endpoint agrees with the simulator's own incidents (served over HTTP)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from betterstack_etl.simulator import FrozenClock, Simulator

from .conftest import get_json, walk


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def expected_sla(
    incidents: list[dict[str, Any]], start: datetime, end: datetime, now: datetime
) -> dict[str, Any]:
    overlaps = []
    for item in incidents:
        attrs = item["attributes"]
        stop = ts(attrs["resolved_at"]) if attrs["resolved_at"] else now
        overlap = min(stop, end) - max(ts(attrs["started_at"]), start)
        if overlap > timedelta(0):
            overlaps.append(int(overlap.total_seconds()))
    total, window = sum(overlaps), (end - start).total_seconds()
    return {
        "availability": round(100 * (1 - total / window), 2),
        "total_downtime": total,
        "number_of_incidents": len(overlaps),
        "longest_incident": max(overlaps, default=0),
        "average_incident": total // len(overlaps) if overlaps else 0,
    }


def sla(http: httpx.Client, monitor_id: str, **params: str) -> dict[str, Any]:
    return get_json(http, f"/api/v2/monitors/{monitor_id}/sla", **params)["data"]["attributes"]  # type: ignore[no-any-return]


def incidents_of(http: httpx.Client, monitor_id: str, first: date, last: date) -> list[Any]:
    params = {"from": first.isoformat(), "to": last.isoformat(), "monitor_id": monitor_id}
    return walk(http, "/api/v3/incidents", per_page=50, **params)


@pytest.mark.parametrize(
    ("first", "last"),
    [(date(2026, 11, 1), date(2026, 11, 24)), (date(2026, 11, 20), date(2026, 11, 20))],
)
def test_past_windows_sum_the_overlap_of_the_incidents(
    simulator: Simulator, http: httpx.Client, first: date, last: date
) -> None:
    now = simulator.clock.now()
    for monitor_id in simulator.world.monitor_ids():
        served = sla(http, monitor_id, **{"from": first.isoformat(), "to": last.isoformat()})
        items = incidents_of(http, monitor_id, first - timedelta(days=1), last)
        start = datetime(first.year, first.month, first.day, tzinfo=UTC)
        end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
        assert served == expected_sla(items, start, end, now)


def test_a_month_has_incidents_and_consistent_figures(
    simulator: Simulator, http: httpx.Client
) -> None:
    served = sla(
        http, simulator.world.monitor_ids()[0], **{"from": "2026-10-01", "to": "2026-10-31"}
    )
    assert served["number_of_incidents"] > 5
    assert 0 < served["longest_incident"] <= served["total_downtime"]
    assert served["average_incident"] == served["total_downtime"] // served["number_of_incidents"]
    assert 90 < served["availability"] < 100


def test_today_is_clipped_to_now_and_counts_an_open_incident_until_now(
    simulator: Simulator, http: httpx.Client, sim_clock: FrozenClock
) -> None:
    monitor = simulator.world.monitors()[0]
    incident = next(
        i
        for day in range(1, 25)
        for i in simulator.world.incidents_on(monitor, date(2026, 11, day))
        if i.resolved_ms - i.started_ms > 600_000 and i.started_ms % 86_400_000 < 20 * 3_600_000
    )
    now = datetime.fromtimestamp(incident.started_ms / 1000 + 300, UTC)
    sim_clock.set(now)
    today = now.date()
    served = sla(http, monitor.id, **{"from": today.isoformat(), "to": today.isoformat()})
    items = incidents_of(http, monitor.id, today - timedelta(days=1), today)
    assert any(i["attributes"]["resolved_at"] is None for i in items)
    start = datetime(today.year, today.month, today.day, tzinfo=UTC)
    assert served == expected_sla(items, start, now, now)
    assert served["total_downtime"] >= 300


def test_without_dates_it_covers_everything_since_creation(
    simulator: Simulator, http: httpx.Client
) -> None:
    monitor_id = simulator.world.monitor_ids()[1]
    now = simulator.clock.now()
    attrs = get_json(http, f"/api/v2/monitors/{monitor_id}")["data"]["attributes"]
    created = ts(attrs["created_at"])
    items = incidents_of(http, monitor_id, created.date(), now.date())
    assert sla(http, monitor_id) == expected_sla(items, created, now, now)


def test_a_window_before_creation_is_fully_available(
    simulator: Simulator, http: httpx.Client
) -> None:
    served = sla(
        http, simulator.world.monitor_ids()[0], **{"from": "2020-01-01", "to": "2020-01-31"}
    )
    assert served == {
        "availability": 100.0, "total_downtime": 0, "number_of_incidents": 0,
        "longest_incident": 0, "average_incident": 0,
    }  # fmt: skip
