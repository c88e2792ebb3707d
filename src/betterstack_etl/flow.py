"""The Prefect flow ``rj_iplanrio__betterstack_api`` (the seed's ``flow.py`` role): a shell.

The load itself is ``runner.execute`` (Prefect-free); the flow reads the settings once, its
parameters (named as the settings they set) over the environment over the ``.env`` file, as
every command does (``settings.load_settings``), runs every core step as a Prefect task
(``tasks.PrefectSteps``: retries, task runs in the UI), writes the summary as a Markdown
artifact, and ends Failed naming each failed table when any failed. The token is read from the
settings (``BETTERSTACK_TOKEN``) only: it is never a flow parameter.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from prefect import flow
from prefect.artifacts import create_link_artifact, create_markdown_artifact

from betterstack_etl.constants import FLOW_NAME, FLOW_TIMEOUT_SECONDS
from betterstack_etl.errors import RunFailedError
from betterstack_etl.literal import markdown
from betterstack_etl.run import runner
from betterstack_etl.run.flowrun import flow_run_name, with_run_logs
from betterstack_etl.run.session import run_session
from betterstack_etl.settings import load_settings
from betterstack_etl.tasks import PrefectSteps

__all__ = ["rj_iplanrio__betterstack_api", "summary_markdown"]

log = logging.getLogger("betterstack_etl.flow")


def _flow_run_id() -> str | None:
    try:
        from prefect.runtime import flow_run

        run_id = flow_run.id
    except Exception:  # noqa: BLE001 - outside a Prefect run any failure means "no id"
        run_id = None
    return str(run_id) if run_id else None


@flow(
    name=FLOW_NAME,
    flow_run_name=flow_run_name,
    timeout_seconds=FLOW_TIMEOUT_SECONDS,
    log_prints=True,
    validate_parameters=True,
)
@with_run_logs  # our log lines in the flow run's logs (Prefect UI), at INFO
def rj_iplanrio__betterstack_api(
    from_date: str | None = None,
    to_date: str | None = None,
    monitor_id: str | None = None,
    tables: list[str] | None = None,
    destination: str | None = None,
    lake_root: str | None = None,
    dataset_id: str | None = None,
    billing_project_id: str | None = None,
    bigquery_layout: str | None = None,
    base_url: str | None = None,
    report_out: str | None = None,
) -> dict[str, Any]:
    """Load Better Stack response times, incidents, daily SLA and monitors into the lake.

    Each parameter is a setting (declared in ``betterstack_etl.settings``); unset, its
    variable is read, then the ``.env`` file, then the default.

    Args:
        from_date: first UTC day (YYYY-MM-DD) of incidents/SLA to load
            (``BETTERSTACK_FROM_DATE``); default yesterday.
        to_date: last UTC day, inclusive (``BETTERSTACK_TO_DATE``); default today.
        monitor_id: one id, a comma-separated list, or ``all`` (``MONITOR_ID``).
        tables: subset of ``response_times``, ``incidents``, ``daily_sla``, ``monitors``
            (``BETTERSTACK_TABLES``); default all.
        destination: ``local`` or ``bigquery`` (``BETTERSTACK_DESTINATION``).
        lake_root: folder, or ``gs://bucket/prefix`` (``BETTERSTACK_LAKE_ROOT``).
        dataset_id: BigQuery dataset (``BETTERSTACK_DATASET_ID``).
        billing_project_id: GCP project (``BETTERSTACK_BILLING_PROJECT_ID``).
        bigquery_layout: ``flat`` or ``basedosdados`` (raw tables ``etl_<table>`` in
            ``<dataset>_staging``) (``BETTERSTACK_BIGQUERY_LAYOUT``).
        base_url: Better Stack API base URL (``BETTERSTACK_BASE_URL``).
        report_out: where to write the month's SLA report (``.html`` path or ``gs://``;
            ``{month}`` is filled in) (``BETTERSTACK_REPORT_OUT``); default none.
    """
    loaded = load_settings(
        from_date=from_date,
        to_date=to_date,
        monitor_id=monitor_id,
        tables=tables,
        destination=destination,
        lake_root=lake_root,
        dataset_id=dataset_id,
        billing_project_id=billing_project_id,
        bigquery_layout=bigquery_layout,
        base_url=base_url,
        report_out=report_out,
    )
    for note in loaded.layers.notes():
        log.warning("%s", note)
    params = loaded.run_params()
    token = loaded.token()
    with run_session(params, token, flow_run_id=_flow_run_id(), shared_budget=True) as session:
        log.info(
            "run %s: tables %s, window %s..%s, destination %s (%s)",
            session.run_id,
            ", ".join(s.name for s in params.tables),
            session.window.start,
            session.window.end,
            params.destination,
            params.lake_root,
        )
        summary = runner.execute(session, PrefectSteps(params))
    if summary.slo_transitions:  # events on state changes only (SPEC §11, sla.alerts)
        from betterstack_etl.sla.alerts import emit_transition_events

        emitted = emit_transition_events(summary.slo_transitions)
        changes = len(summary.slo_transitions)
        log.warning("%d SLO state change(s); %d event(s) emitted", changes, emitted)
    result = summary.to_dict()
    markdown = summary_markdown(result)
    log.info("run summary\n%s", markdown)
    create_markdown_artifact(
        key="betterstack-run-summary", markdown=markdown, description="rows per table"
    )
    if summary.report is not None:
        create_link_artifact(
            key="betterstack-report",
            link=_report_link(summary.report),
            link_text=f"SLA report {summary.report}",
            description="the month's SLA report (betterstack-etl report)",
        )
    if summary.failures:
        raise RunFailedError(summary.failures, summary=result)
    return result


def _report_link(where: str) -> str:
    """A link a browser opens: ``gs://b/p`` → the Cloud Console's authenticated URL."""
    if where.startswith("gs://"):
        return "https://storage.cloud.google.com/" + where.removeprefix("gs://")
    return where if "://" in where else f"file://{where}"


def summary_markdown(summary: dict[str, Any]) -> str:
    """The run summary as a Markdown table (one line per table and partition). Every value
    that is not ours (names and errors quote the API; paths are the user's) is escaped, so it
    renders as its own characters: no link, tag or table cell comes out of it (SPEC §13)."""
    from betterstack_etl.report.breaches import breach_text

    lines = [
        f"**Better Stack load** run `{summary['run_id']}` → {summary['destination']} "
        f"{markdown(summary['lake_root'])}, window {summary['window'][0]} … {summary['window'][1]}",
        "",
        "| table | data_particao | rows before | rows offered | rows after | status |",
        "|---|---|---:|---:|---:|---|",
    ]
    if summary.get("report"):
        link = quote(_report_link(summary["report"]), safe=":/")
        lines.insert(1, f"\nSLA report: [{markdown(summary['report'])}](<{link}>)")
    for b in summary.get("slo_breaches", []):
        lines.insert(
            1,
            f"\n**SLO breached**: {breach_text(b, markdown)}",
        )
    for warning in summary.get("warnings", []):
        lines.insert(1, f"\n**warning**: {markdown(warning)}")
    for name, table in summary["tables"].items():
        if table["error"]:
            lines.append(f"| {name} | – | – | – | – | FAILED: {markdown(table['error'])} |")
            continue
        if not table["partitions"]:
            lines.append(f"| {name} | – | – | 0 | – | ok (nothing new) |")
        for p in table["partitions"]:
            lines.append(
                f"| {name} | {p['data_particao']} | {p['rows_before']} | {p['rows_offered']} "
                f"| {p['rows_after']} | ok |"
            )
    return "\n".join(lines)
