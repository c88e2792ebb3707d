"""The explicit state of one run (``RunSession``): parameters, token, run id, clock reading,
request budget, stop flag, progress reporter, lake and spool; made and released by
``run_session``, which also turns SIGINT and SIGTERM into a prompt stop (``stop_on_signals``)."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import uuid
from typing import TYPE_CHECKING

from betterstack_etl import clock
from betterstack_etl.api import (
    BetterStackClient,
    Pacer,
    RequestCounter,
    RequestStats,
    RetryPolicy,
    StopFlag,
    api_http_client,
)
from betterstack_etl.api.budget import run_budget
from betterstack_etl.extract.progress import LogProgress
from betterstack_etl.run.destinations import open_lake, view_source
from betterstack_etl.run.spool import default_spool_root, owned_spool

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime
    from pathlib import Path
    from types import FrameType

    import httpx

    from betterstack_etl.extract.progress import Progress
    from betterstack_etl.lake import Lake
    from betterstack_etl.report import ViewSource
    from betterstack_etl.secret import Secret
    from betterstack_etl.settings import RunParams

__all__ = ["RunSession", "run_session", "stop_on_signals"]

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunSession:
    """The explicit state of one run, shared by its steps and threads; made by ``run_session``.

    It holds no secret in a form that prints: the token is a ``Secret`` used only to build API
    clients, which all share the run's request budget and one connection pool."""

    def __init__(
        self,
        params: RunParams,
        token: Secret,
        *,
        run_id: str,
        now: datetime,
        budget: Pacer,
        progress: Progress,
        http: httpx.Client,
        spool: Path,
        flow_run_id: str | None = None,
        stop: StopFlag | None = None,
    ) -> None:
        self.params = params
        self.run_id = run_id
        self.flow_run_id = flow_run_id
        self.now = now
        self.window = params.window(now)
        self.budget = budget
        self.progress = progress
        self.spool = spool
        self.stop = stop or StopFlag()
        self._token = token
        self._http = http
        self._lake: Lake | None = None
        self._views: ViewSource | None = None
        self._clients: list[BetterStackClient] = []
        self._tables: dict[str, RequestCounter] = {}
        self._tables_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RunSession(run_id={self.run_id!r}, destination={self.params.destination!r})"

    @property
    def lake(self) -> Lake:
        if self._lake is None:
            self._lake = open_lake(self.params)
        return self._lake

    def views(self, *, memory_mib: int, threads: int) -> ViewSource:
        """The published views as the checks after the load read them (``view_source``):
        one connection for all of them, opened by the first (with its memory limit and
        threads), kept until ``close_views`` (or the session's end)."""
        if self._views is None:
            self._views = view_source(self.params, memory_mib=memory_mib, threads=threads)
        return self._views

    def close_views(self) -> None:
        """Close the checks' connection, if open (DuckDB's: its memory limit goes with it)."""
        views, self._views = self._views, None
        close = getattr(views, "close", None)
        if callable(close):
            close()

    def client(self, stats: RequestCounter | None = None) -> BetterStackClient:
        """An API client on the run's connection pool, budget and stop flag, reading the
        pipeline clock, counting its requests, retries and 429s in ``stats``."""
        client = BetterStackClient(
            self._http,
            self._token,
            base_url=self.params.base_url,
            retry=RetryPolicy(base_delay=self.params.retry_base_delay),
            pacer=self.budget,
            clock=lambda: clock.utcnow(),
            stats=stats,
            stop=self.stop,
            timeout=self.params.timeout,
        )
        self._clients.append(client)
        return client

    def table_counter(self, table: str) -> RequestCounter:
        """The counter of ``table``'s requests in this run (every attempt of its fetch): the
        ledger reads it whether the table landed, failed or was stopped."""
        with self._tables_lock:
            return self._tables.setdefault(table, RequestCounter())

    def table_requests(self, table: str) -> RequestStats:
        with self._tables_lock:
            counter = self._tables.get(table)
        return counter.snapshot() if counter is not None else RequestStats()

    @property
    def requests_sent(self) -> int:
        """HTTP requests the run's clients sent so far, retries included."""
        return sum(c.requests_sent for c in self._clients)


@contextlib.contextmanager
def run_session(
    params: RunParams,
    token: Secret,
    *,
    run_id: str | None = None,
    progress: Progress | None = None,
    spool_root: Path | None = None,
    shared_budget: bool = False,
    flow_run_id: str | None = None,
) -> Iterator[RunSession]:
    """The state of one run, released when the block ends (however it ends).

    The request budget is the run's own ``Pacer``, or with ``shared_budget`` (the flow) one
    budget per token shared by every run on the same Prefect server (``budget.run_budget``:
    a global concurrency limit; the run's own pacer when no server answers).

    The spool is ``<spool_root>/<run_id>``, held by an ``flock`` for the run's lifetime; each
    new session first removes the spools of runs that are gone (killed, crashed): nothing a run
    made outlives it for more than one later run.

    While the block runs, SIGINT and SIGTERM set the session's ``stop`` (``stop_on_signals``):
    every request, page and wait of the run checks it."""
    if params.destination == "bigquery":
        from betterstack_etl.gcp.layout import layout_of

        layout_of(params)  # a layout that does not fit the dataset or root: before any request
    run_id = run_id or flow_run_id or uuid.uuid4().hex
    root = spool_root or default_spool_root()
    stop = StopFlag()
    use_prefect = None if shared_budget else False
    with (
        stop_on_signals(stop),
        run_budget(
            params.rate, params.max_in_flight, token, use_prefect=use_prefect, sleep=stop.sleep
        ) as budget,
        owned_spool(root, run_id) as spool,
        api_http_client(params.timeout) as http,
    ):
        session = RunSession(
            params,
            token,
            run_id=run_id,
            now=clock.utcnow(),
            budget=budget,
            progress=progress or LogProgress(),
            http=http,
            spool=spool,
            flow_run_id=flow_run_id,
            stop=stop,
        )
        try:
            yield session
        finally:
            session.close_views()


@contextlib.contextmanager
def stop_on_signals(stop: StopFlag) -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM set ``stop`` (the run stops before its next
    request, writes its ledger rows, and says it was stopped) instead of killing the process
    mid-write; a second signal acts as it did before (Ctrl-C twice: at once). Only the main
    thread can handle signals: elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, object] = {}

    def handler(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        log.warning("%s received: the run stops before its next request (again: at once)", name)
        stop.set(name)
        _restore(previous)

    for number in STOP_SIGNALS:
        previous[number] = signal.signal(number, handler)
    try:
        yield
    finally:
        _restore(previous)


def _restore(previous: dict[int, object]) -> None:
    for number, old in previous.items():
        signal.signal(number, old if old is not None else signal.SIG_DFL)  # type: ignore[arg-type]
