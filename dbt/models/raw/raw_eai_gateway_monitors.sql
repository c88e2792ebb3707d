-- Gerado por `python -m betterstack_etl.dbtgen` a partir da definição única em
-- src/betterstack_etl/tables.py (esquemas) e dbtgen/__init__.py; não edite à mão (um teste falha quando diverge).
{{
    config(
        alias='eai_gateway_monitors',
        materialized='table',
        partition_by=({'field': 'data_particao', 'data_type': 'date', 'granularity': 'day'} if target.type == 'bigquery' else none),
        cluster_by=(['monitor_id', 'data_particao'] if target.type == 'bigquery' else none),
        labels={'managed-by': 'betterstack-etl-dbt'}
    )
}}

{% if target.type == 'duckdb' -%}
SELECT CAST("monitor_id" AS TEXT) AS "monitor_id", CAST("pronounceable_name" AS TEXT) AS "pronounceable_name", CAST("url" AS TEXT) AS "url", CAST("monitor_type" AS TEXT) AS "monitor_type", CAST("status" AS TEXT) AS "status", CAST("check_frequency" AS BIGINT) AS "check_frequency", CAST("regions" AS TEXT[]) AS "regions", CAST("paused_at" AS TIMESTAMPTZ) AS "paused_at", CAST("created_at" AS TIMESTAMPTZ) AS "created_at", CAST("updated_at" AS TIMESTAMPTZ) AS "updated_at", CAST("raw" AS TEXT) AS "raw", CAST("_extracted_at" AS TIMESTAMPTZ) AS "_extracted_at", CAST("_run_id" AS TEXT) AS "_run_id", CAST("data_particao" AS DATE) AS "data_particao" FROM {{ source('betterstack_etl', 'eai_gateway_monitors') }}
{%- else -%}
SELECT
  CAST(`monitor_id` AS STRING) AS `monitor_id`,
  CAST(`pronounceable_name` AS STRING) AS `pronounceable_name`,
  CAST(`url` AS STRING) AS `url`,
  CAST(`monitor_type` AS STRING) AS `monitor_type`,
  CAST(`status` AS STRING) AS `status`,
  CAST(`check_frequency` AS INT64) AS `check_frequency`,
  CAST(`regions` AS ARRAY<STRING>) AS `regions`,
  CAST(`paused_at` AS TIMESTAMP) AS `paused_at`,
  CAST(`created_at` AS TIMESTAMP) AS `created_at`,
  CAST(`updated_at` AS TIMESTAMP) AS `updated_at`,
  CAST(`raw` AS STRING) AS `raw`,
  CAST(`_extracted_at` AS TIMESTAMP) AS `_extracted_at`,
  CAST(`_run_id` AS STRING) AS `_run_id`,
  CAST(`data_particao` AS DATE) AS `data_particao`
FROM {{ source('betterstack_etl', 'eai_gateway_monitors') }}
{%- endif %}
