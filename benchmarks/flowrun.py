"""A run of the pipeline core (``runner.execute``), the code the CLI and the flow both run,
with a step runner that times the fetch and merge phases.

``TimedSteps`` is ``runner.InProcess`` (the CLI's runner) plus a stopwatch: the fetch phase
runs from the start of the run until the last table is staged, the merge phase is the time
spent merging. The clock of the pipeline is pinned to the simulator's frozen clock.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from benchmarks.common import TOKEN, BenchConfig, request_bars
from betterstack_etl import clock
from betterstack_etl.run import runner, session, steps, summary
from betterstack_etl.secret import Secret
from betterstack_etl.settings import run_params as settings_run_params

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from datetime import date, datetime

    from rich.console import Console

__all__ = ["FlowRun", "TimedSteps", "flow_params", "run_tables"]

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class FlowRun:
    """What one run did: its summary, fetch and merge wall times."""

    summary: summary.RunSummary
    fetch_seconds: float
    merge_seconds: float

    @property
    def monitors(self) -> list[str]:
        return list(self.summary.monitors)

    @property
    def rows_read(self) -> int:
        return sum(t.rows_read for t in self.summary.tables)

    @property
    def rows_merged(self) -> int:
        return sum(t.rows_inserted for t in self.summary.tables)


class TimedSteps(runner.InProcess):
    """``InProcess`` that records when fetches end and how long merges take."""

    def __init__(self, retries: int, retry_delay: float) -> None:
        super().__init__(retries, retry_delay)
        self.started = time.monotonic()
        self.fetched = self.started
        self.merge_seconds = 0.0
        self._lock = threading.Lock()

    def call(self, step: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        begin = time.monotonic()
        try:
            return super().call(step, *args, **kwargs)
        finally:
            end = time.monotonic()
            with self._lock:
                if step is steps.fetch_table:
                    self.fetched = max(self.fetched, end)
                elif step is steps.merge_table:
                    self.merge_seconds += end - begin


def flow_params(
    base_url: str,
    lake_root: str,
    monitors: Sequence[str],
    tables: Sequence[str],
    window: tuple[date, date] | None,
) -> dict[str, Any]:
    """The run parameters (the flow's, as ``settings.run_params`` overrides) of a benchmark
    run."""
    params: dict[str, Any] = {
        "monitor_id": ",".join(monitors),
        "tables": ",".join(tables),
        "destination": "local",
        "lake_root": lake_root,
        "base_url": base_url,
    }
    if window is not None:
        params["from_date"], params["to_date"] = window[0].isoformat(), window[1].isoformat()
    return params


@contextmanager
def _clock_at(now: datetime) -> Iterator[None]:
    real = clock.utcnow
    clock.utcnow = lambda: now  # type: ignore[assignment]
    try:
        yield
    finally:
        clock.utcnow = real  # type: ignore[assignment]


def run_tables(
    config: BenchConfig,
    params: dict[str, Any],
    run_id: str,
    now: datetime,
    *,
    console: Console,
) -> FlowRun:
    """One whole run of the core over ``params`` (every table fetched at once, then merged)."""
    settings = {"rate": config.rate, "max_in_flight": config.max_in_flight}
    with _clock_at(now), request_bars(console) as bars:
        run_params = settings_run_params(**settings, **params)
        with (
            session.run_session(run_params, Secret(TOKEN), run_id=run_id, progress=bars) as s,
            TimedSteps(run_params.task_retries, run_params.task_retry_delay) as steps,
        ):
            summary = runner.execute(s, steps)
    if summary.failures:
        raise RuntimeError(f"benchmark run failed: {summary.failures}")
    return FlowRun(summary, steps.fetched - steps.started, steps.merge_seconds)
