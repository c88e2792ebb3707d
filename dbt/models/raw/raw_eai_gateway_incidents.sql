-- Gerado por `python -m betterstack_etl.dbtgen` a partir da definição única em
-- src/betterstack_etl/tables.py (esquemas) e dbtgen/__init__.py; não edite à mão (um teste falha quando diverge).
{{
    config(
        alias='eai_gateway_incidents',
        materialized='table',
        partition_by=({'field': 'data_particao', 'data_type': 'date', 'granularity': 'day'} if target.type == 'bigquery' else none),
        cluster_by=(['incident_id'] if target.type == 'bigquery' else none),
        labels={'managed-by': 'betterstack-etl-dbt'}
    )
}}

{% if target.type == 'duckdb' -%}
WITH typed AS (SELECT CAST("incident_id" AS TEXT) AS "incident_id", CAST("monitor_id" AS TEXT) AS "monitor_id", CAST("heartbeat_id" AS TEXT) AS "heartbeat_id", CAST("name" AS TEXT) AS "name", CAST("url" AS TEXT) AS "url", CAST("http_method" AS TEXT) AS "http_method", CAST("cause" AS TEXT) AS "cause", CAST("incident_group_id" AS TEXT) AS "incident_group_id", CAST("started_at" AS TIMESTAMPTZ) AS "started_at", CAST("acknowledged_at" AS TIMESTAMPTZ) AS "acknowledged_at", CAST("acknowledged_by" AS TEXT) AS "acknowledged_by", CAST("resolved_at" AS TIMESTAMPTZ) AS "resolved_at", CAST("resolved_by" AS TEXT) AS "resolved_by", CAST("status" AS TEXT) AS "status", CAST("team_name" AS TEXT) AS "team_name", CAST("response_content" AS TEXT) AS "response_content", CAST("response_options" AS TEXT) AS "response_options", CAST("regions" AS TEXT[]) AS "regions", CAST("response_url" AS TEXT) AS "response_url", CAST("screenshot_url" AS TEXT) AS "screenshot_url", CAST("origin_url" AS TEXT) AS "origin_url", CAST("escalation_policy_id" AS TEXT) AS "escalation_policy_id", CAST("call" AS BOOLEAN) AS "call", CAST("sms" AS BOOLEAN) AS "sms", CAST("email" AS BOOLEAN) AS "email", CAST("push" AS BOOLEAN) AS "push", CAST("metadata" AS TEXT) AS "metadata", CAST("duration_seconds" AS BIGINT) AS "duration_seconds", CAST("raw" AS TEXT) AS "raw", CAST("_extracted_at" AS TIMESTAMPTZ) AS "_extracted_at", CAST("_run_id" AS TEXT) AS "_run_id", CAST("data_particao" AS DATE) AS "data_particao" FROM {{ source('betterstack_etl', 'eai_gateway_incidents') }}) SELECT incident_id AS id, typed.*, TRY_CAST(REGEXP_EXTRACT(response_options, '"response_code"\s*:\s*"?([0-9]+)', 1) AS BIGINT) AS response_code, STRFTIME(CAST(data_particao AS DATE), '%Y') AS ano_particao, STRFTIME(CAST(data_particao AS DATE), '%m') AS mes_particao FROM typed
{%- else -%}
WITH typed AS (
SELECT
  CAST(`incident_id` AS STRING) AS `incident_id`,
  CAST(`monitor_id` AS STRING) AS `monitor_id`,
  CAST(`heartbeat_id` AS STRING) AS `heartbeat_id`,
  CAST(`name` AS STRING) AS `name`,
  CAST(`url` AS STRING) AS `url`,
  CAST(`http_method` AS STRING) AS `http_method`,
  CAST(`cause` AS STRING) AS `cause`,
  CAST(`incident_group_id` AS STRING) AS `incident_group_id`,
  CAST(`started_at` AS TIMESTAMP) AS `started_at`,
  CAST(`acknowledged_at` AS TIMESTAMP) AS `acknowledged_at`,
  CAST(`acknowledged_by` AS STRING) AS `acknowledged_by`,
  CAST(`resolved_at` AS TIMESTAMP) AS `resolved_at`,
  CAST(`resolved_by` AS STRING) AS `resolved_by`,
  CAST(`status` AS STRING) AS `status`,
  CAST(`team_name` AS STRING) AS `team_name`,
  CAST(`response_content` AS STRING) AS `response_content`,
  CAST(`response_options` AS STRING) AS `response_options`,
  CAST(`regions` AS ARRAY<STRING>) AS `regions`,
  CAST(`response_url` AS STRING) AS `response_url`,
  CAST(`screenshot_url` AS STRING) AS `screenshot_url`,
  CAST(`origin_url` AS STRING) AS `origin_url`,
  CAST(`escalation_policy_id` AS STRING) AS `escalation_policy_id`,
  CAST(`call` AS BOOL) AS `call`,
  CAST(`sms` AS BOOL) AS `sms`,
  CAST(`email` AS BOOL) AS `email`,
  CAST(`push` AS BOOL) AS `push`,
  CAST(`metadata` AS STRING) AS `metadata`,
  CAST(`duration_seconds` AS INT64) AS `duration_seconds`,
  CAST(`raw` AS STRING) AS `raw`,
  CAST(`_extracted_at` AS TIMESTAMP) AS `_extracted_at`,
  CAST(`_run_id` AS STRING) AS `_run_id`,
  CAST(`data_particao` AS DATE) AS `data_particao`
FROM {{ source('betterstack_etl', 'eai_gateway_incidents') }}
)
SELECT
  incident_id AS id,
  typed.*,
  SAFE_CAST(REGEXP_EXTRACT(response_options, r'"response_code"\s*:\s*"?([0-9]+)')
    AS INT64) AS response_code,
  FORMAT_DATE('%Y', data_particao) AS ano_particao,
  FORMAT_DATE('%m', data_particao) AS mes_particao
FROM typed
{%- endif %}
