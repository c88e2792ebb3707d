-- Gerado por `python -m betterstack_etl.dbtgen` a partir da definição única em
-- src/betterstack_etl/tables.py (esquemas) e dbtgen/__init__.py; não edite à mão (um teste falha quando diverge).
{{
    config(
        alias='eai_gateway_coverage',
        materialized='table',
        partition_by=({'field': 'data_particao', 'data_type': 'date', 'granularity': 'day'} if target.type == 'bigquery' else none),
        cluster_by=(['table_name', 'monitor_id', 'date'] if target.type == 'bigquery' else none),
        labels={'managed-by': 'betterstack-etl-dbt'}
    )
}}

{% if target.type == 'duckdb' -%}
SELECT CAST("table_name" AS TEXT) AS "table_name", CAST("monitor_id" AS TEXT) AS "monitor_id", CAST("date" AS DATE) AS "date", CAST("covered_until" AS TIMESTAMPTZ) AS "covered_until", CAST("_extracted_at" AS TIMESTAMPTZ) AS "_extracted_at", CAST("_run_id" AS TEXT) AS "_run_id", CAST("data_particao" AS DATE) AS "data_particao" FROM {{ source('betterstack_etl', 'eai_gateway_coverage') }}
{%- else -%}
SELECT
  CAST(`table_name` AS STRING) AS `table_name`,
  CAST(`monitor_id` AS STRING) AS `monitor_id`,
  CAST(`date` AS DATE) AS `date`,
  CAST(`covered_until` AS TIMESTAMP) AS `covered_until`,
  CAST(`_extracted_at` AS TIMESTAMP) AS `_extracted_at`,
  CAST(`_run_id` AS STRING) AS `_run_id`,
  CAST(`data_particao` AS DATE) AS `data_particao`
FROM {{ source('betterstack_etl', 'eai_gateway_coverage') }}
{%- endif %}
