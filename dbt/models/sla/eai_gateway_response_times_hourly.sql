-- Gerado por `python -m betterstack_etl.dbtgen` a partir da definição única em
-- src/betterstack_etl/sla/_sql.py; não edite à mão (um teste falha quando diverge).
{{
    config(
        alias='eai_gateway_response_times_hourly',
        materialized='view',
        labels={'managed-by': 'betterstack-etl-dbt'}
    )
}}

{% if target.type == 'duckdb' -%}
WITH monitor_info AS (SELECT monitor_id, pronounceable_name AS monitor_name, created_at, check_frequency, JSON_VALUE(raw, '$.attributes.monitor_group_id') ->> '$' AS monitor_group_id FROM {{ ref('raw_eai_gateway_monitors') }} WHERE NOT monitor_id IS NULL QUALIFY ROW_NUMBER() OVER (PARTITION BY monitor_id ORDER BY _extracted_at DESC, data_particao DESC) = 1), points AS (SELECT monitor_id, region, data_particao, CAST('1970-01-01 00:00:00+00' AS TIMESTAMPTZ) + INTERVAL (EPOCH_MS("at") // 3600000) HOUR AS hour, response_time FROM {{ ref('raw_eai_gateway_response_times') }} WHERE NOT monitor_id IS NULL AND NOT response_time IS NULL), ranked AS (SELECT monitor_id, region, data_particao, hour, response_time, QUANTILE_CONT(response_time, 0.5) OVER (PARTITION BY monitor_id, region, data_particao, hour) AS p50, QUANTILE_CONT(response_time, 0.95) OVER (PARTITION BY monitor_id, region, data_particao, hour) AS p95, QUANTILE_CONT(response_time, 0.99) OVER (PARTITION BY monitor_id, region, data_particao, hour) AS p99 FROM points), hourly AS (SELECT monitor_id, region, data_particao, hour, COUNT(*) AS samples, AVG(response_time) AS avg_response_time, MAX(p50) AS p50_response_time, MAX(p95) AS p95_response_time, MAX(p99) AS p99_response_time, MAX(response_time) AS max_response_time FROM ranked GROUP BY monitor_id, region, data_particao, hour) SELECT h.monitor_id, h.region, h.hour, CAST(h.samples AS BIGINT) AS samples, CASE WHEN m.check_frequency > 0 THEN 3600 / m.check_frequency ELSE NULL END AS expected_samples, h.avg_response_time, h.p50_response_time, h.p95_response_time, h.p99_response_time, h.max_response_time, h.data_particao FROM hourly AS h LEFT JOIN monitor_info AS m ON m.monitor_id = h.monitor_id
{%- else -%}
WITH monitor_info AS (
  SELECT monitor_id, pronounceable_name AS monitor_name, created_at, check_frequency,
    JSON_VALUE(raw, '$.attributes.monitor_group_id') AS monitor_group_id
  FROM {{ ref('raw_eai_gateway_monitors') }}
  WHERE monitor_id IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (
    PARTITION BY monitor_id ORDER BY _extracted_at DESC, data_particao DESC) = 1
),
points AS (
  SELECT monitor_id, region, data_particao, TIMESTAMP_ADD(TIMESTAMP '1970-01-01 00:00:00+00', INTERVAL DIV(UNIX_MILLIS(`at`), 3600000) HOUR) AS hour, response_time
  FROM {{ ref('raw_eai_gateway_response_times') }}
  WHERE monitor_id IS NOT NULL AND response_time IS NOT NULL
),
ranked AS (
  SELECT monitor_id, region, data_particao, hour, response_time,
    PERCENTILE_CONT(response_time, 0.5) OVER (PARTITION BY monitor_id, region, data_particao, hour) AS p50,
    PERCENTILE_CONT(response_time, 0.95) OVER (PARTITION BY monitor_id, region, data_particao, hour) AS p95,
    PERCENTILE_CONT(response_time, 0.99) OVER (PARTITION BY monitor_id, region, data_particao, hour) AS p99
  FROM points
),
hourly AS (
  SELECT monitor_id, region, data_particao, hour, COUNT(*) AS samples,
    AVG(response_time) AS avg_response_time,
    MAX(p50) AS p50_response_time, MAX(p95) AS p95_response_time,
    MAX(p99) AS p99_response_time, MAX(response_time) AS max_response_time
  FROM ranked
  GROUP BY monitor_id, region, data_particao, hour
)
SELECT h.monitor_id, h.region, h.hour, CAST(h.samples AS INT64) AS samples,
  IF(m.check_frequency > 0, 3600 / m.check_frequency, NULL) AS expected_samples,
  h.avg_response_time, h.p50_response_time, h.p95_response_time, h.p99_response_time,
  h.max_response_time, h.data_particao
FROM hourly AS h
LEFT JOIN monitor_info AS m ON m.monitor_id = h.monitor_id
{%- endif %}
