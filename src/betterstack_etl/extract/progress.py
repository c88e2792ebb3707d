"""Progress of long runs: done/total requests, rate and ETA, per table.

The extraction code calls ``progress.planned(table, n)`` and ``progress.done(table)`` on the
reporter its run was given (never a module global): the CLI passes a rich progress bar, the flow
and everything else a reporter that logs a line at most every few seconds. Thread-safe.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Protocol

__all__ = ["LogProgress", "Progress", "TableProgress"]

log = logging.getLogger("betterstack_etl.extract.progress")


@dataclass
class TableProgress:
    total: int = 0
    done: int = 0
    started: float = 0.0

    def rate(self, now: float) -> float:
        elapsed = max(now - self.started, 1e-9)
        return self.done / elapsed

    def eta(self, now: float) -> float | None:
        rate = self.rate(now)
        if rate <= 0 or self.total <= self.done:
            return None
        return (self.total - self.done) / rate


class Progress(Protocol):
    def planned(self, table: str, requests: int) -> None: ...

    def done(self, table: str, requests: int = 1) -> None: ...

    def finished(self, table: str) -> None: ...


class LogProgress:
    """Logs ``table: done/total requests, rate/s, ETA`` at most every ``interval`` seconds."""

    def __init__(self, interval: float = 5.0) -> None:
        self._interval = interval
        self._lock = threading.Lock()
        self._tables: dict[str, TableProgress] = {}
        self._last = 0.0

    def snapshot(self) -> dict[str, TableProgress]:
        with self._lock:
            return {k: TableProgress(v.total, v.done, v.started) for k, v in self._tables.items()}

    def planned(self, table: str, requests: int) -> None:
        with self._lock:
            state = self._tables.setdefault(table, TableProgress(started=time.monotonic()))
            state.total += requests

    def done(self, table: str, requests: int = 1) -> None:
        now = time.monotonic()
        with self._lock:
            state = self._tables.setdefault(table, TableProgress(started=now))
            state.done += requests
            if now - self._last < self._interval:
                return
            self._last = now
            line = _describe(table, state, now)
        log.info(line)

    def finished(self, table: str) -> None:
        now = time.monotonic()
        with self._lock:
            state = self._tables.get(table)
            line = _describe(table, state, now) if state else None
        if line:
            log.info("%s (finished)", line)


def _describe(table: str, state: TableProgress, now: float) -> str:
    eta = state.eta(now)
    eta_text = f", ETA {eta:.0f}s" if eta is not None else ""
    total = max(state.total, state.done)
    return f"{table}: {state.done}/{total} requests, {state.rate(now):.1f}/s{eta_text}"
