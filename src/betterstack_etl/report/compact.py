"""The compact section of a monitor past the worst few (``ReportOptions.detailed``): its badge,
covered period, month figures on one line, a daily-availability sparkline written as SVG text,
the months' trend and SLOs (the same tables as the full section), and one line each for the
longest incident, the reconciliation and the missing hours. No matplotlib: a few kB each."""

from __future__ import annotations

from typing import TYPE_CHECKING

from betterstack_etl.report.parts import badge, covered, escape, slo_parts
from betterstack_etl.report.spark import daily_sparkline

if TYPE_CHECKING:
    from betterstack_etl.report.data import MonitorReport, ReportData
    from betterstack_etl.report.i18n import Formatter

__all__ = ["compact_heading", "compact_section"]


def compact_heading(data: ReportData, fmt: Formatter) -> list[str]:
    """The heading over the compact sections and what they show."""
    detailed = min(data.options.detailed, len(data.monitors))
    rest = len(data.monitors) - detailed
    note = fmt.t("compact_note", n=detailed, rest=rest)
    return [
        f'<h2 id="compact">{escape(fmt.t("compact_title"))}</h2>',
        f'<p class="meta">{escape(note)}</p>',
    ]


def compact_section(m: MonitorReport, data: ReportData, fmt: Formatter) -> list[str]:
    ident = escape(m.monitor_id)
    title = m.name if m.name == m.monitor_id else f"{m.name} ({fmt.t('ids')} {m.monitor_id})"
    parts = [
        f'<section class="monitor compact" id="m-{ident}" data-monitor="{ident}">',
        f'<h3><span class="title" title="{escape(title)}">{escape(title)}</span> '
        f"{badge(fmt, m.status)}</h3>",
        covered(m, fmt),
    ]
    f = m.month
    if f is not None:
        figures = [
            (fmt.t("availability"), fmt.pct(f.availability_pct)),
            (fmt.t("budget_used"), fmt.pct(f.budget_used_pct, 1)),
            (fmt.t("budget_left"), fmt.duration(f.error_budget_remaining_seconds)),
            (fmt.t("downtime"), fmt.duration(f.downtime_seconds)),
            (fmt.t("incidents"), fmt.number(f.incidents)),
        ]
        parts.append(
            '<p class="line">'
            + " · ".join(f"{escape(k)} <b>{escape(v)}</b>" for k, v in figures)
            + "</p>"
        )
    if m.daily:
        parts.append(daily_sparkline(m.daily, data.options.slo_pct, escape(_spark_label(m, fmt))))
    parts += slo_parts(m, data, fmt)
    lines = _lines(m, data, fmt)
    if lines:
        parts.append('<p class="meta">' + "<br>".join(escape(line) for line in lines) + "</p>")
    parts.append("</section>")
    return parts


def _spark_label(m: MonitorReport, fmt: Formatter) -> str:
    first, last = m.daily[0].day, m.daily[-1].day
    seen = [d for d in m.daily if d.availability_pct is not None]
    if not seen:
        return f"{fmt.t('daily')}: {fmt.short_day(first)} – {fmt.short_day(last)}"
    worst = min(seen, key=lambda d: (d.availability_pct, d.day))
    return fmt.t(
        "spark_label",
        first=fmt.short_day(first),
        last=fmt.short_day(last),
        pct=fmt.pct(worst.availability_pct),
        day=fmt.short_day(worst.day),
    )


def _lines(m: MonitorReport, data: ReportData, fmt: Formatter) -> list[str]:
    now = data.options.now
    lines: list[str] = []
    longest = m.longest(now)
    if longest:
        top = longest[0]
        lines.append(
            fmt.t(
                "longest_line",
                duration=fmt.duration(top.duration_seconds(now)),
                start=fmt.moment(top.started_at),
                cause=top.cause,
            )
        )
    if m.reconciled_days:
        lines.append(fmt.t("recon_line", days=len(m.mismatches), total=m.reconciled_days))
    if m.hours_window is not None:
        lines.append(fmt.t("missing_line", hours=fmt.number(sum(g.hours for g in m.gaps))))
    return lines
