"""A plain-Python oracle of SPEC §8.2, independent of the SQL under test.

Intervals are merged with a sort-and-sweep in Python; calendar periods come from ``zoneinfo``.
Every figure is computed in exact ``timedelta`` arithmetic and only converted to float seconds
at the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Grain = Literal["day", "month"]
UTC_ZONE = "UTC"


@dataclass(frozen=True)
class Inc:
    incident_id: str
    monitor_id: str | None
    started_at: datetime
    resolved_at: datetime | None = None
    acknowledged_at: datetime | None = None
    cause: str | None = "Status 503"


@dataclass(frozen=True)
class Mon:
    monitor_id: str
    name: str | None
    created_at: datetime | None
    check_frequency: int | None
    extracted_at: datetime


@dataclass(frozen=True)
class Sla:
    monitor_id: str
    day: date
    total_downtime: int
    number_of_incidents: int
    availability: float = 100.0
    is_complete: bool = True
    extracted_at: datetime | None = None  # when the API answered (None: the day's end)


def is_expiry(cause: str | None) -> bool:
    text = (cause or "").lower()
    return "expir" in text and (
        "ssl" in text or "tls" in text or "certificate" in text or "domain" in text
    )


def period_of(moment: datetime, zone: str, grain: Grain) -> date:
    local = moment.astimezone(ZoneInfo(zone)).date()
    return local if grain == "day" else local.replace(day=1)


def next_period(period: date, grain: Grain) -> date:
    if grain == "day":
        return period + timedelta(days=1)
    return date(period.year + period.month // 12, period.month % 12 + 1, 1)


def start_of(period: date, zone: str) -> datetime:
    return datetime.combine(period, time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def merge(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for begin, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


def clipped(spans: list[tuple[datetime, datetime]], begin: datetime, end: datetime) -> timedelta:
    total = timedelta(0)
    for a, b in spans:
        overlap = min(b, end) - max(a, begin)
        if overlap > timedelta(0):
            total += overlap
    return total


@dataclass
class Row:
    monitor_id: str
    period: date
    name: str | None
    observed: float
    downtime: float
    incidents: int
    availability: float | None
    longest: float
    mtta: float | None
    mttr: float | None
    period_seconds: float


def _mean(values: list[timedelta]) -> float | None:
    return sum(v.total_seconds() for v in values) / len(values) if values else None


def periods(
    incidents: list[Inc],
    monitors: list[Mon],
    slas: list[Sla],
    now: datetime,
    zone: str,
    grain: Grain,
) -> dict[tuple[str, date], Row]:
    visible = [i for i in incidents if i.monitor_id is not None and i.started_at <= now]
    latest: dict[str, Mon] = {}
    for m in sorted(monitors, key=lambda m: m.extracted_at):
        latest[m.monitor_id] = m
    first: dict[str, datetime] = {}

    def seen(monitor_id: str, moment: datetime) -> None:
        first[monitor_id] = min(first.get(monitor_id, moment), moment)

    for i in visible:
        seen(i.monitor_id or "", i.started_at)
    for s in slas:
        seen(s.monitor_id, datetime.combine(s.day, time(), tzinfo=UTC))
    for m in monitors:
        seen(m.monitor_id, m.extracted_at)

    rows: dict[tuple[str, date], Row] = {}
    for monitor_id, first_at in first.items():
        info = latest.get(monitor_id)
        created = info.created_at if info else None
        mine = [i for i in visible if i.monitor_id == monitor_id and not is_expiry(i.cause)]

        def ack(i: Inc) -> datetime | None:
            return i.acknowledged_at if i.acknowledged_at and i.acknowledged_at <= now else None

        def res(i: Inc) -> datetime | None:
            return i.resolved_at if i.resolved_at and i.resolved_at <= now else None

        spans = [(i.started_at, res(i) or now) for i in mine]
        union = merge(spans)
        period = period_of(max(first_at, created or first_at), zone, grain)
        last = period_of(now, zone, grain)
        while period <= last:
            p_start, p_end = start_of(period, zone), start_of(next_period(period, grain), zone)
            w_start = max(p_start, created or p_start)
            w_end = min(p_end, now)
            observed = max(w_end - w_start, timedelta(0))
            down = clipped(union, w_start, w_end) if w_end > w_start else timedelta(0)
            counted = []
            for a, b in spans:
                if a < w_end and (b > w_start or (a == b and a >= w_start)):
                    counted.append(max(min(b, w_end) - max(a, w_start), timedelta(0)))
            started = [i for i in mine if period_of(i.started_at, zone, grain) == period]
            rows[(monitor_id, period)] = Row(
                monitor_id=monitor_id,
                period=period,
                name=info.name if info else None,
                observed=observed.total_seconds(),
                downtime=down.total_seconds(),
                incidents=len(counted),
                availability=(100 * (1 - down / observed) if observed > timedelta(0) else None),
                longest=max(counted, default=timedelta(0)).total_seconds(),
                mtta=_mean([av - i.started_at for i in started if (av := ack(i)) is not None]),
                mttr=_mean([rv - i.started_at for i in started if (rv := res(i)) is not None]),
                period_seconds=(p_end - p_start).total_seconds(),
            )
            period = next_period(period, grain)
    return rows


def reconcile(
    incidents: list[Inc], monitors: list[Mon], slas: list[Sla], now: datetime
) -> dict[tuple[str, date], tuple[float, int]]:
    """(computed downtime seconds, computed incidents) per SLA row: its UTC day as the API saw
    it when it answered (up to ``extracted_at``), from the monitor's creation."""
    created = {m.monitor_id: m.created_at for m in sorted(monitors, key=lambda m: m.extracted_at)}
    out: dict[tuple[str, date], tuple[float, int]] = {}
    for sla in slas:
        day_start = datetime.combine(sla.day, time(), tzinfo=UTC)
        day_end = day_start + timedelta(days=1)
        begin = max(day_start, created.get(sla.monitor_id) or day_start)
        end = min(day_end, now, sla.extracted_at or day_end)
        spans = [
            (i.started_at, i.resolved_at if i.resolved_at and i.resolved_at <= now else now)
            for i in incidents
            if i.monitor_id == sla.monitor_id and i.started_at <= now and not is_expiry(i.cause)
        ]
        down = clipped(merge(spans), begin, end) if end > begin else timedelta(0)
        count = sum(1 for a, b in spans if a < end and (b > begin or (a == b and a >= begin)))
        out[(sla.monitor_id, sla.day)] = (down.total_seconds(), count)
    return out


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (PERCENTILE_CONT's definition)."""
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def hourly(
    points: list[tuple[str, str, datetime, float]], frequency: dict[str, int | None]
) -> dict[tuple[str, str, datetime], dict[str, float | int | None]]:
    groups: dict[tuple[str, str, datetime], list[float]] = {}
    for monitor_id, region, at, value in points:
        hour = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        groups.setdefault((monitor_id, region, hour), []).append(value)
    out: dict[tuple[str, str, datetime], dict[str, float | int | None]] = {}
    for key, values in groups.items():
        freq = frequency.get(key[0])
        out[key] = {
            "samples": len(values),
            "expected_samples": 3600 / freq if freq else None,
            "avg_response_time": sum(values) / len(values),
            "p50_response_time": percentile(values, 0.5),
            "p95_response_time": percentile(values, 0.95),
            "p99_response_time": percentile(values, 0.99),
            "max_response_time": max(values),
        }
    return out
