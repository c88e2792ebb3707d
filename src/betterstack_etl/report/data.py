"""What the report shows, read from the views of SPEC §8.2 (and the monitors and incidents
tables) through a ``ViewSource``: plain, typed records, no formatting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from betterstack_etl.errors import ConfigError
from betterstack_etl.report.order import worst_first
from betterstack_etl.report.records import (
    AT_RISK_BUDGET_PCT,
    MISSING_SAMPLES_PCT,
    DayFigures,
    Gap,
    Incident,
    Mismatch,
    MonitorReport,
    MonthFigures,
    ReportData,
    SloSettings,
    Status,
    month_figures,
    month_seconds,
    status_of,
)
from betterstack_etl.report.slo import TREND_MONTHS, months_back, read_slo_sections
from betterstack_etl.report.source import reach_reader, window_reader
from betterstack_etl.sla import SOURCES, SlaOptions, view_selects
from betterstack_etl.sla._sql import (  # the views' own names and rules, defined once
    DAILY,
    HOURLY,
    INCIDENTS,
    MONITORS,
    MONTHLY,
    RECONCILIATION,
    downtime_rule_sql,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import pyarrow as pa

    from betterstack_etl.report.options import ReportOptions
    from betterstack_etl.report.source import ViewSource

__all__ = [
    "AT_RISK_BUDGET_PCT",
    "DAILY",
    "HOURLY",
    "INCIDENTS",
    "MISSING_SAMPLES_PCT",
    "MONITORS",
    "MONTHLY",
    "RAW_TABLES",
    "RECONCILIATION",
    "SLA_VIEWS",
    "DayFigures",
    "Gap",
    "Incident",
    "Mismatch",
    "MonitorReport",
    "MonthFigures",
    "ReportData",
    "SloSettings",
    "Status",
    "find_gaps",
    "hours_window",
    "load_report",
    "monitor_names",
    "month_figures",
    "month_seconds",
    "read_monthly",
    "status_of",
    "view_relations",
]


SLA_VIEWS: Final = (DAILY, MONTHLY, RECONCILIATION, HOURLY)
RAW_TABLES: Final = tuple(sorted(SOURCES))  # what the views read (sla.SOURCES)

_Get = Callable[[str], "MonitorReport"]  # a monitor's report by id, created on first use


# -- SQL (one text for DuckDB and BigQuery) ------------------------------------------------


def _lit(text: str) -> str:
    if "'" in text or "\\" in text:  # monitor ids are plain tokens (see ReportOptions)
        raise ValueError(f"not a monitor id: {text!r}")
    return f"'{text}'"


def _day(value: date) -> str:
    return f"DATE '{value.isoformat()}'"


def _ts(value: datetime) -> str:
    return f"TIMESTAMP '{value.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S')}'"


def _monitor_filter(ids: Sequence[str]) -> str:
    return f" AND monitor_id IN ({', '.join(_lit(i) for i in ids)})" if ids else ""


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist()  # type: ignore[no-any-return]


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _check_time_zone(rows: Iterable[dict[str, Any]], view: str, time_zone: str) -> None:
    zones = {r["time_zone"] for r in rows if r.get("time_zone")}
    if zones and zones != {time_zone}:
        found = ", ".join(sorted(zones))
        raise ConfigError(
            f"the view {view} is in the time zone {found}, the report asks for {time_zone}",
            hint=f"pass --timezone {sorted(zones)[0]}, or publish the views again with "
            f"BETTERSTACK_REPORT_TIMEZONE={time_zone}",
        )


def view_relations(
    source: ViewSource,
    options: SloSettings,
    now: datetime | None = None,
    *,
    period: tuple[date, date] | None = None,
    reaching: Callable[[date], Sequence[date] | None] | None = None,
) -> dict[str, str]:
    """How to read each SLA view the lake can give, by name: its SELECT (``view_selects``) in
    parentheses when the raw tables are all there, so the views are computed with the report's
    time zone, SLO and ``now`` (and, given ``period``, read only that period's partitions);
    else the view published in the lake, when there is one."""
    if all(source.exists(name) for name in RAW_TABLES):
        # the SLOs of the file (BETTERSTACK_SLO_FILE) when the caller gave them
        slos = tuple(getattr(options, "slos", ()))
        sla = SlaOptions(time_zone=options.time_zone, slo_pct=options.slo_pct, slos=slos)
        selects = view_selects(
            source.dialect,
            table_ref=source.ref,
            options=sla,
            now=now,
            period=period,
            window_ref=window_reader(source),
            reaching=reaching if reaching is not None else reach_reader(source),
        )
        return {spec.name: f"({select}) AS v" for spec, select in selects}
    return {name: source.ref(name) for name in SLA_VIEWS if source.exists(name)}


def read_monthly(
    source: ViewSource,
    month: date,
    options: SloSettings,
    ids: Sequence[str] = (),
    *,
    relation: str | None = None,
) -> dict[str, MonthFigures]:
    """Monitor id → its figures for ``month`` (the monthly view's rows)."""
    relation = relation or view_relations(source, options)[MONTHLY]
    sql = (
        "SELECT monitor_id, month, time_zone, observed_seconds, downtime_seconds, incidents, "  # noqa: S608
        "availability_pct, longest_incident_seconds, mtta_seconds, mttr_seconds, slo_pct, "
        f"error_budget_seconds, covered_seconds, coverage_pct FROM {relation} "
        f"WHERE month = {_day(month)}{_monitor_filter(ids)}"
    )
    rows = _rows(source.query(sql))
    _check_time_zone(rows, MONTHLY, options.time_zone)
    seconds = month_seconds(month, options.time_zone)
    return {r["monitor_id"]: month_figures(r, options.slo_pct, seconds) for r in rows}


def monitor_names(
    source: ViewSource, *, since: date | None = None
) -> tuple[dict[str, str], dict[str, int]]:
    """Monitor id → its latest pronounceable name and check frequency; with ``since``, from
    the monitors' daily history since that UTC day only (its partitions, not the history)."""
    window = window_reader(source)
    table = source.ref(MONITORS)
    if since is not None and window is not None:  # the files since that day only
        table = window(MONITORS, since, None)
    sql = (
        "SELECT monitor_id, pronounceable_name, check_frequency, _extracted_at "  # noqa: S608
        f"FROM {table}" + ("" if since is None else f" WHERE data_particao >= {_day(since)}")
    )
    latest: dict[str, dict[str, Any]] = {}
    oldest = datetime.min.replace(tzinfo=UTC)
    for row in _rows(source.query(sql)):
        row["_extracted_at"] = _utc(row["_extracted_at"]) or oldest
        seen = latest.get(row["monitor_id"])
        if seen is None or row["_extracted_at"] >= seen["_extracted_at"]:
            latest[row["monitor_id"]] = row
    names = {k: v["pronounceable_name"] for k, v in latest.items() if v["pronounceable_name"]}
    freq = {k: int(v["check_frequency"]) for k, v in latest.items() if v["check_frequency"]}
    return names, freq


def load_report(source: ViewSource, options: ReportOptions) -> ReportData:
    """Everything the report shows for ``options``; ConfigError for an unknown monitor."""
    # the report's period, its month and the months of its trend only: the views read those
    # partitions, not the history
    first = min(options.start, months_back(options.month, TREND_MONTHS - 1))
    period = (first, max(options.end, options.month))
    views = view_relations(source, options, options.now, period=period)
    tables = {name for name in (MONITORS, INCIDENTS) if source.exists(name)}
    missing = [name for name in (*SLA_VIEWS, MONITORS, INCIDENTS)
               if name not in views and name not in tables]  # fmt: skip
    ids = list(options.monitor_ids)
    if ids:
        _check_monitors(source, ids, views, tables)
    names, freq = monitor_names(source) if MONITORS in tables else ({}, {})
    monitors: dict[str, MonitorReport] = {}

    def get(monitor_id: str) -> MonitorReport:
        if monitor_id not in monitors:
            monitors[monitor_id] = MonitorReport(monitor_id, names.get(monitor_id, monitor_id))
        return monitors[monitor_id]

    if MONTHLY in views:
        figures = read_monthly(source, options.month, options, ids, relation=views[MONTHLY])
        for monitor_id, month in figures.items():
            get(monitor_id).month = month
    if DAILY in views:
        _read_daily(source, views[DAILY], options, ids, get)
    if INCIDENTS in tables:
        _read_incidents(source, options, ids, get)
    if RECONCILIATION in views:
        _read_reconciliation(source, views[RECONCILIATION], options, ids, get)
    if HOURLY in views:
        _read_hourly(source, views[HOURLY], options, ids, get, freq)
    read_slo_sections(source, views, options, ids, get)
    return ReportData(options=options, monitors=worst_first(monitors.values()), missing=missing)


def _check_monitors(
    source: ViewSource, ids: Sequence[str], views: dict[str, str], tables: set[str]
) -> None:
    known: set[str] = set()
    for relation in ([source.ref(MONITORS)] if MONITORS in tables else []) + (
        [views[MONTHLY]] if MONTHLY in views else []
    ):
        sql = f"SELECT DISTINCT monitor_id FROM {relation}"  # noqa: S608
        known |= {r["monitor_id"] for r in _rows(source.query(sql))}
    unknown = [i for i in ids if i not in known]
    if unknown and known:
        raise ConfigError(
            f"unknown monitor {', '.join(unknown)}: not in the lake",
            hint=f"use one of: {', '.join(sorted(known)[:20])}",
        )
    if unknown:
        raise ConfigError(
            f"unknown monitor {', '.join(unknown)}: the lake has no monitor at all",
            hint="run the pipeline first, or point --lake-root at the lake",
        )


def _read_daily(
    source: ViewSource, relation: str, options: ReportOptions, ids: Sequence[str], get: _Get
) -> None:
    sql = (
        "SELECT monitor_id, day, time_zone, downtime_seconds, incidents, availability_pct "  # noqa: S608
        f"FROM {relation} WHERE day >= {_day(options.start)} "
        f"AND day <= {_day(min(options.end, options.today))}{_monitor_filter(ids)}"
    )
    rows = _rows(source.query(sql))
    _check_time_zone(rows, DAILY, options.time_zone)
    for row in sorted(rows, key=lambda r: (r["monitor_id"], r["day"])):
        pct = row["availability_pct"]
        get(row["monitor_id"]).daily.append(
            DayFigures(
                day=row["day"],
                availability_pct=None if pct is None else float(pct),
                downtime_seconds=float(row["downtime_seconds"] or 0),
                incidents=int(row["incidents"] or 0),
            )
        )


def _read_incidents(
    source: ViewSource, options: ReportOptions, ids: Sequence[str], get: _Get
) -> None:
    sql = (
        "SELECT incident_id, monitor_id, started_at, resolved_at, cause "  # noqa: S608
        f"FROM {source.ref(INCIDENTS)} WHERE monitor_id IS NOT NULL "
        # expiry warnings and Unconfirmed incidents are not downtime: the views' own rule
        f"AND {downtime_rule_sql('cause', 'status')} "
        f"AND started_at < {_ts(options.end_utc)} "
        f"AND (resolved_at IS NULL OR resolved_at > {_ts(options.start_utc)}){_monitor_filter(ids)}"
    )
    for row in sorted(_rows(source.query(sql)), key=lambda r: (r["started_at"], r["incident_id"])):
        cause = row["cause"] or ""
        started = _utc(row["started_at"])
        assert started is not None
        get(row["monitor_id"]).incidents.append(
            Incident(row["incident_id"], started, _utc(row["resolved_at"]), cause)
        )


def _read_reconciliation(
    source: ViewSource, relation: str, options: ReportOptions, ids: Sequence[str], get: _Get
) -> None:
    # the reconciliation is in UTC days: those the period touches
    first = options.start_utc.date()
    last = (options.end_utc - timedelta(microseconds=1)).date()
    sql = (
        "SELECT monitor_id, date, is_complete, api_availability, api_total_downtime, "  # noqa: S608
        "api_number_of_incidents, computed_downtime_seconds, computed_incidents, "
        f"downtime_diff_seconds, matches FROM {relation} "
        f"WHERE date >= {_day(first)} AND date <= {_day(last)}{_monitor_filter(ids)}"
    )
    for row in sorted(_rows(source.query(sql)), key=lambda r: (r["monitor_id"], r["date"])):
        report = get(row["monitor_id"])
        report.reconciled_days += 1
        if row["matches"]:
            continue
        report.mismatches.append(
            Mismatch(
                date=row["date"],
                is_complete=bool(row["is_complete"]),
                api_availability=row["api_availability"],
                api_downtime_seconds=row["api_total_downtime"],
                computed_downtime_seconds=row["computed_downtime_seconds"],
                downtime_diff_seconds=row["downtime_diff_seconds"],
                api_incidents=row["api_number_of_incidents"],
                computed_incidents=row["computed_incidents"],
            )
        )


def _read_hourly(
    source: ViewSource,
    relation: str,
    options: ReportOptions,
    ids: Sequence[str],
    get: _Get,
    freq: dict[str, int],
) -> None:
    sql = (
        "SELECT monitor_id, region, hour, samples, expected_samples, p50_response_time, "  # noqa: S608
        f"p95_response_time, p99_response_time FROM {relation} "
        f"WHERE hour >= {_ts(options.start_utc)} AND hour < {_ts(options.end_utc)}"
        f"{_monitor_filter(ids)}"
    )
    rows = _rows(source.query(sql))
    for row in rows:
        row["hour"] = _utc(row["hour"])
    rows.sort(key=lambda r: (r["monitor_id"], r["region"], r["hour"]))
    by_monitor: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_monitor.setdefault(row["monitor_id"], []).append(row)
    last_ended = options.now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    for monitor_id, own in by_monitor.items():
        report = get(monitor_id)
        report.hourly = own
        report.hours_window = hours_window(own, last_ended, freq.get(monitor_id))
        if report.hours_window is not None:
            report.gaps = find_gaps(own, report.hours_window, freq.get(monitor_id))


def _thin(row: dict[str, Any] | None, check_frequency: int | None) -> bool:
    if row is None:
        return True
    expected = row["expected_samples"]
    if expected is None and check_frequency:
        expected = 3600 // check_frequency
    return expected is not None and int(row["samples"]) < expected * MISSING_SAMPLES_PCT / 100


def hours_window(
    rows: Sequence[dict[str, Any]], last_ended: datetime, check_frequency: int | None
) -> tuple[datetime, datetime] | None:
    """The hours to look for gaps in: from the first hour with data (the next one when that
    first hour is thin in every region: the lake's history began mid-hour) to the last hour with
    data that has ended. None when no such hour."""
    first = min(r["hour"] for r in rows)
    if all(_thin(r, check_frequency) for r in rows if r["hour"] == first):
        first += timedelta(hours=1)
    last = min(max(r["hour"] for r in rows), last_ended)
    return (first, last) if first <= last else None


def find_gaps(
    rows: Sequence[dict[str, Any]],
    window: tuple[datetime, datetime],
    check_frequency: int | None,
) -> list[Gap]:
    """Runs of hours in ``window`` (first and last hour, inclusive) where a region has no row,
    or fewer samples than ``MISSING_SAMPLES_PCT`` % of the expected."""
    first, last = window
    gaps: list[Gap] = []
    for region in sorted({r["region"] for r in rows}):
        seen = {r["hour"]: r for r in rows if r["region"] == region}
        run: Gap | None = None
        hour = first
        while hour <= last:
            row = seen.get(hour)
            expected = row["expected_samples"] if row else None
            if expected is None and check_frequency:
                expected = 3600 // check_frequency
            samples = int(row["samples"]) if row else 0
            if _thin(row, check_frequency):
                nxt = hour + timedelta(hours=1)
                exp = None if expected is None else int(expected)
                if run is None:
                    run = Gap(region, hour, nxt, samples, exp)
                else:
                    total = None if run.expected is None or exp is None else run.expected + exp
                    run = Gap(region, run.start, nxt, run.samples + samples, total)
            elif run is not None:
                gaps.append(run)
                run = None
            hour += timedelta(hours=1)
        if run is not None:
            gaps.append(run)
    return gaps
