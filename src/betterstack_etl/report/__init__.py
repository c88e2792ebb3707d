"""``betterstack-etl report``: one self-contained HTML report from the SLA views (SPEC §9),
and the SLO breaches a run reports and turns into Prefect events.

Public surface::

    source = DuckDbSource.open(lake_root)          # or BigQuerySource.from_env(...)
    options = ReportOptions.from_cli(now=..., month="2026-11", lang="en")
    html = render_report(source, options)
    write_report(html, "report.html")              # or "gs://bucket/path.html"

    breaches = slo_breaches(source, month=date(2026, 11, 1), options=options)
    emit_slo_breach_events(breaches)               # Prefect events betterstack.slo.breached
"""

from __future__ import annotations

from betterstack_etl.report.breaches import (
    EVENT,
    SloBreach,
    emit_slo_breach_events,
    event_of,
    slo_breaches,
)
from betterstack_etl.report.options import ReportOptions
from betterstack_etl.report.output import write_report
from betterstack_etl.report.render import render_report
from betterstack_etl.report.source import BigQuerySource, DuckDbSource, ViewSource

__all__ = [
    "EVENT",
    "BigQuerySource",
    "DuckDbSource",
    "ReportOptions",
    "SloBreach",
    "ViewSource",
    "emit_slo_breach_events",
    "event_of",
    "render_report",
    "slo_breaches",
    "write_report",
]
