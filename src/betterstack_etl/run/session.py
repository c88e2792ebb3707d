"""The explicit state of one run (``RunSession``): parameters, token, run id, clock reading,
request budget, progress reporter, lake and spool; made and released by ``run_session``."""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from betterstack_etl import clock
from betterstack_etl.api import (
    BetterStackClient,
    Pacer,
    RequestCounter,
    RetryPolicy,
    api_http_client,
)
from betterstack_etl.api.budget import run_budget
from betterstack_etl.extract.progress import LogProgress
from betterstack_etl.run.destinations import open_lake
from betterstack_etl.run.spool import SPOOL_DIRNAME, owned_spool

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    import httpx

    from betterstack_etl.extract.progress import Progress
    from betterstack_etl.lake import Lake
    from betterstack_etl.secret import Secret
    from betterstack_etl.settings import RunParams

__all__ = ["RunSession", "run_session"]


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
    ) -> None:
        self.params = params
        self.run_id = run_id
        self.flow_run_id = flow_run_id
        self.now = now
        self.window = params.window(now)
        self.budget = budget
        self.progress = progress
        self.spool = spool
        self._token = token
        self._http = http
        self._lake: Lake | None = None
        self._clients: list[BetterStackClient] = []

    def __repr__(self) -> str:
        return f"RunSession(run_id={self.run_id!r}, destination={self.params.destination!r})"

    @property
    def lake(self) -> Lake:
        if self._lake is None:
            self._lake = open_lake(self.params)
        return self._lake

    def client(self, stats: RequestCounter | None = None) -> BetterStackClient:
        """An API client on the run's connection pool and budget, reading the pipeline clock,
        counting its requests, retries and 429s in ``stats`` (one counter per table)."""
        client = BetterStackClient(
            self._http,
            self._token,
            base_url=self.params.base_url,
            retry=RetryPolicy(base_delay=self.params.retry_base_delay),
            pacer=self.budget,
            clock=lambda: clock.utcnow(),
            stats=stats,
            timeout=self.params.timeout,
        )
        self._clients.append(client)
        return client

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
    made outlives it for more than one later run."""
    if params.destination == "bigquery":
        from betterstack_etl.gcp.layout import layout_of

        layout_of(params)  # a layout that does not fit the dataset or root: before any request
    run_id = run_id or flow_run_id or uuid.uuid4().hex
    root = spool_root or Path(tempfile.gettempdir()) / SPOOL_DIRNAME
    with (
        run_budget(
            params.rate, params.max_in_flight, token, use_prefect=None if shared_budget else False
        ) as budget,
        owned_spool(root, run_id) as spool,
        api_http_client(params.timeout) as http,
    ):
        yield RunSession(
            params,
            token,
            run_id=run_id,
            now=clock.utcnow(),
            budget=budget,
            progress=progress or LogProgress(),
            http=http,
            spool=spool,
            flow_run_id=flow_run_id,
        )
