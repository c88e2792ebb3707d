# ruff: noqa: S608  (SQL text built from declared names, validated SLO files and numbers only)
"""``eai_gateway_slo_status`` (SPEC §11), in BigQuery Standard SQL like the other views.

One row per declared SLO and monitor it applies to, over the SLO's current window (the
calendar month of the report time zone, or the last 28 / 30 days) as of now:

- availability: ``good``/``total`` are observed seconds up / observed seconds, over the same
  sweep of covered, paused, maintenance and downtime spans as the daily and monthly views;
- latency: checks whose ``response_time`` is at most the threshold / checks (in the SLO's
  regions).

Burn rates over the last 1 h / 6 h / 24 h / 3 d end where the monitor's data ends (its covered
time for availability, its last check for latency, never after now): with hourly runs the last
hour is not fetched yet, and a window ending at now would read empty. ``burn = (bad / total) /
(1 - target)``, null when the window holds nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from betterstack_etl.sla import _sql
from betterstack_etl.sla._spans import edges_union, segment_ctes, state_ctes
from betterstack_etl.sla._sql import RESPONSE_TIMES, _Periods, _quote

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from betterstack_etl.sla.alerts import BurnRule
    from betterstack_etl.sla.slo_file import Slo

__all__ = ["SLO_STATUS", "slo_status_sql"]

SLO_STATUS = "eai_gateway_slo_status"
AT_RISK_BUDGET_USED = 0.5  # more than half of the window's budget spent: at risk
BURN_WINDOWS = (("1h", 1), ("6h", 6), ("24h", 24), ("3d", 72))  # (name, hours)


def _text(value: str | None) -> str:
    return "CAST(NULL AS STRING)" if value is None else _quote(value)


def _number(value: float | None) -> str:
    return "CAST(NULL AS FLOAT64)" if value is None else f"CAST({float(value)!r} AS FLOAT64)"


def _declared(slos: Sequence[Slo]) -> str:
    """The SLOs as rows (ids and regions joined with commas: both engines search them)."""
    rows = []
    for slo in slos:
        ids = ",".join(slo.monitor_ids) if slo.monitor_ids else None
        regions = ",".join(slo.regions) if slo.regions else None
        rows.append(
            f"SELECT {_quote(slo.name)} AS slo_name, {_text(slo.service)} AS service, "
            f"{_quote(slo.indicator)} AS indicator, {_number(slo.target)} AS target, "
            f"{_quote(slo.window)} AS window_kind, {_number(slo.threshold_seconds)} AS threshold, "
            f"{_text(regions)} AS regions, {_text(ids)} AS monitor_ids, "
            f"{_text(slo.monitor_group)} AS monitor_group, "
            f"{str(slo.is_default).upper()} AS is_default"
        )
    return "\n  UNION ALL\n  ".join(rows)


def slo_status_sql(
    ref: Callable[[str], str],
    now: str,
    zone: str,
    slos: Sequence[Slo],
    rules: Sequence[BurnRule],
) -> str:
    month = _Periods("MONTH", zone)
    this_month = month.of(now)
    # Without a latency SLO, nothing reads the response times: their scan and join held the
    # most memory of the alerts' step (issue 24), for rows no SLO asks about.
    latency = any(slo.indicator == "latency" for slo in slos)
    latency_end = (
        f"""
  UNION ALL
  SELECT monitor_id, 'latency' AS indicator, LEAST(MAX(`at`), {now}) AS data_end
  FROM {ref(RESPONSE_TIMES)} WHERE monitor_id IS NOT NULL AND `at` <= {now}
  GROUP BY monitor_id"""
        if latency
        else ""
    )
    ctes = [
        *_sql._incident_ctes(ref, now),
        *state_ctes(ref, now),
        *segment_ctes(edges_union()),
        f"""slos AS (
  {_declared(slos)}
)""",
        """named AS (
  SELECT DISTINCT s.indicator, m.monitor_id
  FROM slos AS s
  CROSS JOIN monitor_info AS m
  WHERE NOT s.is_default AND (
    STRPOS(CONCAT(',', COALESCE(s.monitor_ids, ''), ','), CONCAT(',', m.monitor_id, ',')) > 0
    OR m.monitor_group_id = s.monitor_group)
)""",
        """slo_monitors AS (
  SELECT s.*, m.monitor_id, m.monitor_name, m.created_at
  FROM slos AS s
  CROSS JOIN monitor_info AS m
  LEFT JOIN named AS n ON n.indicator = s.indicator AND n.monitor_id = m.monitor_id
  WHERE (s.is_default AND n.monitor_id IS NULL) OR (NOT s.is_default AND (
    STRPOS(CONCAT(',', COALESCE(s.monitor_ids, ''), ','), CONCAT(',', m.monitor_id, ',')) > 0
    OR m.monitor_group_id = s.monitor_group))
)""",
        f"""data_ends AS (
  SELECT monitor_id, 'availability' AS indicator, LEAST(MAX(ended_at), {now}) AS data_end
  FROM covered_spans GROUP BY monitor_id{latency_end}
)""",
        f"""slo_windows AS (
  SELECT sm.*,
    CASE sm.window_kind
      WHEN 'month' THEN {month.start(this_month)}
      WHEN '28d' THEN TIMESTAMP_SUB({now}, INTERVAL 28 DAY)
      ELSE TIMESTAMP_SUB({now}, INTERVAL 30 DAY)
    END AS window_start,
    {now} AS window_end,
    CASE sm.window_kind
      WHEN 'month' THEN TIMESTAMP_DIFF({month.end(this_month)}, {month.start(this_month)}, SECOND)
      WHEN '28d' THEN 28 * 86400
      ELSE 30 * 86400
    END AS window_seconds,
    d.data_end, COALESCE(sm.created_at, TIMESTAMP '1970-01-01 00:00:00+00') AS existed_from
  FROM slo_monitors AS sm
  LEFT JOIN data_ends AS d ON d.monitor_id = sm.monitor_id AND d.indicator = sm.indicator
)""",
        _spans_cte(),
        """availability_counts AS (
  SELECT w.slo_name, w.monitor_id, w.span,
    SUM(IF(NOT s.paused AND NOT s.maintenance, GREATEST(TIMESTAMP_DIFF(
      LEAST(s.ended_at, w.span_end), GREATEST(s.started_at, w.span_start), MILLISECOND), 0), 0))
      / 1000 AS total,
    SUM(IF(NOT s.paused AND NOT s.maintenance AND s.down, GREATEST(TIMESTAMP_DIFF(
      LEAST(s.ended_at, w.span_end), GREATEST(s.started_at, w.span_start), MILLISECOND), 0), 0))
      / 1000 AS bad
  FROM spans_of_interest AS w
  JOIN segments AS s ON s.monitor_id = w.monitor_id
    AND s.started_at < w.span_end AND s.ended_at > w.span_start
  WHERE w.indicator = 'availability' AND s.covered AND s.ended_at IS NOT NULL
  GROUP BY w.slo_name, w.monitor_id, w.span
)""",
    ]
    if latency:
        ctes.append(_latency_cte(ref))
    ctes.append(_pivot_cte(latency))
    select = f"""SELECT slo_name, service, monitor_id, monitor_name, indicator,
  window_start, window_end, target, threshold AS threshold_seconds,
  IF(total > 0, good / total, NULL) AS sli,
  good, total, error_budget,
  error_budget - (total - good) AS error_budget_remaining,
  burn_rate_1h, burn_rate_6h, burn_rate_24h, burn_rate_3d,
  {_alert_sql(rules)} AS alert,
  CASE
    WHEN total IS NULL OR total = 0 THEN 'no_data'
    WHEN error_budget - (total - good) < 0 THEN 'breached'
    WHEN {_alert_sql(rules)} IS NOT NULL
      OR total - good > {AT_RISK_BUDGET_USED!r} * error_budget THEN 'at_risk'
    ELSE 'ok'
  END AS status
FROM figures"""
    return "WITH " + ",\n".join(ctes) + "\n" + select


def _latency_cte(ref: Callable[[str], str]) -> str:
    """``latency_counts``: the checks of each latency SLO's spans, and how many were slow."""
    return f"""latency_counts AS (
  SELECT w.slo_name, w.monitor_id, w.span,
    CAST(COUNT(*) AS FLOAT64) AS total,
    CAST(COUNTIF(r.response_time > w.threshold) AS FLOAT64) AS bad
  FROM spans_of_interest AS w
  JOIN {ref(RESPONSE_TIMES)} AS r ON r.monitor_id = w.monitor_id
    AND r.`at` >= w.span_start AND r.`at` < w.span_end
  WHERE w.indicator = 'latency' AND r.response_time IS NOT NULL
    AND (w.regions IS NULL
      OR STRPOS(CONCAT(',', w.regions, ','), CONCAT(',', r.region, ',')) > 0)
  GROUP BY w.slo_name, w.monitor_id, w.span
)"""


def _spans_cte() -> str:
    """``spans_of_interest``: each SLO window, and its four burn windows ending where the data
    ends."""
    burn = "\n  UNION ALL\n  ".join(
        f"""SELECT slo_name, monitor_id, indicator, threshold, regions, '{name}' AS span,
    GREATEST(TIMESTAMP_SUB(data_end, INTERVAL {hours} HOUR), existed_from) AS span_start,
    data_end AS span_end
  FROM slo_windows WHERE data_end IS NOT NULL"""
        for name, hours in BURN_WINDOWS
    )
    return f"""spans_of_interest AS (
  SELECT slo_name, monitor_id, indicator, threshold, regions, 'window' AS span,
    GREATEST(window_start, existed_from) AS span_start, window_end AS span_end
  FROM slo_windows
  UNION ALL
  {burn}
)"""


def _pivot_cte(latency: bool) -> str:
    def picked(span: str, what: str) -> str:
        return f"MAX(IF(c.span = '{span}', c.{what}, NULL))"

    burns = ",\n    ".join(
        f"IF({picked(name, 'total')} > 0, {picked(name, 'bad')} / {picked(name, 'total')}"
        f" / (1 - w.target), NULL) AS burn_rate_{name}"
        for name, _ in BURN_WINDOWS
    )
    latency_counts = "\n  UNION ALL\n  SELECT * FROM latency_counts" if latency else ""
    return f"""counts AS (
  SELECT * FROM availability_counts{latency_counts}
),
figures AS (
  SELECT w.slo_name, w.service, w.monitor_id, w.monitor_name, w.indicator, w.window_start,
    w.window_end, w.target, w.threshold,
    COALESCE({picked("window", "total")}, 0) AS total,
    COALESCE({picked("window", "total")}, 0) - COALESCE({picked("window", "bad")}, 0) AS good,
    IF(w.indicator = 'availability', CAST(w.window_seconds AS FLOAT64),
      COALESCE({picked("window", "total")}, 0)) * (1 - w.target) AS error_budget,
    {burns}
  FROM slo_windows AS w
  LEFT JOIN counts AS c ON c.slo_name = w.slo_name AND c.monitor_id = w.monitor_id
  GROUP BY w.slo_name, w.service, w.monitor_id, w.monitor_name, w.indicator, w.window_start,
    w.window_end, w.target, w.threshold, w.window_seconds
)"""


def _alert_sql(rules: Sequence[BurnRule]) -> str:
    """The first declared burn-rate rule that fires (both its windows above its threshold),
    or null."""
    if not rules:
        return "CAST(NULL AS STRING)"
    whens = " ".join(
        f"WHEN burn_rate_{r.short} > {float(r.threshold)!r} AND burn_rate_{r.long} > "
        f"{float(r.threshold)!r} THEN {_quote(r.name)}"
        for r in rules
    )
    return f"CASE {whens} END"
