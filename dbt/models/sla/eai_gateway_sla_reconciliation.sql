-- Gerado por `python -m betterstack_etl.dbtgen` a partir da definição única em
-- src/betterstack_etl/sla/_sql.py; não edite à mão (um teste falha quando diverge).
{{
    config(
        alias='eai_gateway_sla_reconciliation',
        materialized='view',
        labels={'managed-by': 'betterstack-etl-dbt'}
    )
}}

{% if target.type == 'duckdb' -%}
WITH monitor_info AS (SELECT monitor_id, pronounceable_name AS monitor_name, created_at, check_frequency, JSON_VALUE(raw, '$.attributes.monitor_group_id') ->> '$' AS monitor_group_id FROM {{ ref('raw_eai_gateway_monitors') }} WHERE NOT monitor_id IS NULL QUALIFY ROW_NUMBER() OVER (PARTITION BY monitor_id ORDER BY _extracted_at DESC, data_particao DESC) = 1), visible_incidents AS (SELECT incident_id, monitor_id, started_at, cause, status, CASE WHEN acknowledged_at <= {{ betterstack_now() }} THEN acknowledged_at ELSE NULL END AS acknowledged_at, CASE WHEN resolved_at <= {{ betterstack_now() }} THEN resolved_at ELSE NULL END AS resolved_at FROM {{ ref('raw_eai_gateway_incidents') }} WHERE NOT monitor_id IS NULL AND started_at <= {{ betterstack_now() }}), downtime_incidents AS (SELECT incident_id, monitor_id, started_at, acknowledged_at, resolved_at, COALESCE(resolved_at, {{ betterstack_now() }}) AS ended_at FROM visible_incidents WHERE (NOT (LOWER(COALESCE(cause, '')) LIKE '%expir%' AND (LOWER(COALESCE(cause, '')) LIKE '%ssl%' OR LOWER(COALESCE(cause, '')) LIKE '%tls%' OR LOWER(COALESCE(cause, '')) LIKE '%certificate%' OR LOWER(COALESCE(cause, '')) LIKE '%domain%')) AND COALESCE(status, '') <> 'Unconfirmed')), calendar AS (SELECT s.monitor_id, m.monitor_name, s."date" AS period, DATE_DIFF('SECOND', CAST(s."date" AS TIMESTAMP) AT TIME ZONE 'UTC', CAST(CAST(s."date" + INTERVAL '1' DAY AS DATE) AS TIMESTAMP) AT TIME ZONE 'UTC') AS period_seconds, CASE WHEN CAST(s."date" AS TIMESTAMP) AT TIME ZONE 'UTC' IS NULL OR COALESCE(m.created_at, CAST(s."date" AS TIMESTAMP) AT TIME ZONE 'UTC') IS NULL THEN NULL ELSE GREATEST(CAST(s."date" AS TIMESTAMP) AT TIME ZONE 'UTC', COALESCE(m.created_at, CAST(s."date" AS TIMESTAMP) AT TIME ZONE 'UTC')) END AS window_start, CASE WHEN CAST(CAST(s."date" + INTERVAL '1' DAY AS DATE) AS TIMESTAMP) AT TIME ZONE 'UTC' IS NULL OR {{ betterstack_now() }} IS NULL OR s._extracted_at IS NULL THEN NULL ELSE LEAST(CAST(CAST(s."date" + INTERVAL '1' DAY AS DATE) AS TIMESTAMP) AT TIME ZONE 'UTC', {{ betterstack_now() }}, s._extracted_at) END AS window_end FROM {{ ref('raw_eai_gateway_daily_sla') }} AS s LEFT JOIN monitor_info AS m ON m.monitor_id = s.monitor_id WHERE NOT s.monitor_id IS NULL), ordered AS (SELECT incident_id, monitor_id, started_at, ended_at, MAX(ended_at) OVER (PARTITION BY monitor_id ORDER BY started_at NULLS FIRST, ended_at NULLS FIRST, incident_id NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach FROM downtime_incidents WHERE ended_at > started_at), numbered AS (SELECT monitor_id, started_at, ended_at, SUM(CASE WHEN reach IS NULL OR started_at > reach THEN 1 ELSE 0 END) OVER (PARTITION BY monitor_id ORDER BY started_at NULLS FIRST, ended_at NULLS FIRST, incident_id NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS island FROM ordered), islands AS (SELECT monitor_id, island, MIN(started_at) AS started_at, MAX(ended_at) AS ended_at FROM numbered GROUP BY monitor_id, island), downtime AS (SELECT c.monitor_id, c.period, SUM(CASE WHEN DATE_DIFF('MILLISECOND', CASE WHEN i.started_at IS NULL OR c.window_start IS NULL THEN NULL ELSE GREATEST(i.started_at, c.window_start) END, CASE WHEN i.ended_at IS NULL OR c.window_end IS NULL THEN NULL ELSE LEAST(i.ended_at, c.window_end) END) IS NULL OR 0 IS NULL THEN NULL ELSE GREATEST(DATE_DIFF('MILLISECOND', CASE WHEN i.started_at IS NULL OR c.window_start IS NULL THEN NULL ELSE GREATEST(i.started_at, c.window_start) END, CASE WHEN i.ended_at IS NULL OR c.window_end IS NULL THEN NULL ELSE LEAST(i.ended_at, c.window_end) END), 0) END) AS downtime_ms FROM islands AS i CROSS JOIN UNNEST(CAST(GENERATE_SERIES(CAST(i.started_at AT TIME ZONE 'UTC' AS DATE), CAST(i.ended_at AT TIME ZONE 'UTC' AS DATE), INTERVAL '1' DAY) AS DATE[])) AS _t0(touched) JOIN calendar AS c ON c.monitor_id = i.monitor_id AND c.period = touched GROUP BY c.monitor_id, c.period), incident_periods AS (SELECT c.monitor_id, c.period, d.started_at, d.acknowledged_at, d.resolved_at, d.started_at < c.window_end AND (d.ended_at > c.window_start OR (d.ended_at = d.started_at AND d.started_at >= c.window_start)) AS counted, CASE WHEN DATE_DIFF('MILLISECOND', CASE WHEN d.started_at IS NULL OR c.window_start IS NULL THEN NULL ELSE GREATEST(d.started_at, c.window_start) END, CASE WHEN d.ended_at IS NULL OR c.window_end IS NULL THEN NULL ELSE LEAST(d.ended_at, c.window_end) END) IS NULL OR 0 IS NULL THEN NULL ELSE GREATEST(DATE_DIFF('MILLISECOND', CASE WHEN d.started_at IS NULL OR c.window_start IS NULL THEN NULL ELSE GREATEST(d.started_at, c.window_start) END, CASE WHEN d.ended_at IS NULL OR c.window_end IS NULL THEN NULL ELSE LEAST(d.ended_at, c.window_end) END), 0) END AS overlap_ms, CAST(d.started_at AT TIME ZONE 'UTC' AS DATE) = c.period AS started_here FROM downtime_incidents AS d CROSS JOIN UNNEST(CAST(GENERATE_SERIES(CAST(d.started_at AT TIME ZONE 'UTC' AS DATE), CAST(d.ended_at AT TIME ZONE 'UTC' AS DATE), INTERVAL '1' DAY) AS DATE[])) AS _t1(touched) JOIN calendar AS c ON c.monitor_id = d.monitor_id AND c.period = touched), incident_stats AS (SELECT monitor_id, period, COUNT_IF(counted) AS incidents, MAX(CASE WHEN counted THEN overlap_ms ELSE NULL END) AS longest_ms, AVG(CASE WHEN started_here AND NOT acknowledged_at IS NULL THEN DATE_DIFF('MILLISECOND', started_at, acknowledged_at) ELSE NULL END) AS mtta_ms, AVG(CASE WHEN started_here AND NOT resolved_at IS NULL THEN DATE_DIFF('MILLISECOND', started_at, resolved_at) ELSE NULL END) AS mttr_ms FROM incident_periods GROUP BY monitor_id, period), periods AS (SELECT c.monitor_id, c.period, CASE WHEN DATE_DIFF('MILLISECOND', c.window_start, c.window_end) IS NULL OR 0 IS NULL THEN NULL ELSE GREATEST(DATE_DIFF('MILLISECOND', c.window_start, c.window_end), 0) END AS observed_ms, COALESCE(dt.downtime_ms, 0) AS downtime_ms, COALESCE(st.incidents, 0) AS incidents FROM calendar AS c LEFT JOIN downtime AS dt ON dt.monitor_id = c.monitor_id AND dt.period = c.period LEFT JOIN incident_stats AS st ON st.monitor_id = c.monitor_id AND st.period = c.period) SELECT s.monitor_id, s."date", s.is_complete, s.availability AS api_availability, s.total_downtime AS api_total_downtime, s.number_of_incidents AS api_number_of_incidents, CAST(COALESCE(p.downtime_ms, 0) AS DOUBLE) / 1000 AS computed_downtime_seconds, CAST(COALESCE(p.incidents, 0) AS BIGINT) AS computed_incidents, CASE WHEN COALESCE(p.observed_ms, 0) > 0 THEN 100 * (1 - CAST(COALESCE(p.downtime_ms, 0) AS DOUBLE) / p.observed_ms) ELSE NULL END AS computed_availability_pct, s.total_downtime - CAST(COALESCE(p.downtime_ms, 0) AS DOUBLE) / 1000 AS downtime_diff_seconds, COALESCE(ABS(s.total_downtime - CAST(COALESCE(p.downtime_ms, 0) AS DOUBLE) / 1000) <= 60 AND s.number_of_incidents = COALESCE(p.incidents, 0), FALSE) AS matches FROM {{ ref('raw_eai_gateway_daily_sla') }} AS s LEFT JOIN periods AS p ON p.monitor_id = s.monitor_id AND p.period = s."date" WHERE NOT s.monitor_id IS NULL
{%- else -%}
WITH monitor_info AS (
  SELECT monitor_id, pronounceable_name AS monitor_name, created_at, check_frequency,
    JSON_VALUE(raw, '$.attributes.monitor_group_id') AS monitor_group_id
  FROM {{ ref('raw_eai_gateway_monitors') }}
  WHERE monitor_id IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (
    PARTITION BY monitor_id ORDER BY _extracted_at DESC, data_particao DESC) = 1
),
visible_incidents AS (
  SELECT incident_id, monitor_id, started_at, cause, status,
    IF(acknowledged_at <= {{ betterstack_now() }}, acknowledged_at, NULL) AS acknowledged_at,
    IF(resolved_at <= {{ betterstack_now() }}, resolved_at, NULL) AS resolved_at
  FROM {{ ref('raw_eai_gateway_incidents') }}
  WHERE monitor_id IS NOT NULL AND started_at <= {{ betterstack_now() }}
),
downtime_incidents AS (
  SELECT incident_id, monitor_id, started_at, acknowledged_at, resolved_at,
    COALESCE(resolved_at, {{ betterstack_now() }}) AS ended_at
  FROM visible_incidents
  WHERE (NOT (LOWER(COALESCE(cause, '')) LIKE '%expir%' AND (LOWER(COALESCE(cause, '')) LIKE '%ssl%' OR LOWER(COALESCE(cause, '')) LIKE '%tls%' OR LOWER(COALESCE(cause, '')) LIKE '%certificate%' OR LOWER(COALESCE(cause, '')) LIKE '%domain%')) AND COALESCE(status, '') != 'Unconfirmed')
),
calendar AS (
  SELECT s.monitor_id, m.monitor_name, s.`date` AS period,
    TIMESTAMP_DIFF(TIMESTAMP(CAST(DATE_ADD(s.`date`, INTERVAL 1 DAY) AS DATE), 'UTC'), TIMESTAMP(s.`date`, 'UTC'), SECOND) AS period_seconds,
    GREATEST(TIMESTAMP(s.`date`, 'UTC'), COALESCE(m.created_at, TIMESTAMP(s.`date`, 'UTC')))
      AS window_start,
    LEAST(TIMESTAMP(CAST(DATE_ADD(s.`date`, INTERVAL 1 DAY) AS DATE), 'UTC'), {{ betterstack_now() }}, s._extracted_at) AS window_end
  FROM {{ ref('raw_eai_gateway_daily_sla') }} AS s
  LEFT JOIN monitor_info AS m ON m.monitor_id = s.monitor_id
  WHERE s.monitor_id IS NOT NULL
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
  CROSS JOIN UNNEST(GENERATE_DATE_ARRAY(DATE(i.started_at, 'UTC'), DATE(i.ended_at, 'UTC'), INTERVAL 1 DAY)) AS touched
  JOIN calendar AS c ON c.monitor_id = i.monitor_id AND c.period = touched
  GROUP BY c.monitor_id, c.period
),
incident_periods AS (
  SELECT c.monitor_id, c.period, d.started_at, d.acknowledged_at, d.resolved_at,
    d.started_at < c.window_end AND (d.ended_at > c.window_start
      OR (d.ended_at = d.started_at AND d.started_at >= c.window_start)) AS counted,
    GREATEST(TIMESTAMP_DIFF(LEAST(d.ended_at, c.window_end),
      GREATEST(d.started_at, c.window_start), MILLISECOND), 0) AS overlap_ms,
    DATE(d.started_at, 'UTC') = c.period AS started_here
  FROM downtime_incidents AS d
  CROSS JOIN UNNEST(GENERATE_DATE_ARRAY(DATE(d.started_at, 'UTC'), DATE(d.ended_at, 'UTC'), INTERVAL 1 DAY)) AS touched
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
  SELECT c.monitor_id, c.period,
    GREATEST(TIMESTAMP_DIFF(c.window_end, c.window_start, MILLISECOND), 0) AS observed_ms,
    COALESCE(dt.downtime_ms, 0) AS downtime_ms,
    COALESCE(st.incidents, 0) AS incidents
  FROM calendar AS c
  LEFT JOIN downtime AS dt ON dt.monitor_id = c.monitor_id AND dt.period = c.period
  LEFT JOIN incident_stats AS st ON st.monitor_id = c.monitor_id AND st.period = c.period
)
SELECT s.monitor_id, s.`date`, s.is_complete,
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
FROM {{ ref('raw_eai_gateway_daily_sla') }} AS s
LEFT JOIN periods AS p ON p.monitor_id = s.monitor_id AND p.period = s.`date`
WHERE s.monitor_id IS NOT NULL
{%- endif %}
