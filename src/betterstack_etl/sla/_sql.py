# ruff: noqa: S608  (SQL text built from declared names, a validated zone and numbers only)
"""The five views' SQL, written once in BigQuery Standard SQL (the production engine and the
analysts' dialect). ``betterstack_etl.sla.views`` transpiles it to DuckDB with sqlglot.

Tables and views are named by placeholders (``ref(name)``) replaced after transpiling, so each
engine gets its own quoting. Every time-zone-dependent step goes through ``DATE(ts, zone)`` and
``TIMESTAMP(date, zone)``: DST-correct in both engines, never a fixed offset.

How a period's figures are computed, set-based and bounded (no per-row UDF, no unbounded cross
join of incidents × days):

1. ``islands``: per monitor, the downtime incidents' intervals ``[started_at, ended_at)`` are
   merged into disjoint islands (gaps-and-islands over a running ``MAX(ended_at)``), so an
   overlap is counted once.
2. Each island and each incident is expanded into the periods it touches with a bounded
   ``GENERATE_DATE_ARRAY`` over its own span, and equi-joined to the calendar.
3. ``calendar``: per monitor, every period from its first one in the lake to today.

Clipping an island to disjoint periods and summing is the union clipped to each period, so the
daily and monthly figures agree with each other by construction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from betterstack_etl import tables
from betterstack_etl.sla._spans import edges_union, segment_ctes, state_ctes

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "DAILY",
    "HOURLY",
    "KPI",
    "MONTHLY",
    "RECONCILIATION",
    "Grain",
    "daily_sql",
    "downtime_rule_sql",
    "expiry_warning_sql",
    "hourly_sql",
    "kpi_sql",
    "monthly_sql",
    "reconciliation_sql",
]

INCIDENTS: Final = tables.INCIDENTS.name
DAILY_SLA: Final = tables.DAILY_SLA.name
RESPONSE_TIMES: Final = tables.RESPONSE_TIMES.name
MONITORS: Final = tables.MONITORS.name
COVERAGE: Final = tables.COVERAGE.name
SOURCES: Final = frozenset({INCIDENTS, DAILY_SLA, RESPONSE_TIMES, MONITORS, COVERAGE})
DAILY: Final = "eai_gateway_availability_daily"
MONTHLY: Final = "eai_gateway_availability_monthly"
KPI: Final = "eai_gateway_uptime_kpi"
RECONCILIATION: Final = "eai_gateway_sla_reconciliation"
HOURLY: Final = "eai_gateway_response_times_hourly"

Grain = Literal["DAY", "MONTH"]


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def downtime_rule_sql(cause: str, status: str) -> str:
    """The one rule of which incidents are downtime (SPEC §8.2, docs/sla.md): not an expiry
    warning, and confirmed (an ``Unconfirmed`` incident is a failure Better Stack has not
    confirmed yet, within the monitor's confirmation period: no incident was started)."""
    return f"(NOT {expiry_warning_sql(cause)} AND COALESCE({status}, '') != 'Unconfirmed')"


def expiry_warning_sql(cause: str) -> str:
    """True when ``cause`` is about an SSL certificate or a domain expiring (not downtime)."""
    text = f"LOWER(COALESCE({cause}, ''))"
    return (
        f"({text} LIKE '%expir%' AND ({text} LIKE '%ssl%' OR {text} LIKE '%tls%'"
        f" OR {text} LIKE '%certificate%' OR {text} LIKE '%domain%'))"
    )


class _Periods:
    """Calendar arithmetic of one grain in one zone, as BigQuery expressions."""

    def __init__(self, grain: Grain, zone: str) -> None:
        self.grain = grain
        self.zone = _quote(zone)

    def of(self, ts: str) -> str:
        day = f"DATE({ts}, {self.zone})"
        return day if self.grain == "DAY" else f"CAST(DATE_TRUNC({day}, MONTH) AS DATE)"

    def start(self, period: str) -> str:
        return f"TIMESTAMP({period}, {self.zone})"

    def end(self, period: str) -> str:
        return f"TIMESTAMP(CAST(DATE_ADD({period}, INTERVAL 1 {self.grain}) AS DATE), {self.zone})"

    def series(self, first: str, last: str) -> str:
        return f"UNNEST(GENERATE_DATE_ARRAY({first}, {last}, INTERVAL 1 {self.grain}))"


def _monitor_info(ref: Callable[[str], str]) -> str:
    """The latest listing row of each monitor (its name, creation, check frequency)."""
    return f"""monitor_info AS (
  SELECT monitor_id, pronounceable_name AS monitor_name, created_at, check_frequency,
    JSON_VALUE(raw, '$.attributes.monitor_group_id') AS monitor_group_id
  FROM {ref(MONITORS)}
  WHERE monitor_id IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (
    PARTITION BY monitor_id ORDER BY _extracted_at DESC, data_particao DESC) = 1
)"""


def _period_ctes(ref: Callable[[str], str], now: str, grain: Grain, zone: str) -> list[str]:
    """CTEs ending in ``periods``: one row per monitor and period of ``grain`` in ``zone``,
    from the monitor's first period in the lake (not before its creation) to the current one.

    ``periods``: monitor_id, monitor_name, period (DATE, first day), period_seconds (its
    whole length), window_start/window_end (the elapsed existence: from creation, up to now),
    elapsed_ms, covered_ms, paused_ms, maintenance_ms, observed_ms, downtime_ms, incidents,
    longest_ms, mtta_ms, mttr_ms."""
    p = _Periods(grain, zone)
    return [
        *_incident_ctes(ref, now),
        *_calendar_ctes(ref, now, p),
        *state_ctes(ref, now),
        *_figure_ctes(p),
    ]


def _incident_ctes(ref: Callable[[str], str], now: str) -> list[str]:
    """The monitors' latest listing rows, and their incidents as seen at ``now``."""
    return [
        _monitor_info(ref),
        f"""visible_incidents AS (
  SELECT incident_id, monitor_id, started_at, cause, status,
    IF(acknowledged_at <= {now}, acknowledged_at, NULL) AS acknowledged_at,
    IF(resolved_at <= {now}, resolved_at, NULL) AS resolved_at
  FROM {ref(INCIDENTS)}
  WHERE monitor_id IS NOT NULL AND started_at <= {now}
)""",
        f"""downtime_incidents AS (
  SELECT incident_id, monitor_id, started_at, acknowledged_at, resolved_at,
    COALESCE(resolved_at, {now}) AS ended_at
  FROM visible_incidents
  WHERE {downtime_rule_sql("cause", "status")}
)""",
    ]


def _calendar_ctes(ref: Callable[[str], str], now: str, p: _Periods) -> list[str]:
    """``calendar``: every period of every monitor from its first one in the lake to now."""
    return [
        f"""first_seen AS (
  SELECT monitor_id, MIN(first_at) AS first_at
  FROM (
    SELECT monitor_id, MIN(started_at) AS first_at FROM visible_incidents GROUP BY monitor_id
    UNION ALL
    SELECT monitor_id, MIN(TIMESTAMP(`date`, 'UTC')) AS first_at
    FROM {ref(DAILY_SLA)} WHERE monitor_id IS NOT NULL GROUP BY monitor_id
    UNION ALL
    SELECT monitor_id, MIN(_extracted_at) AS first_at
    FROM {ref(MONITORS)} WHERE monitor_id IS NOT NULL GROUP BY monitor_id
    UNION ALL
    SELECT monitor_id, MIN(TIMESTAMP(`date`, 'UTC')) AS first_at
    FROM {ref(COVERAGE)} WHERE monitor_id IS NOT NULL GROUP BY monitor_id
  ) AS seen
  GROUP BY monitor_id
)""",
        f"""spans AS (
  SELECT f.monitor_id, m.monitor_name, m.created_at,
    {p.of("GREATEST(f.first_at, COALESCE(m.created_at, f.first_at))")} AS first_period
  FROM first_seen AS f
  LEFT JOIN monitor_info AS m ON m.monitor_id = f.monitor_id
)""",
        f"""calendar AS (
  SELECT s.monitor_id, s.monitor_name, period,
    TIMESTAMP_DIFF({p.end("period")}, {p.start("period")}, SECOND) AS period_seconds,
    GREATEST({p.start("period")}, COALESCE(s.created_at, {p.start("period")})) AS window_start,
    LEAST({p.end("period")}, {now}) AS window_end
  FROM spans AS s
  CROSS JOIN {p.series("s.first_period", p.of(now))} AS period
)""",
    ]


def _figure_ctes(p: _Periods) -> list[str]:
    """From ``calendar``, the spans and ``downtime_incidents`` to ``periods``.

    One sweep per monitor over every span's start (+1) and end (-1) gives the disjoint
    segments between consecutive boundaries and, for each, how many covered / paused /
    maintenance / downtime spans hold it: a segment is covered, paused, in maintenance or
    down when its count is positive, so overlaps count once. Each segment is clipped to the
    periods it touches (a bounded ``GENERATE_DATE_ARRAY`` over its own span)."""
    return [*segment_ctes(edges_union()), *_period_clip_ctes(p)]


def _period_clip_ctes(p: _Periods) -> list[str]:
    """The segments clipped to each row of ``calendar``: ``state``, then ``periods``."""
    return [
        f"""segment_periods AS (
  SELECT c.monitor_id, c.period, s.paused, s.maintenance, s.down,
    GREATEST(TIMESTAMP_DIFF(LEAST(s.ended_at, c.window_end),
      GREATEST(s.started_at, c.window_start), MILLISECOND), 0) AS ms
  FROM segments AS s
  CROSS JOIN {p.series(p.of("s.started_at"), p.of("s.ended_at"))} AS touched
  JOIN calendar AS c ON c.monitor_id = s.monitor_id AND c.period = touched
  WHERE s.covered AND s.ended_at IS NOT NULL
)""",
        """state AS (
  SELECT monitor_id, period,
    SUM(ms) AS covered_ms,
    SUM(IF(paused, ms, 0)) AS paused_ms,
    SUM(IF(NOT paused AND maintenance, ms, 0)) AS maintenance_ms,
    SUM(IF(NOT paused AND NOT maintenance, ms, 0)) AS observed_ms,
    SUM(IF(NOT paused AND NOT maintenance AND down, ms, 0)) AS downtime_ms
  FROM segment_periods
  GROUP BY monitor_id, period
)""",
        *_incident_stat_ctes(p),
        """periods AS (
  SELECT c.monitor_id, c.monitor_name, c.period, c.period_seconds,
    c.window_start, c.window_end,
    GREATEST(TIMESTAMP_DIFF(c.window_end, c.window_start, MILLISECOND), 0) AS elapsed_ms,
    COALESCE(s.covered_ms, 0) AS covered_ms,
    COALESCE(s.paused_ms, 0) AS paused_ms,
    COALESCE(s.maintenance_ms, 0) AS maintenance_ms,
    COALESCE(s.observed_ms, 0) AS observed_ms,
    COALESCE(s.downtime_ms, 0) AS downtime_ms,
    COALESCE(st.incidents, 0) AS incidents,
    COALESCE(st.longest_ms, 0) AS longest_ms,
    st.mtta_ms, st.mttr_ms
  FROM calendar AS c
  LEFT JOIN state AS s ON s.monitor_id = c.monitor_id AND s.period = c.period
  LEFT JOIN incident_stats AS st ON st.monitor_id = c.monitor_id AND st.period = c.period
)""",
    ]


def _incident_stat_ctes(p: _Periods) -> list[str]:
    """``incident_stats``: per monitor and period of ``calendar``, the downtime incidents
    overlapping it, the longest part of one, and the mean times to acknowledge / resolve of
    those that started in it."""
    return [
        f"""incident_periods AS (
  SELECT c.monitor_id, c.period, d.started_at, d.acknowledged_at, d.resolved_at,
    d.started_at < c.window_end AND (d.ended_at > c.window_start
      OR (d.ended_at = d.started_at AND d.started_at >= c.window_start)) AS counted,
    GREATEST(TIMESTAMP_DIFF(LEAST(d.ended_at, c.window_end),
      GREATEST(d.started_at, c.window_start), MILLISECOND), 0) AS overlap_ms,
    {p.of("d.started_at")} = c.period AS started_here
  FROM downtime_incidents AS d
  CROSS JOIN {p.series(p.of("d.started_at"), p.of("d.ended_at"))} AS touched
  JOIN calendar AS c ON c.monitor_id = d.monitor_id AND c.period = touched
)""",
        """incident_stats AS (
  SELECT monitor_id, period,
    COUNTIF(counted) AS incidents,
    MAX(IF(counted, overlap_ms, NULL)) AS longest_ms,
    AVG(IF(started_here AND acknowledged_at IS NOT NULL,
      TIMESTAMP_DIFF(acknowledged_at, started_at, MILLISECOND), NULL)) AS mtta_ms,
    AVG(IF(started_here AND resolved_at IS NOT NULL,
      TIMESTAMP_DIFF(resolved_at, started_at, MILLISECOND), NULL)) AS mttr_ms
  FROM incident_periods
  GROUP BY monitor_id, period
)""",
    ]


def _island_ctes(p: _Periods) -> list[str]:
    """The reconciliation's figures (no coverage: the API's row is compared with what the
    lake's incidents say): downtime as the union of the downtime incidents, clipped to each
    row of ``calendar``; ends in ``periods`` (downtime_ms, incidents, observed_ms)."""
    return [
        """ordered AS (
  SELECT incident_id, monitor_id, started_at, ended_at,
    MAX(ended_at) OVER (
      PARTITION BY monitor_id ORDER BY started_at, ended_at, incident_id
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
  FROM downtime_incidents
  WHERE ended_at > started_at
)""",
        """numbered AS (
  SELECT monitor_id, started_at, ended_at,
    SUM(IF(reach IS NULL OR started_at > reach, 1, 0)) OVER (
      PARTITION BY monitor_id ORDER BY started_at, ended_at, incident_id
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS island
  FROM ordered
)""",
        """islands AS (
  SELECT monitor_id, island, MIN(started_at) AS started_at, MAX(ended_at) AS ended_at
  FROM numbered
  GROUP BY monitor_id, island
)""",
        f"""downtime AS (
  SELECT c.monitor_id, c.period,
    SUM(GREATEST(TIMESTAMP_DIFF(LEAST(i.ended_at, c.window_end),
      GREATEST(i.started_at, c.window_start), MILLISECOND), 0)) AS downtime_ms
  FROM islands AS i
  CROSS JOIN {p.series(p.of("i.started_at"), p.of("i.ended_at"))} AS touched
  JOIN calendar AS c ON c.monitor_id = i.monitor_id AND c.period = touched
  GROUP BY c.monitor_id, c.period
)""",
        *_incident_stat_ctes(p),
        """periods AS (
  SELECT c.monitor_id, c.period,
    GREATEST(TIMESTAMP_DIFF(c.window_end, c.window_start, MILLISECOND), 0) AS observed_ms,
    COALESCE(dt.downtime_ms, 0) AS downtime_ms,
    COALESCE(st.incidents, 0) AS incidents
  FROM calendar AS c
  LEFT JOIN downtime AS dt ON dt.monitor_id = c.monitor_id AND dt.period = c.period
  LEFT JOIN incident_stats AS st ON st.monitor_id = c.monitor_id AND st.period = c.period
)""",
    ]


def _with(ctes: list[str], select: str) -> str:
    return "WITH " + ",\n".join(ctes) + "\n" + select


_FIGURES: Final = """CAST(covered_ms AS FLOAT64) / 1000 AS covered_seconds,
  IF(elapsed_ms > 0, 100 * CAST(covered_ms AS FLOAT64) / elapsed_ms, NULL) AS coverage_pct,
  CAST(paused_ms AS FLOAT64) / 1000 AS paused_seconds,
  CAST(maintenance_ms AS FLOAT64) / 1000 AS maintenance_seconds,
  CAST(observed_ms AS FLOAT64) / 1000 AS observed_seconds,
  CAST(downtime_ms AS FLOAT64) / 1000 AS downtime_seconds,
  CAST(incidents AS INT64) AS incidents,
  IF(observed_ms > 0, 100 * (1 - CAST(downtime_ms AS FLOAT64) / observed_ms), NULL)
    AS availability_pct,
  CAST(longest_ms AS FLOAT64) / 1000 AS longest_incident_seconds,
  mtta_ms / 1000 AS mtta_seconds,
  mttr_ms / 1000 AS mttr_seconds"""


def daily_sql(ref: Callable[[str], str], now: str, zone: str) -> str:
    select = f"""SELECT monitor_id, monitor_name, period AS day, {_quote(zone)} AS time_zone,
  {_FIGURES}
FROM periods"""
    return _with(_period_ctes(ref, now, "DAY", zone), select)


def monthly_sql(ref: Callable[[str], str], now: str, zone: str, slo_pct: float) -> str:
    slo = f"CAST({float(slo_pct)!r} AS FLOAT64)"
    budget = f"CAST(period_seconds AS FLOAT64) * (100 - {slo}) / 100"
    select = f"""SELECT monitor_id, monitor_name, period AS month, {_quote(zone)} AS time_zone,
  {_FIGURES},
  CAST(period_seconds AS INT64) AS month_seconds,
  {slo} AS slo_pct,
  {budget} AS error_budget_seconds,
  {budget} - CAST(downtime_ms AS FLOAT64) / 1000 AS error_budget_remaining_seconds
FROM periods"""
    return _with(_period_ctes(ref, now, "MONTH", zone), select)


def kpi_sql(ref: Callable[[str], str]) -> str:
    return f"""SELECT monitor_id, monitor_name,
  FORMAT_DATE('%Y-%m', month) AS mes,
  downtime_seconds / 60 AS total_downtime_minutes,
  DIV(month_seconds, 60) AS total_minutes_in_month,
  ROUND((1 - downtime_seconds / month_seconds) * 100, 3) AS disponibilidade_percentual,
  time_zone
FROM {ref(MONTHLY)}"""


def reconciliation_sql(ref: Callable[[str], str], now: str) -> str:
    select = f"""SELECT s.monitor_id, s.`date`, s.is_complete,
  s.availability AS api_availability,
  s.total_downtime AS api_total_downtime,
  s.number_of_incidents AS api_number_of_incidents,
  CAST(COALESCE(p.downtime_ms, 0) AS FLOAT64) / 1000 AS computed_downtime_seconds,
  CAST(COALESCE(p.incidents, 0) AS INT64) AS computed_incidents,
  IF(COALESCE(p.observed_ms, 0) > 0,
    100 * (1 - CAST(COALESCE(p.downtime_ms, 0) AS FLOAT64) / p.observed_ms), NULL)
    AS computed_availability_pct,
  s.total_downtime - CAST(COALESCE(p.downtime_ms, 0) AS FLOAT64) / 1000 AS downtime_diff_seconds,
  COALESCE(
    ABS(s.total_downtime - CAST(COALESCE(p.downtime_ms, 0) AS FLOAT64) / 1000) <= 60
    AND s.number_of_incidents = COALESCE(p.incidents, 0), FALSE) AS matches
FROM {ref(DAILY_SLA)} AS s
LEFT JOIN periods AS p ON p.monitor_id = s.monitor_id AND p.period = s.`date`
WHERE s.monitor_id IS NOT NULL"""
    utc = _Periods("DAY", "UTC")
    calendar = f"""calendar AS (
  SELECT s.monitor_id, m.monitor_name, s.`date` AS period,
    TIMESTAMP_DIFF({utc.end("s.`date`")}, {utc.start("s.`date`")}, SECOND) AS period_seconds,
    GREATEST({utc.start("s.`date`")}, COALESCE(m.created_at, {utc.start("s.`date`")}))
      AS window_start,
    LEAST({utc.end("s.`date`")}, {now}, s._extracted_at) AS window_end
  FROM {ref(DAILY_SLA)} AS s
  LEFT JOIN monitor_info AS m ON m.monitor_id = s.monitor_id
  WHERE s.monitor_id IS NOT NULL
)"""
    return _with([*_incident_ctes(ref, now), calendar, *_island_ctes(utc)], select)


def hourly_sql(ref: Callable[[str], str]) -> str:
    hour = (
        "TIMESTAMP_ADD(TIMESTAMP '1970-01-01 00:00:00+00', "
        "INTERVAL DIV(UNIX_MILLIS(`at`), 3600000) HOUR)"
    )
    # data_particao (the UTC date of the hour) is carried through so that a filter on it prunes
    # the raw table's partitions, also through the window
    window = "OVER (PARTITION BY monitor_id, region, data_particao, hour)"
    ctes = [
        _monitor_info(ref),
        f"""points AS (
  SELECT monitor_id, region, data_particao, {hour} AS hour, response_time
  FROM {ref(RESPONSE_TIMES)}
  WHERE monitor_id IS NOT NULL AND response_time IS NOT NULL
)""",
        f"""ranked AS (
  SELECT monitor_id, region, data_particao, hour, response_time,
    PERCENTILE_CONT(response_time, 0.5) {window} AS p50,
    PERCENTILE_CONT(response_time, 0.95) {window} AS p95,
    PERCENTILE_CONT(response_time, 0.99) {window} AS p99
  FROM points
)""",
        """hourly AS (
  SELECT monitor_id, region, data_particao, hour, COUNT(*) AS samples,
    AVG(response_time) AS avg_response_time,
    MAX(p50) AS p50_response_time, MAX(p95) AS p95_response_time,
    MAX(p99) AS p99_response_time, MAX(response_time) AS max_response_time
  FROM ranked
  GROUP BY monitor_id, region, data_particao, hour
)""",
    ]
    select = """SELECT h.monitor_id, h.region, h.hour, CAST(h.samples AS INT64) AS samples,
  IF(m.check_frequency > 0, 3600 / m.check_frequency, NULL) AS expected_samples,
  h.avg_response_time, h.p50_response_time, h.p95_response_time, h.p99_response_time,
  h.max_response_time, h.data_particao
FROM hourly AS h
LEFT JOIN monitor_info AS m ON m.monitor_id = h.monitor_id"""
    return _with(ctes, select)
