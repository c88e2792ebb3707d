"""Benchmark 6: the SLA views (SPEC §8.2) in DuckDB over 500 monitors × 90 days.

A synthetic lake, seeded, in the real layout (``<table>/data_particao=YYYY-MM-DD/data.parquet``)
with the DuckDB file ``publish_duckdb_views`` makes: per monitor and UTC day 0-4 incidents
(1 minute to 4 hours, random starts, so some overlap and some cross midnight; 5 % expiry
warnings; the last day's may still be open), one SLA row, one listing row per monitor, and the
last day's response times (60 s checks from 2 regions). Each view is read whole (``SELECT *``
into Arrow), best of ``repeats``; ``views_500x90_seconds`` is the sum of the five.

    python -m benchmarks.views [--monitors 500] [--days 90] [--repeats 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.common import Figure
from benchmarks.results import print_and_save
from betterstack_etl.lake.coverage import coverage_rows
from betterstack_etl.lake.duck import publish_duckdb_views
from betterstack_etl.lake.layout import split_by_file
from betterstack_etl.sla import VIEWS, SlaOptions, create_duckdb_views
from betterstack_etl.tables import (
    COVERAGE,
    DAILY_SLA,
    INCIDENTS,
    MONITORS,
    RESPONSE_TIMES,
    TableSpec,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["ViewsResult", "build_lake", "run_views"]

NOW: Final = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
_SEED: Final = 20261125
_MS_PER_DAY: Final = 86_400_000


@dataclass(frozen=True, slots=True)
class ViewsResult:
    monitors: int
    days: int
    incidents: int
    seconds: dict[str, float]  # view -> best time
    rows: dict[str, int]

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    def figures(self) -> list[Figure]:
        name = f"6 SLA views {self.monitors} monitors × {self.days} days"
        out = [
            Figure(name, view, f"{self.seconds[view] * 1000:.0f} ms", f"{self.rows[view]:,} rows")
            for view in self.seconds
        ]
        out.append(
            Figure(
                name, "all views", f"{self.total_seconds:.2f} s", f"{self.incidents:,} incidents"
            )
        )
        return out


def _write(folder: Path, spec: TableSpec, columns: dict[str, Any]) -> None:
    """A partition's rows of ``spec``'s schema (absent columns null), in the files the lake's
    layout puts them in (``pXXX.parquet`` per bucket for response times), so the views read
    them as they read a real lake."""
    folder.mkdir(parents=True, exist_ok=True)
    n = len(next(iter(columns.values())))
    full = {
        **columns,
        "_extracted_at": pa.array([NOW] * n, pa.timestamp("ms", tz="UTC")),
        "_run_id": pa.array(["bench"] * n, pa.string()),
    }
    arrays = [full[f.name] if f.name in full else pa.nulls(n, f.type) for f in spec.schema]
    table = pa.Table.from_arrays(arrays, schema=spec.schema)
    for name, rows in split_by_file(spec, table):
        pq.write_table(rows, folder / name)


def _partition(root: Path, spec: TableSpec, day: date) -> Path:
    return root / spec.name / f"data_particao={day.isoformat()}"


def _ms(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype("datetime64[ms]"), pa.timestamp("ms", tz="UTC"))


def build_lake(root: Path, monitors: int, days: int) -> int:
    """Write the synthetic lake under ``root``; returns the number of incidents."""
    rng = np.random.default_rng(_SEED)
    ids = np.array([f"m{i:05d}" for i in range(monitors)])
    first = NOW.date() - timedelta(days=days - 1)
    now_ms = int(NOW.timestamp() * 1000)
    total = 0
    for offset in range(days):
        day = first + timedelta(days=offset)
        day_ms = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
        counts = rng.choice(5, size=monitors, p=[0.4, 0.3, 0.15, 0.1, 0.05])
        owners = np.repeat(ids, counts)
        n = len(owners)
        span = min(_MS_PER_DAY, now_ms - day_ms)
        starts = day_ms + rng.integers(0, span, size=n)
        durations = np.exp(rng.uniform(np.log(60_000), np.log(4 * 3_600_000), size=n)).astype(
            np.int64
        )
        ends = starts + durations
        resolved = np.where(ends <= now_ms, ends, 0)
        expiry = rng.random(n) < 0.05
        causes = np.where(expiry, "SSL certificate expires soon", "Status 503")
        _write(
            _partition(root, INCIDENTS, day),
            INCIDENTS,
            {
                "incident_id": pa.array([f"{day.toordinal()}-{k}" for k in range(n)], pa.string()),
                "monitor_id": pa.array(owners, pa.string()),
                "cause": pa.array(causes, pa.string()),
                "started_at": _ms(starts),
                "acknowledged_at": _ms(starts + durations // 3),
                "resolved_at": pa.array(
                    resolved.astype("datetime64[ms]"),
                    pa.timestamp("ms", tz="UTC"),
                    mask=resolved == 0,
                ),
                "raw": pa.array(["{}"] * n, pa.string()),
            },
        )
        _write(
            _partition(root, DAILY_SLA, day),
            DAILY_SLA,
            {
                "monitor_id": pa.array(ids, pa.string()),
                "date": pa.array([day] * monitors, pa.date32()),
                "availability": pa.array(np.full(monitors, 99.9), pa.float64()),
                "total_downtime": pa.array(rng.integers(0, 3600, monitors), pa.int64()),
                "number_of_incidents": pa.array(counts.astype(np.int64), pa.int64()),
                "is_complete": pa.array([day < NOW.date()] * monitors, pa.bool_()),
            },
        )
        total += n
    # every day fetched, as hourly runs record it (lake.coverage): today up to now
    fetched = [(INCIDENTS.name, list(ids), first, NOW.date(), NOW)]
    for day, table in coverage_rows(fetched, run_id="bench", extracted_at=NOW).items():
        _write(_partition(root, COVERAGE, day), COVERAGE, {c: table[c] for c in table.column_names})
    created = np.datetime64("2025-01-01T00:00:00", "ms") + rng.integers(0, 500, monitors).astype(
        "timedelta64[D]"
    )
    _write(
        _partition(root, MONITORS, NOW.date()),
        MONITORS,
        {
            "monitor_id": pa.array(ids, pa.string()),
            "pronounceable_name": pa.array([f"Service {i}" for i in range(monitors)], pa.string()),
            "check_frequency": pa.array(np.full(monitors, 60), pa.int64()),
            "created_at": pa.array(created, pa.timestamp("ms", tz="UTC")),
            "raw": pa.array(["{}"] * monitors, pa.string()),
        },
    )
    checks = np.arange(now_ms - _MS_PER_DAY, now_ms, 60_000)
    at = np.tile(checks, monitors)
    owners = np.repeat(ids, len(checks))
    today_ms = int(datetime(NOW.year, NOW.month, NOW.day, tzinfo=UTC).timestamp() * 1000)
    for day, mask in (
        (NOW.date() - timedelta(days=1), at < today_ms),
        (NOW.date(), at >= today_ms),
    ):
        size = int(mask.sum())
        regions = ("us", "eu")  # every check from two regions, as a real lake holds them
        columns = {
            "monitor_id": pa.array(np.tile(owners[mask], len(regions)), pa.string()),
            "region": pa.array(np.repeat(regions, size), pa.string()),
            "at": _ms(np.tile(at[mask], len(regions))),
            "response_time": pa.array(rng.gamma(2.0, 0.15, size * len(regions)), pa.float64()),
        }
        _write(_partition(root, RESPONSE_TIMES, day), RESPONSE_TIMES, columns)
    return total


def run_views(monitors: int = 500, days: int = 90, repeats: int = 3) -> ViewsResult:
    with tempfile.TemporaryDirectory(prefix="bench-views-") as folder:
        root = Path(folder)
        incidents = build_lake(root, monitors, days)
        db = publish_duckdb_views(root, [RESPONSE_TIMES, INCIDENTS, DAILY_SLA, MONITORS, COVERAGE])
        conn = duckdb.connect(str(db))
        try:
            create_duckdb_views(conn, options=SlaOptions(), now=NOW)
            seconds: dict[str, float] = {}
            rows: dict[str, int] = {}
            for spec in VIEWS:
                best = float("inf")
                for _ in range(max(1, repeats)):
                    started = time.perf_counter()
                    table = conn.execute(f'SELECT * FROM "{spec.name}"').to_arrow_table()
                    best = min(best, time.perf_counter() - started)
                seconds[spec.name], rows[spec.name] = best, table.num_rows
        finally:
            conn.close()
    return ViewsResult(monitors, days, incidents, seconds, rows)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.views", description=__doc__)
    parser.add_argument("--monitors", type=int, default=500)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    result = run_views(args.monitors, args.days, args.repeats)
    print_and_save(
        "views",
        result.figures(),
        f"views_{result.monitors}x{result.days}_seconds={result.total_seconds:.2f}",
        argv,
    )


if __name__ == "__main__":
    main()
