"""``run --prefect`` with no Prefect API configured: Prefect starts a temporary local server,
which takes from a few seconds to half a minute (a fresh database is migrated), and says
nothing meanwhile. ``start_temporary_server`` starts that same server first (Prefect's own
``SubprocessASGIServer``, which the flow then finds running and uses), saying so, with a line
every few seconds until it answers, and how long it took."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["STARTUP_TIMEOUT", "start_temporary_server"]

# Prefect's own default (PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, 20 s) is short for a
# busy machine; a run waits this long at least before giving up on its temporary server.
STARTUP_TIMEOUT: Final = 120


def _needs_temporary_server() -> bool:
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_ALLOW_EPHEMERAL_MODE

    return not PREFECT_API_URL.value() and bool(PREFECT_SERVER_ALLOW_EPHEMERAL_MODE.value())


def _prefect_server() -> Any:
    from prefect.server.api.server import SubprocessASGIServer

    return SubprocessASGIServer()  # the one Prefect's client starts in ephemeral mode


def start_temporary_server(
    say: Callable[[str], None],
    *,
    every: float = 5.0,
    server: Callable[[], Any] | None = None,
) -> str | None:
    """Start Prefect's temporary server now when the run will need one, calling ``say`` with
    progress lines; its API URL (None when a Prefect API is configured: nothing to start).
    Prefect stops the server when the process exits."""
    if server is None:
        if not _needs_temporary_server():
            return None
        server = _prefect_server
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    instance = server()
    timeout = max(STARTUP_TIMEOUT, int(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()))
    say(
        "starting a temporary Prefect server for this run (no PREFECT_API_URL); "
        "up to ~30 s the first time"
    )
    started = time.monotonic()
    done = threading.Event()

    def progress() -> None:
        while not done.wait(every):
            say(f"  … still starting ({time.monotonic() - started:.0f} s)")

    ticker = threading.Thread(target=progress, name="prefect-server-progress", daemon=True)
    ticker.start()
    try:
        instance.start(timeout=timeout)
    finally:
        done.set()
        ticker.join()
    say(
        f"temporary Prefect server ready after {time.monotonic() - started:.0f} s "
        f"({instance.api_url}); it stops when this command ends"
    )
    return str(instance.api_url)
