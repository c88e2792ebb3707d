"""Small charts written directly as SVG text (no matplotlib): one per monitor in the compact
part of the report, a few hundred bytes each, drawn in the time it takes to join strings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Sequence

    from betterstack_etl.report.data import DayFigures

__all__ = ["BAR", "HEIGHT", "STEP", "daily_sparkline"]

BAR: Final = 4  # a day's bar, in SVG units
STEP: Final = 5  # from one day's bar to the next
HEIGHT: Final = 24
_COLOURS: Final = {"within": "#2e7d32", "breached": "#c62828", "no_data": "#9e9e9e"}


def _kind(pct: float | None, slo_pct: float) -> str:
    if pct is None:
        return "no_data"
    return "breached" if pct < slo_pct else "within"


def _y(value: float, bottom: float) -> float:
    """``value`` (a percentage) as a height in the sparkline: ``bottom`` → 0, 100 → HEIGHT."""
    return round(HEIGHT * (value - bottom) / (100.0 - bottom), 1)


def daily_sparkline(days: Sequence[DayFigures], slo_pct: float, label: str) -> str:
    """One bar per day, as tall as its availability (the axis starts below the worst day, as the
    full daily chart's does), red below the SLO, grey without data (full height); the SLO as a
    dashed line. ``label`` (already escaped) is its ``<title>``: accessible name and tooltip."""
    values = [d.availability_pct for d in days if d.availability_pct is not None]
    low = min([*values, slo_pct])
    bottom = max(0.0, low - max((100.0 - low) * 0.25, 0.05))
    paths: dict[str, list[str]] = {kind: [] for kind in _COLOURS}
    for index, day in enumerate(days):
        pct = day.availability_pct
        # at least 1 unit tall, so a day at the bottom of the axis still shows
        height = HEIGHT if pct is None else max(1.0, _y(min(pct, 100.0), bottom))
        paths[_kind(pct, slo_pct)].append(f"M{index * STEP} {HEIGHT}v-{height:g}h{BAR}v{height:g}z")
    width = max(len(days) * STEP - 1, 1)
    slo_y = round(HEIGHT - _y(slo_pct, bottom), 1)
    parts = [
        f'<svg class="spark" data-chart="daily-spark" role="img" '
        f'width="{width}" height="{HEIGHT}" viewBox="0 0 {width} {HEIGHT}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{label}</title>",
    ]
    parts += [
        f'<path fill="{_COLOURS[kind]}" d="{"".join(drawn)}"/>'
        for kind, drawn in paths.items()
        if drawn
    ]
    parts.append(
        f'<path d="M0 {slo_y:g}H{width}" stroke="#424242" stroke-width="1" stroke-dasharray="2 2"/>'
    )
    parts.append("</svg>")
    return "".join(parts)
