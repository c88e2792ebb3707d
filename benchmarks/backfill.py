"""Benchmarks 1 and 2: a backfill of incidents + daily SLA, ours against one request at a time.

(1) runs the flow's task functions (``benchmarks.flowrun``): both tables fetched at once under
the run's shared ``Pacer``, pages staged as they arrive. Its efficiency is
``(requests / rate) / wall``: 1.0 means the run took exactly as long as the request budget
allows. (2) sends the same requests with plain sequential ``httpx`` calls, as the original
pipeline did, honouring ``Retry-After`` on a 429 (so that it finishes at all).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

import httpx

from benchmarks.common import SIM_NOW, TOKEN, BenchConfig, Figure
from benchmarks.flowrun import flow_params, run_tables

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import date

    from rich.console import Console

    from betterstack_etl.extract.progress import Progress
    from betterstack_etl.simulator import Simulator

__all__ = ["BackfillResult", "SequentialResult", "run_backfill", "run_sequential", "window_of"]

TABLES: Final = ("eai_gateway_incidents", "eai_gateway_daily_sla")
_MAX_ATTEMPTS: Final = 30  # per request of the sequential baseline (429s are retried)
_MAX_PAGES: Final = 1_000
_QUIET: Final = 1.5  # seconds for the simulator's token bucket to refill between runs


@dataclass(frozen=True, slots=True)
class BackfillResult:
    requests: int
    throttled: int
    fetch_seconds: float
    merge_seconds: float
    rows: int
    rate: float

    @property
    def efficiency(self) -> float:
        return (self.requests / self.rate) / self.fetch_seconds

    def figures(self, config: BenchConfig) -> list[Figure]:
        name = f"1 backfill {config.monitors}×{config.days} d (ours)"
        limit = self.requests / self.rate
        return [
            Figure(name, "requests", f"{self.requests}", "incidents pages + SLA days + listing"),
            Figure(name, "wall time", f"{self.fetch_seconds:.1f} s", f"{limit:.1f} s at the rate"),
            Figure(name, "efficiency", f"{self.efficiency:.3f}", "(requests / rate) / wall"),
            Figure(name, "429s", f"{self.throttled}", "target ≤ 1"),
            Figure(name, "merge into lake", f"{self.merge_seconds:.1f} s", f"{self.rows} rows"),
        ]


@dataclass(frozen=True, slots=True)
class SequentialResult:
    requests: int
    throttled: int
    seconds: float

    def figures(self, ours: BackfillResult) -> list[Figure]:
        name = "2 same backfill, sequential"
        return [
            Figure(name, "requests", f"{self.requests}", "429s included"),
            Figure(name, "wall time", f"{self.seconds:.1f} s"),
            Figure(name, "429s", f"{self.throttled}", "honoured Retry-After"),
            Figure(name, "speed-up of ours", f"{speedup(self, ours):.2f}×", "wall / ours"),
        ]


def speedup(sequential: SequentialResult, ours: BackfillResult) -> float:
    return sequential.seconds / ours.fetch_seconds


def window_of(config: BenchConfig) -> tuple[date, date]:
    """The last ``config.days`` UTC days up to the simulator's today, inclusive."""
    today = SIM_NOW.date()
    return today - timedelta(days=config.days - 1), today


def _quiet(simulator: Simulator) -> None:
    """Let the token bucket refill, then count from zero."""
    time.sleep(_QUIET)
    simulator.stats.reset()


def warm_up(config: BenchConfig, simulator: Simulator, lake_root: str, console: Console) -> None:
    """One day of one monitor through the same path, so one-off start-up costs (imports, the
    first Arrow time-zone cast, the simulator's caches) stay out of the measurement."""
    day = SIM_NOW.date()
    monitors = simulator.world.monitor_ids()[:1]
    params = flow_params(simulator.base_url, lake_root, monitors, TABLES, (day, day))
    run_tables(config, params, "bench-warm-up", SIM_NOW, console=console)


def run_backfill(
    config: BenchConfig, simulator: Simulator, lake_root: str, console: Console
) -> BackfillResult:
    """(1): the flow's tasks backfill ``config.days`` days of every monitor into ``lake_root``."""
    monitors = simulator.world.monitor_ids()
    params = flow_params(simulator.base_url, lake_root, monitors, TABLES, window_of(config))
    _quiet(simulator)
    run = run_tables(config, params, "bench-backfill", SIM_NOW, console=console)
    return BackfillResult(
        requests=simulator.stats.requests,
        throttled=simulator.stats.throttled,
        fetch_seconds=run.fetch_seconds,
        merge_seconds=run.merge_seconds,
        rows=run.rows_merged,
        rate=config.rate,
    )


def run_sequential(
    config: BenchConfig, simulator: Simulator, progress: Progress
) -> SequentialResult:
    """(2): the same requests, one at a time, records kept in memory as the original did."""
    monitors = simulator.world.monitor_ids()
    start, end = window_of(config)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    _quiet(simulator)
    progress.planned("sequential", len(monitors) * (1 + len(days)))
    records: list[dict[str, Any]] = []
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    started = time.monotonic()
    with httpx.Client(base_url=simulator.base_url, headers=headers, timeout=30.0) as http:
        http.get("/api/v2/monitors", params={"per_page": 250})
        for monitor_id in monitors:
            for page in _incident_pages(http, monitor_id, start, end, progress):
                records.extend(page)
        for monitor_id in monitors:
            for day in days:
                query = {"from": day.isoformat(), "to": day.isoformat()}
                body = _get(http, f"/api/v2/monitors/{monitor_id}/sla", query)
                records.append(body["data"])
                progress.done("sequential")
    seconds = time.monotonic() - started
    progress.finished("sequential")
    return SequentialResult(simulator.stats.requests, simulator.stats.throttled, seconds)


def _incident_pages(
    http: httpx.Client, monitor_id: str, start: date, end: date, progress: Progress
) -> Iterator[list[dict[str, Any]]]:
    url = "/api/v3/incidents"
    query = {
        "monitor_id": monitor_id,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "per_page": "50",
    }
    for number in range(1, _MAX_PAGES + 1):
        body = _get(http, url, query)
        if number > 1:
            progress.planned("sequential", 1)
        progress.done("sequential")
        yield list(body["data"])
        next_url = (body.get("pagination") or {}).get("next")
        if not next_url:
            return
        # the live API's links drop the filters (betterstack-api.md §3): keep ours, take its page
        query = {**query, "page": httpx.URL(str(next_url)).params.get("page", str(number + 1))}


def _get(http: httpx.Client, url: str, query: dict[str, str] | None) -> dict[str, Any]:
    """GET and decode; on a 429 sleep ``Retry-After`` and try again (bounded)."""
    for _ in range(_MAX_ATTEMPTS):
        response = http.get(url, params=query)
        if response.status_code == 429:
            time.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        response.raise_for_status()
        body: dict[str, Any] = json.loads(response.content)
        return body
    raise RuntimeError(f"{url}: still throttled after {_MAX_ATTEMPTS} attempts")
