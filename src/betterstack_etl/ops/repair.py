"""``betterstack-etl repair`` (SPEC §10): a damaged lake made whole again, losing nothing.

One repair at a time (``lake.repair_lock``: a second one fails at once, saying so). Then:

1. ``lake.verify`` lists every file that cannot be read (truncated, garbage), every stray file
   (``data-backup.parquet``), every folder whose name is not ``data_particao=YYYY-MM-DD``,
   every symbolic link where the lake holds folders, every file this process may not read,
   and every migration to the bucketed layout that was cut short;
2. damaged and stray files, bad folders and links are moved aside with ``lake.quarantine``
   (kept, under a name no reader looks at; a link is moved, never what it points to); a file
   it may not read is a permission problem, not damage: it stays where it is, and repair says
   how to fix the permission; an interrupted migration is finished;
3. keys held by two partitions (a move cut short) are settled, and the indexes beside the
   tables are rebuilt from the partitions; open rows that can never be re-read (a key the API
   never makes, stored by an older version: runs leave them out) are listed;
4. the days whose data went aside are fetched again where the API still serves them (each
   table declares how far back, ``TableSpec.served_days``), by a normal run of the core over
   just those tables and days; then every row that only the quarantine still holds is
   counted, and said;
5. the tables are published again (a damaged DuckDB file is rebuilt).

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
from betterstack_etl.errors import StorageError
from betterstack_etl.run.destinations import open_lake
from betterstack_etl.tables import TABLES, WRITTEN, table_by_name

if TYPE_CHECKING:
    from collections.abc import Sequence

    from betterstack_etl.lake.base import Lake, LakeProblem
    from betterstack_etl.run.summary import RunSummary
    from betterstack_etl.secret import Secret
    from betterstack_etl.settings import RunParams
    from betterstack_etl.tables import TableSpec

__all__ = ["Refetch", "RepairReport", "plan_refetch", "repair"]

log = logging.getLogger("betterstack_etl.ops.repair")

_DAY: Final = re.compile(r"data_particao=(\d{4}-\d{2}-\d{2})")
_MOVED: Final = frozenset({"damaged", "stray", "bad_folder", "symlink"})


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
    moved_to: tuple[str, ...]  # per problem: where it went, or what was done instead
    refetch: Refetch
    summary: RunSummary | None = None
    notes: tuple[str, ...] = field(default=())
    # (table, key) of open rows whose key is not an id the API makes: never re-read, so they
    # stay open; runs leave them out with a warning (SPEC §13), repair names them
    unreadable_open: tuple[tuple[str, str], ...] = ()
    left: tuple[LakeProblem, ...] = ()  # what repair could not fix (permissions)
    only_aside: int = 0  # rows that only the quarantine holds after the re-fetch
    settled: int = 0  # rows removed from a partition because their key lives in another


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
    """Verify, move aside, finish, settle, re-index, re-fetch (when a token is given),
    count what only the quarantine holds, and publish; one repair of a lake at a time."""
    lake = open_lake(params)
    with lake.repair_lock():
        return _repair(lake, params, token)


def _repair(lake: Lake, params: RunParams, token: Secret | None) -> RepairReport:
    from betterstack_etl.run import runner

    problems = tuple(lake.verify(TABLES))
    done: list[str] = []
    for problem in problems:
        if problem.kind in _MOVED:
            done.append(lake.quarantine(problem))
            log.info("moved aside: %s → %s", problem, done[-1])  # the report says it
        elif problem.kind == "forbidden":
            done.append("left in place: fix its permissions")
        else:
            done.append("finished")
    if any(p.kind == "migration" for p in problems):
        lake.finish_migrations(TABLES)
    settled = lake.settle_keys(TABLES)
    lake.rebuild_indexes(TABLES)
    unreadable = tuple(
        (spec.name, key)
        for spec in TABLES
        if spec.open_while_null is not None
        for key in lake.open_keys(spec, None, date.max)
        if not is_api_id(key)
    )
    for table, key in unreadable:
        log.info("%s: open row %r can never be re-read (its key is not digits)", table, key)
    today = clock.utcnow().astimezone(UTC).date()
    refetch = plan_refetch(problems, today)
    notes = [f"{name} {day}: older than the API keeps, gone for good" for name, day in refetch.lost]
    if settled:
        notes.append(f"{settled} row(s) whose key lives in another partition were removed")
    summary = None
    if refetch.tables and token is None:
        notes.append("BETTERSTACK_TOKEN is not set: the days to re-fetch were not read again")
    elif refetch.tables and token is not None:
        again = replace(params, tables=refetch.tables, from_date=refetch.start, to_date=refetch.end)
        summary = runner.run(again, token, raise_on_failure=True)
    only_aside, counted = _only_aside(lake, problems, done)
    notes += counted
    left = tuple(p for p in problems if p.kind == "forbidden")
    notes += [f"{p.location}: {p.detail}" for p in left]
    if left:  # the views read every file: not before the permissions are fixed
        notes.append("the views were not refreshed: they read every file, these included")
    else:
        lake.publish((*TABLES, *WRITTEN))
    return RepairReport(
        problems, tuple(done), refetch, summary, tuple(notes), unreadable, left, only_aside, settled
    )


def _only_aside(
    lake: Lake, problems: Sequence[LakeProblem], done: Sequence[str]
) -> tuple[int, list[str]]:
    """Rows of what was moved aside that the lake does not hold after the re-fetch: counted
    per moved item, and said (a link held another lake's rows: not ours, not counted)."""
    total = 0
    notes = []
    for problem, where in zip(problems, done, strict=True):
        if problem.kind not in _MOVED - {"symlink"}:
            continue
        spec = table_by_name(problem.table)
        columns = list(dict.fromkeys([*spec.key, spec.partition_by]))
        try:
            rows = lake.read_aside(spec, where, columns)
        except StorageError:
            notes.append(
                f"{problem.table}: {where} cannot be read, so how many of its rows the re-fetch "
                "did not restore cannot be counted (it is kept there)"
            )
            continue
        missing = lake.missing_keys(spec, rows) if rows.num_rows else 0
        if missing:
            total += missing
            notes.append(
                f"{problem.table}: {missing} row(s) are only in the quarantine, at {where} "
                "(the API no longer serves them)"
            )
    return total, notes
