"""Portuguese descriptions of the raw tables and their columns, for the dbt package's
``schema.yml`` (the SLA views describe themselves in ``betterstack_etl.sla.views``). A column
the generator meets without a description here stops it: every column is described."""

from __future__ import annotations

from typing import Final

__all__ = ["COLUMNS", "DROP_IN_COLUMNS", "TABLES"]

_LINEAGE: Final = {
    "_extracted_at": "Momento (UTC) em que a API do Better Stack respondeu com esta linha",
    "_run_id": "Identificador da execução do pipeline que gravou esta linha",
    "data_particao": "Data da partição (UTC): define a pasta data_particao=AAAA-MM-DD no GCS",
}

TABLES: Final[dict[str, str]] = {
    "eai_gateway_response_times": "Tempos de resposta das verificações do Better Stack, um "
    "ponto por monitor, região e instante (a API guarda só as últimas 24 h); tipados a partir "
    "da tabela bruta do betterstack-etl",
    "eai_gateway_incidents": "Incidentes do Better Stack tratados e tipados, um por incidente "
    "(substitui o modelo raw_eai_gateway_incidents: mesmas colunas id, name, status, cause, "
    "url, team_name, started_at, resolved_at, acknowledged_at, response_code, monitor_id, "
    "ano_particao, mes_particao, data_particao, mais todas as do betterstack-etl)",
    "eai_gateway_daily_sla": "Resumo diário de SLA informado pela API do Better Stack, por "
    "monitor e dia UTC (a linha do dia corrente é provisória)",
    "eai_gateway_monitors": "Configuração dos monitores do Better Stack, uma linha por monitor "
    "e dia UTC de extração (histórico diário)",
    "eai_gateway_coverage": "O que o lake já buscou: uma linha por tabela, monitor e dia UTC "
    "buscado por uma execução bem-sucedida, conhecido até covered_until",
}

COLUMNS: Final[dict[str, dict[str, str]]] = {
    "eai_gateway_response_times": {
        "monitor_id": "Identificador do monitor no Better Stack",
        "region": "Região da verificação (us, eu, as, au)",
        "at": "Instante (UTC) da verificação",
        "response_time": "Tempo total de resposta, em segundos",
        "name_lookup_time": "Tempo de resolução de DNS, em segundos (nulo se não informado)",
        "connection_time": "Tempo de conexão TCP, em segundos (nulo se não informado)",
        "tls_handshake_time": "Tempo do handshake TLS, em segundos (nulo se não informado)",
        "data_transfer_time": "Tempo de transferência dos dados, em segundos (nulo se não "
        "informado)",
        **_LINEAGE,
    },
    "eai_gateway_incidents": {
        "incident_id": "Identificador do incidente no Better Stack",
        "monitor_id": "Identificador do monitor que gerou o incidente (nulo para heartbeats)",
        "heartbeat_id": "Identificador do heartbeat que gerou o incidente, quando houver",
        "name": "Nome do monitor que gerou o incidente",
        "url": "URL monitorada",
        "http_method": "Método HTTP da verificação",
        "cause": "Causa detectada para o incidente (texto da API, exibido literalmente)",
        "incident_group_id": "Identificador do grupo de incidentes, quando houver",
        "started_at": "Início do incidente (UTC)",
        "acknowledged_at": "Momento (UTC) em que a equipe reconheceu o incidente",
        "acknowledged_by": "Quem reconheceu o incidente",
        "resolved_at": "Resolução do incidente (UTC); nulo enquanto aberto",
        "resolved_by": "Quem ou o que resolveu o incidente",
        "status": "Status do incidente (Started, Acknowledged, Resolved, Unconfirmed, Validating)",
        "team_name": "Nome da equipe responsável pelo monitor",
        "response_content": "Conteúdo da resposta recebida durante o incidente",
        "response_options": "Opções da resposta, como a API envia (texto JSON)",
        "regions": "Regiões que detectaram a falha",
        "response_url": "URL da resposta registrada",
        "screenshot_url": "URL da captura de tela do incidente",
        "origin_url": "URL de origem do incidente",
        "escalation_policy_id": "Identificador da política de escalonamento",
        "call": "Se o incidente notificou por ligação",
        "sms": "Se o incidente notificou por SMS",
        "email": "Se o incidente notificou por e-mail",
        "push": "Se o incidente notificou por push",
        "metadata": "Metadados do incidente (texto JSON)",
        "duration_seconds": "Duração do incidente em segundos (resolved_at - started_at); "
        "nula enquanto aberto",
        "raw": "O registro inteiro da API em JSON, para nada se perder",
        **_LINEAGE,
    },
    "eai_gateway_daily_sla": {
        "monitor_id": "Identificador do monitor no Better Stack",
        "date": "Dia UTC do resumo",
        "availability": "Disponibilidade em % informada pela API",
        "total_downtime": "Indisponibilidade total do dia em segundos, informada pela API",
        "number_of_incidents": "Número de incidentes do dia, informado pela API",
        "longest_incident": "Maior incidente do dia em segundos, informado pela API",
        "average_incident": "Duração média dos incidentes do dia em segundos, informada pela API",
        "is_complete": "Falso enquanto o dia UTC não terminou (linha provisória)",
        "raw": "O registro inteiro da API em JSON, para nada se perder (nulo nas linhas gravadas "
        "antes desta coluna existir)",
        **_LINEAGE,
    },
    "eai_gateway_monitors": {
        "monitor_id": "Identificador do monitor no Better Stack",
        "pronounceable_name": "Nome do monitor",
        "url": "URL monitorada",
        "monitor_type": "Tipo do monitor (status, keyword, ping, ...)",
        "status": "Estado do monitor na extração (up, down, paused, ...)",
        "check_frequency": "Intervalo entre verificações, em segundos",
        "regions": "Regiões de onde o monitor verifica",
        "paused_at": "Momento (UTC) em que o monitor foi pausado; nulo se ativo",
        "created_at": "Criação do monitor (UTC)",
        "updated_at": "Última alteração do monitor (UTC)",
        "raw": "O registro inteiro da API em JSON, para nada se perder",
        **_LINEAGE,
    },
    "eai_gateway_coverage": {
        "table_name": "Tabela buscada (eai_gateway_incidents, eai_gateway_daily_sla, ...)",
        "monitor_id": "Identificador do monitor no Better Stack",
        "date": "Dia UTC buscado",
        "covered_until": "Até quando o dia é conhecido: seu fim, ou o início da execução se o "
        "dia ainda não terminou",
        **_LINEAGE,
    },
}

# The analysts' own columns of raw_eai_gateway_incidents that ours keep (same meaning).
DROP_IN_COLUMNS: Final[dict[str, str]] = {
    "id": "ID único do incidente no Better Stack (o mesmo que incident_id; coluna do modelo "
    "anterior)",
    "response_code": "Código HTTP da resposta durante o incidente, lido de response_options "
    "(nulo quando ausente)",
    "ano_particao": "Ano de data_particao (AAAA), como no modelo anterior",
    "mes_particao": "Mês de data_particao (MM), como no modelo anterior",
}
