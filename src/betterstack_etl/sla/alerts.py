"""Burn-rate alerting on state changes only (SPEC §11).

The rules follow the SRE workbook's multiwindow, multi-burn-rate alerts, fitted to hourly data
(the shortest window a run can see is an hour): a rule fires when the burn rate over both its
windows exceeds its threshold. The defaults (``DEFAULT_RULES``; ``BETTERSTACK_BURN_RATE_RULES``
replaces them, e.g. ``page:1h/6h>14.4,page:6h/24h>6,ticket:6h/3d>1``):

| rule   | windows   | burn rate above | a full month's budget gone in |
|--------|-----------|-----------------|-------------------------------|
| page   | 1 h, 6 h  | 14.4            | ~2 days (2 % of it in an hour) |
| page   | 6 h, 24 h | 6               | 5 days (5 % of it in 6 h)      |
| ticket | 6 h, 3 d  | 1               | the window (10 % of it in 3 d) |

An SLO's **alert state** per monitor: ``breached`` when its error budget is spent, ``burning``
when a rule fires, ``ok`` otherwise (a window with no data keeps the previous state). Each run
compares the state with the last one kept in ``eai_gateway_slo_alerts`` and, only when it
changed, writes a row there and emits one Prefect event: ``betterstack.slo.burning``,
``betterstack.slo.breached`` or, back to ``ok``, ``betterstack.slo.recovered``. While a state
holds, nothing is written or emitted, so the shipped automation notifies once per transition.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Literal

from betterstack_etl.errors import ConfigError
from betterstack_etl.literal import markdown, visible

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import pyarrow as pa

__all__ = [
    "BURN_RULES_ENV",
    "DEFAULT_RULES",
    "EVENTS",
    "AlertState",
    "BurnRule",
    "Transition",
    "alert_rows",
    "burn_rules_from_env",
    "emit_transition_events",
    "evaluate",
    "event_of",
    "last_states",
    "record_transitions",
    "state_of",
    "status_rows",
    "transitions",
]

log = logging.getLogger("betterstack_etl.sla.alerts")

AlertState = Literal["ok", "burning", "breached"]
BURN_RULES_ENV: Final = "BETTERSTACK_BURN_RATE_RULES"
_WINDOWS: Final = ("1h", "6h", "24h", "3d")
EVENTS: Final[dict[AlertState, str]] = {
    "burning": "betterstack.slo.burning",
    "breached": "betterstack.slo.breached",
    "ok": "betterstack.slo.recovered",
}


@dataclass(frozen=True, slots=True)
class BurnRule:
    """Fires when the burn rates over ``short`` and ``long`` both exceed ``threshold``."""

    name: str  # page / ticket
    short: str
    long: str
    threshold: float

    def __str__(self) -> str:
        return f"{self.name}:{self.short}/{self.long}>{self.threshold:g}"


DEFAULT_RULES: Final = (
    BurnRule("page", "1h", "6h", 14.4),
    BurnRule("page", "6h", "24h", 6.0),
    BurnRule("ticket", "6h", "3d", 1.0),
)
_RULE = re.compile(r"^(page|ticket):(1h|6h|24h|3d)/(1h|6h|24h|3d)>([0-9]+(?:\.[0-9]+)?)$")


def burn_rules_from_env(env: Mapping[str, str] | None = None) -> tuple[BurnRule, ...]:
    """``BETTERSTACK_BURN_RATE_RULES`` (comma-separated ``name:short/long>threshold``), or the
    defaults; a bad value raises ``ConfigError`` naming it."""
    text = (os.environ if env is None else env).get(BURN_RULES_ENV, "").strip()
    if not text:
        return DEFAULT_RULES
    rules = []
    for part in text.split(","):
        found = _RULE.match(part.strip())
        if found is None or _WINDOWS.index(found[2]) >= _WINDOWS.index(found[3]):
            raise ConfigError(
                f"{BURN_RULES_ENV}: {part.strip()!r} is not a burn-rate rule",
                hint="write rules like page:1h/6h>14.4,ticket:6h/3d>1 (short window first, "
                "windows among 1h, 6h, 24h, 3d)",
            )
        rules.append(BurnRule(found[1], found[2], found[3], float(found[4])))
    return tuple(rules)


def state_of(status: str, alert: str | None) -> AlertState | None:
    """The alert state of one ``eai_gateway_slo_status`` row (None: no data, keep the last)."""
    if status == "no_data":
        return None
    if status == "breached":
        return "breached"
    return "burning" if alert is not None else "ok"


@dataclass(frozen=True, slots=True)
class Transition:
    """One change of an SLO's alert state for one monitor."""

    slo_name: str
    monitor_id: str
    previous: AlertState
    state: AlertState
    row: Mapping[str, Any]  # the eai_gateway_slo_status row that showed it

    @property
    def event(self) -> str:
        return EVENTS[self.state]


def transitions(
    rows: Sequence[Mapping[str, Any]], last: Mapping[tuple[str, str], AlertState]
) -> list[Transition]:
    """The rows whose state differs from the last one kept (none kept: ``ok``)."""
    out = []
    for row in rows:
        state = state_of(row["status"], row.get("alert"))
        key = (row["slo_name"], row["monitor_id"])
        previous = last.get(key, "ok")
        if state is not None and state != previous:
            out.append(Transition(key[0], key[1], previous, state, row))
    return out


def last_states(lake: Any) -> dict[tuple[str, str], AlertState]:
    """The latest state kept in ``eai_gateway_slo_alerts`` (of ``lake``, a ``lake.Lake``: sla
    sits below lake) per SLO and monitor."""
    from betterstack_etl.tables import SLO_ALERTS

    latest: dict[tuple[str, str], tuple[datetime, AlertState]] = {}
    for part in lake.scan(SLO_ALERTS, ["slo_name", "monitor_id", "changed_at", "state"]):
        for r in part.to_pylist():
            key = (r["slo_name"], r["monitor_id"])
            if key not in latest or r["changed_at"] >= latest[key][0]:
                latest[key] = (r["changed_at"], r["state"])
    return {key: state for key, (_, state) in latest.items()}


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def alert_rows(
    found: Sequence[Transition], *, at: datetime, run_id: str, extracted_at: datetime
) -> pa.Table:
    import pyarrow as pa

    from betterstack_etl.tables import SLO_ALERTS

    rows = [
        {
            "slo_name": t.slo_name,
            "monitor_id": t.monitor_id,
            "changed_at": at,
            "state": t.state,
            "previous_state": t.previous,
            "event": t.event,
            "indicator": t.row.get("indicator"),
            "target": _float(t.row.get("target")),
            "sli": _float(t.row.get("sli")),
            "error_budget_remaining": _float(t.row.get("error_budget_remaining")),
            **{f"burn_rate_{w}": _float(t.row.get(f"burn_rate_{w}")) for w in _WINDOWS},
            "reason": "error budget spent" if t.state == "breached" else t.row.get("alert"),
            "_extracted_at": extracted_at,
            "_run_id": run_id,
        }
        for t in found
    ]
    return pa.Table.from_pylist(rows, schema=SLO_ALERTS.schema)


def record_transitions(
    lake: Any, found: Sequence[Transition], *, at: datetime, run_id: str
) -> None:
    """Keep every transition in ``eai_gateway_slo_alerts`` (partition: the UTC day of ``at``)."""
    from betterstack_etl.tables import SLO_ALERTS

    if not found:
        return
    moment = at.astimezone(UTC)
    table = alert_rows(found, at=moment, run_id=run_id, extracted_at=moment)
    lake.merge_partition(SLO_ALERTS, moment.date(), table)


def status_rows(source: Any, select: str, monitors: Sequence[str]) -> list[dict[str, Any]]:
    """The rows of ``monitors`` of ``select`` (``eai_gateway_slo_status``'s SELECT in the
    source's dialect, computed with the run's SLOs and now) read through ``source`` (a
    ``report.ViewSource``)."""
    if not monitors:
        return []
    ids = ", ".join("'" + m.replace("\\", "\\\\").replace("'", "\\'") + "'" for m in monitors)
    sql = f"SELECT * FROM ({select}) AS v WHERE monitor_id IN ({ids})"  # noqa: S608
    rows: list[dict[str, Any]] = source.query(sql).to_pylist()
    return rows


def evaluate(
    lake: Any, source: Any, select: str, *, now: datetime, monitors: Sequence[str], run_id: str
) -> list[Transition]:
    """The run's alert step: the SLOs' states now, the transitions since the last kept ones,
    kept in ``eai_gateway_slo_alerts``. Returns the transitions (the flow emits their events)."""
    found = transitions(status_rows(source, select, monitors), last_states(lake))
    record_transitions(lake, found, at=now, run_id=run_id)
    for t in found:
        log.warning(
            "SLO %s of %s: %s → %s (%s)", t.slo_name, t.monitor_id, t.previous, t.state, t.event
        )
    return found


def event_of(transition: Transition) -> dict[str, Any]:
    """The Prefect event of a transition (``emit_event`` keyword arguments)."""
    row = transition.row
    name = str(row.get("monitor_name") or transition.monitor_id)
    return {
        "event": transition.event,
        "resource": {
            "prefect.resource.id": f"betterstack.monitor.{visible(transition.monitor_id)}",
            "prefect.resource.name": visible(name),
            "betterstack.slo": transition.slo_name,
        },
        "payload": {
            # API text escaped for Markdown: what notification templates show (SPEC §13)
            "markdown": {
                "name": markdown(name),
                "monitor_id": markdown(transition.monitor_id),
                "slo_name": markdown(transition.slo_name),
            },
            "slo_name": transition.slo_name,
            "monitor_id": transition.monitor_id,
            "previous_state": transition.previous,
            "state": transition.state,
            "indicator": row.get("indicator"),
            "target": _float(row.get("target")),
            "sli": _float(row.get("sli")),
            "error_budget_remaining": _float(row.get("error_budget_remaining")),
            "reason": row.get("alert"),
            **{f"burn_rate_{w}": _float(row.get(f"burn_rate_{w}")) for w in _WINDOWS},
        },
    }


def emit_transition_events(found: Sequence[Transition]) -> int:
    """One Prefect event per transition; 0 outside a flow or task run."""
    from prefect.context import FlowRunContext, TaskRunContext
    from prefect.events import emit_event

    if FlowRunContext.get() is None and TaskRunContext.get() is None:
        return 0
    return sum(1 for t in found if emit_event(**event_of(t)) is not None)
