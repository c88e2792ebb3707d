"""One request budget shared by every thread of a run: paced ahead of time, slowed by 429s.

Policy (bounded, in one place):

- **Pace**: request starts are spaced at least ``1 / rate`` seconds apart (by ``clock``), so a
  steady backfill stays at the allowed rate instead of discovering it through 429s. No burst.
- **In flight**: at most ``max_in_flight`` requests between ``acquire()`` and ``release()``.
- **Penalty**: ``penalize(seconds)`` (called on a 429) pauses every *new* start of the whole
  pipeline for ``min(seconds, max_pause)`` and halves the current rate (never below
  ``rate * MIN_RATE_FACTOR``). After the pause the rate climbs back linearly to ``rate`` over
  ``recovery`` seconds. Requests already in flight are not affected.
- **Throttling budget**: ``throttled()`` (called on each 429) returns how long the API has
  throttled the run without a single success in between (``succeeded()`` ends the streak).
  The client gives up for the whole run rather than wait past ``max_throttled`` seconds of
  such a streak (default 150: with ``Retry-After: 60`` it gives up after 2 minutes): the
  token's limit is taken by something else, and waiting minutes more will not help this run.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from typing import TYPE_CHECKING, Final

from betterstack_etl.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["Pacer"]

MIN_RATE_FACTOR: Final = 1 / 8
_MAX_WAIT_ROUNDS: Final = 1_000  # bound on re-checks while penalties keep moving the start


class Pacer:
    """A thread-safe token pacer and in-flight limit shared by all threads of a run."""

    def __init__(
        self,
        rate: float = 8.0,
        max_in_flight: int = 4,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        recovery: float = 60.0,
        max_pause: float = 120.0,
        max_throttled: float = 150.0,
    ) -> None:
        if not (rate > 0 and math.isfinite(rate)):
            raise ConfigError(f"request rate {rate} must be a positive number", hint="e.g. 8")
        if max_in_flight < 1:
            raise ConfigError(
                f"max_in_flight={max_in_flight} is below 1", hint="allow at least 1 request"
            )
        self.base_rate = float(rate)
        self.max_in_flight = max_in_flight
        self.recovery = max(0.0, recovery)
        self.max_pause = max(0.0, max_pause)
        self.max_throttled = max(0.0, max_throttled)
        self._clock = clock
        self._sleep = sleep
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._state = threading.Lock()  # guards the fields below
        self._gate = threading.Lock()  # one thread at a time waits for the next start
        self._last_start = -math.inf
        self._not_before = -math.inf
        self._floor_rate = self.base_rate
        self._penalized_at = -math.inf
        self._in_flight = 0
        self._throttled_since: float | None = None
        self.penalties = 0

    def __repr__(self) -> str:
        return (
            f"Pacer(rate={self.base_rate}, max_in_flight={self.max_in_flight}, "
            f"current_rate={self.current_rate():.3g})"
        )

    @property
    def in_flight(self) -> int:
        with self._state:
            return self._in_flight

    def current_rate(self) -> float:
        """The allowed rate now: ``rate``, or lower while recovering from a penalty."""
        with self._state:
            return self._rate_at(self._clock())

    def _rate_at(self, now: float) -> float:
        if self.recovery == 0 or now - self._penalized_at >= self.recovery:
            return self.base_rate
        progress = max(0.0, (now - self._penalized_at) / self.recovery)
        return self._floor_rate + (self.base_rate - self._floor_rate) * progress

    def _wait_needed(self) -> float:
        with self._state:
            now = self._clock()
            start_at = max(self._not_before, self._last_start + 1.0 / self._rate_at(now))
            return start_at - now

    def acquire(self) -> None:
        """Block until a request may start (an in-flight slot is free and the pace allows)."""
        self._slots.acquire()
        try:
            with self._gate:
                for _ in range(_MAX_WAIT_ROUNDS):
                    wait = self._wait_needed()
                    if wait <= 0:
                        break
                    self._sleep(wait)
                with self._state:
                    self._last_start = self._clock()
                    self._in_flight += 1
        except BaseException:
            self._slots.release()
            raise

    def release(self) -> None:
        """Mark the end of a request started with :meth:`acquire`."""
        with self._state:
            self._in_flight -= 1
        self._slots.release()

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """``with pacer.slot():`` acquire before, release after."""
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def penalize(self, seconds: float) -> None:
        """After a 429: pause every new start for ``seconds`` (capped) and halve the rate."""
        pause = min(max(0.0, seconds), self.max_pause)
        with self._state:
            now = self._clock()
            current = self._rate_at(now)
            self._floor_rate = max(self.base_rate * MIN_RATE_FACTOR, current / 2.0)
            self._penalized_at = now + pause  # recovery starts when the pause ends
            self._not_before = max(self._not_before, now + pause)
            self.penalties += 1

    def throttled(self) -> float:
        """Record a 429; the seconds since the first 429 with no success in between."""
        with self._state:
            now = self._clock()
            if self._throttled_since is None:
                self._throttled_since = now
            return now - self._throttled_since

    def succeeded(self) -> None:
        """Record a successful answer: the throttling streak (if any) is over."""
        with self._state:
            self._throttled_since = None
