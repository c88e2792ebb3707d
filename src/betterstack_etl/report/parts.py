"""The pieces of HTML both kinds of monitor section share (the detailed one with charts, the
compact one): escaping, badges, the covered period, the months' trend and the SLO table."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Final

from betterstack_etl.literal import visible

if TYPE_CHECKING:
    from betterstack_etl.report.data import MonitorReport, ReportData
    from betterstack_etl.report.i18n import Formatter

__all__ = ["badge", "covered", "empty", "escape", "slo_parts"]


def escape(text: object) -> str:
    """``text`` for HTML text or a quoted attribute: markup escaped, and control characters
    shown as escapes (names and causes are API text, SPEC §13)."""
    return html.escape(visible(text))


def badge(fmt: Formatter, status: str) -> str:
    return f'<span class="badge {status}">{escape(fmt.t(status))}</span>'


def empty(text: str) -> str:
    return f'<p class="empty">{escape(text)}</p>'


def covered(m: MonitorReport, fmt: Formatter) -> str:
    """``Dados desde …``: the first day the lake fetched, and how much of the month it covers."""
    if m.covered_since is None:
        return f"<p class='meta'>{escape(fmt.t('covered_never'))}</p>"
    pct = fmt.pct(m.month.coverage_pct if m.month else None, 1)
    text = fmt.t("covered_since", day=fmt.day(m.covered_since), pct=pct)
    return f"<p class='meta covered'>{escape(text)}</p>"


_SLO_BADGE: Final = {"ok": "within", "at_risk": "at_risk", "breached": "breached",
                     "no_data": "no_data"}  # fmt: skip


def slo_parts(m: MonitorReport, data: ReportData, fmt: Formatter) -> list[str]:
    """The trend of the last months, then each declared SLO's budget and burn rates."""
    parts: list[str] = []
    if m.trend:
        parts.append(f"<h3>{escape(fmt.t('trend'))}</h3>")
        parts.append(
            '<table class="trend"><thead><tr>'
            f"<th>{fmt.t('month_of')}</th><th class='n'>{fmt.t('availability')}</th>"
            f"<th class='n'>{fmt.t('downtime')}</th><th class='n'>{fmt.t('budget_used')}</th>"
            f"<th class='n'>{fmt.t('coverage')}</th><th>{fmt.t('status')}</th>"
            "</tr></thead><tbody>"
        )
        for f in m.trend:
            cells = [fmt.pct(f.availability_pct), fmt.duration(f.downtime_seconds),
                     fmt.pct(f.budget_used_pct, 1), fmt.pct(f.coverage_pct, 1)]  # fmt: skip
            parts.append(
                f'<tr data-month="{f.month.isoformat()}"><td>{escape(fmt.month(f.month))}</td>'
                + "".join(f'<td class="n">{escape(c)}</td>' for c in cells)
                + f"<td>{badge(fmt, f.status)}</td></tr>"
            )
        parts.append("</tbody></table>")
    if data.options.month != data.options.today.replace(day=1):
        return [*parts, f"<p class='meta'>{escape(fmt.t('slo_past'))}</p>"] if m.trend else parts
    if not m.slos:
        return parts
    parts.append(f"<h3>{escape(fmt.t('slos'))}</h3>")
    parts.append(
        '<table class="slos"><thead><tr>'
        f"<th>{fmt.t('slo_name')}</th><th>{fmt.t('indicator')}</th>"
        f"<th class='n'>{fmt.t('objective')}</th><th class='n'>{fmt.t('sli')}</th>"
        f"<th class='n'>{fmt.t('budget_left')}</th><th class='n'>{fmt.t('burn')}</th>"
        f"<th>{fmt.t('status')}</th></tr></thead><tbody>"
    )
    for row in m.slos:
        parts.append(_slo_row(row, fmt))
    parts.append("</tbody></table>")
    return parts


def _slo_row(row: dict[str, object], fmt: Formatter) -> str:
    def num(key: str) -> float | None:
        value = row.get(key)
        return None if value is None else float(value)  # type: ignore[arg-type]

    latency = row["indicator"] == "latency"
    threshold = num("threshold_seconds")
    indicator = (
        fmt.t("latency_ind", ms=fmt.number(1000 * threshold))
        if latency and threshold is not None
        else fmt.t("availability_ind")
    )
    target, sli, left = num("target"), num("sli"), num("error_budget_remaining")
    if left is None:
        budget = "–"
    elif latency:
        budget = f"{fmt.number(left)} {fmt.t('checks')}"
    else:
        budget = fmt.duration(left)
    burns = " / ".join(
        "–" if (b := num(f"burn_rate_{w}")) is None else fmt.number(b, 1)
        for w in ("1h", "6h", "24h", "3d")
    )
    status = str(row["status"])
    cells = [
        fmt.pct(None if target is None else 100 * target, 2),
        fmt.pct(None if sli is None else 100 * sli, 3),
        budget,
        burns,
    ]
    badge = f'<span class="badge {_SLO_BADGE.get(status, "no_data")}">'
    badge += f"{escape(fmt.t('slo_' + status))}</span>"
    return (
        f'<tr data-slo="{escape(str(row["slo_name"]))}"><td>{escape(str(row["slo_name"]))}</td>'
        f"<td>{escape(indicator)}</td>"
        + "".join(f'<td class="n">{escape(c)}</td>' for c in cells)
        + f"<td>{badge}</td></tr>"
    )
