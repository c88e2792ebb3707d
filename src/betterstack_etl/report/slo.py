"""The report's SLO parts (SPEC §9, §11), read through a ``ViewSource``: per monitor the
covered period ("dados desde …"), the last months' trend from the monthly view, and each
declared SLO's status (``eai_gateway_slo_status``) with its budget and burn rates."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Final

from betterstack_etl.report.records import month_figures, month_seconds
from betterstack_etl.sla._slo_sql import SLO_STATUS
from betterstack_etl.sla._sql import COVERAGE, INCIDENTS, MONTHLY

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from betterstack_etl.report.options import ReportOptions
    from betterstack_etl.report.records import MonitorReport
    from betterstack_etl.report.source import ViewSource

__all__ = ["TREND_MONTHS", "months_back", "read_slo_sections"]

TREND_MONTHS: Final = 6


def months_back(month: date, count: int) -> date:
    """The first day of the month ``count`` months before ``month``."""
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def _ids(ids: Sequence[str]) -> str:
    # monitor ids are plain tokens (ReportOptions refuses quotes)
    return f" AND monitor_id IN ({', '.join(repr(str(i)) for i in ids)})" if ids else ""


def read_slo_sections(
    source: ViewSource,
    views: dict[str, str],
    options: ReportOptions,
    ids: Sequence[str],
    get: Callable[[str], MonitorReport],
) -> None:
    """Fill each monitor's ``covered_since``, ``trend`` and (for the current month) ``slos``."""
    where = _ids(ids)
    if source.exists(COVERAGE):
        sql = (
            f"SELECT monitor_id, MIN(`date`) AS first_day FROM {source.ref(COVERAGE)} "  # noqa: S608
            f"WHERE table_name = '{INCIDENTS}'{where} GROUP BY monitor_id"
        )
        if source.dialect == "duckdb":
            sql = sql.replace("`date`", '"date"')
        for row in source.query(sql).to_pylist():
            get(row["monitor_id"]).covered_since = row["first_day"]
    if MONTHLY in views:
        first = months_back(options.month, TREND_MONTHS - 1)
        sql = (
            "SELECT monitor_id, month, observed_seconds, downtime_seconds, incidents, "  # noqa: S608
            "availability_pct, slo_pct, error_budget_seconds, covered_seconds, coverage_pct "
            f"FROM {views[MONTHLY]} WHERE month >= DATE '{first.isoformat()}' "
            f"AND month <= DATE '{options.month.isoformat()}'{where}"
        )
        rows = sorted(source.query(sql).to_pylist(), key=lambda r: (r["monitor_id"], r["month"]))
        for row in rows:
            seconds = month_seconds(row["month"], options.time_zone)
            get(row["monitor_id"]).trend.append(month_figures(row, options.slo_pct, seconds))
    if SLO_STATUS in views and options.month == options.today.replace(day=1):
        sql = f"SELECT * FROM {views[SLO_STATUS]} WHERE TRUE{where}"  # noqa: S608
        rows = sorted(source.query(sql).to_pylist(), key=_slo_order)
        for row in rows:
            get(row["monitor_id"]).slos.append(row)


def _slo_order(row: dict[str, Any]) -> tuple[str, int, str]:
    return (row["monitor_id"], 0 if row["indicator"] == "availability" else 1, row["slo_name"])
