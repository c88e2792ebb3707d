"""Prefect tasks (the seed's ``tasks.py`` role): thin wrappers that build what they need from
the settings, do one job, log, and return a small summary.

Tasks never receive the token or clients: they get the run's plain parameters (``params``)
and rebuild ``Settings`` from the environment, so no secret is ever recorded as a task input.
Staged rows travel between tasks as a folder path, not as data.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pyarrow.compute as pc
from prefect import task
from prefect.cache_policies import NO_CACHE

from betterstack_etl import clock
from betterstack_etl.api import BetterStackClient, Pacer, RetryPolicy
from betterstack_etl.errors import is_retryable
from betterstack_etl.extract import (
    Extracted,
    Selection,
    extract_daily_sla,
    extract_incidents,
    extract_response_times,
    resolve_monitors,
)
from betterstack_etl.lake import LocalLake, Staging
from betterstack_etl.settings import Settings
from betterstack_etl.tables import DAILY_SLA, INCIDENTS, RESPONSE_TIMES, TABLES, table_by_name

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import pyarrow as pa
    from prefect import Task
    from prefect.client.schemas.objects import State, TaskRun

    from betterstack_etl.lake import Lake, PartitionResult
    from betterstack_etl.tables import TableSpec

__all__ = [
    "StagedTable",
    "TableLoad",
    "fetch_table",
    "merge_table",
    "open_lake",
    "publish_tables",
    "resolve_monitors_task",
]

log = logging.getLogger("betterstack_etl.tasks")

# One request budget per run, shared by every task thread of that run.
_PACERS: dict[str, Pacer] = {}
_PACERS_LOCK = threading.Lock()


def settings_for(params: dict[str, Any]) -> Settings:
    return Settings.from_env(**params)


def pacer_for(run_id: str, settings: Settings) -> Pacer:
    with _PACERS_LOCK:
        pacer = _PACERS.get(run_id)
        if pacer is None:
            pacer = _PACERS[run_id] = Pacer(settings.rate, settings.max_in_flight)
        return pacer


def release_pacer(run_id: str) -> None:
    with _PACERS_LOCK:
        _PACERS.pop(run_id, None)


@contextmanager
def make_client(settings: Settings, run_id: str) -> Iterator[BetterStackClient]:
    """A client on its own TLS-verifying ``httpx.Client``, paced by the run's shared budget,
    reading time from ``betterstack_etl.clock`` (so tests can move it)."""
    timeout = httpx.Timeout(settings.timeout, connect=min(10.0, settings.timeout))
    with httpx.Client(timeout=timeout, verify=True, follow_redirects=False) as http:
        yield BetterStackClient(
            http,
            settings.token,
            base_url=settings.base_url,
            retry=RetryPolicy(base_delay=settings.retry_base_delay),
            pacer=pacer_for(run_id, settings),
            clock=lambda: clock.utcnow(),
        )


def open_lake(settings: Settings) -> Lake:
    """The destination chosen by the settings: local folder + DuckDB, or GCS + BigQuery."""
    if settings.destination == "bigquery":
        from betterstack_etl.gcp import make_gcs_lake

        return make_gcs_lake(
            settings.lake_root,
            billing_project_id=settings.billing_project_id,
            dataset_id=settings.dataset_id,
            connection_id=settings.bigquery_connection_id,
            location=settings.bigquery_location,
        )
    return LocalLake(settings.lake_root)


def retry_if_fixable(task: Task[Any, Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Task-level retry only for errors a retry can fix (never 400/401/403/404 or config)."""
    exc = state.result(raise_on_failure=False)
    retry = not isinstance(exc, BaseException) or is_retryable(exc)
    if not retry:
        log.warning("%s failed with an error a retry cannot fix; not retrying", task.name)
    return retry


@dataclass(frozen=True)
class StagedTable:
    """A table's rows for this run, spooled to ``spool`` (a local folder)."""

    table: str
    spool: str
    rows: int
    answers: int
    skipped: tuple[str, ...] = ()


@dataclass
class TableLoad:
    """The outcome of one table in one run (what the summary shows)."""

    table: str
    rows_read: int = 0
    answers: int = 0
    partitions: list[PartitionResult] = field(default_factory=list)
    error: str | None = None

    @property
    def rows_written(self) -> int:
        return sum(p.rows_inserted for p in self.partitions)


@task(name="resolve-monitors", cache_policy=NO_CACHE, retry_condition_fn=retry_if_fixable)
def resolve_monitors_task(params: dict[str, Any], run_id: str) -> Selection:
    settings = settings_for(params)
    with make_client(settings, run_id) as client:
        selection = resolve_monitors(client, settings.monitors)
    ids = selection.ids
    log.info("loading %d of %d monitor(s): %s", len(ids), selection.visible, ", ".join(ids[:20]))
    return selection


def open_incidents_before(lake: Lake, start: date, monitors: list[str] | None) -> list[str]:
    """Ids of incidents still open in the lake that started before ``start``."""
    wanted = set(monitors) if monitors is not None else None
    ids: list[str] = []
    for part in lake.scan(INCIDENTS, ["incident_id", "monitor_id", "started_at", "resolved_at"]):
        open_rows = part.filter(pc.is_null(part.column("resolved_at")))
        for row in open_rows.to_pylist():
            started: datetime = row["started_at"]
            if started.astimezone(UTC).date() >= start:
                continue
            if wanted is not None and row["monitor_id"] not in wanted:
                continue
            ids.append(row["incident_id"])
    return ids


@task(name="fetch-table", cache_policy=NO_CACHE, retry_condition_fn=retry_if_fixable)
def fetch_table(
    table: str, params: dict[str, Any], selection: Selection, run_id: str, now: datetime
) -> StagedTable:
    """Read one table from the API into a local spool (nothing reaches the lake here)."""
    settings = settings_for(params)
    spec = table_by_name(table)
    spool = Path(tempfile.mkdtemp(prefix=f"betterstack-{spec.short_name}-"))
    staging = Staging(spec, spool)
    try:
        with make_client(settings, run_id) as client:
            got = _extract(spec, client, settings, selection, now, staging.add, run_id)
    except BaseException:
        shutil.rmtree(spool, ignore_errors=True)
        raise
    log.info("%s: %d rows read from %d API answers", spec.name, got.rows, got.answers)
    return StagedTable(spec.name, str(spool), got.rows, got.answers, tuple(got.skipped))


def _extract(
    spec: TableSpec,
    client: BetterStackClient,
    settings: Settings,
    selection: Selection,
    now: datetime,
    sink: Callable[[pa.Table], None],
    run_id: str,
) -> Extracted:
    """Pick the extraction of one table (the plan of requests is in ``extract``)."""
    monitors = list(selection.ids)
    workers = settings.max_in_flight
    if spec is RESPONSE_TIMES:
        return extract_response_times(client, monitors, sink, run_id=run_id, workers=workers)
    window = settings.window(now)
    if spec is DAILY_SLA:
        return extract_daily_sla(client, monitors, window, sink, run_id=run_id, workers=workers)
    # incidents: those started in the window, plus those still open in the lake from before
    mine = None if selection.everything else monitors
    open_ids = open_incidents_before(open_lake(settings), window.start, mine)
    walk_account = selection.walk_account
    return extract_incidents(
        client,
        None if walk_account else monitors,
        window,
        open_ids,
        sink,
        run_id=run_id,
        workers=workers,
        keep=mine if walk_account else None,
    )


@task(name="merge-table", cache_policy=NO_CACHE, retry_condition_fn=retry_if_fixable)
def merge_table(staged: StagedTable, params: dict[str, Any]) -> list[PartitionResult]:
    """Merge the spooled rows into the lake, one partition at a time (the caller discards the
    spool with ``discard_spool`` once it is done with it, merged or not)."""
    settings = settings_for(params)
    spec = table_by_name(staged.table)
    staging = Staging(spec, Path(staged.spool))
    results = staging.commit(open_lake(settings))
    for r in results:
        log.info(
            "%s %s: %d rows before, %d offered, %d after",
            spec.name,
            r.partition,
            r.rows_before,
            r.rows_incoming,
            r.rows_after,
        )
    return results


@task(name="publish-tables", cache_policy=NO_CACHE, retry_condition_fn=retry_if_fixable)
def publish_tables(params: dict[str, Any]) -> None:
    """Expose the tables: DuckDB views locally, BigLake tables in BigQuery."""
    settings = settings_for(params)
    open_lake(settings).publish(TABLES)


def discard_spool(staged: StagedTable) -> None:
    shutil.rmtree(staged.spool, ignore_errors=True)
