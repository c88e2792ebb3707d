"""A run's request to stop (Ctrl-C, SIGTERM), shared by all its threads.

Set once, from a signal handler or when the run ends on an error; every request checks it
before it starts (so no new request is sent once it is set), and every wait of the run (the
pacer's, the retries') is ``StopFlag.sleep``, which ends at once when it is set.
"""

from __future__ import annotations

import threading

from betterstack_etl.errors import StoppedError

__all__ = ["StopFlag"]


class StopFlag:
    """``set(reason)`` once; ``check()`` and ``sleep()`` raise ``StoppedError`` after that."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._reason: str | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"StopFlag(reason={self._reason!r})"

    def set(self, reason: str) -> None:
        """Ask every thread of the run to stop; the first reason given is the one kept."""
        with self._lock:
            if self._reason is None:
                self._reason = reason
        self._event.set()

    @property
    def reason(self) -> str | None:
        return self._reason

    def is_set(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise ``StoppedError`` if the run was asked to stop."""
        if self._event.is_set():
            raise StoppedError(self._reason or "a stop request")

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less: ``StoppedError`` as soon as the run is asked to stop."""
        if self._event.wait(max(0.0, seconds)):
            raise StoppedError(self._reason or "a stop request")
