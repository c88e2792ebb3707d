-- Gerado por `python -m betterstack_etl.dbtgen` a partir da definição única em
-- src/betterstack_etl/sla/_sql.py; não edite à mão (um teste falha quando diverge).
{{
    config(
        alias='eai_gateway_uptime_kpi',
        materialized='view',
        labels={'managed-by': 'betterstack-etl-dbt'}
    )
}}

{% if target.type == 'duckdb' -%}
SELECT monitor_id, monitor_name, STRFTIME(CAST(month AS DATE), '%Y-%m') AS mes, downtime_seconds / 60 AS total_downtime_minutes, month_seconds // 60 AS total_minutes_in_month, ROUND((1 - downtime_seconds / month_seconds) * 100, 3) AS disponibilidade_percentual, time_zone FROM {{ ref('eai_gateway_availability_monthly') }}
{%- else -%}
SELECT monitor_id, monitor_name,
  FORMAT_DATE('%Y-%m', month) AS mes,
  downtime_seconds / 60 AS total_downtime_minutes,
  DIV(month_seconds, 60) AS total_minutes_in_month,
  ROUND((1 - downtime_seconds / month_seconds) * 100, 3) AS disponibilidade_percentual,
  time_zone
FROM {{ ref('eai_gateway_availability_monthly') }}
{%- endif %}
