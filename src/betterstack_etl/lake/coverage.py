"""What the lake has fetched (SPEC §4): ``eai_gateway_coverage``.

A successful run records, for each table that declares ``records_coverage`` (incidents, daily
SLA) and each of its monitors, every UTC day of its window, known up to ``covered_until``: the
day's end, or the run's start for a day not yet over (an incident that starts after the run's
start is not known yet). The SLA views count only covered time.

A lake written before coverage was recorded has a run ledger (``eai_gateway_runs``): the first
run that finds no coverage at all derives it once from the ledger's successful rows, so the
history the lake already holds keeps its figures.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

import pyarrow as pa

from betterstack_etl.errors import BetterStackEtlError
from betterstack_etl.tables import COVERAGE, RUNS, TABLES

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from betterstack_etl.lake.base import Lake

__all__ = ["CoveredDays", "coverage_rows", "record_coverage", "seed_from_ledger"]

log = logging.getLogger("betterstack_etl.lake.coverage")

# what a run fetched: (table name, monitors, first UTC day, last UTC day, when it started)
CoveredDays = tuple[str, "Sequence[str]", date, date, datetime]

_COVERED_TABLES = frozenset(spec.name for spec in TABLES if spec.records_coverage)
_MAX_DAYS = 3660  # a window of ten years is a typo, not a backfill: never expanded further


def _day_end(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def coverage_rows(
    fetched: Iterable[CoveredDays], *, run_id: str, extracted_at: datetime
) -> dict[date, pa.Table]:
    """The coverage rows of ``fetched``, by partition (UTC day), with ``COVERAGE``'s schema.
    A table that does not record coverage is ignored; a day after the run's start is not
    covered at all."""
    rows: dict[date, dict[tuple[str, str], datetime]] = defaultdict(dict)
    for table, monitors, first, last, started in fetched:
        if table not in _COVERED_TABLES or last < first:
            continue
        started = started.astimezone(UTC)
        for offset in range(min((last - first).days, _MAX_DAYS) + 1):
            day = first + timedelta(days=offset)
            until = min(_day_end(day), started)
            if until <= datetime.combine(day, time(), tzinfo=UTC):
                break
            for monitor in monitors:
                key = (table, monitor)
                rows[day][key] = max(rows[day].get(key, until), until)
    out = {}
    for day, covered in sorted(rows.items()):
        keys = sorted(covered)
        out[day] = pa.Table.from_pydict(
            {
                "table_name": [t for t, _ in keys],
                "monitor_id": [m for _, m in keys],
                "date": [day] * len(keys),
                "covered_until": [covered[k] for k in keys],
                "_extracted_at": [extracted_at] * len(keys),
                "_run_id": [run_id] * len(keys),
            },
            schema=COVERAGE.schema,
        )
    return out


def record_coverage(
    lake: Lake, fetched: Iterable[CoveredDays], *, run_id: str, extracted_at: datetime
) -> tuple[str, ...]:
    """Merge the coverage of ``fetched`` into the lake; a warning (not a failure: the data
    landed) when it cannot be written."""
    try:
        if not lake.partitions(COVERAGE):
            seed_from_ledger(lake)
        for day, table in coverage_rows(fetched, run_id=run_id, extracted_at=extracted_at).items():
            lake.merge_partition(COVERAGE, day, table)
    except BetterStackEtlError as exc:
        log.warning("the coverage was not recorded: %s", exc)
        return (f"coverage not recorded: {exc}",)
    return ()


def seed_from_ledger(lake: Lake) -> int:
    """Coverage derived from the run ledger's successful rows (a lake older than coverage):
    each ok row of a covered table covered its window's days for its monitors, up to the run's
    start. Returns the number of partitions written."""
    columns = ["table_name", "status", "window_start", "window_end", "monitors", "started_at"]
    fetched: list[CoveredDays] = []
    for part in lake.scan(RUNS, columns):
        for row in part.to_pylist():
            if row["status"] != "ok" or row["table_name"] not in _COVERED_TABLES:
                continue
            if row["window_start"] is None or row["window_end"] is None or not row["monitors"]:
                continue
            fetched.append(
                (
                    row["table_name"],
                    row["monitors"],
                    row["window_start"],
                    row["window_end"],
                    row["started_at"],
                )
            )
    if not fetched:
        return 0
    extracted_at = max(item[4] for item in fetched)
    parts = coverage_rows(fetched, run_id="ledger", extracted_at=extracted_at)
    for day, table in parts.items():  # the latest covered_until of each day, one merge a day
        lake.merge_partition(COVERAGE, day, table)
    log.info("coverage derived from the run ledger: %d day(s)", len(parts))
    return len(parts)
