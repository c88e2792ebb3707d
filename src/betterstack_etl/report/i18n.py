"""The report's words and number/date formats in its two languages (``pt-BR``, ``en``).

Numbers, percentages, dates and times go through Babel with the language's CLDR locale, so
``pt-BR`` writes ``99,95 %`` and ``25 de nov.`` and ``en`` writes ``99.95%`` and ``Nov 25``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from betterstack_etl.errors import ConfigError

if TYPE_CHECKING:
    from datetime import date, datetime, tzinfo

__all__ = ["LANGUAGES", "Formatter", "formatter"]

LANGUAGES: Final = ("pt-BR", "en")

_WORDS: Final[dict[str, dict[str, str]]] = {
    "pt-BR": {
        "title": "Relatório de disponibilidade",
        "period": "Período",
        "generated": "Gerado em",
        "time_zone": "Fuso horário",
        "slo": "SLO",
        "question": "Estamos dentro do SLA neste mês?",
        "question_past": "Estivemos dentro do SLA em {month}?",
        "answer_one": "Sim: o monitor está dentro do SLO de {slo} em {month}.",
        "partial": "cobertura parcial",
        "legend_partial": "o lago cobre menos de {pct} do mês até agora: sem veredito (salvo "
        "violação)",
        "answer_partial": " Cobertura parcial: {partial}.",
        "covered_since": "Dados desde {day}; cobertura do mês: {pct}.",
        "covered_never": "O lago não registra nenhum dia buscado deste monitor.",
        "coverage": "Cobertura",
        "trend": "Últimos meses",
        "slos": "Objetivos (SLOs) declarados, na janela corrente",
        "slo_name": "SLO",
        "indicator": "Indicador",
        "objective": "Objetivo",
        "sli": "Medido",
        "burn": "Burn rate 1 h / 6 h / 24 h / 3 d",
        "availability_ind": "disponibilidade",
        "latency_ind": "latência ≤ {ms} ms",
        "window_month": "mês",
        "window_rolling": "{days} dias",
        "slo_ok": "ok",
        "slo_at_risk": "em risco",
        "slo_breached": "violado",
        "slo_no_data": "sem dados",
        "slo_past": "A situação dos SLOs é a da janela corrente: veja o mês corrente.",
        "log_note": "Escala logarítmica: uma região com tempos de até {max} ms (timeouts) não "
        "achata as demais.",
        "checks": "verificações",
        "answer_all": "Sim: todos os {n} monitores estão dentro do SLO de {slo} em {month}.",
        "answer_some": "{ok} de {n} monitores dentro do SLO de {slo} em {month}; "
        "em risco: {risk}; violado: {bad}.",
        "answer_none": "Nenhum monitor tem dados para {month}.",
        "monitor": "Monitor",
        "availability": "Disponibilidade",
        "downtime": "Indisponibilidade",
        "incidents": "Incidentes",
        "budget": "Orçamento de erro",
        "budget_left": "Orçamento restante",
        "budget_used": "Orçamento usado",
        "status": "Situação",
        "within": "dentro do SLO",
        "at_risk": "em risco",
        "breached": "violado",
        "no_data": "sem dados",
        "legend": "Legenda",
        "legend_within": "disponibilidade do mês até agora ≥ SLO e no máximo metade do "
        "orçamento de erro do mês usada",
        "legend_at_risk": "disponibilidade ≥ SLO, mas mais da metade do orçamento de erro do "
        "mês já foi usada",
        "legend_breached": "disponibilidade do mês até agora abaixo do SLO",
        "legend_budget": "Orçamento de erro = duração do mês × (1 − SLO); indisponibilidade = "
        "união dos intervalos dos incidentes (alertas de expiração de certificado/domínio não "
        "contam).",
        "legend_missing": "Hora faltante: hora UTC de uma região sem medições no lago, ou com "
        "menos de {pct} das medições esperadas (3600 / frequência de checagem), entre a "
        "primeira hora completa com dados do monitor no período e a última hora já "
        "encerrada.",
        "month_of": "Mês",
        "so_far": "até agora",
        "longest": "Maior incidente",
        "mtta": "Tempo médio até reconhecer",
        "mttr": "Tempo médio até resolver",
        "daily": "Disponibilidade diária",
        "response_times": "Tempo de resposta por região (ms)",
        "timeline": "Linha do tempo dos incidentes",
        "top": "Os dez incidentes mais longos",
        "started": "Início",
        "resolved": "Fim",
        "duration": "Duração",
        "cause": "Causa",
        "open": "em aberto",
        "reconciliation": "Dias em que o SLA da API e os incidentes discordam (UTC)",
        "date": "Data",
        "api_downtime": "Indisp. (API)",
        "computed_downtime": "Indisp. (incidentes)",
        "difference": "Diferença",
        "api_incidents": "Incidentes (API)",
        "computed_incidents": "Incidentes (calculado)",
        "provisional": "provisório",
        "missing_hours": "Horas de tempo de resposta faltando no lago",
        "region": "Região",
        "from": "De",
        "to": "Até",
        "hours": "Horas",
        "samples": "Medições / esperadas",
        "empty_daily": "Sem disponibilidade diária no período.",
        "empty_rt": "Sem tempos de resposta no lago para o período.",
        "empty_incidents": "Nenhum incidente no período.",
        "empty_recon": "Nenhuma divergência: o SLA da API e os incidentes concordam em todos "
        "os dias com SLA no período.",
        "empty_recon_none": "O lago não tem SLA diário da API para o período.",
        "empty_missing": "Nenhuma hora faltando entre {first} e {last}.",
        "empty_missing_none": "Sem tempos de resposta no período: nada a comparar.",
        "empty_month": "Sem dados do mês para este monitor.",
        "empty_report": "O lago não tem dados para o período {period}: nenhum monitor com "
        "disponibilidade, incidentes ou tempos de resposta.",
        "missing_table": "O lago não tem {name}; {consequence}",
        "names_fallback": "os monitores aparecem pelo id.",
        "section_skipped": "esta parte do relatório fica vazia.",
        "hourly_note": "Linhas: p50, p95 e p99 por hora, no fuso {tz}.",
        "ids": "id",
        "budget_top": "O gráfico mostra os {n} monitores em pior situação; a tabela traz os "
        "{total}.",
        "compact_title": "Demais monitores, do pior ao melhor",
        "compact_note": "Gráficos completos para os {n} monitores em pior situação, acima; os "
        "{rest} restantes resumidos: disponibilidade por dia em barras (vermelho abaixo do SLO, "
        "tracejado), últimos meses e SLOs.",
        "spark_label": "Disponibilidade diária de {first} a {last}: mínimo de {pct} em {day}",
        "longest_line": "Maior incidente: {duration}, início {start}: {cause}",
        "recon_line": "Dias em que o SLA da API diverge dos incidentes: {days} de {total}.",
        "missing_line": "Horas de tempo de resposta faltando no lago: {hours}.",
    },
    "en": {
        "title": "Availability report",
        "period": "Period",
        "generated": "Generated",
        "time_zone": "Time zone",
        "slo": "SLO",
        "question": "Are we within SLA this month?",
        "question_past": "Were we within SLA in {month}?",
        "answer_one": "Yes: the monitor is within the {slo} SLO in {month}.",
        "partial": "partial coverage",
        "legend_partial": "the lake covers less than {pct} of the month so far: no verdict "
        "(unless breached)",
        "answer_partial": " Partial coverage: {partial}.",
        "covered_since": "Data since {day}; coverage of the month: {pct}.",
        "covered_never": "The lake records no fetched day for this monitor.",
        "coverage": "Coverage",
        "trend": "Last months",
        "slos": "Declared objectives (SLOs), current window",
        "slo_name": "SLO",
        "indicator": "Indicator",
        "objective": "Objective",
        "sli": "Measured",
        "burn": "Burn rate 1 h / 6 h / 24 h / 3 d",
        "availability_ind": "availability",
        "latency_ind": "latency ≤ {ms} ms",
        "window_month": "month",
        "window_rolling": "{days} days",
        "slo_ok": "ok",
        "slo_at_risk": "at risk",
        "slo_breached": "breached",
        "slo_no_data": "no data",
        "slo_past": "SLO status is for the current window: see the current month.",
        "log_note": "Log scale: one region's times of up to {max} ms (timeouts) do not flatten "
        "the others.",
        "checks": "checks",
        "answer_all": "Yes: all {n} monitors are within the {slo} SLO in {month}.",
        "answer_some": "{ok} of {n} monitors within the {slo} SLO in {month}; "
        "at risk: {risk}; breached: {bad}.",
        "answer_none": "No monitor has data for {month}.",
        "monitor": "Monitor",
        "availability": "Availability",
        "downtime": "Downtime",
        "incidents": "Incidents",
        "budget": "Error budget",
        "budget_left": "Budget left",
        "budget_used": "Budget used",
        "status": "Status",
        "within": "within SLO",
        "at_risk": "at risk",
        "breached": "breached",
        "no_data": "no data",
        "legend": "Legend",
        "legend_within": "month-to-date availability ≥ SLO and at most half of the month's "
        "error budget used",
        "legend_at_risk": "availability ≥ SLO, but more than half of the month's error budget "
        "is already used",
        "legend_breached": "month-to-date availability below the SLO",
        "legend_budget": "Error budget = the month's length × (1 − SLO); downtime = the union of "
        "the incidents' intervals (certificate/domain expiry warnings do not count).",
        "legend_missing": "Missing hour: a UTC hour of a region with no sample in the lake, or "
        "fewer than {pct} of the expected samples (3600 / check frequency), between the "
        "monitor's first full hour with data in the period and the last hour that has ended.",
        "month_of": "Month",
        "so_far": "so far",
        "longest": "Longest incident",
        "mtta": "Mean time to acknowledge",
        "mttr": "Mean time to resolve",
        "daily": "Daily availability",
        "response_times": "Response time per region (ms)",
        "timeline": "Incident timeline",
        "top": "The ten longest incidents",
        "started": "Started",
        "resolved": "Resolved",
        "duration": "Duration",
        "cause": "Cause",
        "open": "open",
        "reconciliation": "Days where the API's SLA and the incidents disagree (UTC)",
        "date": "Date",
        "api_downtime": "Downtime (API)",
        "computed_downtime": "Downtime (incidents)",
        "difference": "Difference",
        "api_incidents": "Incidents (API)",
        "computed_incidents": "Incidents (computed)",
        "provisional": "provisional",
        "missing_hours": "Hours of response times missing from the lake",
        "region": "Region",
        "from": "From",
        "to": "To",
        "hours": "Hours",
        "samples": "Samples / expected",
        "empty_daily": "No daily availability in the period.",
        "empty_rt": "No response times in the lake for the period.",
        "empty_incidents": "No incident in the period.",
        "empty_recon": "No disagreement: the API's SLA and the incidents agree on every day "
        "with an SLA row in the period.",
        "empty_recon_none": "The lake has no daily SLA from the API for the period.",
        "empty_missing": "No missing hour between {first} and {last}.",
        "empty_missing_none": "No response times in the period: nothing to compare.",
        "empty_month": "No figures for the month for this monitor.",
        "empty_report": "The lake has no data for the period {period}: no monitor with "
        "availability, incidents or response times.",
        "missing_table": "The lake has no {name}; {consequence}",
        "names_fallback": "monitors are shown by id.",
        "section_skipped": "this part of the report stays empty.",
        "hourly_note": "Lines: hourly p50, p95 and p99, in {tz}.",
        "ids": "id",
        "budget_top": "The chart shows the {n} monitors in the worst state; the table has all "
        "{total}.",
        "compact_title": "The other monitors, worst first",
        "compact_note": "Full charts for the {n} monitors in the worst state, above; the other "
        "{rest} in short: availability per day as bars (red below the SLO, dashed), the last "
        "months and the SLOs.",
        "spark_label": "Daily availability from {first} to {last}: lowest {pct} on {day}",
        "longest_line": "Longest incident: {duration}, started {start}: {cause}",
        "recon_line": "Days the API's SLA disagrees with the incidents: {days} of {total}.",
        "missing_line": "Hours of response times missing from the lake: {hours}.",
    },
}

_LOCALES: Final = {"pt-BR": "pt_BR", "en": "en_US"}


@dataclass(frozen=True, slots=True)
class Formatter:
    """Words and figures in one language; dates and times shown in ``tz``."""

    lang: str
    tz: tzinfo

    @property
    def locale(self) -> Locale:
        return Locale.parse(_LOCALES[self.lang])

    def t(self, key: str, **values: object) -> str:
        text = _WORDS[self.lang][key]
        return text.format(**values) if values else text

    def number(self, value: float, digits: int = 0) -> str:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def pct(self, value: float | None, digits: int = 3) -> str:
        """A percent figure (``99.95`` → ``99,950 %`` / ``99.950%``)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        number = self.number(value, digits)
        return f"{number}\u00a0%" if self.lang == "pt-BR" else f"{number}%"

    def duration(self, seconds: float | None) -> str:
        """``3 d 4 h``, ``2 h 05 min``, ``12 min 30 s``, ``45 s`` (negative: ``−…``)."""
        if seconds is None:
            return "–"
        sign = "−" if seconds < 0 else ""
        total = round(abs(seconds))
        days, rest = divmod(total, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        if days:
            text = f"{self.number(days)} d {hours} h"
        elif hours:
            text = f"{hours} h {minutes:02d} min"
        elif minutes:
            text = f"{minutes} min {secs:02d} s"
        else:
            text = f"{secs} s"
        return sign + text

    def day(self, value: date) -> str:
        return format_date(value, "medium", locale=self.locale)

    def short_day(self, value: date) -> str:
        return format_date(value, "d MMM", locale=self.locale)

    def month(self, value: date) -> str:
        return format_date(value, "LLLL 'de' yyyy" if self.lang == "pt-BR" else "LLLL yyyy",
                           locale=self.locale)  # fmt: skip

    def moment(self, value: datetime) -> str:
        """A UTC instant shown in the report time zone (``25/11/2026 09:00``)."""
        return format_datetime(value, "short", tzinfo=self.tz, locale=self.locale)


def formatter(lang: str, tz: tzinfo) -> Formatter:
    if lang not in LANGUAGES:
        raise ConfigError(f"unknown language {lang!r}", hint="use --lang pt-BR or --lang en")
    return Formatter(lang, tz)
