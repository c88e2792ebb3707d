"""The order the report lists monitors in: worst first, so a manager with 500 services sees the
ones in trouble on top; names in natural order ("Service 2" before "Service 10") on a tie."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterable

    from betterstack_etl.report.records import MonitorReport, Status

__all__ = ["STATUS_RANK", "natural_key", "worst_first"]

# breached, then at risk, then no verdict (partial coverage, no data), then within the SLO
STATUS_RANK: Final[dict[Status, int]] = {
    "breached": 0,
    "at_risk": 1,
    "partial": 2,
    "no_data": 3,
    "within": 4,
}
_DIGITS: Final = re.compile(r"([0-9]+)")


def natural_key(text: str) -> tuple[tuple[int, str, str], ...]:
    """``text`` as a sort key where runs of digits compare as numbers ("2" < "10"), letters
    without case. Digit runs compare by length then digits, never through ``int`` (a name of
    5,000 digits is API text too)."""
    parts = _DIGITS.split(text.casefold())
    key: list[tuple[int, str, str]] = []
    for index, part in enumerate(parts):
        if index % 2:  # a run of digits: fewer significant digits is smaller
            value = part.lstrip("0")
            key.append((len(value), value, part))
        else:
            key.append((0, part, ""))
    return tuple(key)


def _key(monitor: MonitorReport) -> tuple[object, ...]:
    month = monitor.month
    used = 0.0 if month is None else month.budget_used_pct
    availability = (
        math.inf if month is None or month.availability_pct is None else (month.availability_pct)
    )
    return (
        STATUS_RANK[monitor.status],
        -used,  # the most budget burnt first (a zero budget with downtime: infinite, first)
        availability,
        natural_key(monitor.name),
        natural_key(monitor.monitor_id),
    )


def worst_first(monitors: Iterable[MonitorReport]) -> list[MonitorReport]:
    """``monitors`` worst first: by status (``STATUS_RANK``), then the share of the month's
    error budget used (most first), then availability (lowest first), then name and id in
    natural order."""
    return sorted(monitors, key=_key)
