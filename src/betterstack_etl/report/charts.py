"""The report's charts: matplotlib figures written as inline SVG (no script, no network).

Text stays text in the SVG (``svg.fonttype = none``) so the file stays small and the browser
draws it with its own sans-serif font; tick labels go through the report's ``Formatter``
(decimal comma in pt-BR, month names in the language, dates in the report time zone). Text
from the API is drawn literally: mathtext is off, control characters are shown as escapes.
"""

from __future__ import annotations

import io
import math
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import matplotlib as mpl
import matplotlib.dates as _mdates
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from betterstack_etl.literal import visible

if TYPE_CHECKING:
    from collections.abc import Sequence

    from betterstack_etl.report.data import DayFigures, Incident, MonitorReport
    from betterstack_etl.report.i18n import Formatter

__all__ = [
    "COLOURS",
    "bar_lengths",
    "budget_chart",
    "compact_svg",
    "daily_chart",
    "log_scale_max",
    "percent_ticks",
    "response_time_chart",
    "timeline_chart",
]

COLOURS: Final = {
    "within": "#2e7d32",
    "at_risk": "#ef8f00",
    "breached": "#c62828",
    "partial": "#5c6bc0",
    "no_data": "#9e9e9e",
}
LOG_SCALE_RATIO: Final = 10.0  # slowest point over the median above this: a log-scale axis
mdates: Any = _mdates  # untyped module: used through Any
_REGION_COLOURS: Final = ("#1565c0", "#6a1b9a", "#00838f", "#ad1457", "#558b2f", "#4e342e")
_STYLE: Final[dict[str, Any]] = {
    "svg.fonttype": "none",
    # names, causes and regions come from the API: drawn as their characters, never mathtext
    # (``$\alpha$`` stays those eight characters; ``$\frac{1}{$`` breaks nothing)
    "text.parse_math": False,
    "text.usetex": False,
    "svg.hashsalt": "betterstack-etl-report",
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e0e0e0",
    "grid.linewidth": 0.6,
}


def _style() -> Any:
    style: Any = _STYLE  # matplotlib types its keys as literals
    return mpl.rc_context(style)


def _num(moment: datetime) -> float:
    return float(mdates.date2num(moment))


def _svg(fig: Figure, name: str) -> str:
    buffer = io.StringIO()
    with _style():
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = compact_svg(buffer.getvalue()[buffer.getvalue().index("<svg") :])
    # a class and a label per chart: the tests and readers can find each one
    return text.replace("<svg ", f'<svg class="chart" data-chart="{name}" role="img" ', 1)


_METADATA: Final = re.compile(r"<metadata>.*?</metadata>", re.S)
_INDENT: Final = re.compile(r">\n\s*<")
_GEOMETRY: Final = re.compile(r' (d|x|y|width|height|viewBox|transform)="([^"]*)"')
_LONG_NUMBER: Final = re.compile(r"(\d\.\d\d)\d+|(\d{2}\.\d)\d+")
_SPACES: Final = re.compile(r"\s*\n\s*")
_TAG: Final = re.compile(r"<[^<>]*>")  # text content has its <, > and & escaped


def _geometry(found: re.Match[str]) -> str:
    value = _LONG_NUMBER.sub(lambda m: m.group(1) or m.group(2), found.group(2))
    return f' {found.group(1)}="{_SPACES.sub(" ", value).strip()}"'


def compact_svg(text: str) -> str:
    """matplotlib's SVG, smaller: no metadata, no indentation, coordinates to 0.1 pt (0.01 below
    10). Only geometry attributes change: the text drawn (names, causes, tick labels) stays as
    it was."""
    text = _INDENT.sub("><", _METADATA.sub("", text))
    return _TAG.sub(lambda tag: _GEOMETRY.sub(_geometry, tag.group(0)), text)


def _figure(width: float, height: float) -> Figure:
    with _style():
        return Figure(figsize=(width, height), layout="constrained")


def _date_axis(ax: Any, fmt: Formatter, *, with_time: bool) -> None:
    tz = fmt.tz
    locator = mdates.AutoDateLocator(tz=tz, minticks=3, maxticks=8)

    def label(value: float, _pos: int | None = None) -> str:
        moment = mdates.num2date(value, tz=tz)
        if with_time and (moment.hour or moment.minute):
            return str(moment.strftime("%H:%M"))
        return fmt.short_day(moment.date())

    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(FuncFormatter(label))


def budget_chart(monitors: Sequence[MonitorReport], fmt: Formatter) -> str:
    """The first screen: error budget used this month, one bar per monitor, by status."""
    with _style():
        rows = [(m, m.month) for m in monitors if m.month is not None]
        fig = _figure(8, 0.45 * max(len(rows), 1) + 1.0)
        ax = fig.add_subplot()
        names = [visible(m.name) for m, _ in rows]
        used = bar_lengths([month.budget_used_pct for _, month in rows])
        colours = [COLOURS[m.status] for m, _ in rows]
        ax.barh(range(len(rows)), used, color=colours, height=0.6)
        # the figure at the end of each bar: the bars keep their true length (258 % > 212 %)
        for index, (_, month) in enumerate(rows):
            label = fmt.pct(month.budget_used_pct, 1)
            ax.text(used[index] + 2, index, label, va="center", fontsize=8)
        ax.set_yticks(range(len(rows)), names)
        ax.invert_yaxis()
        ax.axvline(50, color=COLOURS["at_risk"], linestyle="--", linewidth=1)
        ax.axvline(100, color=COLOURS["breached"], linestyle="--", linewidth=1)
        ax.set_xlim(0, max([110.0, *[u * 1.2 for u in used]]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.pct(v, 0)))
        ax.set_xlabel(fmt.t("budget_used"))
        ax.grid(axis="y", visible=False)
        return _svg(fig, "budget")


def daily_chart(days: Sequence[DayFigures], slo_pct: float, fmt: Formatter) -> str:
    """Availability per day (report time zone), red below the SLO, the SLO dashed."""
    with _style():
        fig = _figure(8, 2.4)
        ax = fig.add_subplot()
        moments = [datetime(d.day.year, d.day.month, d.day.day, tzinfo=UTC) for d in days]
        xs = [_num(m) for m in moments]
        values = [100.0 if d.availability_pct is None else d.availability_pct for d in days]
        colours = [
            COLOURS["no_data"]
            if d.availability_pct is None
            else COLOURS["breached" if d.availability_pct < slo_pct else "within"]
            for d in days
        ]
        ax.bar(xs, values, width=0.8, color=colours)
        low = min([*values, slo_pct])
        bottom = max(0.0, low - max((100 - low) * 0.25, 0.05))
        ax.set_ylim(bottom, 100 + (100 - bottom) * 0.02)
        ax.axhline(slo_pct, color="#424242", linestyle="--", linewidth=1)
        ticks, digits = percent_ticks(bottom, 100.0)
        ax.set_yticks(ticks)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.pct(v, digits)))
        locator = mdates.AutoDateLocator(tz=UTC, minticks=3, maxticks=10)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda v, _p: fmt.short_day(mdates.num2date(v, tz=UTC).date()))
        )
        ax.set_xlim(xs[0] - 0.75, xs[-1] + 0.75)
        ax.grid(axis="x", visible=False)
        return _svg(fig, "daily")


def bar_lengths(used_pct: Sequence[float]) -> list[float]:
    """Each bar's length: the budget used as it is (no cap, so 258 % is longer than 212 %);
    an infinite use (a zero budget) as the longest finite one plus a fifth."""
    finite = [u for u in used_pct if math.isfinite(u)]
    ceiling = max([100.0, *finite]) * 1.2
    return [u if math.isfinite(u) else ceiling for u in used_pct]


def percent_ticks(bottom: float, top: float) -> tuple[list[float], int]:
    """Ticks on round steps (1, 2, 5 × 10ⁿ: never 2.5) and the decimals that label each one
    exactly."""
    locator = MaxNLocator(5, steps=[1, 2, 5, 10])
    ticks = [float(t) for t in locator.tick_values(bottom, top) if bottom - 1e-9 <= t <= top + 1e-9]
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    digits = max(0, -math.floor(math.log10(step) + 1e-9))
    return ticks, digits


def log_scale_max(rows: Sequence[dict[str, Any]]) -> float | None:
    """The slowest hourly percentile in ms when it dwarfs the typical one (a region timing out
    at 30 s beside others at 200 ms): then the chart uses a log scale. None otherwise."""
    values = sorted(
        1000 * float(r[c])
        for r in rows
        for c in ("p50_response_time", "p95_response_time", "p99_response_time")
        if r.get(c) is not None and float(r[c]) > 0
    )
    if not values:
        return None
    median = values[len(values) // 2]
    return values[-1] if values[-1] > LOG_SCALE_RATIO * median else None


def response_time_chart(rows: Sequence[dict[str, Any]], fmt: Formatter) -> str:
    """p50 / p95 / p99 per hour, one panel each, one line per region (milliseconds); a log
    scale when one region's timeouts would flatten the others (``log_scale_max``)."""
    log_scale = log_scale_max(rows) is not None
    with _style():
        regions = sorted({r["region"] for r in rows})
        fig = _figure(8, 4.8)
        axes = fig.subplots(3, 1, sharex=True)
        for ax, column, title in zip(
            axes,
            ("p50_response_time", "p95_response_time", "p99_response_time"),
            ("p50", "p95", "p99"),
            strict=True,
        ):
            for index, region in enumerate(regions):
                own = [r for r in rows if r["region"] == region and r[column] is not None]
                ax.plot(
                    [r["hour"] for r in own],
                    [1000 * float(r[column]) for r in own],
                    label=visible(region),
                    color=_REGION_COLOURS[index % len(_REGION_COLOURS)],
                    linewidth=1,
                )
            ax.set_ylabel(f"{title} (ms)")
            if log_scale:
                ax.set_yscale("log")
                ax.yaxis.set_minor_formatter(FuncFormatter(lambda _v, _p: ""))
            else:
                ax.yaxis.set_major_locator(MaxNLocator(4))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.number(v)))
        _date_axis(axes[-1], fmt, with_time=True)
        fig.legend(
            *axes[0].get_legend_handles_labels(),
            loc="outside upper center",
            ncols=max(len(regions), 1),
            frameon=False,
            fontsize=8,
        )
        return _svg(fig, "response-times")


def timeline_chart(
    incidents: Sequence[Incident], start: datetime, end: datetime, fmt: Formatter
) -> str:
    """Each incident as a bar over the period, one row per cause (open ones until now)."""
    with _style():
        causes = sorted({i.cause or "?" for i in incidents})
        fig = _figure(8, 0.35 * len(causes) + 1.1)
        ax = fig.add_subplot()
        for row, cause in enumerate(causes):
            spans = []
            for incident in incidents:
                if (incident.cause or "?") != cause:
                    continue
                began = max(incident.started_at, start)
                ended = min(incident.resolved_at or end, end)
                # at least ~0.2 % of the period wide, so a one-minute incident still shows
                width = max((ended - began), (end - start) * 0.002)
                spans.append((_num(began), width.total_seconds() / 86400))
            ax.broken_barh(spans, (row - 0.35, 0.7), color=COLOURS["breached"])
        ax.set_yticks(range(len(causes)), [visible(c[:40]) for c in causes])
        ax.set_ylim(len(causes) - 0.5, -0.5)
        ax.set_xlim(_num(start), _num(end))
        _date_axis(ax, fmt, with_time=(end - start) <= timedelta(days=2))
        ax.grid(axis="y", visible=False)
        return _svg(fig, "timeline")
