-- Gerado por `python -m betterstack_etl.dbtgen` a partir da definição única em
-- src/betterstack_etl/tables.py (esquemas) e dbtgen/__init__.py; não edite à mão (um teste falha quando diverge).
{{
    config(
        alias='eai_gateway_response_times',
        materialized='table',
        partition_by=({'field': 'data_particao', 'data_type': 'date', 'granularity': 'day'} if target.type == 'bigquery' else none),
        cluster_by=(['monitor_id', 'region', 'at'] if target.type == 'bigquery' else none),
        labels={'managed-by': 'betterstack-etl-dbt'}
    )
}}

{% if target.type == 'duckdb' -%}
SELECT CAST("monitor_id" AS TEXT) AS "monitor_id", CAST("region" AS TEXT) AS "region", CAST("at" AS TIMESTAMPTZ) AS "at", CAST("response_time" AS DOUBLE) AS "response_time", CAST("name_lookup_time" AS DOUBLE) AS "name_lookup_time", CAST("connection_time" AS DOUBLE) AS "connection_time", CAST("tls_handshake_time" AS DOUBLE) AS "tls_handshake_time", CAST("data_transfer_time" AS DOUBLE) AS "data_transfer_time", CAST("_extracted_at" AS TIMESTAMPTZ) AS "_extracted_at", CAST("_run_id" AS TEXT) AS "_run_id", CAST("data_particao" AS DATE) AS "data_particao" FROM {{ source('betterstack_etl', 'eai_gateway_response_times') }}
{%- else -%}
SELECT
  CAST(`monitor_id` AS STRING) AS `monitor_id`,
  CAST(`region` AS STRING) AS `region`,
  CAST(`at` AS TIMESTAMP) AS `at`,
  CAST(`response_time` AS FLOAT64) AS `response_time`,
  CAST(`name_lookup_time` AS FLOAT64) AS `name_lookup_time`,
  CAST(`connection_time` AS FLOAT64) AS `connection_time`,
  CAST(`tls_handshake_time` AS FLOAT64) AS `tls_handshake_time`,
  CAST(`data_transfer_time` AS FLOAT64) AS `data_transfer_time`,
  CAST(`_extracted_at` AS TIMESTAMP) AS `_extracted_at`,
  CAST(`_run_id` AS STRING) AS `_run_id`,
  CAST(`data_particao` AS DATE) AS `data_particao`
FROM {{ source('betterstack_etl', 'eai_gateway_response_times') }}
{%- endif %}
