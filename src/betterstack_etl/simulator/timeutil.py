"""Millisecond epoch integers <-> UTC datetimes, dates and the API's timestamp text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Final

__all__ = [
    "DAY_MS",
    "HOUR_MS",
    "day_start_ms",
    "iso_ms",
    "ms_to_date",
    "parse_iso_date",
    "to_ms",
]

HOUR_MS: Final = 3_600_000
DAY_MS: Final = 86_400_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def to_ms(moment: datetime) -> int:
    """Aware datetime -> integer milliseconds since the epoch (floored)."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def ms_to_date(ms: int) -> date:
    """The UTC calendar date of an epoch-ms instant."""
    return date.fromordinal(_EPOCH.date().toordinal() + ms // DAY_MS)


def day_start_ms(day: date) -> int:
    """00:00 UTC of ``day`` in epoch ms."""
    return (day.toordinal() - _EPOCH.date().toordinal()) * DAY_MS


def iso_ms(ms: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` (the API's timestamp format, always UTC)."""
    moment = _EPOCH + timedelta(milliseconds=ms)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def parse_iso_date(text: str) -> date | None:
    """A strict ``YYYY-MM-DD``, or ``None`` when it is anything else."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
