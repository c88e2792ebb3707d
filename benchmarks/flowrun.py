"""A run of the flow's own task functions, without the Prefect engine around them.

The flow resolves the monitors, submits one ``fetch_table`` per table at once (Prefect's thread
pool) and merges each staged table; the tasks share the run's ``Pacer`` through ``run_id``.
This does the same with the tasks' plain functions (``task.fn``) on a thread pool, so the
benchmark measures the extraction code the flow runs, not Prefect's orchestration overhead.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from benchmarks.common import TOKEN, BenchConfig, patched_env, request_bars
from betterstack_etl.tasks import (
    discard_spool,
    fetch_table,
    merge_table,
    release_pacer,
    resolve_monitors_task,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date, datetime

    from rich.console import Console

    from betterstack_etl.tasks import StagedTable

__all__ = ["FlowRun", "run_tables"]


@dataclass(frozen=True, slots=True)
class FlowRun:
    """What one run did: requests sent by the pipeline, fetch and merge wall times."""

    monitors: list[str]
    fetch_seconds: float
    merge_seconds: float
    rows_read: int
    rows_merged: int


def flow_params(
    base_url: str,
    lake_root: str,
    monitors: Sequence[str],
    tables: Sequence[str],
    window: tuple[date, date] | None,
) -> dict[str, Any]:
    """The ``params`` the flow hands its tasks (see ``flow.rj_iplanrio__betterstack_api``)."""
    params: dict[str, Any] = {
        "monitors": ",".join(monitors),
        "tables": ",".join(tables),
        "destination": "local",
        "lake_root": lake_root,
        "base_url": base_url,
    }
    if window is not None:
        params["from_date"], params["to_date"] = window[0].isoformat(), window[1].isoformat()
    return params


def run_tables(
    config: BenchConfig,
    params: dict[str, Any],
    run_id: str,
    now: datetime,
    *,
    console: Console,
) -> FlowRun:
    """Resolve the monitors, fetch every table of ``params`` at once, then merge each one."""
    env = {
        "BETTERSTACK_TOKEN": TOKEN,
        "BETTERSTACK_RATE": str(config.rate),
        "BETTERSTACK_MAX_IN_FLIGHT": str(config.max_in_flight),
    }
    tables = str(params["tables"]).split(",")
    try:
        with patched_env(env), request_bars(console):
            started = time.monotonic()
            monitors = resolve_monitors_task.fn(params, run_id)
            with ThreadPoolExecutor(max_workers=len(tables)) as pool:
                futures = [
                    pool.submit(fetch_table.fn, table, params, monitors, run_id, now)
                    for table in tables
                ]
                staged = [f.result() for f in futures]
            fetched = time.monotonic()
            merged = _merge_all(staged, params)
            finished = time.monotonic()
    finally:
        release_pacer(run_id)
    return FlowRun(
        monitors=list(monitors.ids),
        fetch_seconds=fetched - started,
        merge_seconds=finished - fetched,
        rows_read=sum(s.rows for s in staged),
        rows_merged=merged,
    )


def _merge_all(staged: list[StagedTable], params: dict[str, Any]) -> int:
    rows = 0
    for table in staged:
        try:
            rows += sum(p.rows_inserted for p in merge_table.fn(table, params))
        finally:
            discard_spool(table)
    return rows
