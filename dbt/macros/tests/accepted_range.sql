{#- Escrito à mão. Falha com as linhas cujo valor sai de [min_value, max_value] (nulos passam),
    com a assinatura do dbt_utils.accepted_range, sem depender do pacote. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and (
    false
    {%- if min_value is not none %} or {{ column_name }} < {{ min_value }}{% endif %}
    {%- if max_value is not none %} or {{ column_name }} > {{ max_value }}{% endif %}
  )
{% endtest %}
