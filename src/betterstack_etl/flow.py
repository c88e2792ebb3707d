"""The Prefect flow ``rj_iplanrio__betterstack_api`` (the seed's ``flow.py`` role).

One run: resolve the monitors, fetch the selected tables independently (each with task-level
retries for errors a retry can fix), merge each fetched table into the lake partition by
partition, publish the tables (DuckDB views or BigLake tables), then report. If any table
fails, the others still land (each of their partitions is replaced atomically), nothing of the
failed table is written, and the run ends Failed naming every failed table and why.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, TypeVar

from prefect import Task, flow
from prefect.artifacts import create_markdown_artifact

from betterstack_etl import clock
from betterstack_etl.constants import FLOW_NAME
from betterstack_etl.errors import BetterStackEtlError, RunFailedError
from betterstack_etl.settings import Settings
from betterstack_etl.tasks import (
    TableLoad,
    discard_spool,
    fetch_table,
    merge_table,
    publish_tables,
    release_pacer,
    resolve_monitors_task,
)

__all__ = ["rj_iplanrio__betterstack_api", "summary_markdown"]

log = logging.getLogger("betterstack_etl.flow")

T = TypeVar("T", bound=Task[Any, Any])


def _current_run_id() -> str:
    try:
        from prefect.runtime import flow_run

        run_id = flow_run.id
    except Exception:  # noqa: BLE001 - outside a Prefect run any failure means "no id"
        run_id = None
    return str(run_id) if run_id else uuid.uuid4().hex


def _retrying(task: T, settings: Settings) -> T:
    """The task with the run's task-level retry policy (the seed: 3 retries, 60 s apart)."""
    return task.with_options(  # type: ignore[return-value]
        retries=settings.task_retries, retry_delay_seconds=settings.task_retry_delay
    )


def _describe(exc: BaseException) -> str:
    """``Kind: message``; our errors in full, anything else cut to 500 characters."""
    text = f"{type(exc).__name__}: {exc}"
    return text if isinstance(exc, BetterStackEtlError) else text[:500]


@flow(name=FLOW_NAME, log_prints=True, validate_parameters=True)
def rj_iplanrio__betterstack_api(
    from_date: str | None = None,
    to_date: str | None = None,
    monitor_id: str | None = None,
    tables: list[str] | None = None,
    destination: str | None = None,
    lake_root: str | None = None,
    dataset_id: str | None = None,
    billing_project_id: str | None = None,
    base_url: str | None = None,
) -> dict[str, Any]:
    """Load Better Stack response times, incidents and daily SLA into the lake.

    Args:
        from_date: first UTC day (YYYY-MM-DD) of incidents/SLA to load; default yesterday.
        to_date: last UTC day (inclusive); default today.
        monitor_id: one id, a comma-separated list, or ``all``; default ``MONITOR_ID``.
        tables: subset of ``response_times``, ``incidents``, ``daily_sla``; default all.
        destination: ``local`` or ``bigquery``; default ``BETTERSTACK_DESTINATION``.
        lake_root: folder, or ``gs://bucket/prefix``; default ``BETTERSTACK_LAKE_ROOT``.
        dataset_id: BigQuery dataset; default ``brutos_betterstack``.
        billing_project_id: GCP project; default ``rj-iplanrio``.
        base_url: Better Stack API base URL; default ``BETTERSTACK_BASE_URL``.
    The token is read from ``BETTERSTACK_TOKEN`` only: it is never a parameter.
    """
    params: dict[str, Any] = {
        "from_date": from_date,
        "to_date": to_date,
        "monitors": monitor_id,
        "tables": ",".join(tables) if tables else None,
        "destination": destination,
        "lake_root": lake_root,
        "dataset_id": dataset_id,
        "billing_project_id": billing_project_id,
        "base_url": base_url,
    }
    params = {k: v for k, v in params.items() if v not in (None, "")}
    settings = Settings.from_env(**params)
    now = clock.utcnow()
    window = settings.window(now)
    run_id = _current_run_id()
    log.info(
        "run %s: tables %s, window %s..%s, destination %s (%s)",
        run_id,
        ", ".join(s.name for s in settings.tables),
        window.start,
        window.end,
        settings.destination,
        settings.lake_root,
    )
    try:
        monitors = _retrying(resolve_monitors_task, settings)(params, run_id)
        fetch = _retrying(fetch_table, settings)
        futures = {
            spec.name: fetch.submit(spec.name, params, monitors, run_id, now)
            for spec in settings.tables
        }
        loads: dict[str, TableLoad] = {}
        for name, future in futures.items():
            load = loads[name] = TableLoad(name)
            try:
                staged = future.result()
            except Exception as exc:  # noqa: BLE001 - every failure is reported by table
                load.error = _describe(exc)
                continue
            load.rows_read, load.answers = staged.rows, staged.answers
            try:
                load.partitions = _retrying(merge_table, settings)(staged, params)
            except Exception as exc:  # noqa: BLE001
                load.error = _describe(exc)
            finally:
                discard_spool(staged)
        _retrying(publish_tables, settings)(params)
    finally:
        release_pacer(run_id)
    summary = _summary(run_id, settings, window.start.isoformat(), window.end.isoformat(), loads)
    markdown = summary_markdown(summary)
    log.info("run summary\n%s", markdown)
    try:
        create_markdown_artifact(
            key="betterstack-run-summary", markdown=markdown, description="rows per table"
        )
    except Exception as exc:  # noqa: BLE001 - outside a run (plain call) there is no artifact
        log.debug("no artifact: %s", exc)
    failures = {name: load.error for name, load in loads.items() if load.error}
    if failures:
        raise RunFailedError(failures)
    return summary


def _summary(
    run_id: str, settings: Settings, start: str, end: str, loads: dict[str, TableLoad]
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "destination": settings.destination,
        "lake_root": settings.lake_root,
        "window": [start, end],
        "tables": {
            name: {
                "rows_read": load.rows_read,
                "api_answers": load.answers,
                "rows_inserted": load.rows_written,
                "partitions": [
                    {
                        "data_particao": p.partition.isoformat(),
                        "rows_before": p.rows_before,
                        "rows_offered": p.rows_incoming,
                        "rows_after": p.rows_after,
                    }
                    for p in load.partitions
                ],
                "error": load.error,
            }
            for name, load in loads.items()
        },
    }


def summary_markdown(summary: dict[str, Any]) -> str:
    """The run summary as a Markdown table (one line per table and partition)."""
    lines = [
        f"**Better Stack load** run `{summary['run_id']}` → {summary['destination']} "
        f"`{summary['lake_root']}`, window {summary['window'][0]} … {summary['window'][1]}",
        "",
        "| table | data_particao | rows before | rows offered | rows after | status |",
        "|---|---|---:|---:|---:|---|",
    ]
    for name, table in summary["tables"].items():
        if table["error"]:
            lines.append(f"| {name} | – | – | – | – | FAILED: {table['error']} |")
            continue
        if not table["partitions"]:
            lines.append(f"| {name} | – | – | 0 | – | ok (nothing new) |")
        for p in table["partitions"]:
            lines.append(
                f"| {name} | {p['data_particao']} | {p['rows_before']} | {p['rows_offered']} "
                f"| {p['rows_after']} | ok |"
            )
    return "\n".join(lines)
