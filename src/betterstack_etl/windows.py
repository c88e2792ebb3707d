"""Clamp a window of UTC days to the days each monitor existed (SPEC §10).

The monitor listing (which every run makes) gives each monitor's ``created_at``. An SLA day
before a monitor existed is neither requested nor written: :func:`clamp_window_to_monitors`
gives each monitor its own window and counts the monitor-days dropped; a window that ends
before every monitor existed is refused (a typo, not a backfill). Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from betterstack_etl.errors import ConfigError
from betterstack_etl.settings import Window

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["MonitorWindows", "clamp_window_to_monitors"]


@dataclass(frozen=True, slots=True)
class MonitorWindows:
    """A window clamped to the monitors' lives.

    - ``window``: the union (from the first day any of the monitors existed);
    - ``per_monitor``: the days to request for each monitor that existed during the window;
    - ``skipped``: monitors created after the window's last day (nothing to request);
    - ``dropped_days``: monitor-days of the original window before the monitor existed.
    """

    window: Window
    per_monitor: dict[str, Window]
    skipped: tuple[str, ...]
    dropped_days: int


def _utc_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        raise ValueError("created_at must carry a timezone (the API's are UTC)")
    return moment.astimezone(UTC).date()


def clamp_window_to_monitors(
    window: Window, created_at_by_monitor: Mapping[str, datetime | None]
) -> MonitorWindows:
    """Each monitor's days of ``window`` on or after its UTC creation day (unknown creation:
    the whole window). ConfigError when the window ends before every monitor existed."""
    days = (window.end - window.start).days + 1
    per_monitor: dict[str, Window] = {}
    skipped: list[str] = []
    dropped = 0
    for monitor_id, created_at in created_at_by_monitor.items():
        first = window.start if created_at is None else max(window.start, _utc_day(created_at))
        if first > window.end:
            skipped.append(monitor_id)
            dropped += days
            continue
        per_monitor[monitor_id] = Window(first, window.end)
        dropped += (first - window.start).days
    if created_at_by_monitor and not per_monitor:
        earliest = min(_utc_day(c) for c in created_at_by_monitor.values() if c is not None)
        raise ConfigError(
            f"the window {window.start}..{window.end} ends before any of the monitors existed "
            f"(the first was created on {earliest} UTC)",
            hint=f"give from_date/to_date on or after {earliest}",
        )
    start = min((w.start for w in per_monitor.values()), default=window.start)
    return MonitorWindows(
        window=Window(start, window.end),
        per_monitor=per_monitor,
        skipped=tuple(skipped),
        dropped_days=dropped,
    )
