# ruff: noqa: S608  (SQL text built from declared names and validated values only)
"""The spans the SLA views tell apart, per monitor (SPEC §4, §8.2), as BigQuery CTEs.

``_state_ctes``: ``covered_spans`` (what the lake fetched of the incidents), ``paused_spans``
(from the monitors table's daily history) and ``maintenance_spans`` (each listing row's
declared weekly window, in its own zone); ``_segment_ctes(_edges_union())``: one sweep over
those spans' and the downtime incidents' boundaries, giving disjoint ``segments`` flagged
covered / paused / maintenance / down. ``_sql`` clips them to calendar periods, ``_slo_sql``
to SLO windows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from betterstack_etl import tables
from betterstack_etl.sla.zones import iana_zone_sql

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["edges_union", "segment_ctes", "state_ctes"]

INCIDENTS: Final = tables.INCIDENTS.name
MONITORS: Final = tables.MONITORS.name
COVERAGE: Final = tables.COVERAGE.name


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def state_ctes(ref: Callable[[str], str], now: str) -> list[str]:
    """Per monitor, the intervals the views tell apart (each ``monitor_id, started_at,
    ended_at``): ``covered_spans`` (what the lake fetched of the incidents, SPEC §4),
    ``paused_spans`` (from the monitors table's daily history) and ``maintenance_spans`` (the
    declared weekly window of each listing row, in its own zone)."""
    return [
        f"""covered_spans AS (
  SELECT monitor_id, TIMESTAMP(`date`, 'UTC') AS started_at,
    LEAST(covered_until, TIMESTAMP(DATE_ADD(`date`, INTERVAL 1 DAY), 'UTC')) AS ended_at
  FROM {ref(COVERAGE)}
  WHERE table_name = {_quote(INCIDENTS)} AND monitor_id IS NOT NULL
)""",
        f"""listing AS (
  SELECT monitor_id, _extracted_at, paused_at, raw,
    LEAD(_extracted_at) OVER (
      PARTITION BY monitor_id ORDER BY _extracted_at, data_particao) AS next_extracted_at,
    LEAD(paused_at) OVER (
      PARTITION BY monitor_id ORDER BY _extracted_at, data_particao) AS next_paused_at,
    data_particao
  FROM {ref(MONITORS)}
  WHERE monitor_id IS NOT NULL
)""",
        f"""paused_spans AS (
  SELECT monitor_id, paused_at AS started_at,
    MIN(CASE
      WHEN next_extracted_at IS NULL THEN {now}
      WHEN next_paused_at IS NULL OR next_paused_at != paused_at THEN next_extracted_at
    END) AS ended_at
  FROM listing
  WHERE paused_at IS NOT NULL AND paused_at <= {now}
  GROUP BY monitor_id, paused_at
)""",
        *_maintenance_ctes(now),
    ]


def _local(day: str, clock: str) -> str:
    """The moment ``day`` at ``clock`` in the zone of column ``zone`` (DST-correct): the
    timestamp text ``'YYYY-MM-DD HH:MM:SS Zone/Name'`` that both engines read (a zone held in a
    column is not translated for ``TIMESTAMP(datetime, zone)``)."""
    text = f"FORMAT_DATE('%Y-%m-%d', {day}), ' ', CAST({clock} AS STRING), ' ', zone"
    return f"TIMESTAMP(CONCAT({text}))"


def _maintenance_ctes(now: str) -> list[str]:
    """``maintenance_spans``: each listing row's weekly maintenance window
    (``maintenance_from``/``_to``/``_days``/``_timezone`` in ``raw``), applied from that row's
    day to the next row's (the first row's also before it), on each local day it names."""
    attr = "$.attributes."
    return [
        f"""maintenance_rules AS (
  SELECT monitor_id,
    IF(ROW_NUMBER() OVER (PARTITION BY monitor_id ORDER BY _extracted_at, data_particao) = 1,
      NULL, data_particao) AS valid_from,
    LEAD(data_particao) OVER (
      PARTITION BY monitor_id ORDER BY _extracted_at, data_particao) AS valid_to,
    SAFE_CAST(JSON_VALUE(raw, '{attr}maintenance_from') AS TIME) AS time_from,
    SAFE_CAST(JSON_VALUE(raw, '{attr}maintenance_to') AS TIME) AS time_to,
    LOWER(COALESCE(JSON_QUERY(raw, '{attr}maintenance_days'), '')) AS days,
    {iana_zone_sql(f"COALESCE(JSON_VALUE(raw, '{attr}maintenance_timezone'), 'UTC')")} AS zone
  FROM listing
)""",
        """maintenance_valid AS (
  SELECT * FROM maintenance_rules
  WHERE time_from IS NOT NULL AND time_to IS NOT NULL AND time_from != time_to
    AND zone IS NOT NULL
)""",
        f"""maintenance_days AS (
  SELECT r.monitor_id, r.valid_from, r.valid_to, r.time_from, r.time_to, r.zone, day
  FROM maintenance_valid AS r
  JOIN (
    SELECT monitor_id, MIN(DATE(started_at, 'UTC')) AS first_day
    FROM covered_spans GROUP BY monitor_id
  ) AS f ON f.monitor_id = r.monitor_id
  CROSS JOIN UNNEST(GENERATE_DATE_ARRAY(
    DATE_SUB(COALESCE(r.valid_from, f.first_day), INTERVAL 2 DAY),
    COALESCE(r.valid_to, DATE_ADD(DATE({now}, 'UTC'), INTERVAL 1 DAY)), INTERVAL 1 DAY)) AS day
  WHERE (r.days IN ('', '[]', 'null')
    OR STRPOS(r.days, CONCAT('"', LOWER(FORMAT_DATE('%a', day)), '"')) > 0)
)""",
        f"""maintenance_spans AS (
  SELECT monitor_id,
    GREATEST({_local("day", "time_from")},
      COALESCE(TIMESTAMP(valid_from, 'UTC'), {_local("day", "time_from")})) AS started_at,
    LEAST({_local("IF(time_to > time_from, day, DATE_ADD(day, INTERVAL 1 DAY))", "time_to")},
      COALESCE(TIMESTAMP(valid_to, 'UTC'), {now}), {now}) AS ended_at
  FROM maintenance_days
)""",
    ]


def edges_union() -> str:
    """Each span's start (+1) and end (-1), per kind, as one UNION ALL."""
    kinds = (
        ("covered_spans", "c"),
        ("paused_spans", "p"),
        ("maintenance_spans", "m"),
        ("downtime_incidents", "d"),
    )
    edges = []
    for source, kind in kinds:
        deltas = ", ".join(f"{1 if k == kind else 0} AS step_{k}" for _, k in kinds)
        minus = ", ".join(f"{-1 if k == kind else 0} AS step_{k}" for _, k in kinds)
        edges.append(
            f"SELECT monitor_id, started_at AS edge_at, {deltas} FROM {source}"
            " WHERE ended_at > started_at"
        )
        edges.append(
            f"SELECT monitor_id, ended_at AS edge_at, {minus} FROM {source}"
            " WHERE ended_at > started_at"
        )
    return "\n    UNION ALL\n    ".join(edges)


def segment_ctes(union: str) -> list[str]:
    """``edges`` and ``segments`` (the sweep) from the spans' boundary rows ``union``."""
    return [
        f"""edges AS (
  SELECT monitor_id, edge_at, SUM(step_c) AS dc, SUM(step_p) AS dp, SUM(step_m) AS dm,
    SUM(step_d) AS dd
  FROM (
    {union}
  ) AS e
  GROUP BY monitor_id, edge_at
  -- not aliases here: BigQuery would read SUM(dc) as an aggregate of the alias dc
  HAVING SUM(step_c) != 0 OR SUM(step_p) != 0 OR SUM(step_m) != 0 OR SUM(step_d) != 0
)""",
        """segments AS (
  SELECT monitor_id, edge_at AS started_at,
    LEAD(edge_at) OVER (PARTITION BY monitor_id ORDER BY edge_at) AS ended_at,
    SUM(dc) OVER (PARTITION BY monitor_id ORDER BY edge_at
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) > 0 AS covered,
    SUM(dp) OVER (PARTITION BY monitor_id ORDER BY edge_at
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) > 0 AS paused,
    SUM(dm) OVER (PARTITION BY monitor_id ORDER BY edge_at
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) > 0 AS maintenance,
    SUM(dd) OVER (PARTITION BY monitor_id ORDER BY edge_at
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) > 0 AS down
  FROM edges
)""",
    ]
