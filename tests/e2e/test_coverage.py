"""Coverage end to end (SPEC §4, §8.2): runs against the simulator record the days they
fetched, and the SLA views count only that time. Expected figures are computed here from the
runs' own windows and times, not read back from the code under test."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest

from betterstack_etl.lake.coverage import seed_from_ledger
from betterstack_etl.run.destinations import open_lake
from betterstack_etl.settings import run_params
from betterstack_etl.simulator import Simulator
from betterstack_etl.sla import SlaOptions, view_selects
from betterstack_etl.tables import COVERAGE

pytestmark = pytest.mark.slow

Run = Callable[..., dict[str, Any]]
SP = ZoneInfo("America/Sao_Paulo")


def _views(lake_root: Path, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """The daily and monthly views as of ``now`` (the simulator's clock), over the lake."""
    con = duckdb.connect(str(lake_root / "betterstack.duckdb"), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    out = {}
    try:
        for spec, select in view_selects(
            "duckdb", table_ref=lambda n: f'"{n}"', options=SlaOptions(), now=now
        ):
            if spec.name in ("eai_gateway_availability_daily", "eai_gateway_availability_monthly"):
                cursor = con.execute(f"SELECT * FROM ({select}) AS v")
                names = [d[0] for d in cursor.description or []]
                out[spec.name] = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        created = dict(
            con.execute(
                "SELECT monitor_id, max(created_at) FROM eai_gateway_monitors GROUP BY 1"
            ).fetchall()
        )
        out["created"] = [created]
    finally:
        con.close()
    return out


def _sp_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=SP).astimezone(UTC)


def test_two_hourly_runs_cover_two_days_not_the_month(
    core_run: Run, pipeline_env: Simulator, lake_root: Path
) -> None:
    first = pipeline_env.clock.now()
    core_run()
    pipeline_env.frozen_clock.advance(timedelta(hours=1))
    second = pipeline_env.clock.now()
    core_run()
    views = _views(lake_root, second)
    created: dict[str, datetime] = views["created"][0]
    yesterday = first.date() - timedelta(days=1)
    covered_from = datetime.combine(yesterday, datetime.min.time(), tzinfo=UTC)
    month = second.astimezone(SP).date().replace(day=1)
    for row in views["eai_gateway_availability_monthly"]:
        if row["month"] != month:
            continue
        start = max(_sp_start(month), created[row["monitor_id"]] or _sp_start(month))
        covered = (second - max(covered_from, start)).total_seconds()  # up to the 2nd run
        assert row["covered_seconds"] == pytest.approx(covered), row["monitor_id"]
        assert row["coverage_pct"] == pytest.approx(
            100 * covered / (second - start).total_seconds()
        )
        assert row["coverage_pct"] < 20  # two days of a 25-day month: never "the whole month"
    daily = views["eai_gateway_availability_daily"]
    before = [r for r in daily if r["day"] < yesterday - timedelta(days=1)]
    assert all(r["availability_pct"] is None for r in before)
    by_month: dict[tuple[str, date], float] = {}
    for r in daily:
        key = (r["monitor_id"], r["day"].replace(day=1))
        by_month[key] = by_month.get(key, 0.0) + r["observed_seconds"]
    for row in views["eai_gateway_availability_monthly"]:
        assert by_month[(row["monitor_id"], row["month"])] == pytest.approx(row["observed_seconds"])


def test_a_backfill_from_the_first_touches_the_previous_month_for_three_hours(
    core_run: Run, pipeline_env: Simulator, lake_root: Path
) -> None:
    now = pipeline_env.clock.now()
    first = now.date().replace(day=1)
    core_run(from_date=first.isoformat(), to_date=now.date().isoformat())
    views = _views(lake_root, now)
    previous = (first - timedelta(days=1)).replace(day=1)
    october = [r for r in views["eai_gateway_availability_monthly"] if r["month"] == previous]
    assert october, "the first UTC hours of the 1st are São Paulo's previous month"
    for row in october:
        assert row["covered_seconds"] == 3 * 3600  # 11-01 00:00-03:00 UTC
        assert row["coverage_pct"] == pytest.approx(100 * 3 / (31 * 24), abs=0.01)


def test_a_lake_older_than_coverage_gets_it_from_its_ledger(
    core_run: Run, pipeline_env: Simulator, lake_root: Path
) -> None:
    core_run()
    lake = open_lake(run_params())
    recorded = sorted(
        (r["table_name"], r["monitor_id"], r["date"], r["covered_until"])
        for part in lake.scan(COVERAGE, ["table_name", "monitor_id", "date", "covered_until"])
        for r in part.to_pylist()
    )
    assert recorded
    shutil.rmtree(lake_root / COVERAGE.name)
    assert seed_from_ledger(lake) == 2  # yesterday and today
    derived = sorted(
        (r["table_name"], r["monitor_id"], r["date"], r["covered_until"])
        for part in lake.scan(COVERAGE, ["table_name", "monitor_id", "date", "covered_until"])
        for r in part.to_pylist()
    )
    assert derived == recorded
