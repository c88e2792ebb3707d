"""Clocks the simulator reads "now" from: the real one, and a frozen one tests can move."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

from betterstack_etl.errors import ConfigError

__all__ = ["Clock", "FrozenClock", "SystemClock"]


class Clock(Protocol):
    """Anything with ``now()`` returning an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real UTC time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


def _require_aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ConfigError(
            f"naive datetime {value.isoformat()} given to FrozenClock",
            hint="pass an aware datetime, e.g. datetime(2026, 11, 25, 12, tzinfo=UTC)",
        )
    return value.astimezone(UTC)


class FrozenClock:
    """A clock that stands still until told otherwise (thread-safe)."""

    def __init__(self, start: datetime) -> None:
        self._now = _require_aware(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, value: datetime) -> None:
        aware = _require_aware(value)
        with self._lock:
            self._now = aware

    def advance(self, delta: timedelta) -> datetime:
        """Move forward (or back, with a negative delta); returns the new now."""
        with self._lock:
            self._now = self._now + delta
            return self._now

    def __repr__(self) -> str:
        return f"FrozenClock({self.now().isoformat()})"
