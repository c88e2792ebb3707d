"""Bad days on demand: queued faults, a token-bucket rate limit, and request counters.

All three are shared by the server's handler threads, so each guards its state with a lock.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Final, Literal

from betterstack_etl.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from betterstack_etl.simulator.config import RetryAfterFormat

__all__ = ["Fault", "FaultKind", "Faults", "RateLimiter", "Stats", "retry_after_value"]

FaultKind = Literal["fail", "throttle", "cut", "malform", "slow"]
_MAX_QUEUED: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class Fault:
    """What to do to one request instead of (or, for ``slow``, before) answering it."""

    kind: FaultKind
    status: int = 503
    retry_after: float = 1.0
    seconds: float = 0.0


class Faults:
    """A FIFO of faults; each API request takes at most one (``fail_next(2)`` queues two).

    ``throttle_all(retry_after)`` is sticky instead: once the queue is empty, every request
    answers 429 with that ``Retry-After`` until ``clear()`` (a token whose limit another job
    eats, for minutes on end).
    """

    def __init__(self) -> None:
        self._queue: deque[Fault] = deque()
        self._always: Fault | None = None
        self._lock = threading.Lock()

    def fail_next(self, n: int = 1, status: int = 503) -> None:
        """The next ``n`` requests answer ``status`` with a JSON ``errors`` body."""
        if not 400 <= status <= 599:
            raise ConfigError(f"fault status {status} is not an error", hint="use 400-599")
        self._push(n, Fault("fail", status=status))

    def throttle_next(self, n: int = 1, retry_after: float = 1) -> None:
        """The next ``n`` requests answer 429 with ``Retry-After`` (ceil'd seconds)."""
        if retry_after < 0:
            raise ConfigError("retry_after is negative", hint="give 0 or more seconds")
        self._push(n, Fault("throttle", status=429, retry_after=retry_after))

    def cut_next(self, n: int = 1) -> None:
        """The next ``n`` answers send their headers and half the body, then hang up."""
        self._push(n, Fault("cut", status=200))

    def malform_next(self, n: int = 1) -> None:
        """The next ``n`` requests answer 200 with an HTML page instead of JSON."""
        self._push(n, Fault("malform", status=200))

    def slow_next(self, n: int = 1, seconds: float = 1.0) -> None:
        """The next ``n`` requests wait ``seconds`` (real time) before answering normally."""
        if seconds < 0:
            raise ConfigError("slow seconds is negative", hint="give 0 or more seconds")
        self._push(n, Fault("slow", seconds=seconds))

    def throttle_all(self, retry_after: float = 60) -> None:
        """From now on every request answers 429 with ``Retry-After`` (until ``clear()``)."""
        if retry_after < 0:
            raise ConfigError("retry_after is negative", hint="give 0 or more seconds")
        with self._lock:
            self._always = Fault("throttle", status=429, retry_after=retry_after)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._always = None

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def take(self) -> Fault | None:
        with self._lock:
            return self._queue.popleft() if self._queue else self._always

    def _push(self, n: int, fault: Fault) -> None:
        if not 0 <= n <= _MAX_QUEUED:
            raise ConfigError(f"fault count {n} is out of range", hint=f"use 0..{_MAX_QUEUED}")
        with self._lock:
            self._queue.extend([fault] * n)


class RateLimiter:
    """A token bucket: ``rate`` tokens/second, burst ``max(1, rate)``, on a monotonic clock."""

    def __init__(self, rate: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate
        self._capacity = max(1.0, rate)
        self._tokens = self._capacity
        self._monotonic = monotonic
        self._stamp = monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> float | None:
        """Take a token: ``None`` when allowed, else the seconds until one is available."""
        with self._lock:
            now = self._monotonic()
            elapsed = max(0.0, now - self._stamp)
            self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return None
            return (1.0 - self._tokens) / self._rate


def retry_after_value(seconds: float, fmt: RetryAfterFormat, now: datetime | None = None) -> str:
    """``Retry-After`` as integer seconds (ceil'd) or as an HTTP-date that far from ``now``.

    ``now`` is the clock of the answer's ``Date`` header (the simulator's): a client reads the
    date against that header, as RFC 9110 asks. It is rounded up to the next whole second so
    that waiting until it is always long enough.
    """
    whole = max(0, math.ceil(seconds))
    if fmt == "seconds":
        return str(whole)
    moment = now or datetime.now(UTC)
    target = math.ceil(moment.timestamp()) + whole
    return format_datetime(datetime.fromtimestamp(target, UTC), usegmt=True)


class Stats:
    """Thread-safe counters of what the simulator answered."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._throttled = 0
        self._by_status: Counter[int] = Counter()
        self._by_endpoint: Counter[str] = Counter()
        self._first_arrival: float | None = None
        self._last_answer: float | None = None

    def arrive(self) -> None:
        """A request arrived (before any latency): the first one's ``time.monotonic()`` is kept."""
        now = time.monotonic()
        with self._lock:
            if self._first_arrival is None:
                self._first_arrival = now

    def record(self, endpoint: str, status: int) -> None:
        now = time.monotonic()
        with self._lock:
            self._last_answer = now
            self._requests += 1
            self._by_status[status] += 1
            self._by_endpoint[endpoint] += 1
            if status == 429:
                self._throttled += 1

    def reset(self) -> None:
        with self._lock:
            self._requests = self._throttled = 0
            self._by_status.clear()
            self._by_endpoint.clear()
            self._first_arrival = self._last_answer = None

    @property
    def requests(self) -> int:
        with self._lock:
            return self._requests

    @property
    def throttled(self) -> int:
        with self._lock:
            return self._throttled

    @property
    def by_status(self) -> Counter[int]:
        """A copy (missing statuses read as 0)."""
        with self._lock:
            return Counter(self._by_status)

    @property
    def by_endpoint(self) -> Counter[str]:
        """A copy keyed by route template, e.g. ``/api/v2/monitors/{id}/sla``."""
        with self._lock:
            return Counter(self._by_endpoint)

    @property
    def first_arrival(self) -> float | None:
        """``time.monotonic()`` when the first request since the last reset arrived."""
        with self._lock:
            return self._first_arrival

    @property
    def last_answer(self) -> float | None:
        """``time.monotonic()`` when the last request since the last reset was answered."""
        with self._lock:
            return self._last_answer

    def __repr__(self) -> str:
        return f"Stats(requests={self.requests}, by_status={dict(self.by_status)})"
