"""``betterstack-etl report``: the period and the options from the command line, the views of
the destination the settings name (``run.destinations.view_source``), render, write. The CLI's
``report`` command is a shell around ``run_report``."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from betterstack_etl.errors import ConfigError
from betterstack_etl.report.options import ReportOptions
from betterstack_etl.report.output import write_report
from betterstack_etl.report.render import render_report
from betterstack_etl.run.destinations import view_source

if TYPE_CHECKING:
    from datetime import datetime

    from betterstack_etl.settings import RunParams

__all__ = ["run_report"]


def run_report(
    params: RunParams,
    *,
    out: str,
    now: datetime,
    month: str | None = None,
    from_date: str | None = None,
    to_date: str | None = None,
    monitor_id: str | None = None,
    lang: str = "pt-BR",
) -> str:
    """Render the report of the views ``params`` point at (its time zone and SLO too) and
    write it to ``out``; where it went. ConfigError on bad input."""
    options = ReportOptions.from_cli(
        now=now,
        month=month,
        from_date=from_date,
        to_date=to_date,
        time_zone=params.sla.time_zone,
        slo=params.sla.slo_pct,
        lang=lang,
        monitor_id=monitor_id,
    )
    options = replace(options, slos=params.sla.slos)  # the SLO file's SLOs (SPEC §11)
    if not out.strip():
        raise ConfigError("--out is empty", hint="give a file name, e.g. --out report.html")
    source = view_source(params)
    try:
        html = render_report(source, options)
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
    return write_report(html, out)
