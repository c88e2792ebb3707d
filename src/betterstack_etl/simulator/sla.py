"""SLA (availability summary) of a monitor over a date range, from the world's incidents.

Choices (Better Stack documents the fields, not the arithmetic):

- ``from``/``to`` are strict ``YYYY-MM-DD`` UTC dates; the window is ``[from 00:00, to+1 00:00)``
  (``to`` inclusive), clipped to the monitor's creation and to now. Missing ``from``: since
  creation; missing ``to``: until now. A window that ends up empty is 100 % available.
- 400 when a date cannot be parsed, ``from`` is after today (UTC), or ``to`` < ``from``.
- The same rules as the SLA views (SPEC §8.2), so reconciliation matches by default: expiry
  warnings (a cause about an SSL certificate or a domain expiring) are not downtime and are not
  counted; each other incident overlapping the window counts once; open incidents run until
  now. ``total_downtime`` is the length of the *union* of the incidents' overlaps with the
  window (overlapping incidents count once), in whole seconds floored per merged stretch;
  ``longest_incident`` is the largest single overlap (floored), ``average_incident = total //
  count`` (0 without incidents), ``availability = round(100 * (1 - total / window_s), 2)``.
- An incident still ``Unconfirmed`` at now (inside its monitor's confirmation period) is not
  downtime and not counted: Better Stack has not started an incident yet ("how long we wait
  after observing a failure before we start a new incident", docs *Confirmation and recovery
  period*). Once confirmed it counts from its ``started_at`` (the lake's rule too, docs/sla.md).
  A ``Validating`` incident is still open: it counts until its ``resolved_at`` (open: now).
  Pauses and maintenance windows need no rule: no incident overlaps them, and they are not
  taken out of the window (the API documents neither; see ``traits``).
- ``SimConfig.sla_skews`` adds its seconds to ``total_downtime`` of every window containing
  the start of its UTC day (availability follows): a deliberate disagreement for tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from betterstack_etl.simulator.timeutil import DAY_MS, day_start_ms, ms_to_date, parse_iso_date

if TYPE_CHECKING:
    from betterstack_etl.simulator.world import Monitor, World

__all__ = ["Sla", "compute_sla", "sla_window"]


@dataclass(frozen=True, slots=True)
class Sla:
    availability: float
    total_downtime: int
    number_of_incidents: int
    longest_incident: int
    average_incident: int


def sla_window(
    monitor: Monitor, from_text: str | None, to_text: str | None, now_ms: int
) -> tuple[int, int] | None:
    """The clipped ``[start, end)`` in epoch ms, or ``None`` when the range is invalid (400)."""
    start = monitor.created_ms
    end = now_ms
    first = parse_iso_date(from_text) if from_text is not None else None
    last = parse_iso_date(to_text) if to_text is not None else None
    if (from_text is not None and first is None) or (to_text is not None and last is None):
        return None
    if first is not None:
        if first > ms_to_date(now_ms):
            return None
        start = max(start, day_start_ms(first))
    if last is not None:
        if first is not None and last < first:
            return None
        end = min(end, day_start_ms(last) + DAY_MS)
    return start, max(start, end)


def compute_sla(world: World, monitor: Monitor, start_ms: int, end_ms: int, now_ms: int) -> Sla:
    """The summary of ``[start_ms, end_ms)`` as seen at ``now_ms``."""
    overlaps: list[int] = []
    spans: list[tuple[int, int]] = []
    if end_ms > start_ms:
        first_day = ms_to_date(start_ms) - timedelta(days=1)  # incidents last < 1 day
        for incident in world.incidents(monitor, first_day, ms_to_date(end_ms), now_ms):
            if not incident.is_downtime or incident.unconfirmed(now_ms):
                continue
            begin = max(incident.started_ms, start_ms)
            stop = min(incident.end_ms(now_ms), end_ms)
            if stop > begin:
                overlaps.append((stop - begin) // 1000)
                spans.append((begin, stop))
    total = _union_seconds(spans) + _skew(world, monitor, start_ms, end_ms)
    window_s = (end_ms - start_ms) / 1000
    availability = round(100 * (1 - total / window_s), 2) if window_s > 0 else 100.0
    return Sla(
        availability=availability,
        total_downtime=total,
        number_of_incidents=len(overlaps),
        longest_incident=max(overlaps, default=0),
        average_incident=total // len(overlaps) if overlaps else 0,
    )


def _union_seconds(spans: list[tuple[int, int]]) -> int:
    """Length of the union of ``[begin, stop)`` ms spans, floored to seconds per merged stretch."""
    total = 0
    current: tuple[int, int] | None = None
    for begin, stop in sorted(spans):
        if current is not None and begin <= current[1]:
            current = (current[0], max(current[1], stop))
            continue
        if current is not None:
            total += (current[1] - current[0]) // 1000
        current = (begin, stop)
    if current is not None:
        total += (current[1] - current[0]) // 1000
    return total


def _skew(world: World, monitor: Monitor, start_ms: int, end_ms: int) -> int:
    return sum(
        skew.seconds
        for skew in world.config.sla_skews
        if skew.monitor_id == monitor.id and start_ms <= day_start_ms(skew.day) < end_ms
    )
