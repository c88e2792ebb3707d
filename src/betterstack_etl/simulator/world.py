"""The simulator's data model: monitors and incidents, a pure function of (seed, time).

Generation rules (the API documents none of this; these are our choices):

- Monitors are drawn once from the seed. Ids are numeric strings, stable for a seed.
  ``created_at`` falls in the first half of 2025, so any clock after mid-2025 sees a history.
- Incidents are generated per (monitor, UTC day) from ``random.Random(f"{seed}:{id}:{day}")``:
  0-3 a day (mean ≈ 0.9), durations from one minute to four hours, so a few cross midnight.
  Without ``sla_edge_cases`` the incidents of one monitor never overlap: inside a day each one
  ends at least a minute before the next starts, and a day drops its incidents that start
  before the previous day's last incident (which may spill past midnight) has ended. None
  starts within an hour of the monitor's creation.
- An incident's acknowledgement and resolution instants are fixed at generation. What a
  request sees depends on the clock: an incident exists once ``started_at <= now``; its
  ``acknowledged_*``/``resolved_*`` become visible once the clock passes them, so its status
  moves Started → Acknowledged → Resolved as the clock advances.
- Incident ids encode (day, monitor index, slot): ``day_ordinal * 100000 + index * 10 + slot``,
  unique and stable, and decodable for ``GET /incidents/{id}``.
- With ``SimConfig.sla_edge_cases`` a day may also hold (slots 5-7, from their own seeded
  draws, none within an hour of creation): an incident that starts inside the day's first one
  (overlap, 20 % of days with incidents); an expiry warning (``SSL certificate expires soon``
  or ``Domain expires soon``, 2-20 h, 5 % of days: not downtime, the monitor stays up); and on
  the last UTC day of a month, for even monitor indexes, an incident from about 23:40 UTC to
  about 03:20 UTC on the 1st, so it crosses midnight UTC and midnight of the 1st in São Paulo.
- ``SimConfig.recent_monitor_created_at`` moves the last monitor's creation to that moment.
- ``delete_monitor`` deletes a monitor while the world runs (a user deleting it in Better
  Stack): it leaves the listing and its routes answer 404.
- The realistic world (the default; ``traits`` says what and why) also has monitor groups,
  heartbeats and their incidents, drops the incidents that would overlap a maintenance window
  or a pause of their monitor, and gives each incident its ``Unconfirmed`` and ``Validating``
  stretches. Heartbeat incident ids are ``HEARTBEAT_IDS + day_ordinal * 1000 + index * 10 +
  slot`` (15 digits: never a monitor incident's id).
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Final

from betterstack_etl.errors import ConfigError
from betterstack_etl.simulator.config import ALL_REGIONS, CHECK_FREQUENCIES
from betterstack_etl.simulator.model import (
    EXPIRY_CAUSES,
    Group,
    Incident,
    Monitor,
    is_expiry_warning,
)
from betterstack_etl.simulator.seeding import seeded
from betterstack_etl.simulator.timeutil import DAY_MS, HOUR_MS, day_start_ms, ms_to_date, to_ms
from betterstack_etl.simulator.traits import (
    GROUP_NAMES,
    HEARTBEAT_NAMES,
    draw_traits,
    hostile_cause,
    pauses_between,
)

if TYPE_CHECKING:
    import random
    from collections.abc import Iterator

    from betterstack_etl.simulator.config import SimConfig

__all__ = ["EXPIRY_CAUSES", "Group", "Incident", "Monitor", "World", "is_expiry_warning"]

TEAM_NAME: Final = "Simulated team"
_CREATED_FROM: Final = datetime.fromisoformat("2025-01-01T00:00:00+00:00")
_CREATED_SPAN_MS: Final = 180 * DAY_MS
_MIN_GAP_MS: Final = 60_000
_CACHE_LIMIT: Final = 200_000
_NAMES: Final = (
    "EAí gateway",
    "Portal da prefeitura",
    "API de dados abertos",
    "Central 1746",
    "Mapa da cidade",
    "Cadastro único",
    "Painel de mobilidade",
    "Nota carioca",
)
_OVERLAP_SLOT: Final = 5
_EXPIRY_SLOT: Final = 6
_BOUNDARY_SLOT: Final = 7
HEARTBEAT_IDS: Final = 900_000_000_000_000
_HEARTBEAT_CAUSE: Final = "Missed heartbeat"
_PEOPLE: Final = ("Ana Souza", "Bruno Lima", "carla.dias@example.com", "ops@example.com")
_CAUSES: Final = (
    ("Status 503", "503", "<html>Service Unavailable</html>"),
    ("Status 502", "502", "<html>Bad Gateway</html>"),
    ("Status 500", "500", '{"error": "internal"}'),
    ("Timeout (no headers received)", None, None),
    ("Connection refused", None, None),
)


def _draw_monitor(seed: int, index: int, base_id: int, config: SimConfig) -> Monitor:
    rng = seeded(seed, "monitor", index)
    created_ms = to_ms(_CREATED_FROM) + rng.randrange(_CREATED_SPAN_MS)
    drawn = set(rng.sample(ALL_REGIONS, rng.randint(1, len(ALL_REGIONS))))
    regions = config.regions or tuple(r for r in ALL_REGIONS if r in drawn)
    frequency = config.check_frequency or rng.choice(CHECK_FREQUENCIES)
    slug = f"service-{index + 1}"
    traits = draw_traits(seed, index, config)
    name = f"{_NAMES[index % len(_NAMES)]} {index + 1}"
    return Monitor(
        index=index,
        id=str(base_id + index * 13),
        name=f"{name} {traits.markup}" if traits.markup else name,
        url=None if traits.url_null else f"https://{slug}.example.com/health",
        regions=tuple(regions),
        region_offsets=tuple(rng.randrange(frequency) for _ in regions),
        check_frequency=frequency,
        request_timeout=rng.choice((10, 15, 30)),
        created_ms=created_ms,
        monitor_type=traits.monitor_type,
        group_id=None if traits.group is None else _group_id(base_id, traits.group),
        maintenance=traits.maintenance,
        pauses=traits.pauses,
        confirmation_period=traits.confirmation_period,
        recovery_period=traits.recovery_period,
    )


def _group_id(base_id: int, index: int) -> int:
    return 3_000_000 + base_id + index * 7


def _draw_heartbeat(seed: int, index: int, base_id: int) -> Monitor:
    rng = seeded(seed, "heartbeat", index)
    return Monitor(
        index=-1 - index,
        id=str(2_000_000 + base_id + index * 17),
        name=HEARTBEAT_NAMES[index % len(HEARTBEAT_NAMES)],
        url=None,
        regions=(),
        region_offsets=(),
        check_frequency=300,
        request_timeout=0,
        created_ms=to_ms(_CREATED_FROM) + rng.randrange(_CREATED_SPAN_MS),
        monitor_type="heartbeat",
        heartbeat=True,
    )


@dataclass(frozen=True, slots=True)
class _Raw:
    slot: int
    start: int
    duration: int


def _draw_raw_day(rng: random.Random, day_ms: int) -> list[_Raw]:
    count = rng.choices((0, 1, 2, 3), weights=(45, 30, 17, 8))[0]
    starts = sorted(day_ms + rng.randrange(DAY_MS) for _ in range(count))
    raws: list[_Raw] = []
    for slot, start in enumerate(starts):
        duration = _draw_duration(rng)
        if slot + 1 < len(starts):
            duration = min(duration, starts[slot + 1] - start - _MIN_GAP_MS)
        if duration >= 30_000:
            raws.append(_Raw(slot, start, duration))
    return raws


def _draw_duration(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.65:
        return rng.randrange(60_000, 20 * 60_000)
    if roll < 0.93:
        return rng.randrange(20 * 60_000, 2 * HOUR_MS)
    return rng.randrange(2 * HOUR_MS, 4 * HOUR_MS)


class World:
    """Deterministic monitors and incidents; thread-safe, with memoised days."""

    def __init__(self, config: SimConfig) -> None:
        self.seed = config.seed
        self.config = config
        base_id = seeded(config.seed, "ids").randrange(100_000, 900_000)
        monitors = [_draw_monitor(config.seed, i, base_id, config) for i in range(config.monitors)]
        if config.recent_monitor_created_at is not None:
            last = monitors[-1]
            monitors[-1] = dataclasses.replace(
                last, created_ms=to_ms(config.recent_monitor_created_at)
            )
        self._monitors = tuple(monitors)
        self._by_id = {m.id: m for m in self._monitors}
        self._deleted: frozenset[str] = frozenset()
        realistic = config.realistic
        self._heartbeats = tuple(
            _draw_heartbeat(config.seed, h, base_id) for h in range(2 if realistic else 0)
        )
        self._groups = tuple(
            Group(g, _group_id(base_id, g), name, to_ms(_CREATED_FROM) + g * DAY_MS)
            for g, name in enumerate(GROUP_NAMES if realistic else ())
        )
        self._days: dict[tuple[int, int], tuple[Incident, ...]] = {}
        self._raw: dict[tuple[int, int], list[_Raw]] = {}
        self._lock = threading.Lock()

    # -- monitors -------------------------------------------------------------------------
    def monitors(self) -> tuple[Monitor, ...]:
        deleted = self._deleted
        if not deleted:
            return self._monitors
        return tuple(m for m in self._monitors if m.id not in deleted)

    def monitor_ids(self) -> list[str]:
        return [m.id for m in self.monitors()]

    def monitor(self, monitor_id: str) -> Monitor | None:
        return None if monitor_id in self._deleted else self._by_id.get(monitor_id)

    def delete_monitor(self, monitor_id: str) -> None:
        """The monitor is deleted, as a user does in Better Stack: from now on it is not
        listed and its own routes answer 404 (its past incidents stay readable by id)."""
        if monitor_id not in self._by_id:
            raise ConfigError(f"no monitor {monitor_id} to delete", hint="use a listed id")
        with self._lock:
            self._deleted = self._deleted | {monitor_id}

    def heartbeats(self) -> tuple[Monitor, ...]:
        """The heartbeats (realistic world only): incidents without a monitor."""
        return self._heartbeats

    def groups(self) -> tuple[Group, ...]:
        return self._groups

    def pauses(self, monitor: Monitor, start_ms: int, end_ms: int) -> list[tuple[int, int]]:
        """The monitor's pauses overlapping ``[start_ms, end_ms)`` (none unless it pauses)."""
        if not monitor.pauses:
            return []
        return pauses_between(self.seed, monitor.id, monitor.created_ms, start_ms, end_ms)

    def paused_since(self, monitor: Monitor, now_ms: int) -> int | None:
        """When the pause running at ``now_ms`` began, or None when the monitor is not paused."""
        for begin, end in self.pauses(monitor, now_ms, now_ms + 1):
            if begin <= now_ms < end:
                return begin
        return None

    def status(self, monitor: Monitor, now_ms: int) -> str:
        """The monitor's ``status`` at ``now_ms``: paused, validating, down, maintenance, up."""
        if self.paused_since(monitor, now_ms) is not None:
            return "paused"
        incident = self.open_incident(monitor, now_ms)
        if incident is not None:
            return "validating" if incident.validating(now_ms) else "down"
        if monitor.maintenance is not None and monitor.maintenance.windows(now_ms, now_ms + 1):
            return "maintenance"
        return "up"

    # -- incidents ------------------------------------------------------------------------
    def incidents_on(self, monitor: Monitor, day: date) -> tuple[Incident, ...]:
        """Every incident of ``monitor`` starting on UTC ``day`` (visible or not yet)."""
        key = (monitor.index, day.toordinal())
        with self._lock:
            cached = self._days.get(key)
        if cached is not None:
            return cached
        made = self._make_day(monitor, day)
        with self._lock:
            if len(self._days) > _CACHE_LIMIT:
                self._days.clear()
                self._raw.clear()
            self._days[key] = made
        return made

    def incidents(
        self, monitor: Monitor, first: date, last: date, now_ms: int
    ) -> Iterator[Incident]:
        """Incidents started on days ``first..last`` (inclusive) and by ``now_ms``."""
        first = max(first, ms_to_date(monitor.created_ms))
        last = min(last, ms_to_date(now_ms))
        for ordinal in range(first.toordinal(), last.toordinal() + 1):
            for incident in self.incidents_on(monitor, date.fromordinal(ordinal)):
                if incident.started_ms <= now_ms:
                    yield incident

    def incident(self, incident_id: str) -> Incident | None:
        """Decode an id and find its incident (``None`` when it was never generated)."""
        if not incident_id.isascii() or not incident_id.isdigit() or len(incident_id) > 15:
            return None
        number = int(incident_id)
        if number >= HEARTBEAT_IDS:
            number -= HEARTBEAT_IDS
            index, ordinal = (number // 10) % 100, number // 1000
            sources = self._heartbeats
        else:
            index, ordinal = (number // 10) % 10_000, number // 100_000
            sources = self._monitors
        if index >= len(sources) or not 1 <= ordinal <= date.max.toordinal():
            return None
        for incident in self.incidents_on(sources[index], date.fromordinal(ordinal)):
            if incident.id == incident_id:
                return incident
        return None

    def open_incident(self, monitor: Monitor, now_ms: int) -> Incident | None:
        """The incident of ``monitor`` still open at ``now_ms``, if any."""
        today = ms_to_date(now_ms)
        for incident in self.incidents(monitor, today - timedelta(days=1), today, now_ms):
            if incident.resolved_ms > now_ms and incident.is_downtime:
                return incident
        return None

    def _raw_day(self, monitor: Monitor, day: date) -> list[_Raw]:
        key = (monitor.index, day.toordinal())
        with self._lock:
            cached = self._raw.get(key)
        if cached is None:
            rng = seeded(self.seed, monitor.id, day.isoformat())
            cached = _draw_raw_day(rng, day_start_ms(day))
            with self._lock:
                self._raw[key] = cached
        return cached

    def _quiet(self, monitor: Monitor, raw: _Raw) -> bool:
        """Whether ``raw`` overlaps a maintenance window or a pause: no incident then."""
        end = raw.start + raw.duration
        if monitor.maintenance is not None and monitor.maintenance.windows(raw.start, end):
            return True
        return bool(self.pauses(monitor, raw.start, end))

    def _make_day(self, monitor: Monitor, day: date) -> tuple[Incident, ...]:
        previous = self._raw_day(monitor, day - timedelta(days=1))
        spill_end = max((r.start + r.duration for r in previous), default=0)
        earliest = max(spill_end + _MIN_GAP_MS, monitor.created_ms + HOUR_MS)
        raws = [raw for raw in self._raw_day(monitor, day) if raw.start >= earliest]
        if self.config.realistic:
            raws = [raw for raw in raws if not self._quiet(monitor, raw)]
        made = [self._make_incident(monitor, day, raw) for raw in raws]
        if self.config.sla_edge_cases and not monitor.heartbeat:
            extras = self._edge_case_raws(monitor, day, raws)
            made += [
                self._make_incident(monitor, day, raw, expiry=raw.slot == _EXPIRY_SLOT)
                for raw in extras
                if raw.start >= monitor.created_ms + HOUR_MS
                and not (self.config.realistic and self._quiet(monitor, raw))
            ]
        return tuple(made)

    def _edge_case_raws(self, monitor: Monitor, day: date, raws: list[_Raw]) -> list[_Raw]:
        rng = seeded(self.seed, monitor.id, day.isoformat(), "edge-cases")
        day_ms = day_start_ms(day)
        extras: list[_Raw] = []
        overlap_roll, expiry_roll = rng.random(), rng.random()
        if raws and overlap_roll < 0.2:
            first = raws[0]
            start = first.start + rng.randrange(max(1, first.duration // 2))
            extras.append(_Raw(_OVERLAP_SLOT, start, rng.randrange(10 * 60_000, 90 * 60_000)))
        if expiry_roll < 0.05:
            start = day_ms + rng.randrange(DAY_MS)
            extras.append(_Raw(_EXPIRY_SLOT, start, rng.randrange(2 * HOUR_MS, 20 * HOUR_MS)))
        if (day + timedelta(days=1)).day == 1 and monitor.index % 2 == 0:
            start = day_ms + DAY_MS - 20 * 60_000 - rng.randrange(10 * 60_000)
            end = day_ms + DAY_MS + 3 * HOUR_MS + rng.randrange(10 * 60_000, 40 * 60_000)
            extras.append(_Raw(_BOUNDARY_SLOT, start, end - start))
        return extras

    def _make_incident(
        self, monitor: Monitor, day: date, raw: _Raw, *, expiry: bool = False
    ) -> Incident:
        key = f"{monitor.id}:{day.isoformat()}:{raw.slot}"
        rng = seeded(self.seed, monitor.id, day.isoformat(), raw.slot)
        cause, code, content = rng.choice(_CAUSES)
        if expiry:
            cause, code, content = rng.choice(EXPIRY_CAUSES), None, None
        person = rng.choice(_PEOPLE)
        acknowledged: int | None = None
        if rng.random() < 0.75:
            window = max(1_000, min(int(raw.duration * 0.8), 30 * 60_000))
            acknowledged = raw.start + rng.randrange(min(30_000, window), window + 1)
        regions: tuple[str, ...] | None = None
        if rng.random() >= 0.1 and monitor.regions:
            picked = set(rng.sample(monitor.regions, rng.randint(1, len(monitor.regions))))
            regions = tuple(r for r in monitor.regions if r in picked)
        unconfirmed = validating = 0
        if self.config.realistic:
            unconfirmed = min(monitor.confirmation_period * 1000, raw.duration // 3)
            validating = min(monitor.recovery_period * 1000, raw.duration // 3)
            if acknowledged is not None and acknowledged < raw.start + unconfirmed:
                acknowledged = raw.start + unconfirmed + 1_000  # acknowledged once confirmed
            cause = hostile_cause(self.seed, key, cause, self.config)
        if monitor.heartbeat:
            cause, code, content, regions = _HEARTBEAT_CAUSE, None, None, None
            number = HEARTBEAT_IDS + day.toordinal() * 1000 + (-1 - monitor.index) * 10
        else:
            number = day.toordinal() * 100_000 + monitor.index * 10
        return Incident(
            id=str(number + raw.slot),
            monitor=monitor,
            started_ms=raw.start,
            acknowledged_ms=acknowledged,
            acknowledged_by=person if acknowledged is not None else None,
            resolved_ms=raw.start + raw.duration,
            resolved_by=person,
            cause=cause,
            response_code=code,
            response_content=content,
            regions=regions,
            unconfirmed_ms=unconfirmed,
            validating_ms=validating,
        )
