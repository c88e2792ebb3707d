-- Gerado por `python -m betterstack_etl.dbtgen` a partir da definição única em
-- src/betterstack_etl/tables.py (esquemas) e dbtgen/__init__.py; não edite à mão (um teste falha quando diverge).
{{
    config(
        alias='eai_gateway_daily_sla',
        materialized='table',
        partition_by=({'field': 'data_particao', 'data_type': 'date', 'granularity': 'day'} if target.type == 'bigquery' else none),
        cluster_by=(['monitor_id', 'date'] if target.type == 'bigquery' else none),
        labels={'managed-by': 'betterstack-etl-dbt'}
    )
}}

{% if target.type == 'duckdb' -%}
SELECT CAST("monitor_id" AS TEXT) AS "monitor_id", CAST("date" AS DATE) AS "date", CAST("availability" AS DOUBLE) AS "availability", CAST("total_downtime" AS BIGINT) AS "total_downtime", CAST("number_of_incidents" AS BIGINT) AS "number_of_incidents", CAST("longest_incident" AS BIGINT) AS "longest_incident", CAST("average_incident" AS BIGINT) AS "average_incident", CAST("is_complete" AS BOOLEAN) AS "is_complete", CAST("raw" AS TEXT) AS "raw", CAST("_extracted_at" AS TIMESTAMPTZ) AS "_extracted_at", CAST("_run_id" AS TEXT) AS "_run_id", CAST("data_particao" AS DATE) AS "data_particao" FROM {{ source('betterstack_etl', 'eai_gateway_daily_sla') }}
{%- else -%}
SELECT
  CAST(`monitor_id` AS STRING) AS `monitor_id`,
  CAST(`date` AS DATE) AS `date`,
  CAST(`availability` AS FLOAT64) AS `availability`,
  CAST(`total_downtime` AS INT64) AS `total_downtime`,
  CAST(`number_of_incidents` AS INT64) AS `number_of_incidents`,
  CAST(`longest_incident` AS INT64) AS `longest_incident`,
  CAST(`average_incident` AS INT64) AS `average_incident`,
  CAST(`is_complete` AS BOOL) AS `is_complete`,
  CAST(`raw` AS STRING) AS `raw`,
  CAST(`_extracted_at` AS TIMESTAMP) AS `_extracted_at`,
  CAST(`_run_id` AS STRING) AS `_run_id`,
  CAST(`data_particao` AS DATE) AS `data_particao`
FROM {{ source('betterstack_etl', 'eai_gateway_daily_sla') }}
{%- endif %}
