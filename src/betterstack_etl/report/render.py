"""One self-contained HTML file from the report's data: inline CSS, inline SVG charts, no script
and a Content-Security-Policy that forbids every network fetch, so it opens the same from a
file, an e-mail attachment or a bucket."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Final

from betterstack_etl.report.compact import compact_heading, compact_section
from betterstack_etl.report.data import AT_RISK_BUDGET_PCT, MISSING_SAMPLES_PCT, load_report
from betterstack_etl.report.i18n import formatter
from betterstack_etl.report.parts import badge, covered, empty, escape, slo_parts
from betterstack_etl.report.records import PARTIAL_COVERAGE_PCT

if TYPE_CHECKING:
    from betterstack_etl.report.data import MonitorReport, ReportData
    from betterstack_etl.report.i18n import Formatter
    from betterstack_etl.report.options import ReportOptions
    from betterstack_etl.report.source import ViewSource

__all__ = ["BUDGET_BARS", "CSP", "escape", "render_html", "render_report"]

BUDGET_BARS: Final = 20  # the budget chart's bars: the worst monitors only
CSP: Final = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_CSS: Final = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
 margin:0 auto;max-width:1000px;padding:1.5rem;color:#212121;background:#fff;line-height:1.4}
h1{font-size:1.6rem;margin:0 0 .3rem} h2{font-size:1.3rem;margin:2.2rem 0 .4rem;
 border-bottom:2px solid #eee;padding-bottom:.2rem} h3{font-size:1.05rem;margin:1.3rem 0 .4rem}
.meta{color:#616161;font-size:.9rem} .answer{font-size:1.15rem;font-weight:600;margin:.6rem 0}
table{border-collapse:collapse;width:100%;font-size:.88rem;margin:.4rem 0}
th,td{padding:.3rem .5rem;border-bottom:1px solid #eee;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums} td.n{white-space:nowrap}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:.7rem;color:#fff;font-size:.8rem;
 white-space:nowrap;vertical-align:middle;font-weight:normal}
.within{background:#2e7d32}.at_risk{background:#ef8f00}.breached{background:#c62828}
.partial{background:#5c6bc0}.no_data{background:#9e9e9e} .empty{color:#616161;font-style:italic}
td.name{max-width:14rem;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
#summary table{font-size:.8rem} #summary th,#summary td{padding:.3rem .35rem}
h2 .title,h3 .title{display:inline-block;max-width:calc(100% - 10rem);white-space:nowrap;
 overflow:hidden;text-overflow:ellipsis;vertical-align:middle}
.note{background:#fff8e1;border-left:4px solid #ef8f00;padding:.4rem .7rem;margin:.4rem 0}
.legend{font-size:.85rem;color:#424242} .legend li{margin:.15rem 0}
svg.chart{max-width:100%;height:auto;display:block}
svg.spark{display:block;margin:.3rem 0} .compact h3{margin-top:1.6rem} .line{margin:.2rem 0}
.kpis{display:flex;flex-wrap:wrap;gap:1.2rem;margin:.4rem 0}
.kpi b{display:block;font-size:1.15rem} .kpi span{color:#616161;font-size:.8rem}
"""


def render_report(source: ViewSource, options: ReportOptions) -> str:
    """The report for ``options`` from the views ``source`` reads, as one HTML document."""
    return render_html(load_report(source, options))


def render_html(data: ReportData) -> str:
    options = data.options
    fmt = formatter(options.lang, options.zone)
    period = f"{fmt.day(options.start)} – {fmt.day(options.end)}"
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{options.lang}"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(fmt.t('title'))} · {escape(period)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{escape(fmt.t('title'))}</h1>",
        '<p class="meta">'
        f"{fmt.t('period')}: <b>{escape(period)}</b> · {fmt.t('time_zone')}: "
        f"{escape(options.time_zone)} · {fmt.t('slo')}: {escape(fmt.pct(options.slo_pct))} · "
        f"{fmt.t('generated')}: {escape(fmt.moment(options.now))}</p>",
    ]
    parts += [_note(fmt, name) for name in data.missing]
    parts += _first_screen(data, fmt)
    if not data.monitors:
        parts.append(f'<p class="empty">{escape(fmt.t("empty_report", period=period))}</p>')
    detailed = options.detailed
    for monitor in data.monitors[:detailed]:
        parts += _monitor_section(monitor, data, fmt)
    if len(data.monitors) > detailed:
        parts += compact_heading(data, fmt)
        for monitor in data.monitors[detailed:]:
            parts += compact_section(monitor, data, fmt)
    parts.append("</body></html>")
    return "\n".join(parts)


def _note(fmt: Formatter, name: str) -> str:
    consequence = fmt.t("names_fallback" if name.endswith("_monitors") else "section_skipped")
    text = fmt.t("missing_table", name=name, consequence=consequence)
    return f'<p class="note">{escape(text)}</p>'


def _first_screen(data: ReportData, fmt: Formatter) -> list[str]:
    from betterstack_etl.report import charts  # matplotlib: imported once a report is drawn

    options = data.options
    month = fmt.month(options.month)
    current = options.month == options.today.replace(day=1)
    if current:
        month = f"{month} ({fmt.t('so_far')})"
    rated = [m for m in data.monitors if m.month is not None and m.status != "no_data"]
    counts = {s: sum(1 for m in rated if m.status == s)
              for s in ("within", "at_risk", "breached", "partial")}  # fmt: skip
    slo = fmt.pct(options.slo_pct)
    if not rated:
        answer = fmt.t("answer_none", month=month)
    elif counts["within"] == len(rated):
        one = len(rated) == 1
        answer = fmt.t("answer_one" if one else "answer_all", n=len(rated), slo=slo, month=month)
    else:
        answer = fmt.t(
            "answer_some",
            ok=counts["within"],
            n=len(rated),
            slo=slo,
            month=month,
            risk=counts["at_risk"],
            bad=counts["breached"],
        )
        if counts["partial"]:
            answer += fmt.t("answer_partial", partial=counts["partial"])
    question = (
        fmt.t("question") if current else fmt.t("question_past", month=fmt.month(options.month))
    )
    parts = [
        f'<section id="summary"><h2>{escape(question)}</h2>',
        f'<p class="answer">{escape(answer)}</p>',
    ]
    if data.monitors:
        parts.append(
            "<table><thead><tr>"
            f"<th>{fmt.t('monitor')}</th><th class='n'>{fmt.t('availability')}</th>"
            f"<th class='n'>{fmt.t('downtime')}</th><th class='n'>{fmt.t('incidents')}</th>"
            f"<th class='n'>{fmt.t('budget')}</th><th class='n'>{fmt.t('budget_left')}</th>"
            f"<th class='n'>{fmt.t('budget_used')}</th><th class='n'>{fmt.t('coverage')}</th>"
            f"<th>{fmt.t('status')}</th></tr></thead><tbody>"
        )
        for m in data.monitors:
            f = m.month
            cells = (
                [fmt.pct(f.availability_pct), fmt.duration(f.downtime_seconds),
                 fmt.number(f.incidents), fmt.duration(f.error_budget_seconds),
                 fmt.duration(f.error_budget_remaining_seconds), fmt.pct(f.budget_used_pct, 1),
                 fmt.pct(f.coverage_pct, 1)]
                if f is not None else ["–"] * 7
            )  # fmt: skip
            ident = escape(m.monitor_id)
            parts.append(
                f'<tr data-monitor="{ident}"><td class="name" title="{escape(m.name)}">'
                f'<a href="#m-{ident}">{escape(m.name)}</a></td>'
                + "".join(f'<td class="n">{escape(c)}</td>' for c in cells)
                + f"<td>{badge(fmt, m.status)}</td></tr>"
            )
        parts.append("</tbody></table>")
        if rated:
            # the worst BUDGET_BARS: 500 bars would be a long, slow picture of the table above
            drawn = [m for m in data.monitors if m.month is not None][:BUDGET_BARS]
            parts.append(charts.budget_chart(drawn, fmt))
            if len(drawn) < sum(1 for m in data.monitors if m.month is not None):
                total = fmt.number(len(data.monitors))
                note = fmt.t("budget_top", n=fmt.number(len(drawn)), total=total)
                parts.append(f"<p class='meta'>{escape(note)}</p>")
    half = fmt.pct(AT_RISK_BUDGET_PCT, 0)
    parts.append(
        f'<div class="legend"><b>{fmt.t("legend")}</b><ul>'
        f"<li>{badge(fmt, 'within')} {escape(fmt.t('legend_within'))}</li>"
        f"<li>{badge(fmt, 'at_risk')} {escape(fmt.t('legend_at_risk'))} ({half})</li>"
        f"<li>{badge(fmt, 'breached')} {escape(fmt.t('legend_breached'))}</li>"
        f"<li>{badge(fmt, 'partial')} "
        f"{escape(fmt.t('legend_partial', pct=fmt.pct(PARTIAL_COVERAGE_PCT, 0)))}</li>"
        f"<li>{escape(fmt.t('legend_budget'))}</li>"
        f"<li>{escape(fmt.t('legend_missing', pct=fmt.pct(MISSING_SAMPLES_PCT, 0)))}</li>"
        "</ul></div></section>"
    )
    return parts


def _monitor_section(m: MonitorReport, data: ReportData, fmt: Formatter) -> list[str]:
    from betterstack_etl.report import charts

    options = data.options
    title = m.name if m.name == m.monitor_id else f"{m.name} ({fmt.t('ids')} {m.monitor_id})"
    parts = [
        f'<section class="monitor" id="m-{escape(m.monitor_id)}" '
        f'data-monitor="{escape(m.monitor_id)}">',
        f'<h2><span class="title" title="{escape(title)}">{escape(title)}</span> '
        f"{badge(fmt, m.status)}</h2>",
        covered(m, fmt),
    ]
    f = m.month
    if f is None:
        parts.append(empty(fmt.t("empty_month")))
    else:
        kpis = [
            (fmt.t("availability"), fmt.pct(f.availability_pct)),
            (fmt.t("budget_left"), fmt.duration(f.error_budget_remaining_seconds)),
            (fmt.t("budget_used"), fmt.pct(f.budget_used_pct, 1)),
            (fmt.t("downtime"), fmt.duration(f.downtime_seconds)),
            (fmt.t("incidents"), fmt.number(f.incidents)),
            (fmt.t("longest"), fmt.duration(f.longest_incident_seconds)),
            (fmt.t("mtta"), fmt.duration(f.mtta_seconds)),
            (fmt.t("mttr"), fmt.duration(f.mttr_seconds)),
        ]
        parts.append(f"<p class='meta'>{fmt.t('month_of')}: {escape(fmt.month(f.month))}</p>")
        parts.append(
            '<div class="kpis">'
            + "".join(
                f"<div class='kpi'><b>{escape(v)}</b><span>{escape(k)}</span></div>"
                for k, v in kpis
            )
            + "</div>"
        )
    parts += slo_parts(m, data, fmt)
    parts.append(f"<h3>{escape(fmt.t('daily'))}</h3>")
    parts.append(
        charts.daily_chart(m.daily, options.slo_pct, fmt)
        if m.daily
        else empty(fmt.t("empty_daily"))
    )
    parts.append(f"<h3>{escape(fmt.t('response_times'))}</h3>")
    if m.hourly:
        parts.append(charts.response_time_chart(m.hourly, fmt))
        parts.append(f"<p class='meta'>{escape(fmt.t('hourly_note', tz=options.time_zone))}</p>")
        worst = charts.log_scale_max(m.hourly)
        if worst is not None:
            parts.append(f"<p class='meta'>{escape(fmt.t('log_note', max=fmt.number(worst)))}</p>")
    else:
        parts.append(empty(fmt.t("empty_rt")))
    parts.append(f"<h3>{escape(fmt.t('timeline'))}</h3>")
    if m.incidents:
        parts.append(charts.timeline_chart(m.incidents, options.start_utc, options.end_utc, fmt))
        parts += _longest(m, data, fmt)
    else:
        parts.append(empty(fmt.t("empty_incidents")))
    parts += _reconciliation(m, fmt)
    parts += _missing_hours(m, fmt)
    parts.append("</section>")
    return parts


def _longest(m: MonitorReport, data: ReportData, fmt: Formatter) -> list[str]:
    now = data.options.now
    rows = [
        f"<h3>{escape(fmt.t('top'))}</h3>",
        '<table class="longest"><thead><tr>'
        f"<th>{fmt.t('started')}</th><th>{fmt.t('resolved')}</th>"
        f"<th class='n'>{fmt.t('duration')}</th><th>{fmt.t('cause')}</th></tr></thead><tbody>",
    ]
    for incident in m.longest(now):
        end = fmt.moment(incident.resolved_at) if incident.resolved_at else fmt.t("open")
        rows.append(
            f'<tr data-incident="{escape(incident.incident_id)}">'
            f"<td>{escape(fmt.moment(incident.started_at))}</td><td>{escape(end)}</td>"
            f'<td class="n">{escape(fmt.duration(incident.duration_seconds(now)))}</td>'
            f"<td>{escape(incident.cause)}</td></tr>"
        )
    rows.append("</tbody></table>")
    return rows


def _reconciliation(m: MonitorReport, fmt: Formatter) -> list[str]:
    parts = [f"<h3>{escape(fmt.t('reconciliation'))}</h3>"]
    if not m.reconciled_days:
        return [*parts, empty(fmt.t("empty_recon_none"))]
    if not m.mismatches:
        return [*parts, empty(fmt.t("empty_recon"))]
    parts.append(
        '<table class="reconciliation"><thead><tr>'
        f"<th>{fmt.t('date')}</th><th class='n'>{fmt.t('api_downtime')}</th>"
        f"<th class='n'>{fmt.t('computed_downtime')}</th><th class='n'>{fmt.t('difference')}</th>"
        f"<th class='n'>{fmt.t('api_incidents')}</th>"
        f"<th class='n'>{fmt.t('computed_incidents')}</th></tr></thead><tbody>"
    )
    for row in m.mismatches:
        day = fmt.day(row.date) + ("" if row.is_complete else f" ({fmt.t('provisional')})")
        cells = [
            fmt.duration(row.api_downtime_seconds),
            fmt.duration(row.computed_downtime_seconds),
            fmt.duration(row.downtime_diff_seconds),
            "–" if row.api_incidents is None else fmt.number(row.api_incidents),
            "–" if row.computed_incidents is None else fmt.number(row.computed_incidents),
        ]
        parts.append(
            f'<tr data-date="{row.date.isoformat()}"><td>{escape(day)}</td>'
            + "".join(f'<td class="n">{escape(c)}</td>' for c in cells)
            + "</tr>"
        )
    parts.append("</tbody></table>")
    return parts


def _missing_hours(m: MonitorReport, fmt: Formatter) -> list[str]:
    parts = [f"<h3>{escape(fmt.t('missing_hours'))}</h3>"]
    if m.hours_window is None:
        return [*parts, empty(fmt.t("empty_missing_none"))]
    first, last = m.hours_window
    if not m.gaps:
        text = fmt.t("empty_missing", first=fmt.moment(first),
                     last=fmt.moment(last + timedelta(hours=1)))  # fmt: skip
        return [*parts, empty(text)]
    parts.append(
        '<table class="missing"><thead><tr>'
        f"<th>{fmt.t('region')}</th><th>{fmt.t('from')}</th><th>{fmt.t('to')}</th>"
        f"<th class='n'>{fmt.t('hours')}</th><th class='n'>{fmt.t('samples')}</th>"
        "</tr></thead><tbody>"
    )
    for gap in m.gaps:
        expected = "?" if gap.expected is None else fmt.number(gap.expected)
        parts.append(
            f'<tr data-region="{escape(gap.region)}"><td>{escape(gap.region)}</td>'
            f"<td>{escape(fmt.moment(gap.start))}</td><td>{escape(fmt.moment(gap.end))}</td>"
            f'<td class="n">{fmt.number(gap.hours)}</td>'
            f'<td class="n">{fmt.number(gap.samples)} / {expected}</td></tr>'
        )
    parts.append("</tbody></table>")
    return parts
