"""Benchmark 4: response-time rows merged into a ``LocalLake`` per second, and peak memory.

Each size runs in a fresh subprocess (``python -m benchmarks.merge ROWS LAKE_ROOT``, which
prints one JSON line) so the peaks are independent. Rows are shaped like the real load: every
monitor checked every 30 s from 4 regions (11,520 rows per monitor and day, ~115 k rows per
daily partition with 10 monitors), added to ``Staging`` one API answer (one monitor-day) at a
time, then committed partition by partition. Peak memory is read two ways: the process RSS
high-water (``VmHWM``, see ``common.own_peak_rss``), and the peak of Arrow's memory pool (where
the rows live).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np
import pyarrow as pa

from benchmarks.common import Figure, own_peak_rss
from betterstack_etl.lake import LocalLake, Staging
from betterstack_etl.tables import RESPONSE_TIMES

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["MergeResult", "measure_merge", "merge_rows"]

REGIONS: Final = ("us", "eu", "as", "au")
MONITORS: Final = 10
CHECK_SECONDS: Final = 30
POINTS_PER_REGION: Final = 86_400 // CHECK_SECONDS
ROWS_PER_ANSWER: Final = len(REGIONS) * POINTS_PER_REGION
FIRST_DAY: Final = datetime(2026, 1, 1, tzinfo=UTC)
_TIMEOUT: Final = 1_800.0


@dataclass(frozen=True, slots=True)
class MergeResult:
    rows: int
    partitions: int
    stage_seconds: float
    commit_seconds: float
    rows_after: int
    rss_peak_bytes: int
    rss_start_bytes: int
    arrow_peak_bytes: int

    @property
    def seconds(self) -> float:
        return self.stage_seconds + self.commit_seconds

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds

    def figures(self) -> list[Figure]:
        name = f"4 merge {self.rows / 1e6:g} M response-time rows"
        mib = 1024 * 1024
        return [
            Figure(
                name,
                "rows/s",
                f"{self.rows_per_second:,.0f}",
                f"stage {self.stage_seconds:.1f} s + commit {self.commit_seconds:.1f} s, "
                f"{self.partitions} daily partitions",
            ),
            Figure(
                name,
                "peak RSS",
                f"{self.rss_peak_bytes / mib:,.0f} MiB",
                f"{self.rss_start_bytes / mib:,.0f} MiB after imports",
            ),
            Figure(
                name,
                "peak Arrow memory",
                f"{self.arrow_peak_bytes / mib:,.1f} MiB",
                f"{self.rows_after:,} rows in the lake",
            ),
        ]


def _answer(monitor: int, day: datetime, extracted_at: datetime) -> pa.Table:
    """One monitor's day of checks from every region, as ``response_time_rows`` returns it."""
    rng = np.random.default_rng(monitor * 100_003 + day.toordinal())
    start_ms = int(day.timestamp() * 1000) + monitor * 997
    offsets = np.arange(POINTS_PER_REGION, dtype=np.int64) * CHECK_SECONDS * 1000
    at = np.tile(start_ms + offsets, len(REGIONS))
    parts = rng.gamma(2.0, 0.02, size=(4, ROWS_PER_ANSWER)).round(6)
    regions = np.repeat(np.array(REGIONS, dtype=object), POINTS_PER_REGION)
    columns = {
        "monitor_id": pa.array([str(1_000_000 + monitor)] * ROWS_PER_ANSWER, pa.string()),
        "region": pa.array(regions, pa.string()),
        "at": pa.array(at, pa.timestamp("ms", tz="UTC")),
        "response_time": pa.array(parts.sum(axis=0)),
        "name_lookup_time": pa.array(parts[0]),
        "connection_time": pa.array(parts[1]),
        "tls_handshake_time": pa.array(parts[2]),
        "data_transfer_time": pa.array(parts[3]),
        "_extracted_at": pa.array([extracted_at] * ROWS_PER_ANSWER, pa.timestamp("ms", tz="UTC")),
        "_run_id": pa.array(["bench-merge"] * ROWS_PER_ANSWER, pa.string()),
    }
    return pa.table(columns).cast(RESPONSE_TIMES.schema)


def _answers(rows: int) -> Iterator[pa.Table]:
    """``rows`` rows as a backfill would stage them: day after day, monitor after monitor."""
    extracted_at = datetime.now(UTC)
    left = rows
    for index in range(rows // ROWS_PER_ANSWER + 1):
        if left <= 0:
            return
        day = FIRST_DAY + timedelta(days=index // MONITORS)
        table = _answer(index % MONITORS, day, extracted_at)
        yield table.slice(0, min(left, table.num_rows))
        left -= table.num_rows


def _rss_now() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def merge_rows(rows: int, lake_root: Path) -> MergeResult:
    """Stage ``rows`` response-time rows answer by answer, then commit them to a lake."""
    rss_start = _rss_now()
    pool = pa.default_memory_pool()
    staging = Staging(RESPONSE_TIMES, lake_root / ".staging")
    lake = LocalLake(lake_root / "lake")
    stage_seconds = 0.0
    for table in _answers(rows):
        started = time.perf_counter()
        staging.add(table)
        stage_seconds += time.perf_counter() - started
        del table
    started = time.perf_counter()
    results = staging.commit(lake)
    commit_seconds = time.perf_counter() - started
    staging.cleanup()
    return MergeResult(
        rows=rows,
        partitions=len(results),
        stage_seconds=stage_seconds,
        commit_seconds=commit_seconds,
        rows_after=sum(r.rows_after for r in results),
        rss_peak_bytes=own_peak_rss(),
        rss_start_bytes=rss_start,
        arrow_peak_bytes=int(pool.max_memory() or 0),
    )


def measure_merge(rows: int) -> MergeResult:
    """``merge_rows`` in a fresh interpreter, on a temporary lake removed afterwards."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="bench-merge-") as folder:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.merge", str(rows), folder],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"merge benchmark of {rows} rows failed:\n{done.stderr[-2000:]}")
    return MergeResult(**json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str]) -> None:
    rows, folder = int(argv[0]), Path(argv[1])
    print(json.dumps(asdict(merge_rows(rows, folder))))


if __name__ == "__main__":
    main(sys.argv[1:])
