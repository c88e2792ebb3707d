"""Benchmark 4b: the hourly merge of incidents into a lake with a long history.

A lake holds ``HISTORY_DAYS`` daily partitions of incidents (``PER_DAY`` a day, one a month
left open). An hourly run then merges what it re-reads: yesterday's and today's incidents
(re-extracted, every row an update, one of them moved to another day: its ``started_at``
corrected) and the open incidents of older days (resolved now). ``hourly`` is the median time
of ``Staging.commit`` for that run over ``REPEATS`` fresh copies of the lake; ``first`` is the
first such merge on a lake written before any state beside the tables existed (what an
upgrade pays once). Each figure is also given per merged partition.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import pyarrow as pa

from benchmarks.common import Figure
from betterstack_etl.lake import LocalLake, Staging
from betterstack_etl.tables import INCIDENTS

__all__ = ["IncidentsMergeResult", "run_incidents_merge"]

HISTORY_DAYS: Final = 365
PER_DAY: Final = 20
OPEN_EVERY: Final = 30 * PER_DAY  # one incident in a month's left open
REPEATS: Final = 5
LAST_DAY: Final = datetime(2026, 11, 25, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class IncidentsMergeResult:
    history_days: int
    rows_merged: int
    partitions: int
    hourly_seconds: float
    first_seconds: float
    state_files: int  # files under _state/ after the merges
    hourly_cpu_seconds: float = 0.0  # the same merge's CPU time (wall time here is mostly fsync)
    first_cpu_seconds: float = 0.0

    def figures(self) -> list[Figure]:
        name = f"4b hourly incidents merge, {self.history_days} days of history"
        per = self.hourly_seconds / max(1, self.partitions)
        return [
            Figure(
                name,
                "hourly merge",
                f"{self.hourly_seconds * 1000:.0f} ms",
                f"{self.rows_merged} rows into {self.partitions} partitions "
                f"({per * 1000:.1f} ms each); median of {REPEATS}",
            ),
            Figure(
                name,
                "hourly merge, CPU",
                f"{self.hourly_cpu_seconds * 1000:.0f} ms",
                "process time of the same merges (the wall time is mostly fsync)",
            ),
            Figure(
                name,
                "first merge",
                f"{self.first_seconds * 1000:.0f} ms",
                f"on a lake with no state beside the tables; {self.state_files} state file(s); "
                f"CPU {self.first_cpu_seconds * 1000:.0f} ms",
            ),
        ]

    def to_json(self) -> str:
        return json.dumps(
            {
                "hourly_ms": round(self.hourly_seconds * 1000, 1),
                "hourly_cpu_ms": round(self.hourly_cpu_seconds * 1000, 1),
                "first_ms": round(self.first_seconds * 1000, 1),
                "first_cpu_ms": round(self.first_cpu_seconds * 1000, 1),
            }
        )


def _incident(
    number: int, started: datetime, *, open_: bool, extracted: datetime
) -> dict[str, object]:
    record: dict[str, object] = {name: None for name in INCIDENTS.schema.names}
    record.update(
        incident_id=str(10_000_000 + number),
        monitor_id=str(1_000 + number % 10),
        name="api",
        cause="Status 503",
        started_at=started,
        resolved_at=None if open_ else started + timedelta(minutes=7),
        regions=["us", "eu"],
        call=False,
        duration_seconds=None if open_ else 420,
        raw=json.dumps({"id": str(10_000_000 + number)}),
        _extracted_at=extracted,
        _run_id="bench",
    )
    return record


def _history(extracted: datetime) -> pa.Table:
    records = []
    for day in range(HISTORY_DAYS):
        base = LAST_DAY - timedelta(days=HISTORY_DAYS - 1 - day)
        for i in range(PER_DAY):
            number = day * PER_DAY + i
            started = base + timedelta(minutes=67 * i)
            records.append(
                _incident(number, started, open_=number % OPEN_EVERY == 0, extracted=extracted)
            )
    return pa.Table.from_pylist(records, schema=INCIDENTS.schema)


def _hourly(history: pa.Table, extracted: datetime) -> pa.Table:
    """What an hourly run re-reads: the last two days, and every open incident (now resolved);
    one incident of yesterday moved to the day before (its start corrected)."""
    rows = history.to_pylist()
    recent = LAST_DAY - timedelta(days=1)
    picked = []
    for row in rows:
        started = row["started_at"]
        if started >= recent or row["resolved_at"] is None:
            row = dict(row, _extracted_at=extracted, _run_id="bench-hourly")
            if row["resolved_at"] is None:
                row.update(resolved_at=started + timedelta(minutes=9), duration_seconds=540)
            picked.append(row)
    moved = next(r for r in picked if recent <= r["started_at"] < LAST_DAY)
    moved["started_at"] -= timedelta(days=1)
    moved["resolved_at"] -= timedelta(days=1)
    return pa.Table.from_pylist(picked, schema=INCIDENTS.schema)


def _commit(rows: pa.Table, lake_root: Path, spool: Path) -> tuple[float, int, float]:
    """Wall seconds, partitions merged, CPU seconds of one ``Staging.commit``."""
    with Staging(INCIDENTS, spool) as staging:
        staging.add(rows)
        started, cpu = time.perf_counter(), time.process_time()
        results = staging.commit(LocalLake(lake_root))
        return time.perf_counter() - started, len(results), time.process_time() - cpu


def run_incidents_merge() -> IncidentsMergeResult:
    """Build the history once, then time the hourly merge on fresh copies of it."""
    with tempfile.TemporaryDirectory(prefix="bench-incidents-") as folder:
        work = Path(folder)
        history = _history(LAST_DAY - timedelta(hours=2))
        base = work / "base"
        _commit(history, base, work / "spool")
        for state in (base / "_state").glob("*"):
            state.unlink()  # a lake as an older version left it: no state beside the tables
        hourly = _hourly(history, LAST_DAY - timedelta(minutes=30))
        first, partitions, first_cpu = _commit(hourly, _copy(base, work / "first"), work / "spool")
        warm = work / "warm"
        _copy(base, warm)
        _commit(history.slice(0, 1), warm, work / "spool")  # the state beside the tables exists
        timings, cpu = [], []
        for n in range(REPEATS):
            wall, _, spent = _commit(hourly, _copy(warm, work / f"run{n}"), work / "spool")
            timings.append(wall)
            cpu.append(spent)
        state_files = len(list((work / "run0" / "_state").glob("*.parquet")))
        return IncidentsMergeResult(
            history_days=HISTORY_DAYS,
            rows_merged=hourly.num_rows,
            partitions=partitions,
            hourly_seconds=statistics.median(timings),
            first_seconds=first,
            state_files=state_files,
            hourly_cpu_seconds=statistics.median(cpu),
            first_cpu_seconds=first_cpu,
        )


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


if __name__ == "__main__":
    result = run_incidents_merge()
    for figure in result.figures():
        print(figure)
    print(result.to_json())
