"""The SLA views of SPEC §8.2: declared once as data, their SQL written once (BigQuery dialect,
``_sql.py``) and transpiled to DuckDB with sqlglot (once per text: ``_translate``).

    selects = view_selects("duckdb", table_ref=lambda n: f'"{n}"', options=SlaOptions())
    for spec, select in selects:                      # dependency order
        conn.execute(f'CREATE OR REPLACE VIEW "{spec.name}" AS {select}')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal

from betterstack_etl.errors import ConfigError
from betterstack_etl.sla import _slo_sql, _sql, _translate
from betterstack_etl.sla._bounds import WINDOWS, Reaching, bounded_ref, day_sql, placeholder

if TYPE_CHECKING:
    import re

    import duckdb
    from google.cloud import bigquery

    from betterstack_etl.sla.options import SlaOptions

__all__ = [
    "DAILY",
    "HOURLY",
    "KPI",
    "MONTHLY",
    "RECONCILIATION",
    "SLO_STATUS",
    "SOURCES",
    "VIEWS",
    "Dialect",
    "ViewSpec",
    "WindowRef",
    "bigquery_views",
    "bounded_period",
    "create_duckdb_views",
    "view_selects",
]

Dialect = Literal["duckdb", "bigquery"]
# How an engine reads the partitions ``first``..``last`` (UTC dates, either end open when None)
# of a raw table: a relation (parenthesised SELECT) with the table's columns.
WindowRef = Callable[[str, date | None, date | None], str]


@dataclass(frozen=True, slots=True)
class ViewSpec:
    """One view: its name, what it is (Portuguese) and each column's description."""

    name: str
    description: str
    columns: dict[str, str]


_ID = {
    "monitor_id": "Identificador do monitor no Better Stack",
    "monitor_name": "Nome do monitor (pronounceable_name da listagem mais recente; nulo se "
    "a tabela eai_gateway_monitors ainda não tem o monitor)",
}
_FIGURES = {
    "time_zone": "Fuso horário do calendário do relatório (BETTERSTACK_REPORT_TIMEZONE)",
    "covered_seconds": "Segundos cobertos: a parte decorrida do período (até agora, se em "
    "andamento), desde a criação do monitor (created_at, quando conhecido), cujos incidentes o "
    "lake buscou (eai_gateway_coverage); o resto do período não é conhecido",
    "coverage_pct": "Cobertura em % = 100 * covered_seconds / segundos decorridos desde a "
    "criação do monitor; nula quando nada do período decorreu",
    "paused_seconds": "Segundos cobertos em que o monitor estava pausado (paused_at, pelo "
    "histórico diário de eai_gateway_monitors): não observados",
    "maintenance_seconds": "Segundos cobertos, fora de pausa, dentro da janela de manutenção "
    "declarada do monitor (maintenance_from/to/days/timezone): não observados",
    "observed_seconds": "Segundos observados = covered_seconds - paused_seconds - "
    "maintenance_seconds: o tempo coberto em que o monitor estava ativo e fora de manutenção",
    "downtime_seconds": "Segundos de indisponibilidade: duração da UNIÃO dos intervalos "
    "[started_at, resolved_at) dos incidentes de indisponibilidade (abertos: até agora), "
    "recortada ao tempo observado; sobreposições contam uma vez",
    "incidents": "Incidentes de indisponibilidade que se sobrepõem ao período (avisos de "
    "expiração de certificado SSL ou de domínio e incidentes Unconfirmed não contam)",
    "availability_pct": "Disponibilidade em % = 100 * (1 - downtime_seconds / "
    "observed_seconds); nula quando nada foi observado (nunca 100 % sem cobertura)",
    "longest_incident_seconds": "Maior parte de um único incidente dentro do período, em "
    "segundos (0 sem incidentes)",
    "mtta_seconds": "Tempo médio até o reconhecimento (acknowledged_at - started_at) dos "
    "incidentes iniciados no período, em segundos; nulo se nenhum foi reconhecido",
    "mttr_seconds": "Tempo médio até a resolução (resolved_at - started_at) dos incidentes "
    "iniciados no período e já resolvidos, em segundos; nulo se nenhum foi resolvido",
}

SOURCES: Final = _sql.SOURCES  # the raw tables the views read
DAILY: Final = ViewSpec(
    name=_sql.DAILY,
    description="Disponibilidade diária por monitor, em dias do fuso do relatório (uma linha "
    "por monitor e dia desde o primeiro dia do monitor no lake até hoje; dias sem incidentes "
    "têm 100 %)",
    columns={**_ID, "day": "Dia do calendário no fuso do relatório", **_FIGURES},
)
MONTHLY: Final = ViewSpec(
    name=_sql.MONTHLY,
    description="Disponibilidade mensal por monitor, em meses do fuso do relatório, com SLO e "
    "orçamento de erro (uma linha por monitor e mês até o mês corrente)",
    columns={
        **_ID,
        "month": "Primeiro dia do mês no fuso do relatório",
        **_FIGURES,
        "month_seconds": "Duração do mês inteiro em segundos, no fuso do relatório (com "
        "horário de verão, quando houver)",
        "slo_pct": "Objetivo de disponibilidade em % (BETTERSTACK_SLO)",
        "error_budget_seconds": "Orçamento de erro do mês em segundos = month_seconds * "
        "(1 - slo_pct / 100)",
        "error_budget_remaining_seconds": "Orçamento restante = error_budget_seconds - "
        "downtime_seconds (negativo quando estourado)",
    },
)
KPI: Final = ViewSpec(
    name=_sql.KPI,
    description="KPI mensal de uptime com as colunas do modelo dos analistas "
    "(raw_eai_gateway_uptime_kpi), calculado corretamente a partir de "
    "eai_gateway_availability_monthly: por monitor, união dos intervalos, incidentes abertos "
    "incluídos, recorte exato no mês e segundos exatos",
    columns={
        "monitor_id": _ID["monitor_id"],
        "monitor_name": _ID["monitor_name"],
        "mes": "Mês no formato YYYY-MM, no fuso do relatório",
        "total_downtime_minutes": "Minutos de indisponibilidade no mês = downtime_seconds / 60 "
        "(segundos exatos divididos por 60, não arredondados por incidente; FLOAT64)",
        "total_minutes_in_month": "Total de minutos do mês inteiro (duração real do mês no "
        "fuso do relatório / 60)",
        "disponibilidade_percentual": "Disponibilidade em % = ROUND((1 - "
        "total_downtime_minutes / total_minutes_in_month) * 100, 3), a fórmula dos analistas "
        "(denominador: o mês inteiro; para o mês corrente ou monitor criado no meio do mês, "
        "use availability_pct da visão mensal)",
        "time_zone": _FIGURES["time_zone"],
    },
)
RECONCILIATION: Final = ViewSpec(
    name=_sql.RECONCILIATION,
    description="Conciliação, por monitor e dia UTC com linha de SLA da API, entre o SLA "
    "informado pela API e o calculado a partir dos incidentes; uma divergência é reportada, "
    "nunca corrigida",
    columns={
        "monitor_id": _ID["monitor_id"],
        "date": "Dia UTC (calendário do SLA da API)",
        "is_complete": "Falso enquanto o dia UTC não terminou (linha provisória da API)",
        "api_availability": "Disponibilidade em % informada pela API",
        "api_total_downtime": "Indisponibilidade em segundos informada pela API",
        "api_number_of_incidents": "Número de incidentes informado pela API",
        "computed_downtime_seconds": "Indisponibilidade calculada dos incidentes (união dos "
        "intervalos no dia UTC, segundos exatos)",
        "computed_incidents": "Incidentes de indisponibilidade que se sobrepõem ao dia UTC",
        "computed_availability_pct": "Disponibilidade calculada em % sobre a parte observada "
        "do dia UTC",
        "downtime_diff_seconds": "api_total_downtime - computed_downtime_seconds",
        "matches": "Verdadeiro quando |downtime_diff_seconds| <= 60 e as contagens de "
        "incidentes coincidem",
    },
)
HOURLY: Final = ViewSpec(
    name=_sql.HOURLY,
    description="Tempos de resposta por monitor, região e hora UTC, com percentis exatos "
    "(interpolação linear, PERCENTILE_CONT)",
    columns={
        "monitor_id": _ID["monitor_id"],
        "region": "Região da verificação (us, eu, as, au)",
        "hour": "Início da hora UTC",
        "samples": "Número de medições na hora",
        "expected_samples": "Medições esperadas na hora = 3600 / check_frequency (nulo se a "
        "frequência é desconhecida)",
        "avg_response_time": "Tempo de resposta médio, em segundos",
        "p50_response_time": "Mediana (percentil 50, exato) do tempo de resposta, em segundos",
        "p95_response_time": "Percentil 95 (exato) do tempo de resposta, em segundos",
        "p99_response_time": "Percentil 99 (exato) do tempo de resposta, em segundos",
        "max_response_time": "Maior tempo de resposta, em segundos",
        "data_particao": "Data UTC da hora (a partição de eai_gateway_response_times): filtre "
        "por ela para ler só as partições necessárias",
    },
)

SLO_STATUS: Final = ViewSpec(
    name=_slo_sql.SLO_STATUS,
    description="Situação de cada SLO declarado (BETTERSTACK_SLO_FILE, OpenSLO v1; sem arquivo: "
    "disponibilidade a BETTERSTACK_SLO no mês) por monitor, na janela corrente, com orçamento "
    "de erro e taxas de consumo (burn rate) de 1 h, 6 h, 24 h e 3 dias",
    columns={
        "slo_name": "Nome do SLO (metadata.name no arquivo; default para o SLO padrão)",
        "service": "Serviço do SLO (spec.service), quando declarado",
        "monitor_id": _ID["monitor_id"],
        "monitor_name": _ID["monitor_name"],
        "indicator": "Indicador: availability (tempo, a partir dos incidentes) ou latency "
        "(verificações com response_time até o limite)",
        "window_start": "Início da janela do SLO: primeiro instante do mês no fuso do "
        "relatório, ou agora menos 28/30 dias (janela móvel)",
        "window_end": "Fim da janela: agora",
        "target": "Objetivo como fração (ex.: 0.995)",
        "threshold_seconds": "Limite de latência em segundos (latency); nulo para availability",
        "sli": "Razão medida = good / total sobre o tempo coberto e observado (nula sem dados)",
        "good": "Segundos observados sem indisponibilidade (availability) ou verificações até o "
        "limite (latency)",
        "total": "Segundos observados (availability) ou verificações (latency) na janela",
        "error_budget": "Orçamento de erro: (1 - target) * duração da janela em segundos "
        "(availability) ou * verificações medidas (latency)",
        "error_budget_remaining": "error_budget - (total - good); negativo quando estourado",
        "burn_rate_1h": "Taxa de consumo do orçamento na última 1 h com dados = (ruim / total) "
        "/ (1 - target); 1 = consome exatamente o orçamento da janela",
        "burn_rate_6h": "Taxa de consumo nas últimas 6 h com dados",
        "burn_rate_24h": "Taxa de consumo nas últimas 24 h com dados",
        "burn_rate_3d": "Taxa de consumo nos últimos 3 dias com dados",
        "alert": "Regra de alerta de burn rate que dispara (page/ticket), ou nula",
        "status": "ok, at_risk (regra de burn rate disparada ou mais da metade do orçamento "
        "gasto), breached (orçamento estourado) ou no_data",
    },
)

VIEWS: Final[tuple[ViewSpec, ...]] = (DAILY, MONTHLY, KPI, RECONCILIATION, HOURLY, SLO_STATUS)


def _fill_windows(text: str, table_ref: Callable[[str], str], window_ref: WindowRef | None) -> str:
    def fill(match: re.Match[str]) -> str:
        name, first, last = match.groups()
        if window_ref is None:
            return table_ref(name)
        days = [date.fromordinal(int(d)) if int(d) else None for d in (first, last)]
        return window_ref(name, days[0], days[1])

    return WINDOWS.sub(fill, text)


def _now_literal(now: datetime | None) -> str | None:
    """``now`` as the quoted text of a BigQuery ``TIMESTAMP`` (``None``: query time)."""
    if now is None:
        return None
    if now.tzinfo is None:
        raise ConfigError(
            f"now={now.isoformat()} has no time zone",
            hint="pass an aware datetime, e.g. datetime(2026, 11, 25, 12, tzinfo=UTC)",
        )
    moment = now.astimezone(UTC)
    return f"'{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond // 1000:03d}+00'"


def _now_sql(now: datetime | None) -> str:
    """``now`` in BigQuery SQL: a ``TIMESTAMP`` literal, or ``CURRENT_TIMESTAMP()``."""
    literal = _now_literal(now)
    return "CURRENT_TIMESTAMP()" if literal is None else f"TIMESTAMP {literal}"


_to_duckdb = _translate.to_duckdb  # one text now, no cache (dbtgen translates pieces)


_SLO_LOOKBACK_DAYS: Final = 32  # the longest SLO window (a month, 30 days) and a zone's day


def bounded_period(first: date, last: date) -> tuple[date, date]:
    """``first``..``last`` widened to whole months: what a bounded view computes exactly."""
    start = first.replace(day=1)
    after = (last.replace(day=1) + timedelta(days=32)).replace(day=1)
    return start, after - timedelta(days=1)


def _within(select: str, column: str, first: date, last: date) -> str:
    return (
        f"SELECT * FROM ({select}) AS bounded "  # noqa: S608
        f"WHERE {column} BETWEEN {day_sql(first)} AND {day_sql(last)}"
    )


def _sources(
    options: SlaOptions,
    now: datetime | None,
    period: tuple[date, date] | None = None,
    reaching: Reaching | None = None,
) -> list[tuple[ViewSpec, str]]:
    """Each view's BigQuery SELECT, with placeholders for the tables and views it reads; with
    ``period`` (whole months), the views answering dates read only its partitions and return
    only its rows, and the SLO status only its windows' (when ``now`` is known). The moment
    itself is ``_translate.NOW`` in the text: ``view_selects`` puts it in."""
    at = _translate.NOW  # the moment, put in after the translation (kept per text)
    zone = options.time_zone
    whole: Callable[[str], str] = placeholder
    ref = whole if period is None else bounded_ref(*period, reaching)
    slo_ref = whole
    if period is not None and now is not None:
        today = now.astimezone(UTC).date()
        slo_ref = bounded_ref(today - timedelta(days=_SLO_LOOKBACK_DAYS), today, reaching)
    daily = _sql.daily_sql(ref, at, zone)
    monthly = _sql.monthly_sql(ref, at, zone, options.slo_pct)
    if period is not None:
        daily = _within(daily, "day", *period)
        monthly = _within(monthly, "month", *period)
    return [
        (DAILY, daily),
        (MONTHLY, monthly),
        (KPI, _sql.kpi_sql(whole)),
        (RECONCILIATION, _sql.reconciliation_sql(ref, at)),
        (HOURLY, _sql.hourly_sql(ref)),
        (
            SLO_STATUS,
            _slo_sql.slo_status_sql(slo_ref, at, zone, options.declared, options.burn_rules),
        ),
    ]


def view_selects(
    dialect: Dialect,
    *,
    table_ref: Callable[[str], str],
    options: SlaOptions,
    now: datetime | None = None,
    period: tuple[date, date] | None = None,
    window_ref: WindowRef | None = None,
    reaching: Reaching | None = None,
) -> list[tuple[ViewSpec, str]]:
    """The SELECT body of each view in ``dialect``, in dependency order.

    ``table_ref(name)`` says how that engine names a raw table or another of these views
    (DuckDB ``'"eai_gateway_incidents"'``, BigQuery
    ``'`rj-iplanrio.brutos_betterstack.eai_gateway_incidents`'``). ``now=None`` reads
    ``CURRENT_TIMESTAMP()`` when queried; an aware datetime freezes the views at that moment.

    ``period=(first, last)`` (dates of the report's zone, widened to whole months) bounds the
    queries to what a month (or months) needs: the daily, monthly, reconciliation and hourly
    SELECTs read only those partitions of the raw tables (``data_particao``, plus a day either
    side, a week of the monitors' history) and the daily and monthly ones return only its
    rows; with ``now``, the SLO status reads only the last 32 days. For the run's SLO check and
    the report; the published views stay whole. ``window_ref(name, first, last)`` says how the
    engine reads only some partitions of a raw table (DuckDB: those folders' files, so that it
    does not bind against the whole history); without it, the table filtered on
    ``data_particao`` (BigQuery prunes by that predicate). ``reaching(since)`` names the
    incidents partitions before ``since`` that may hold an incident still open or resolved
    since (``lake.reach``): only those are read of the older history (None: all of them)."""
    if dialect not in ("duckdb", "bigquery"):
        raise ConfigError(f"unknown SQL dialect {dialect!r}", hint="use 'duckdb' or 'bigquery'")
    names = {spec.name for spec in VIEWS} | _sql.SOURCES
    duckdb_moment = _translate.duckdb_now(_now_literal(now))
    moment = _now_sql(now) if dialect == "bigquery" else duckdb_moment
    selects = []
    bounds = None if period is None else bounded_period(*period)
    for spec, source in _sources(options, now, bounds, reaching):
        text = source if dialect == "bigquery" else _translate.translated(source)
        text = text.replace(_translate.NOW, moment)
        text = _fill_windows(text, table_ref, window_ref)
        for name in sorted(names, key=len, reverse=True):
            text = text.replace(placeholder(name), table_ref(name))
        selects.append((spec, text))
    return selects


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def create_duckdb_views(
    conn: duckdb.DuckDBPyConnection, *, options: SlaOptions, now: datetime | None = None
) -> list[str]:
    """(Re)create the five views, with their comments, in ``conn`` over the raw views of the
    same database; returns their names. The caller owns the transaction."""
    created = []
    for spec, select in view_selects("duckdb", table_ref=_quote_ident, options=options, now=now):
        conn.execute(f"CREATE OR REPLACE VIEW {_quote_ident(spec.name)} AS {select}")
        conn.execute(
            f"COMMENT ON VIEW {_quote_ident(spec.name)} IS {_quote_literal(spec.description)}"
        )
        for column, text in spec.columns.items():
            conn.execute(
                f"COMMENT ON COLUMN {_quote_ident(spec.name)}.{_quote_ident(column)} "
                f"IS {_quote_literal(text)}"
            )
        created.append(spec.name)
    return created


def bigquery_views(
    project: str, dataset: str, *, options: SlaOptions, now: datetime | None = None
) -> list[bigquery.Table]:
    """The five views as ``bigquery.Table`` objects for ``project.dataset`` (``view_query`` and
    description set), in dependency order: create or update them in that order."""
    from google.cloud import bigquery

    def ref(name: str) -> str:
        return f"`{project}.{dataset}.{name}`"

    views = []
    for spec, select in view_selects("bigquery", table_ref=ref, options=options, now=now):
        view = bigquery.Table(f"{project}.{dataset}.{spec.name}")
        view.view_query = select
        view.description = spec.description
        views.append(view)
    return views
