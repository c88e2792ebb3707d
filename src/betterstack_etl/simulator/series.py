"""Response-time series: one check per ``check_frequency`` per region, the last 24 h.

Choices (undocumented by Better Stack):

- Region series are not aligned: region *r* checks at ``offset_r + k * frequency`` seconds
  (whole seconds, ``.000`` ms), as in the docs' example. No point precedes monitor creation.
- Values are floats in seconds with 5 decimals, generated in integer units of 10 µs, so
  ``response_time`` is exactly the sum of the four rounded components.
- During an incident that covers a region (or every region when its ``regions`` is null), the
  checks in that region timed out: the point is still served, with ``response_time`` equal to
  the monitor's ``request_timeout`` and ``data_transfer_time`` taking up the rest of it.
- The window is ``(now - 24 h, now]``, points ascending by ``at``; any query string is ignored.
- Realistic (the default; tidy: none of this), as the docs' example is irregular: each check
  lands up to a quarter of a step (at most 2.5 s, whole milliseconds) after its slot, 3 % of
  the checks are missing, a pause has no checks at all, and the ``Validating`` end of an
  incident is up again (its checks pass).
- Points are generated per (monitor, region, UTC hour) from a seeded RNG and memoised as
  ready-encoded JSON fragments, so a request costs little more than filtering 25 hours.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Final

from betterstack_etl.simulator.seeding import seeded
from betterstack_etl.simulator.timeutil import DAY_MS, HOUR_MS, iso_ms, ms_to_date

if TYPE_CHECKING:
    import random

    from betterstack_etl.simulator.world import Incident, Monitor, World

__all__ = ["Point", "ResponseTimes"]

Point = str  # one point, already encoded as a JSON object

_UNIT: Final = 100_000  # 1 s in units of 10 µs
_BASE_CONNECT: Final = {"us": 9_000, "eu": 15_000, "as": 24_000, "au": 28_000}
_CACHE_LIMIT: Final = 50_000


def _values(
    rng: random.Random, region: str, timeout_s: int | None
) -> tuple[int, int, int, int, int]:
    base = _BASE_CONNECT[region]
    name_lookup = 1 + int(rng.random() * 400)
    connection = int(base * (0.8 + 0.6 * rng.random()))
    tls = int(connection * (1.1 + 0.5 * rng.random()))
    transfer = int(base * (0.4 + 1.2 * rng.random()))
    if timeout_s is not None:
        transfer = timeout_s * _UNIT - name_lookup - connection - tls
    return name_lookup + connection + tls + transfer, name_lookup, connection, tls, transfer


def _point(at_ms: int, values: tuple[int, int, int, int, int]) -> Point:
    total, name_lookup, connection, tls, transfer = values
    point = {
        "at": iso_ms(at_ms),
        "response_time": total / _UNIT,
        "name_lookup_time": name_lookup / _UNIT,
        "connection_time": connection / _UNIT,
        "tls_handshake_time": tls / _UNIT,
        "data_transfer_time": transfer / _UNIT,
    }
    return json.dumps(point, separators=(",", ":"))


def _down(incidents: list[Incident], region: str, at_ms: int) -> bool:
    return any(
        i.started_ms <= at_ms < i.failing_until_ms and (i.regions is None or region in i.regions)
        for i in incidents
        if i.is_downtime
    )


class ResponseTimes:
    """Builds and memoises the per-hour series of every monitor and region."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._cache: dict[tuple[int, int, int], list[tuple[int, Point]]] = {}
        self._lock = threading.Lock()

    def last_24h(self, monitor: Monitor, now_ms: int) -> list[tuple[str, list[Point]]]:
        """``[(region, points)]`` in the monitor's region order; points in ``(now-24h, now]``."""
        since = now_ms - DAY_MS
        hours = range(since // HOUR_MS, now_ms // HOUR_MS + 1)
        out: list[tuple[str, list[Point]]] = []
        for r_index, region in enumerate(monitor.regions):
            points = [
                point
                for hour in hours
                for at_ms, point in self._hour(monitor, r_index, hour)
                if since < at_ms <= now_ms
            ]
            out.append((region, points))
        return out

    def _hour(self, monitor: Monitor, r_index: int, hour: int) -> list[tuple[int, Point]]:
        key = (monitor.index, r_index, hour)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        made = self._make_hour(monitor, r_index, hour)
        with self._lock:
            if len(self._cache) > _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = made
        return made

    def _make_hour(self, monitor: Monitor, r_index: int, hour: int) -> list[tuple[int, Point]]:
        region = monitor.regions[r_index]
        start_s, end_s = hour * 3600, (hour + 1) * 3600
        step = monitor.check_frequency
        first_s = start_s + (monitor.region_offsets[r_index] - start_s) % step
        incidents = self._incidents_around(monitor, hour * HOUR_MS)
        rng = seeded(self._world.seed, monitor.id, region, hour)
        realistic = self._world.config.realistic
        grid = seeded(self._world.seed, monitor.id, region, hour, "grid")
        jitter = min(step * 250, 2_500)
        pauses = self._world.pauses(monitor, start_s * 1000, end_s * 1000 + jitter)
        made: list[tuple[int, Point]] = []
        for at_s in range(first_s, end_s, step):
            at_ms = at_s * 1000
            if realistic:
                at_ms += grid.randrange(jitter)
                if grid.random() < 0.03 or any(b <= at_ms < e for b, e in pauses):
                    _values(rng, region, None)  # the draws stay aligned: stable series
                    continue
            timeout = monitor.request_timeout if _down(incidents, region, at_ms) else None
            values = _values(rng, region, timeout)  # drawn even before creation: stable
            if at_ms >= monitor.created_ms:
                made.append((at_ms, _point(at_ms, values)))
        return made

    def _incidents_around(self, monitor: Monitor, hour_ms: int) -> list[Incident]:
        day = ms_to_date(hour_ms)
        found: list[Incident] = []
        for d in (day - timedelta(days=1), day):
            found.extend(
                i
                for i in self._world.incidents_on(monitor, d)
                if i.started_ms < hour_ms + HOUR_MS and i.resolved_ms > hour_ms
            )
        return found
