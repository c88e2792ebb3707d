"""The dry-run plan against the schedule (issue 25 item 11): a 10,000-monitor account plans
about 30,001 requests an hour, about 63 minutes at the default 8 requests/s: longer than the
hourly cadence, and on ``main`` nothing said so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.console import Console

from betterstack_etl.cli.display import plan_table
from betterstack_etl.extract.fetch import PlanRequest, planner
from betterstack_etl.extract.selection import Selection
from betterstack_etl.run.summary import RunPlan
from betterstack_etl.settings import Window
from betterstack_etl.tables import TABLES

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def _plan(monitors: int, *, rate: float = 8.0, interval: float = 3600.0) -> RunPlan:
    listing = tuple(
        {"id": str(n), "attributes": {"created_at": "2025-01-01T00:00:00.000Z"}}
        for n in range(100_000, 100_000 + monitors)
    )
    ids = tuple(str(m["id"]) for m in listing)
    selection = Selection(ids, monitors, True, listing, NOW)
    window = Window(NOW.date() - timedelta(days=1), NOW.date())  # the default: yesterday, today
    tables = tuple(planner(s)(PlanRequest(s, selection, window, NOW)) for s in TABLES)
    return RunPlan(ids, monitors, window, tables, 40, rate, interval)


def _shown(plan: RunPlan) -> str:
    console = Console(width=400, record=True, file=None)
    console.print(plan_table(plan))
    return console.export_text()


def test_a_plan_longer_than_the_interval_between_runs_is_said_with_the_fix() -> None:
    plan = _plan(10_000)
    # by hand: 10,000 response-time lists + 10,000 x 2 SLA days + 1 incidents walk (at least)
    assert plan.requests == 10_000 + 20_000 + 1
    assert not plan.schedule.fits
    assert round(plan.schedule.seconds) == 3750  # 30,001 / 8
    warning = plan.schedule.warning() or ""
    assert "about 30,001 requests: at least 63 min at 8 requests/s" in warning
    assert "longer than the 60 min between scheduled runs" in warning
    assert "BETTERSTACK_RATE" in warning
    shown = _shown(plan)
    assert "warning: the plan cannot keep up" in shown
    assert plan.to_dict()["fits_interval"] is False
    assert plan.to_dict()["warning"] == warning


def test_a_plan_that_fits_says_how_long_it_takes_and_warns_nothing() -> None:
    plan = _plan(1_000)
    assert plan.schedule.fits
    assert plan.schedule.warning() is None
    assert "within the 60 min between scheduled runs" in _shown(plan)
    assert "warning" not in _shown(plan)
    # the same account on a 5-minute cron does not fit
    assert not _plan(1_000, interval=300).schedule.fits
