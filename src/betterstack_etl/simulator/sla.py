"""SLA (availability summary) of a monitor over a date range, from the world's incidents.

Choices (Better Stack documents the fields, not the arithmetic):

- ``from``/``to`` are strict ``YYYY-MM-DD`` UTC dates; the window is ``[from 00:00, to+1 00:00)``
  (``to`` inclusive), clipped to the monitor's creation and to now. Missing ``from``: since
  creation; missing ``to``: until now. A window that ends up empty is 100 % available.
- 400 when a date cannot be parsed, ``from`` is after today (UTC), or ``to`` < ``from``.
- Each incident overlapping the window counts once; its downtime is its overlap with the
  window in whole seconds (floored; open incidents run until now). ``total_downtime`` is the
  sum of those, ``longest_incident`` the largest, ``average_incident = total // count``
  (0 without incidents), ``availability = round(100 * (1 - total / window_seconds), 2)``.
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
    if end_ms > start_ms:
        first_day = ms_to_date(start_ms) - timedelta(days=1)  # incidents last < 1 day
        for incident in world.incidents(monitor, first_day, ms_to_date(end_ms), now_ms):
            overlap = min(incident.end_ms(now_ms), end_ms) - max(incident.started_ms, start_ms)
            if overlap > 0:
                overlaps.append(overlap // 1000)
    total = sum(overlaps)
    window_s = (end_ms - start_ms) / 1000
    availability = round(100 * (1 - total / window_s), 2) if window_s > 0 else 100.0
    return Sla(
        availability=availability,
        total_downtime=total,
        number_of_incidents=len(overlaps),
        longest_incident=max(overlaps, default=0),
        average_incident=total // len(overlaps) if overlaps else 0,
    )
