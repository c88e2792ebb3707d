-- Gerado por `python -m betterstack_etl.dbtgen` a partir da definição única em
-- src/betterstack_etl/sla/_sql.py; não edite à mão (um teste falha quando diverge).
{{
    config(
        alias='eai_gateway_availability_monthly',
        materialized='view',
        labels={'managed-by': 'betterstack-etl-dbt'}
    )
}}

{% if target.type == 'duckdb' -%}
WITH monitor_info AS (SELECT monitor_id, pronounceable_name AS monitor_name, created_at, check_frequency FROM {{ ref('raw_eai_gateway_monitors') }} WHERE NOT monitor_id IS NULL QUALIFY ROW_NUMBER() OVER (PARTITION BY monitor_id ORDER BY _extracted_at DESC, data_particao DESC) = 1), visible_incidents AS (SELECT incident_id, monitor_id, started_at, cause, CASE WHEN acknowledged_at <= {{ betterstack_now() }} THEN acknowledged_at ELSE NULL END AS acknowledged_at, CASE WHEN resolved_at <= {{ betterstack_now() }} THEN resolved_at ELSE NULL END AS resolved_at FROM {{ ref('raw_eai_gateway_incidents') }} WHERE NOT monitor_id IS NULL AND started_at <= {{ betterstack_now() }}), downtime_incidents AS (SELECT incident_id, monitor_id, started_at, acknowledged_at, resolved_at, COALESCE(resolved_at, {{ betterstack_now() }}) AS ended_at FROM visible_incidents WHERE NOT (LOWER(COALESCE(cause, '')) LIKE '%expir%' AND (LOWER(COALESCE(cause, '')) LIKE '%ssl%' OR LOWER(COALESCE(cause, '')) LIKE '%tls%' OR LOWER(COALESCE(cause, '')) LIKE '%certificate%' OR LOWER(COALESCE(cause, '')) LIKE '%domain%'))), first_seen AS (SELECT monitor_id, MIN(first_at) AS first_at FROM (SELECT monitor_id, MIN(started_at) AS first_at FROM visible_incidents GROUP BY monitor_id UNION ALL SELECT monitor_id, MIN(CAST("date" AS TIMESTAMP) AT TIME ZONE 'UTC') AS first_at FROM {{ ref('raw_eai_gateway_daily_sla') }} WHERE NOT monitor_id IS NULL GROUP BY monitor_id UNION ALL SELECT monitor_id, MIN(_extracted_at) AS first_at FROM {{ ref('raw_eai_gateway_monitors') }} WHERE NOT monitor_id IS NULL GROUP BY monitor_id) AS seen GROUP BY monitor_id), spans AS (SELECT f.monitor_id, m.monitor_name, m.created_at, CAST(DATE_TRUNC('MONTH', CAST(CASE WHEN f.first_at IS NULL OR COALESCE(m.created_at, f.first_at) IS NULL THEN NULL ELSE GREATEST(f.first_at, COALESCE(m.created_at, f.first_at)) END AT TIME ZONE 'America/Sao_Paulo' AS DATE)) AS DATE) AS first_period FROM first_seen AS f LEFT JOIN monitor_info AS m ON m.monitor_id = f.monitor_id), calendar AS (SELECT s.monitor_id, s.monitor_name, period, DATE_DIFF('SECOND', CAST(period AS TIMESTAMP) AT TIME ZONE 'America/Sao_Paulo', CAST(CAST(period + INTERVAL '1' MONTH AS DATE) AS TIMESTAMP) AT TIME ZONE 'America/Sao_Paulo') AS period_seconds, CASE WHEN CAST(period AS TIMESTAMP) AT TIME ZONE 'America/Sao_Paulo' IS NULL OR COALESCE(s.created_at, CAST(period AS TIMESTAMP) AT TIME ZONE 'America/Sao_Paulo') IS NULL THEN NULL ELSE GREATEST(CAST(period AS TIMESTAMP) AT TIME ZONE 'America/Sao_Paulo', COALESCE(s.created_at, CAST(period AS TIMESTAMP) AT TIME ZONE 'America/Sao_Paulo')) END AS window_start, CASE WHEN CAST(CAST(period + INTERVAL '1' MONTH AS DATE) AS TIMESTAMP) AT TIME ZONE 'America/Sao_Paulo' IS NULL OR {{ betterstack_now() }} IS NULL THEN NULL ELSE LEAST(CAST(CAST(period + INTERVAL '1' MONTH AS DATE) AS TIMESTAMP) AT TIME ZONE 'America/Sao_Paulo', {{ betterstack_now() }}) END AS window_end FROM spans AS s CROSS JOIN UNNEST(CAST(GENERATE_SERIES(s.first_period, CAST(DATE_TRUNC('MONTH', CAST({{ betterstack_now() }} AT TIME ZONE 'America/Sao_Paulo' AS DATE)) AS DATE), INTERVAL '1' MONTH) AS DATE[])) AS _t0(period)), ordered AS (SELECT incident_id, monitor_id, started_at, ended_at, MAX(ended_at) OVER (PARTITION BY monitor_id ORDER BY started_at NULLS FIRST, ended_at NULLS FIRST, incident_id NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach FROM downtime_incidents WHERE ended_at > started_at), numbered AS (SELECT monitor_id, started_at, ended_at, SUM(CASE WHEN reach IS NULL OR started_at > reach THEN 1 ELSE 0 END) OVER (PARTITION BY monitor_id ORDER BY started_at NULLS FIRST, ended_at NULLS FIRST, incident_id NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS island FROM ordered), islands AS (SELECT monitor_id, island, MIN(started_at) AS started_at, MAX(ended_at) AS ended_at FROM numbered GROUP BY monitor_id, island), downtime AS (SELECT c.monitor_id, c.period, SUM(CASE WHEN DATE_DIFF('MILLISECOND', CASE WHEN i.started_at IS NULL OR c.window_start IS NULL THEN NULL ELSE GREATEST(i.started_at, c.window_start) END, CASE WHEN i.ended_at IS NULL OR c.window_end IS NULL THEN NULL ELSE LEAST(i.ended_at, c.window_end) END) IS NULL OR 0 IS NULL THEN NULL ELSE GREATEST(DATE_DIFF('MILLISECOND', CASE WHEN i.started_at IS NULL OR c.window_start IS NULL THEN NULL ELSE GREATEST(i.started_at, c.window_start) END, CASE WHEN i.ended_at IS NULL OR c.window_end IS NULL THEN NULL ELSE LEAST(i.ended_at, c.window_end) END), 0) END) AS downtime_ms FROM islands AS i CROSS JOIN UNNEST(CAST(GENERATE_SERIES(CAST(DATE_TRUNC('MONTH', CAST(i.started_at AT TIME ZONE 'America/Sao_Paulo' AS DATE)) AS DATE), CAST(DATE_TRUNC('MONTH', CAST(i.ended_at AT TIME ZONE 'America/Sao_Paulo' AS DATE)) AS DATE), INTERVAL '1' MONTH) AS DATE[])) AS _t1(touched) JOIN calendar AS c ON c.monitor_id = i.monitor_id AND c.period = touched GROUP BY c.monitor_id, c.period), incident_periods AS (SELECT c.monitor_id, c.period, d.started_at, d.acknowledged_at, d.resolved_at, d.started_at < c.window_end AND (d.ended_at > c.window_start OR (d.ended_at = d.started_at AND d.started_at >= c.window_start)) AS counted, CASE WHEN DATE_DIFF('MILLISECOND', CASE WHEN d.started_at IS NULL OR c.window_start IS NULL THEN NULL ELSE GREATEST(d.started_at, c.window_start) END, CASE WHEN d.ended_at IS NULL OR c.window_end IS NULL THEN NULL ELSE LEAST(d.ended_at, c.window_end) END) IS NULL OR 0 IS NULL THEN NULL ELSE GREATEST(DATE_DIFF('MILLISECOND', CASE WHEN d.started_at IS NULL OR c.window_start IS NULL THEN NULL ELSE GREATEST(d.started_at, c.window_start) END, CASE WHEN d.ended_at IS NULL OR c.window_end IS NULL THEN NULL ELSE LEAST(d.ended_at, c.window_end) END), 0) END AS overlap_ms, CAST(DATE_TRUNC('MONTH', CAST(d.started_at AT TIME ZONE 'America/Sao_Paulo' AS DATE)) AS DATE) = c.period AS started_here FROM downtime_incidents AS d CROSS JOIN UNNEST(CAST(GENERATE_SERIES(CAST(DATE_TRUNC('MONTH', CAST(d.started_at AT TIME ZONE 'America/Sao_Paulo' AS DATE)) AS DATE), CAST(DATE_TRUNC('MONTH', CAST(d.ended_at AT TIME ZONE 'America/Sao_Paulo' AS DATE)) AS DATE), INTERVAL '1' MONTH) AS DATE[])) AS _t2(touched) JOIN calendar AS c ON c.monitor_id = d.monitor_id AND c.period = touched), incident_stats AS (SELECT monitor_id, period, COUNT_IF(counted) AS incidents, MAX(CASE WHEN counted THEN overlap_ms ELSE NULL END) AS longest_ms, AVG(CASE WHEN started_here AND NOT acknowledged_at IS NULL THEN DATE_DIFF('MILLISECOND', started_at, acknowledged_at) ELSE NULL END) AS mtta_ms, AVG(CASE WHEN started_here AND NOT resolved_at IS NULL THEN DATE_DIFF('MILLISECOND', started_at, resolved_at) ELSE NULL END) AS mttr_ms FROM incident_periods GROUP BY monitor_id, period), periods AS (SELECT c.monitor_id, c.monitor_name, c.period, c.period_seconds, c.window_start, c.window_end, CASE WHEN DATE_DIFF('MILLISECOND', c.window_start, c.window_end) IS NULL OR 0 IS NULL THEN NULL ELSE GREATEST(DATE_DIFF('MILLISECOND', c.window_start, c.window_end), 0) END AS observed_ms, COALESCE(dt.downtime_ms, 0) AS downtime_ms, COALESCE(st.incidents, 0) AS incidents, COALESCE(st.longest_ms, 0) AS longest_ms, st.mtta_ms, st.mttr_ms FROM calendar AS c LEFT JOIN downtime AS dt ON dt.monitor_id = c.monitor_id AND dt.period = c.period LEFT JOIN incident_stats AS st ON st.monitor_id = c.monitor_id AND st.period = c.period) SELECT monitor_id, monitor_name, period AS month, 'America/Sao_Paulo' AS time_zone, CAST(observed_ms AS DOUBLE) / 1000 AS observed_seconds, CAST(downtime_ms AS DOUBLE) / 1000 AS downtime_seconds, CAST(incidents AS BIGINT) AS incidents, CASE WHEN observed_ms > 0 THEN 100 * (1 - CAST(downtime_ms AS DOUBLE) / observed_ms) ELSE NULL END AS availability_pct, CAST(longest_ms AS DOUBLE) / 1000 AS longest_incident_seconds, mtta_ms / 1000 AS mtta_seconds, mttr_ms / 1000 AS mttr_seconds, CAST(period_seconds AS BIGINT) AS month_seconds, CAST(99.9 AS DOUBLE) AS slo_pct, CAST(period_seconds AS DOUBLE) * (100 - CAST(99.9 AS DOUBLE)) / 100 AS error_budget_seconds, CAST(period_seconds AS DOUBLE) * (100 - CAST(99.9 AS DOUBLE)) / 100 - CAST(downtime_ms AS DOUBLE) / 1000 AS error_budget_remaining_seconds FROM periods
{%- else -%}
WITH monitor_info AS (
  SELECT monitor_id, pronounceable_name AS monitor_name, created_at, check_frequency
  FROM {{ ref('raw_eai_gateway_monitors') }}
  WHERE monitor_id IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (
    PARTITION BY monitor_id ORDER BY _extracted_at DESC, data_particao DESC) = 1
),
visible_incidents AS (
  SELECT incident_id, monitor_id, started_at, cause,
    IF(acknowledged_at <= {{ betterstack_now() }}, acknowledged_at, NULL) AS acknowledged_at,
    IF(resolved_at <= {{ betterstack_now() }}, resolved_at, NULL) AS resolved_at
  FROM {{ ref('raw_eai_gateway_incidents') }}
  WHERE monitor_id IS NOT NULL AND started_at <= {{ betterstack_now() }}
),
downtime_incidents AS (
  SELECT incident_id, monitor_id, started_at, acknowledged_at, resolved_at,
    COALESCE(resolved_at, {{ betterstack_now() }}) AS ended_at
  FROM visible_incidents
  WHERE NOT (LOWER(COALESCE(cause, '')) LIKE '%expir%' AND (LOWER(COALESCE(cause, '')) LIKE '%ssl%' OR LOWER(COALESCE(cause, '')) LIKE '%tls%' OR LOWER(COALESCE(cause, '')) LIKE '%certificate%' OR LOWER(COALESCE(cause, '')) LIKE '%domain%'))
),
first_seen AS (
  SELECT monitor_id, MIN(first_at) AS first_at
  FROM (
    SELECT monitor_id, MIN(started_at) AS first_at FROM visible_incidents GROUP BY monitor_id
    UNION ALL
    SELECT monitor_id, MIN(TIMESTAMP(`date`, 'UTC')) AS first_at
    FROM {{ ref('raw_eai_gateway_daily_sla') }} WHERE monitor_id IS NOT NULL GROUP BY monitor_id
    UNION ALL
    SELECT monitor_id, MIN(_extracted_at) AS first_at
    FROM {{ ref('raw_eai_gateway_monitors') }} WHERE monitor_id IS NOT NULL GROUP BY monitor_id
  ) AS seen
  GROUP BY monitor_id
),
spans AS (
  SELECT f.monitor_id, m.monitor_name, m.created_at,
    CAST(DATE_TRUNC(DATE(GREATEST(f.first_at, COALESCE(m.created_at, f.first_at)), 'America/Sao_Paulo'), MONTH) AS DATE) AS first_period
  FROM first_seen AS f
  LEFT JOIN monitor_info AS m ON m.monitor_id = f.monitor_id
),
calendar AS (
  SELECT s.monitor_id, s.monitor_name, period,
    TIMESTAMP_DIFF(TIMESTAMP(CAST(DATE_ADD(period, INTERVAL 1 MONTH) AS DATE), 'America/Sao_Paulo'), TIMESTAMP(period, 'America/Sao_Paulo'), SECOND) AS period_seconds,
    GREATEST(TIMESTAMP(period, 'America/Sao_Paulo'), COALESCE(s.created_at, TIMESTAMP(period, 'America/Sao_Paulo'))) AS window_start,
    LEAST(TIMESTAMP(CAST(DATE_ADD(period, INTERVAL 1 MONTH) AS DATE), 'America/Sao_Paulo'), {{ betterstack_now() }}) AS window_end
  FROM spans AS s
  CROSS JOIN UNNEST(GENERATE_DATE_ARRAY(s.first_period, CAST(DATE_TRUNC(DATE({{ betterstack_now() }}, 'America/Sao_Paulo'), MONTH) AS DATE), INTERVAL 1 MONTH)) AS period
),
ordered AS (
  SELECT incident_id, monitor_id, started_at, ended_at,
    MAX(ended_at) OVER (
      PARTITION BY monitor_id ORDER BY started_at, ended_at, incident_id
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
  FROM downtime_incidents
  WHERE ended_at > started_at
),
numbered AS (
  SELECT monitor_id, started_at, ended_at,
    SUM(IF(reach IS NULL OR started_at > reach, 1, 0)) OVER (
      PARTITION BY monitor_id ORDER BY started_at, ended_at, incident_id
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS island
  FROM ordered
),
islands AS (
  SELECT monitor_id, island, MIN(started_at) AS started_at, MAX(ended_at) AS ended_at
  FROM numbered
  GROUP BY monitor_id, island
),
downtime AS (
  SELECT c.monitor_id, c.period,
    SUM(GREATEST(TIMESTAMP_DIFF(LEAST(i.ended_at, c.window_end),
      GREATEST(i.started_at, c.window_start), MILLISECOND), 0)) AS downtime_ms
  FROM islands AS i
  CROSS JOIN UNNEST(GENERATE_DATE_ARRAY(CAST(DATE_TRUNC(DATE(i.started_at, 'America/Sao_Paulo'), MONTH) AS DATE), CAST(DATE_TRUNC(DATE(i.ended_at, 'America/Sao_Paulo'), MONTH) AS DATE), INTERVAL 1 MONTH)) AS touched
  JOIN calendar AS c ON c.monitor_id = i.monitor_id AND c.period = touched
  GROUP BY c.monitor_id, c.period
),
incident_periods AS (
  SELECT c.monitor_id, c.period, d.started_at, d.acknowledged_at, d.resolved_at,
    d.started_at < c.window_end AND (d.ended_at > c.window_start
      OR (d.ended_at = d.started_at AND d.started_at >= c.window_start)) AS counted,
    GREATEST(TIMESTAMP_DIFF(LEAST(d.ended_at, c.window_end),
      GREATEST(d.started_at, c.window_start), MILLISECOND), 0) AS overlap_ms,
    CAST(DATE_TRUNC(DATE(d.started_at, 'America/Sao_Paulo'), MONTH) AS DATE) = c.period AS started_here
  FROM downtime_incidents AS d
  CROSS JOIN UNNEST(GENERATE_DATE_ARRAY(CAST(DATE_TRUNC(DATE(d.started_at, 'America/Sao_Paulo'), MONTH) AS DATE), CAST(DATE_TRUNC(DATE(d.ended_at, 'America/Sao_Paulo'), MONTH) AS DATE), INTERVAL 1 MONTH)) AS touched
  JOIN calendar AS c ON c.monitor_id = d.monitor_id AND c.period = touched
),
incident_stats AS (
  SELECT monitor_id, period,
    COUNTIF(counted) AS incidents,
    MAX(IF(counted, overlap_ms, NULL)) AS longest_ms,
    AVG(IF(started_here AND acknowledged_at IS NOT NULL,
      TIMESTAMP_DIFF(acknowledged_at, started_at, MILLISECOND), NULL)) AS mtta_ms,
    AVG(IF(started_here AND resolved_at IS NOT NULL,
      TIMESTAMP_DIFF(resolved_at, started_at, MILLISECOND), NULL)) AS mttr_ms
  FROM incident_periods
  GROUP BY monitor_id, period
),
periods AS (
  SELECT c.monitor_id, c.monitor_name, c.period, c.period_seconds,
    c.window_start, c.window_end,
    GREATEST(TIMESTAMP_DIFF(c.window_end, c.window_start, MILLISECOND), 0) AS observed_ms,
    COALESCE(dt.downtime_ms, 0) AS downtime_ms,
    COALESCE(st.incidents, 0) AS incidents,
    COALESCE(st.longest_ms, 0) AS longest_ms,
    st.mtta_ms, st.mttr_ms
  FROM calendar AS c
  LEFT JOIN downtime AS dt ON dt.monitor_id = c.monitor_id AND dt.period = c.period
  LEFT JOIN incident_stats AS st ON st.monitor_id = c.monitor_id AND st.period = c.period
)
SELECT monitor_id, monitor_name, period AS month, 'America/Sao_Paulo' AS time_zone,
  CAST(observed_ms AS FLOAT64) / 1000 AS observed_seconds,
  CAST(downtime_ms AS FLOAT64) / 1000 AS downtime_seconds,
  CAST(incidents AS INT64) AS incidents,
  IF(observed_ms > 0, 100 * (1 - CAST(downtime_ms AS FLOAT64) / observed_ms), NULL)
    AS availability_pct,
  CAST(longest_ms AS FLOAT64) / 1000 AS longest_incident_seconds,
  mtta_ms / 1000 AS mtta_seconds,
  mttr_ms / 1000 AS mttr_seconds,
  CAST(period_seconds AS INT64) AS month_seconds,
  CAST(99.9 AS FLOAT64) AS slo_pct,
  CAST(period_seconds AS FLOAT64) * (100 - CAST(99.9 AS FLOAT64)) / 100 AS error_budget_seconds,
  CAST(period_seconds AS FLOAT64) * (100 - CAST(99.9 AS FLOAT64)) / 100 - CAST(downtime_ms AS FLOAT64) / 1000 AS error_budget_remaining_seconds
FROM periods
{%- endif %}
