"""What a client did, for the run ledger: requests sent, retries, 429s (thread-safe)."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

__all__ = ["RequestCounter", "RequestStats"]


@dataclass(frozen=True, slots=True)
class RequestStats:
    """A snapshot: HTTP requests sent (retries included), retries among them, 429 answers."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class RequestCounter:
    """Counts shared by the threads of a client (or by several clients of one table)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._retries = 0
        self._throttled = 0

    def __repr__(self) -> str:
        return f"RequestCounter({self.snapshot()})"

    def request(self) -> None:
        with self._lock:
            self._requests += 1

    def retry(self) -> None:
        with self._lock:
            self._retries += 1

    def throttled(self) -> None:
        with self._lock:
            self._throttled += 1

    def snapshot(self) -> RequestStats:
        with self._lock:
            return RequestStats(self._requests, self._retries, self._throttled)
