"""Benchmark 6b: the SLO check after each run, and every view answering a month, against the
lake's age (issue 24): the same 500 monitors with 90 and with 365 days of history.

The lake is benchmark 6's (``benchmarks.views.build_lake``: the layout's own files) plus the
monitors' daily history (one listing a day, as hourly runs keep it). Timed, best of
``repeats``, on the lake's DuckDB file as a run reads it:

- the SLO check (``run.steps.check_slo`` + ``check_alerts``): the month's breaches
  (``report.slo_breaches``) and the SLO status rows of every monitor (``sla.alerts.status_rows``
  over the bounded ``eai_gateway_slo_status``);
- each view answering the month (daily, monthly, reconciliation, hourly), bounded to the month.

Both lakes are built first and each measure is timed on them in turn, the order alternated
round by round. ``slo_check_365_vs_90`` is the SLO check's time at 365 days over its time at
90 (goal ≤ 1.2: the check reads the period's partitions, not the history).

    python -m benchmarks.periods [--monitors 500] [--days 90,365] [--repeats 3]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Final

from benchmarks.common import Figure
from benchmarks.results import print_and_save
from benchmarks.views import NOW, build_lake
from betterstack_etl.lake import LocalLake
from betterstack_etl.lake.duck import publish_duckdb_views
from betterstack_etl.report import DuckDbSource, slo_breaches
from betterstack_etl.sla import SLO_STATUS, SlaOptions, view_selects
from betterstack_etl.sla.alerts import status_rows
from betterstack_etl.tables import COVERAGE, DAILY_SLA, INCIDENTS, MONITORS, RESPONSE_TIMES

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["PeriodResult", "run_periods"]

MONTH: Final = NOW.date().replace(day=1)
_MONTH_VIEWS: Final = {
    "eai_gateway_availability_daily": f"day >= DATE '{MONTH.isoformat()}'",
    "eai_gateway_availability_monthly": f"month = DATE '{MONTH.isoformat()}'",
    "eai_gateway_sla_reconciliation": f"\"date\" >= DATE '{MONTH.isoformat()}'",
    "eai_gateway_response_times_hourly": f"data_particao >= DATE '{MONTH.isoformat()}'",
}


@dataclass(frozen=True, slots=True)
class PeriodResult:
    monitors: int
    days: tuple[int, ...]
    seconds: dict[int, dict[str, float]]  # days of history -> measure -> best seconds

    def ratio(self, measure: str) -> float:
        first, last = self.days[0], self.days[-1]
        return self.seconds[last][measure] / max(self.seconds[first][measure], 1e-9)

    @property
    def slo_check_ratio(self) -> float:
        return self.ratio("SLO check")

    def figures(self) -> list[Figure]:
        first, last = self.days[0], self.days[-1]
        name = f"6b a month's queries, {self.monitors} monitors, {first} vs {last} days"
        return [
            Figure(
                name,
                measure,
                f"{self.ratio(measure):.2f}×",
                f"{self.seconds[first][measure] * 1000:.0f} ms → "
                f"{self.seconds[last][measure] * 1000:.0f} ms",
            )
            for measure in self.seconds[first]
        ]


def _history(root: Path, days: int) -> None:
    """One listing of every monitor a day (``build_lake`` writes today's only)."""
    today = root / MONITORS.name / f"data_particao={NOW.date().isoformat()}"
    for back in range(1, days):
        day: date = NOW.date() - timedelta(days=back)
        shutil.copytree(today, root / MONITORS.name / f"data_particao={day.isoformat()}")


def _calls(source: DuckDbSource, monitors: int) -> dict[str, Callable[[], object]]:
    """Each measure's call on the lake of ``source``."""
    options = SlaOptions()
    ids = [f"m{i:05d}" for i in range(monitors)]
    today = NOW.date()
    made = view_selects(
        "duckdb",
        table_ref=source.ref,
        options=options,
        now=NOW,
        period=(today, today),
        window_ref=source.window_ref,  # as run.steps.check_alerts reads it
        reaching=source.reaching,
    )
    selects = {spec.name: select for spec, select in made}

    def check() -> None:  # what run.steps.check_slo and check_alerts read
        slo_breaches(source, month=MONTH, options=options, monitor_ids=ids, now=NOW)
        status_rows(source, selects[SLO_STATUS.name], ids)

    calls: dict[str, Callable[[], object]] = {"SLO check": check}
    for view, where in _MONTH_VIEWS.items():
        sql = f"SELECT * FROM ({selects[view]}) AS v WHERE {where}"
        calls[view] = partial(source.query, sql)
    return calls


def _lake(root: Path, monitors: int, days: int) -> None:
    build_lake(root, monitors, days)
    _history(root, days)
    publish_duckdb_views(root, [RESPONSE_TIMES, INCIDENTS, DAILY_SLA, MONITORS, COVERAGE])
    LocalLake(root).rebuild_indexes([INCIDENTS])  # the summaries under _state/ merges keep


def run_periods(
    monitors: int = 500, days: Sequence[int] = (90, 365), repeats: int = 3
) -> PeriodResult:
    """Both lakes built first, then each measure timed on them in turn, the order alternated
    round by round (so neither lake is always timed first); best of ``repeats`` each."""
    seconds: dict[int, dict[str, float]] = {n: {} for n in days}
    with ExitStack() as stack:
        calls = {}
        for n in days:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix=f"bench-periods-{n}-"))
            _lake(Path(folder), monitors, n)
            source = stack.enter_context(DuckDbSource.open(folder))
            calls[n] = _calls(source, monitors)
        for measure in calls[days[0]]:
            for round_ in range(max(1, repeats)):
                for n in days if round_ % 2 == 0 else tuple(reversed(days)):
                    started = time.perf_counter()
                    calls[n][measure]()
                    took = time.perf_counter() - started
                    seconds[n][measure] = min(seconds[n].get(measure, took), took)
    return PeriodResult(monitors, tuple(days), seconds)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.periods", description=__doc__)
    parser.add_argument("--monitors", type=int, default=500)
    parser.add_argument("--days", default="90,365", help="two history lengths, in days")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    days = tuple(int(d) for d in str(args.days).split(",") if d.strip())
    result = run_periods(args.monitors, days, args.repeats)
    print_and_save(
        "periods",
        result.figures(),
        f"slo_check_{days[-1]}_vs_{days[0]}={result.slo_check_ratio:.2f}",
        argv,
    )


if __name__ == "__main__":
    main()
