"""Benchmark 5: the original transform (pandas, every column cast to string) against ours.

Both get the same decoded JSON: every monitor's ``/response-times`` answer (24 h, 30 s
checks, 4 regions). The original flattened the points into a ``DataFrame`` and stored it with
``df.astype(str)``; ours is ``transform.response_time_rows`` (typed Arrow columns). Each side is
timed over all payloads, best of ``repeats`` runs.
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from benchmarks.common import TOKEN, BenchConfig, Figure, start_simulator
from betterstack_etl.extract.transform import response_time_rows

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["TransformResult", "run_transform"]


@dataclass(frozen=True, slots=True)
class TransformResult:
    rows: int
    ours_seconds: float
    pandas_seconds: float | None

    @property
    def speedup(self) -> float | None:
        return None if self.pandas_seconds is None else self.pandas_seconds / self.ours_seconds

    def figures(self) -> list[Figure]:
        name = f"5 transform {self.rows:,} response-time points"
        ours = Figure(name, "ours (response_time_rows)", f"{self.ours_seconds * 1000:.0f} ms")
        if self.pandas_seconds is None or self.speedup is None:
            return [ours, Figure(name, "original (pandas)", "n/a", "pandas is not installed")]
        return [
            ours,
            Figure(name, "original (pandas astype(str))", f"{self.pandas_seconds * 1000:.0f} ms"),
            Figure(name, "speed-up of ours", f"{self.speedup:.2f}×", "original / ours"),
        ]


def payloads(config: BenchConfig) -> list[tuple[str, dict[str, Any]]]:
    """``(monitor_id, data)`` of every monitor's response-times answer (simulator, no limit)."""
    simulator = start_simulator(config, throttled=False)
    try:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=simulator.base_url, headers=headers, timeout=60.0) as http:
            return [
                (m, http.get(f"/api/v2/monitors/{m}/response-times").json()["data"])
                for m in simulator.world.monitor_ids()
            ]
    finally:
        simulator.stop()


def original_transform(data: dict[str, Any], monitor_id: str) -> Any:
    """The original's way: one record per point, a DataFrame, every column as a string."""
    import pandas as pd

    records = [
        {"monitor_id": monitor_id, "region": group["region"], **point}
        for group in data["attributes"]["regions"]
        for point in group["response_times"]
    ]
    frame = pd.DataFrame(records)
    frame["_extracted_at"] = datetime.now(UTC).isoformat()
    return frame.astype(str)


def _best(fn: Callable[[], int], repeats: int) -> tuple[float, int]:
    best, rows = float("inf"), 0
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        rows = fn()
        best = min(best, time.perf_counter() - started)
    return best, rows


def run_transform(config: BenchConfig) -> TransformResult:
    answers = payloads(config)
    extracted_at = datetime.now(UTC)

    def ours() -> int:
        return sum(
            response_time_rows(
                data, monitor_id=m, extracted_at=extracted_at, run_id="bench"
            ).num_rows
            for m, data in answers
        )

    def original() -> int:
        return sum(len(original_transform(data, m)) for m, data in answers)

    ours_seconds, rows = _best(ours, config.transform_repeats)
    if importlib.util.find_spec("pandas") is None:
        return TransformResult(rows, ours_seconds, None)
    pandas_seconds, _ = _best(original, config.transform_repeats)
    return TransformResult(rows, ours_seconds, pandas_seconds)
