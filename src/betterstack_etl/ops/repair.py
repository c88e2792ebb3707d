"""``betterstack-etl repair`` (SPEC §10): a damaged lake made whole again, losing nothing.

1. ``lake.verify`` lists every file that cannot be read (truncated, garbage), every stray file
   (``data-backup.parquet``) and every folder whose name is not ``data_particao=YYYY-MM-DD``;
2. each is moved aside with ``lake.quarantine`` (kept, under a name no reader looks at);
3. the open-rows index is rebuilt from the partitions, and its rows that can never be re-read
   (a key the API never makes, stored by an older version: runs leave them out) are listed;
4. the days whose data went aside are fetched again where the API still serves them (each
   table declares how far back, ``TableSpec.served_days``), by a normal run of the core over
   just those tables and days;
5. the tables are published again.

``plan_refetch`` is pure: which tables and window to re-read for the problems found, and which
days are gone for good (response times older than the API keeps).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, timedelta
from typing import TYPE_CHECKING, Final

from betterstack_etl import clock
from betterstack_etl.api import is_api_id
from betterstack_etl.run.destinations import open_lake
from betterstack_etl.tables import TABLES, WRITTEN

if TYPE_CHECKING:
    from collections.abc import Sequence

    from betterstack_etl.lake.base import LakeProblem
    from betterstack_etl.run.summary import RunSummary
    from betterstack_etl.secret import Secret
    from betterstack_etl.settings import RunParams
    from betterstack_etl.tables import TableSpec

__all__ = ["Refetch", "RepairReport", "plan_refetch", "repair"]

log = logging.getLogger("betterstack_etl.ops.repair")

_DAY: Final = re.compile(r"data_particao=(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True, slots=True)
class Refetch:
    """The re-read a repair makes: tables and an inclusive UTC window; what cannot come back."""

    tables: tuple[TableSpec, ...]
    start: date | None
    end: date | None
    lost: tuple[tuple[str, date], ...] = ()  # (table, day) the API no longer serves


@dataclass(frozen=True, slots=True)
class RepairReport:
    problems: tuple[LakeProblem, ...]
    moved_to: tuple[str, ...]
    refetch: Refetch
    summary: RunSummary | None = None
    notes: tuple[str, ...] = field(default=())
    # (table, key) of open rows whose key is not an id the API makes: never re-read, so they
    # stay open; runs leave them out with a warning (SPEC §13), repair names them
    unreadable_open: tuple[tuple[str, str], ...] = ()


def _day_of(problem: LakeProblem) -> date | None:
    match = _DAY.search(problem.location)
    if match is None:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


def plan_refetch(problems: Sequence[LakeProblem], today: date) -> Refetch:
    """The tables and days to read again for ``problems`` (damaged files only: a stray copy
    or a misnamed folder held nothing the lake's own files lack)."""
    wanted: dict[str, set[date]] = {}
    for problem in problems:
        day = _day_of(problem)
        if problem.kind != "damaged" or day is None:
            continue
        wanted.setdefault(problem.table, set()).add(day)
    tables: list[TableSpec] = []
    days: set[date] = set()
    lost: list[tuple[str, date]] = []
    for spec in TABLES:
        if spec.name not in wanted:
            continue
        back = spec.served_days
        served = {d for d in wanted[spec.name] if back is None or d >= today - timedelta(back)}
        lost += [(spec.name, d) for d in sorted(wanted[spec.name] - served)]
        if served:
            tables.append(spec)
            days |= served
    if not tables:
        return Refetch((), None, None, tuple(lost))
    return Refetch(tuple(tables), min(days), min(max(days), today), tuple(lost))


def repair(params: RunParams, token: Secret | None) -> RepairReport:
    """Verify, move aside, re-index, re-fetch (when a token is given) and publish."""
    from betterstack_etl.run import runner

    lake = open_lake(params)
    problems = tuple(lake.verify(TABLES))
    moved = tuple(lake.quarantine(p) for p in problems)
    for problem, where in zip(problems, moved, strict=True):
        log.warning("moved aside: %s → %s", problem, where)
    lake.rebuild_open_index(TABLES)
    unreadable = tuple(
        (spec.name, key)
        for spec in TABLES
        if spec.open_while_null is not None
        for key in lake.open_keys(spec, None, date.max)
        if not is_api_id(key)
    )
    for table, key in unreadable:
        log.warning("%s: open row %r can never be re-read (its key is not digits)", table, key)
    today = clock.utcnow().astimezone(UTC).date()
    refetch = plan_refetch(problems, today)
    notes = [f"{name} {day}: older than the API keeps, gone for good" for name, day in refetch.lost]
    summary = None
    if refetch.tables and token is None:
        notes.append("BETTERSTACK_TOKEN is not set: the days to re-fetch were not read again")
    elif refetch.tables and token is not None:
        again = replace(
            params,
            tables=refetch.tables,
            from_date=refetch.start,
            to_date=refetch.end,
        )
        summary = runner.run(again, token, raise_on_failure=True)
    lake.publish((*TABLES, *WRITTEN))
    return RepairReport(problems, moved, refetch, summary, tuple(notes), unreadable)
