{#- Escrito à mão. Falha com cada combinação de `columns` que aparece mais de uma vez (a chave
    composta do modelo: monitor e dia, monitor e mês, ...). -#}
{% test unique_key(model, columns) %}
{%- set quoted = [] -%}
{%- for column in columns %}{% do quoted.append(adapter.quote(column)) %}{% endfor -%}
select {{ quoted | join(', ') }}, count(*) as linhas
from {{ model }}
group by {{ quoted | join(', ') }}
having count(*) > 1
{% endtest %}
