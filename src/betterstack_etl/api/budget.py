"""One Better Stack API budget per token, shared by every run that uses that token.

The in-process :class:`~betterstack_etl.api.Pacer` paces the threads of *one* run. Two runs
with the same token (an hourly run and a backfill, two workers) would each take the whole
budget and meet Better Stack's rate limit through 429s. When a Prefect API is configured, the
permits come from a Prefect **global concurrency limit** in rate-limit mode instead, so every
process that talks to that server draws from the same budget:

- name ``betterstack-api-<first 12 hex of sha256(token)>``: one limit per token, the token
  itself never leaves the process (a hash prefix does not reveal it);
- ``slot_decay_per_second`` = the request rate (requests/second), ``limit`` = the burst (one
  second's worth, as Better Stack's own token bucket); created when missing with the run's
  settings, and *read* when it exists, so an operator changes the budget for every run with
  ``prefect gcl update <name> --slot-decay-per-second 5`` (docs/deploy.md);
- the in-flight limit, the local pace and the 429 penalties stay local: :class:`SharedBudget`
  is a :class:`Pacer` (same interface) that asks the server for a permit after its own local
  checks pass;
- fail open: if the Prefect API cannot be reached (at start or later), the run keeps its local
  pacing and 429 handling and logs one warning, rather than stopping the load.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import threading
import time
from typing import TYPE_CHECKING, Any, Final

import httpx

from betterstack_etl.api import Pacer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from betterstack_etl.secret import Secret

__all__ = ["LIMIT_PREFIX", "SharedBudget", "limit_name", "prefect_api_configured", "run_budget"]

log = logging.getLogger(__name__)

LIMIT_PREFIX: Final = "betterstack-api-"
_HASH_CHARS: Final = 12
_LOCKED: Final = 423  # the server's "no permit now, retry after Retry-After seconds"
_MAX_RETRY_AFTER: Final = 30.0  # bound on one wait the server asks for
_SHARED_WAIT_LIMIT: Final = 900.0  # give up on the shared budget (fail open) after this long


def limit_name(token: Secret) -> str:
    """The global concurrency limit of a token: a hash prefix, never the token."""
    digest = hashlib.sha256(token.reveal().encode()).hexdigest()
    return f"{LIMIT_PREFIX}{digest[:_HASH_CHARS]}"


def prefect_api_configured() -> bool:
    """True when runs talk to a Prefect server (``PREFECT_API_URL`` or the active profile)."""
    if os.environ.get("PREFECT_API_URL", "").strip():
        return True
    try:
        from prefect.settings import get_current_settings

        return bool(get_current_settings().api.url)
    except Exception:  # noqa: BLE001 - no usable Prefect settings: no server
        return False


class SharedBudget(Pacer):
    """A :class:`Pacer` whose starts also need a permit of a Prefect global concurrency limit.

    ``acquire()`` first passes the local checks (in-flight slot, local pace, local 429 pause),
    then asks the server for one slot of the rate-limited limit ``name`` (waiting as long as
    the server's ``Retry-After`` says). ``release()``, ``penalize()`` and the counters are the
    local Pacer's; rate-limit slots are never released, they decay on the server.
    """

    def __init__(
        self,
        client: Any,  # prefect.client.orchestration.SyncPrefectClient
        name: str,
        rate: float,
        max_in_flight: int,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(rate, max_in_flight, sleep=sleep)
        self.name = name
        self._client = client
        self._sleep_shared = sleep
        self._failed = threading.Event()  # the server could not be used: local pacing only

    def __repr__(self) -> str:
        return (
            f"SharedBudget({self.name}, rate={self.base_rate}, max_in_flight={self.max_in_flight})"
        )

    @property
    def shared(self) -> bool:
        """False once the shared budget failed and the run fell back to local pacing."""
        return not self._failed.is_set()

    def acquire(self) -> None:
        super().acquire()
        try:
            self._acquire_shared()
        except BaseException:
            super().release()
            raise

    def _acquire_shared(self) -> None:
        if self._failed.is_set():
            return
        deadline = time.monotonic() + _SHARED_WAIT_LIMIT
        while True:
            try:
                self._client.increment_concurrency_slots(
                    names=[self.name], slots=1, mode="rate_limit"
                )
                return
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code != _LOCKED:
                    self._fail_open(f"the server answered {exc.response.status_code}")
                    return
                wait = _retry_after(exc.response)
            except (httpx.TransportError, OSError) as exc:
                self._fail_open(type(exc).__name__)
                return
            if time.monotonic() + wait > deadline:
                self._fail_open(f"no permit within {_SHARED_WAIT_LIMIT:.0f} s")
                return
            self._sleep_shared(wait)

    def _fail_open(self, why: str) -> None:
        if not self._failed.is_set():
            self._failed.set()
            log.warning(
                "shared API budget %s unavailable (%s): this run paces itself locally "
                "(%.3g requests/s) from now on",
                self.name,
                why,
                self.base_rate,
            )


def _retry_after(response: httpx.Response) -> float:
    try:
        value = float(response.headers.get("Retry-After", "1"))
    except ValueError:
        value = 1.0
    if not math.isfinite(value):
        value = 1.0
    return min(max(value, 0.0), _MAX_RETRY_AFTER)


def _ensure_limit(client: Any, name: str, rate: float) -> tuple[float, bool]:
    """The limit's (rate, usable): read it, or create it with ``rate`` when missing."""
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    try:
        found = client.read_global_concurrency_limit_by_name(name)
    except ObjectNotFound:
        burst = max(1, math.floor(rate))
        try:
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(
                    name=name, limit=burst, slot_decay_per_second=rate, active=True
                )
            )
            log.info("created the shared API budget %s: %.3g requests/s", name, rate)
            return rate, True
        except ObjectAlreadyExists:  # another run created it first
            found = client.read_global_concurrency_limit_by_name(name)
    decay = float(found.slot_decay_per_second or 0.0)
    if decay <= 0:
        log.warning(
            "global concurrency limit %s has no slot decay, so it is not a rate limit: "
            "pacing locally; fix it with `prefect gcl update %s --slot-decay-per-second %s`",
            name,
            name,
            rate,
        )
        return rate, False
    return decay, True


@contextlib.contextmanager
def run_budget(
    settings_rate: float,
    max_in_flight: int,
    token: Secret,
    *,
    use_prefect: bool | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Pacer]:
    """The request budget of one run, as a :class:`Pacer`.

    With a Prefect API (``use_prefect``, default: :func:`prefect_api_configured`): a
    :class:`SharedBudget` on the token's global concurrency limit, created with
    ``settings_rate`` when missing (its rate when it exists). Without one, or when the server
    cannot be reached: the in-process ``Pacer(settings_rate, max_in_flight)``. Every wait
    is ``sleep`` (a run passes its ``StopFlag.sleep``, so a stop ends a wait at once).
    """
    if use_prefect is None:
        use_prefect = prefect_api_configured()
    if not use_prefect:
        yield Pacer(settings_rate, max_in_flight, sleep=sleep)
        return
    Pacer(settings_rate, max_in_flight)  # validates the settings (ConfigError) before any I/O
    from prefect.client.orchestration import get_client

    name = limit_name(token)
    with contextlib.ExitStack() as stack:
        try:
            client = stack.enter_context(get_client(sync_client=True))
            rate, usable = _ensure_limit(client, name, settings_rate)
        except Exception as exc:  # noqa: BLE001 - fail open: the run paces itself
            log.warning(
                "shared API budget %s unavailable (%s): pacing this run locally",
                name,
                type(exc).__name__,
            )
            usable = False
        if usable:
            yield SharedBudget(client, name, rate, max_in_flight, sleep=sleep)
        else:
            yield Pacer(settings_rate, max_in_flight, sleep=sleep)
