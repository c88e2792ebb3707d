-- Gerado por `python -m betterstack_etl.dbtgen` a partir da definição única em
-- src/betterstack_etl/sla/views.py (_now_sql); não edite à mão (um teste falha quando diverge).
-- O "agora" das visões de SLA: CURRENT_TIMESTAMP, ou o momento fixo da var
-- betterstack_now ('AAAA-MM-DD HH:MM:SS.mmm+00', UTC) para recalcular como se fosse
-- aquele instante (os testes usam-na para comparar com as visões DuckDB).
{% macro betterstack_now() -%}
  {%- set at = var('betterstack_now', none) -%}
  {%- if target.type == 'duckdb' -%}
    {%- if at is none -%}CURRENT_TIMESTAMP{%- else -%}CAST('{{ at }}' AS TIMESTAMPTZ){%- endif -%}
  {%- else -%}
    {%- if at is none -%}CURRENT_TIMESTAMP(){%- else -%}TIMESTAMP '{{ at }}'{%- endif -%}
  {%- endif -%}
{%- endmacro %}
