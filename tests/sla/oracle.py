# ruff: noqa: B023  (the oracle's small closures are called within their own loop turn)
"""A plain-Python oracle of SPEC §8.2, independent of the SQL under test.

Intervals are merged with a sort-and-sweep in Python and combined as sets (intersection,
difference); calendar periods come from ``zoneinfo``. Every figure is computed in exact
``timedelta`` arithmetic and only converted to float seconds at the end.

What the lake covers, the pauses and the maintenance windows are computed here from their own
definitions (docs/sla.md): covered = the UTC days the coverage rows name, up to
``covered_until``; a pause = [paused_at, the extraction of the first later listing row that no
longer shows it) (still shown: until now); a maintenance window = each local day the listing
row names, from ``maintenance_from`` to ``maintenance_to`` (the next day when it is earlier) in
its zone, applied while that row is the latest listing (the first row also before it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Grain = Literal["day", "month"]
UTC_ZONE = "UTC"


Span = tuple[datetime, datetime]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RAILS = {"Brasilia": "America/Sao_Paulo", "Prague": "Europe/Prague", "UTC": "UTC"}


@dataclass(frozen=True)
class Inc:
    incident_id: str
    monitor_id: str | None
    started_at: datetime
    resolved_at: datetime | None = None
    acknowledged_at: datetime | None = None
    cause: str | None = "Status 503"
    status: str | None = None  # None: Resolved / Started from resolved_at


@dataclass(frozen=True)
class Maintenance:
    start: str  # "HH:MM:SS"
    end: str
    days: tuple[str, ...] = ()  # () = every day
    zone: str = "UTC"  # Rails or IANA name


@dataclass(frozen=True)
class Mon:
    monitor_id: str
    name: str | None
    created_at: datetime | None
    check_frequency: int | None
    extracted_at: datetime
    paused_at: datetime | None = None
    maintenance: Maintenance | None = None
    group: str | None = None  # monitor_group_id


@dataclass(frozen=True)
class Cov:
    """The lake fetched ``table``'s UTC ``day`` for ``monitor_id``, known up to
    ``covered_until`` (None: the whole day)."""

    monitor_id: str
    day: date
    covered_until: datetime | None = None
    table: str = "eai_gateway_incidents"


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


def is_downtime(incident: Inc) -> bool:
    """Expiry warnings and Unconfirmed incidents are not downtime (docs/sla.md)."""
    return not is_expiry(incident.cause) and incident.status != "Unconfirmed"


def intersect(a: list[Span], b: list[Span]) -> list[Span]:
    out = []
    for x0, x1 in merge(a):
        for y0, y1 in merge(b):
            lo, hi = max(x0, y0), min(x1, y1)
            if hi > lo:
                out.append((lo, hi))
    return merge(out)


def subtract(a: list[Span], b: list[Span]) -> list[Span]:
    out = merge(a)
    for y0, y1 in merge(b):
        cut = []
        for x0, x1 in out:
            if y1 <= x0 or y0 >= x1:
                cut.append((x0, x1))
                continue
            if x0 < y0:
                cut.append((x0, y0))
            if y1 < x1:
                cut.append((y1, x1))
        out = cut
    return merge(out)


def covered_spans(coverage: list[Cov], monitor_id: str) -> list[Span]:
    spans = []
    for c in coverage:
        if c.monitor_id != monitor_id or c.table != "eai_gateway_incidents":
            continue
        begin = datetime.combine(c.day, time(), tzinfo=UTC)
        end = begin + timedelta(days=1)
        spans.append((begin, min(end, c.covered_until or end)))
    return merge(spans)


def pause_spans(monitors: list[Mon], monitor_id: str, now: datetime) -> list[Span]:
    rows = sorted((m for m in monitors if m.monitor_id == monitor_id), key=lambda m: m.extracted_at)
    spans = []
    for i, row in enumerate(rows):
        if row.paused_at is None or row.paused_at > now:
            continue
        if i > 0 and rows[i - 1].paused_at == row.paused_at:
            continue  # the same pause, seen again
        end = now
        for later in rows[i + 1 :]:
            if later.paused_at != row.paused_at:
                end = later.extracted_at
                break
        spans.append((row.paused_at, end))
    return merge(spans)


def monitor_spans(
    monitor_id: str, incidents: list[Inc], monitors: list[Mon], now: datetime, coverage: list[Cov]
) -> tuple[list[Span], list[Span], list[Span], list[Span], list[Span]]:
    """(covered, paused, maintenance, observed, down) of one monitor, as disjoint spans."""
    down = merge(
        [
            (i.started_at, i.resolved_at if i.resolved_at and i.resolved_at <= now else now)
            for i in incidents
            if i.monitor_id == monitor_id and i.started_at <= now and is_downtime(i)
        ]
    )
    covered = covered_spans(coverage, monitor_id)
    paused = intersect(covered, pause_spans(monitors, monitor_id, now))
    first_day = min((c.day for c in coverage if c.monitor_id == monitor_id), default=None)
    maint = (
        subtract(
            intersect(covered, maintenance_spans(monitors, monitor_id, first_day, now)), paused
        )
        if first_day
        else []
    )
    observed = subtract(subtract(covered, paused), maint)
    return covered, paused, maint, observed, intersect(observed, down)


def _clock(text: str) -> time:
    return time.fromisoformat(text)


def maintenance_spans(
    monitors: list[Mon], monitor_id: str, first_day: date, now: datetime
) -> list[Span]:
    rows = sorted((m for m in monitors if m.monitor_id == monitor_id), key=lambda m: m.extracted_at)
    spans: list[Span] = []
    for i, row in enumerate(rows):
        m = row.maintenance
        if m is None or m.start == m.end:
            continue
        zone = ZoneInfo(RAILS.get(m.zone, m.zone))
        valid_from = (
            None if i == 0 else datetime.combine(row.extracted_at.date(), time(), tzinfo=UTC)
        )
        valid_to = (
            datetime.combine(rows[i + 1].extracted_at.date(), time(), tzinfo=UTC)
            if i + 1 < len(rows)
            else now
        )
        day = first_day - timedelta(days=3)
        while day <= now.date() + timedelta(days=1):
            if not m.days or WEEKDAYS[day.weekday()] in m.days:
                begin = datetime.combine(day, _clock(m.start), tzinfo=zone).astimezone(UTC)
                end_day = day if _clock(m.end) > _clock(m.start) else day + timedelta(days=1)
                end = datetime.combine(end_day, _clock(m.end), tzinfo=zone).astimezone(UTC)
                lo, hi = max(begin, valid_from or begin), min(end, valid_to, now)
                if hi > lo:
                    spans.append((lo, hi))
            day += timedelta(days=1)
    return merge(spans)


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
    covered: float
    coverage_pct: float | None
    paused: float
    maintenance: float
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
    coverage: list[Cov] | None = None,
) -> dict[tuple[str, date], Row]:
    coverage = coverage or []
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
    for c in coverage:
        seen(c.monitor_id, datetime.combine(c.day, time(), tzinfo=UTC))

    rows: dict[tuple[str, date], Row] = {}
    for monitor_id, first_at in first.items():
        info = latest.get(monitor_id)
        created = info.created_at if info else None
        mine = [i for i in visible if i.monitor_id == monitor_id and is_downtime(i)]

        def ack(i: Inc) -> datetime | None:
            return i.acknowledged_at if i.acknowledged_at and i.acknowledged_at <= now else None

        def res(i: Inc) -> datetime | None:
            return i.resolved_at if i.resolved_at and i.resolved_at <= now else None

        spans = [(i.started_at, res(i) or now) for i in mine]
        covered, paused, maint, observed_spans, down_spans = monitor_spans(
            monitor_id, incidents, monitors, now, coverage
        )
        period = period_of(max(first_at, created or first_at), zone, grain)
        last = period_of(now, zone, grain)
        while period <= last:
            p_start, p_end = start_of(period, zone), start_of(next_period(period, grain), zone)
            w_start = max(p_start, created or p_start)
            w_end = min(p_end, now)
            elapsed = max(w_end - w_start, timedelta(0))

            def within(
                spans_: list[Span], lo: datetime = w_start, hi: datetime = w_end
            ) -> timedelta:
                return clipped(spans_, lo, hi) if hi > lo else timedelta(0)

            cov, observed, down = within(covered), within(observed_spans), within(down_spans)
            counted = []
            for a, b in spans:
                if a < w_end and (b > w_start or (a == b and a >= w_start)):
                    counted.append(max(min(b, w_end) - max(a, w_start), timedelta(0)))
            started = [i for i in mine if period_of(i.started_at, zone, grain) == period]
            rows[(monitor_id, period)] = Row(
                monitor_id=monitor_id,
                period=period,
                name=info.name if info else None,
                covered=cov.total_seconds(),
                coverage_pct=100 * (cov / elapsed) if elapsed > timedelta(0) else None,
                paused=within(paused).total_seconds(),
                maintenance=within(maint).total_seconds(),
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
            if i.monitor_id == sla.monitor_id and i.started_at <= now and is_downtime(i)
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


@dataclass(frozen=True)
class SloDecl:
    """An SLO as the oracle reads it (from the same YAML file, parsed here with PyYAML)."""

    name: str
    indicator: str
    target: float
    window: str = "month"
    monitor_ids: tuple[str, ...] = ()
    group: str | None = None
    threshold: float | None = None
    regions: tuple[str, ...] = ()


BURN_HOURS = {"1h": 1, "6h": 6, "24h": 24, "3d": 72}
RULES = (("page", "1h", "6h", 14.4), ("page", "6h", "24h", 6.0), ("ticket", "6h", "3d", 1.0))


def slo_status(
    slos: list[SloDecl],
    incidents: list[Inc],
    monitors: list[Mon],
    points: list[tuple[str, str, datetime, float]],
    coverage: list[Cov],
    now: datetime,
    zone: str,
) -> dict[tuple[str, str], dict[str, object]]:
    latest: dict[str, Mon] = {}
    for m in sorted(monitors, key=lambda m: m.extracted_at):
        latest[m.monitor_id] = m

    def applies(slo: SloDecl, m: Mon) -> bool:
        return m.monitor_id in slo.monitor_ids or (slo.group is not None and m.group == slo.group)

    out: dict[tuple[str, str], dict[str, object]] = {}
    for slo in slos:
        default = not slo.monitor_ids and slo.group is None
        for m in latest.values():
            named = any(applies(o, m) for o in slos if o.indicator == slo.indicator)
            if not (applies(slo, m) if not default else not named):
                continue
            local = now.astimezone(ZoneInfo(zone)).date().replace(day=1)
            if slo.window == "month":
                start = start_of(local, zone)
                length = (start_of(next_period(local, "month"), zone) - start).total_seconds()
            else:
                days = int(slo.window[:-1])
                start, length = now - timedelta(days=days), days * 86400.0
            created = m.created_at or datetime(1970, 1, 1, tzinfo=UTC)
            if slo.indicator == "availability":
                covered, _, _, observed, down = monitor_spans(
                    m.monitor_id, incidents, monitors, now, coverage
                )
                end = min(max((b for _, b in covered), default=now), now) if covered else None

                def count(lo: datetime, hi: datetime) -> tuple[float, float]:
                    lo = max(lo, created)
                    if hi <= lo:
                        return 0.0, 0.0
                    return (
                        clipped(observed, lo, hi).total_seconds(),
                        clipped(down, lo, hi).total_seconds(),
                    )
            else:
                mine = [
                    (at, v)
                    for mid, region, at, v in points
                    if mid == m.monitor_id
                    and at <= now
                    and (not slo.regions or region in slo.regions)
                ]
                every = [at for mid, _, at, _ in points if mid == m.monitor_id and at <= now]
                end = min(max(every), now) if every else None

                def count(lo: datetime, hi: datetime) -> tuple[float, float]:
                    lo = max(lo, created)
                    inside = [v for at, v in mine if lo <= at < hi]
                    bad = [v for v in inside if slo.threshold is not None and v > slo.threshold]
                    return float(len(inside)), float(len(bad))

            total, bad = count(start, now)
            budget = (1 - slo.target) * (length if slo.indicator == "availability" else total)
            burns: dict[str, float | None] = {}
            for name, hours in BURN_HOURS.items():
                if end is None:
                    burns[name] = None
                    continue
                t, b = count(end - timedelta(hours=hours), end)
                burns[name] = (b / t) / (1 - slo.target) if t > 0 else None
            alert = next(
                (
                    rule
                    for rule, short, long, limit in RULES
                    if (burns[short] or 0) > limit and (burns[long] or 0) > limit
                ),
                None,
            )
            remaining = budget - bad
            if total == 0:
                status = "no_data"
            elif remaining < 0:
                status = "breached"
            elif alert is not None or bad > 0.5 * budget:
                status = "at_risk"
            else:
                status = "ok"
            out[(slo.name, m.monitor_id)] = {
                "total": total,
                "good": total - bad,
                "sli": (total - bad) / total if total else None,
                "error_budget": budget,
                "error_budget_remaining": remaining,
                **{f"burn_rate_{k}": v for k, v in burns.items()},
                "alert": alert,
                "status": status,
            }
    return out
