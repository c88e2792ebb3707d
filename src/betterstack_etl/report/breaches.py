"""SLO breaches for the run summary and Prefect automations (SPEC §9).

``slo_breaches`` reads the monthly view: the monitors whose month-to-date availability is below
the SLO. ``emit_slo_breach_events`` emits one ``betterstack.slo.breached`` Prefect event per
breach, so an automation can alert; outside a Prefect flow or task run it does nothing.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from betterstack_etl.literal import markdown, visible
from betterstack_etl.report.data import (
    MONITORS,
    MONTHLY,
    monitor_names,
    read_monthly,
    view_relations,
)
from betterstack_etl.report.options import first_of_month

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from datetime import date, datetime

    from betterstack_etl.report.data import SloSettings
    from betterstack_etl.report.source import ViewSource

__all__ = [
    "EVENT",
    "SloBreach",
    "breach_text",
    "emit_slo_breach_events",
    "event_of",
    "slo_breaches",
]

EVENT: Final = "betterstack.slo.breached"


@dataclass(frozen=True, slots=True)
class SloBreach:
    """A monitor below its SLO in ``month`` (month to date when the month is in progress)."""

    monitor_id: str
    name: str
    month: date
    availability_pct: float
    slo_pct: float
    downtime_seconds: float  # the error budget used, in seconds
    error_budget_seconds: float
    budget_used_pct: float  # may exceed 100 once the budget is spent

    @property
    def budget_used_seconds(self) -> float:
        return self.downtime_seconds

    @property
    def error_budget_remaining_seconds(self) -> float:
        return self.error_budget_seconds - self.downtime_seconds


def breach_text(b: Mapping[str, Any], quote: Callable[[str], str] = str) -> str:
    """One breach in words, as the run summary, the CLI and the logs say it (``b`` is
    ``asdict`` of a ``SloBreach`` or its JSON): the objective shown as declared (99.99999 stays
    99.99999, never rounded to 100); ``quote`` renders the name and id (text from the API)."""
    month = str(b["month"])[:7]
    return (
        f"{quote(str(b['name']))} ({quote(str(b['monitor_id']))}) at "
        f"{b['availability_pct']:.3f} % in {month}, below {b['slo_pct']:.10g} % "
        f"({b['budget_used_pct']:.0f} % of the error budget used)"
    )


def slo_breaches(
    source: ViewSource,
    *,
    month: date,
    options: SloSettings,
    monitor_ids: Iterable[str] = (),
    now: datetime | None = None,
    reaching: Callable[[date], Sequence[date] | None] | None = None,
) -> list[SloBreach]:
    """Monitors whose availability in ``month`` is below ``options.slo_pct``, worst first.

    ``options`` carries ``time_zone`` (the views' calendar) and ``slo_pct``; the error budget is
    the month's length in that time zone × (1 − SLO). ``now`` (default: the engine's clock)
    is the moment the month is seen at. ``reaching``: which older incidents partitions may
    reach the month (``Lake.reaching``; default: the DuckDB lake's summaries, or all of them).
    Nothing to read: no breach.
    """
    month = first_of_month(month)
    period = (month, month)  # the month's partitions only, however long the history
    relation = view_relations(source, options, now, period=period, reaching=reaching).get(MONTHLY)
    if relation is None:
        return []
    figures = read_monthly(source, month, options, tuple(monitor_ids), relation=relation)
    # the names as last listed: in a lake of raw tables (partitioned by data_particao, as the
    # views computed from them need), the monitors' daily history from a week before the month
    since = month - timedelta(days=7) if relation.startswith("(") else None
    names = monitor_names(source, since=since)[0] if source.exists(MONITORS) else {}
    found = [
        SloBreach(
            monitor_id=monitor_id,
            name=names.get(monitor_id, monitor_id),
            month=month,
            availability_pct=f.availability_pct,
            slo_pct=f.slo_pct,
            downtime_seconds=f.downtime_seconds,
            error_budget_seconds=f.error_budget_seconds,
            budget_used_pct=f.budget_used_pct,
        )
        for monitor_id, f in figures.items()
        if f.availability_pct is not None and f.availability_pct < f.slo_pct
    ]
    return sorted(found, key=lambda b: (b.availability_pct, b.monitor_id))


def event_of(breach: SloBreach) -> dict[str, Any]:
    """The keyword arguments of ``prefect.events.emit_event`` for one breach.

    The payload keeps the name as data; ``payload.markdown`` holds the name and id escaped for
    Markdown, what notification templates show (a name is API text: SPEC §13), and the
    resource's display name has its control characters shown as escapes."""
    payload = asdict(breach)
    if not math.isfinite(breach.budget_used_pct):  # an SLO of 100 %: no budget at all
        payload["budget_used_pct"] = None
    payload["month"] = breach.month.isoformat()
    payload["error_budget_remaining_seconds"] = breach.error_budget_remaining_seconds
    payload["markdown"] = {"name": markdown(breach.name), "monitor_id": markdown(breach.monitor_id)}
    return {
        "event": EVENT,
        "resource": {
            "prefect.resource.id": f"betterstack.monitor.{visible(breach.monitor_id)}",
            "prefect.resource.name": visible(breach.name),
        },
        "payload": payload,
    }


def emit_slo_breach_events(breaches: Iterable[SloBreach]) -> int:
    """Emit one ``betterstack.slo.breached`` event per breach; how many were emitted.

    A no-op (0) outside a Prefect flow or task run, and when Prefect does not emit events.
    """
    from prefect.context import FlowRunContext, TaskRunContext
    from prefect.events import emit_event

    if FlowRunContext.get() is None and TaskRunContext.get() is None:
        return 0
    return sum(1 for breach in breaches if emit_event(**event_of(breach)) is not None)
