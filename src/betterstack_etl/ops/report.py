"""``betterstack-etl report``: options from the command line and the environment, the source for
the destination, render, write. The CLI's ``report`` command is a shell around ``run_report``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from betterstack_etl import constants as C
from betterstack_etl.errors import ConfigError
from betterstack_etl.report.options import ReportOptions
from betterstack_etl.report.output import write_report
from betterstack_etl.report.render import render_report

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

__all__ = ["run_report"]


def run_report(
    *,
    out: str,
    now: datetime,
    lake_root: str | None = None,
    month: str | None = None,
    from_date: str | None = None,
    to_date: str | None = None,
    monitor_id: str | None = None,
    time_zone: str = "America/Sao_Paulo",
    slo: str | float = 99.9,
    lang: str = "pt-BR",
    destination: str | None = None,
    dataset_id: str | None = None,
    billing_project_id: str | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """Render the report and write it to ``out``; where it went. ConfigError on bad input."""
    env = os.environ if env is None else env
    options = ReportOptions.from_cli(
        now=now,
        month=month,
        from_date=from_date,
        to_date=to_date,
        time_zone=time_zone,
        slo=slo,
        lang=lang,
        monitor_id=monitor_id,
    )
    if not out.strip():
        raise ConfigError("--out is empty", hint="give a file name, e.g. --out report.html")
    kind = (destination or env.get("BETTERSTACK_DESTINATION") or "local").strip().lower()
    if kind == "local":
        from betterstack_etl.report.source import DuckDbSource

        root = lake_root or env.get("BETTERSTACK_LAKE_ROOT") or C.DEFAULT_LAKE_ROOT
        if root.startswith("gs://"):
            raise ConfigError(
                f"the lake root {root} is in GCS but the destination is local",
                hint="pass --destination bigquery to read the BigQuery views",
            )
        with DuckDbSource.open(root) as source:
            html = render_report(source, options)
    elif kind == "bigquery":
        from betterstack_etl.gcp.layout import LAYOUT_ENV, bigquery_layout, parse_layout
        from betterstack_etl.report.source import BigQuerySource

        names = bigquery_layout(
            parse_layout(env.get(LAYOUT_ENV)),
            dataset_id=dataset_id or env.get("BETTERSTACK_DATASET_ID") or C.DEFAULT_DATASET_ID,
            lake_root=env.get("BETTERSTACK_LAKE_ROOT") or "gs://",
        )
        source_bq = BigQuerySource.from_env(
            project=billing_project_id
            or env.get("BETTERSTACK_BILLING_PROJECT_ID")
            or C.DEFAULT_BILLING_PROJECT_ID,
            dataset=names.dataset,
            location=env.get("BETTERSTACK_BIGQUERY_LOCATION") or "US",
        )
        html = render_report(source_bq, options)
    else:
        raise ConfigError(f"unknown destination {kind!r}", hint="use local or bigquery")
    return write_report(html, out)
