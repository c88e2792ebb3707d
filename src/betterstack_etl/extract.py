"""Extraction: what to ask the API for each table, and turning each answer into rows.

These functions get an injected client and a ``sink`` (called with each Arrow table as soon as
an answer is transformed, so memory stays flat) and return a small ``Extracted`` summary.
Requests for many monitors/days run with bounded concurrency; the shared ``Pacer`` inside the
client keeps the whole run under the request budget.
"""

from __future__ import annotations

import logging
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from betterstack_etl.errors import ConfigError, NotFoundError
from betterstack_etl.progress import progress
from betterstack_etl.tables import DAILY_SLA, INCIDENTS, RESPONSE_TIMES
from betterstack_etl.transform import incident_rows, response_time_rows, sla_row

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from datetime import date

    from betterstack_etl.api import BetterStackClient
    from betterstack_etl.settings import Window

__all__ = [
    "Extracted",
    "Selection",
    "bounded_map",
    "extract_daily_sla",
    "extract_incidents",
    "extract_response_times",
    "resolve_monitors",
]

log = logging.getLogger("betterstack_etl.extract")

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Extracted:
    """What one table's extraction read (small; passed between tasks and shown in the summary)."""

    table: str
    rows: int = 0
    answers: int = 0  # API answers used (pages or single resources)
    skipped: list[str] = field(default_factory=list)  # e.g. incidents deleted upstream


def bounded_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``fn`` over ``items`` on ``workers`` threads, yielding results as they complete.

    At most ``2 * workers`` calls are pending at once, so a long backfill never queues its
    whole plan in memory. The first exception cancels what is pending and is raised.
    """
    workers = max(1, workers)
    iterator = iter(items)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="betterstack") as pool:
        pending: set[Future[R]] = set()
        try:
            for item in iterator:
                pending.add(pool.submit(fn, item))
                if len(pending) >= 2 * workers:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        yield future.result()
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield future.result()
        finally:
            for future in pending:
                future.cancel()


@dataclass(frozen=True)
class Selection:
    """The monitors of a run, and how many the token sees (to plan the incidents walk)."""

    ids: tuple[str, ...]
    visible: int
    everything: bool = False  # MONITOR_ID=all: keep heartbeat incidents too

    @property
    def walk_account(self) -> bool:
        """One account-wide incidents walk (filtered here) costs fewer requests than one walk
        per monitor once the run covers at least half of the account's monitors."""
        return self.everything or 2 * len(self.ids) >= self.visible


def resolve_monitors(client: BetterStackClient, wanted: Sequence[str] | str) -> Selection:
    """The monitor ids to load: every monitor the token sees for ``all``, else the given ids,
    checked against the account in one listing so an unknown id fails before any load."""
    visible = [str(m["id"]) for m in client.list_monitors()]
    if wanted == "all":
        if not visible:
            raise ConfigError(
                "the token sees no monitors",
                hint="check that BETTERSTACK_TOKEN belongs to the team that owns the monitors",
            )
        return Selection(tuple(visible), len(visible), everything=True)
    unknown = [m for m in wanted if m not in set(visible)]
    if unknown:
        raise ConfigError(
            f"monitor(s) {', '.join(unknown)} not found for this token",
            hint="check MONITOR_ID against the monitors listed in Better Stack "
            "(or use MONITOR_ID=all)",
        )
    return Selection(tuple(wanted), len(visible))


def extract_response_times(
    client: BetterStackClient,
    monitors: Sequence[str],
    sink: Callable[[pa.Table], None],
    *,
    run_id: str,
    workers: int,
) -> Extracted:
    """Last 24 h of response times per monitor (the API has no date filter)."""

    def fetch(monitor_id: str) -> pa.Table:
        answer = client.get_response_times(monitor_id)
        return response_time_rows(
            answer.data, monitor_id=monitor_id, extracted_at=answer.fetched_at, run_id=run_id
        )

    return _fan_out(RESPONSE_TIMES.name, list(monitors), fetch, sink, workers)


def extract_daily_sla(
    client: BetterStackClient,
    monitors: Sequence[str],
    window: Window,
    sink: Callable[[pa.Table], None],
    *,
    run_id: str,
    workers: int,
) -> Extracted:
    """One ``/sla?from=D&to=D`` per monitor and day of the window."""
    plan = [(monitor_id, day) for day in window.days() for monitor_id in monitors]

    def fetch(item: tuple[str, date]) -> pa.Table:
        monitor_id, day = item
        answer = client.get_sla(monitor_id, day, day)
        return sla_row(
            answer.data,
            monitor_id=monitor_id,
            day=day,
            extracted_at=answer.fetched_at,
            run_id=run_id,
        )

    return _fan_out(DAILY_SLA.name, plan, fetch, sink, workers)


def _fan_out(
    table: str,
    plan: Sequence[T],
    fetch: Callable[[T], pa.Table],
    sink: Callable[[pa.Table], None],
    workers: int,
) -> Extracted:
    """One request per item of ``plan`` (bounded concurrency), each answer sunk as it comes."""
    result = Extracted(table)
    progress().planned(table, len(plan))

    def one(item: T) -> pa.Table:
        rows = fetch(item)
        progress().done(table)
        return rows

    for rows in bounded_map(one, plan, workers):
        sink(rows)
        result.rows += rows.num_rows
        result.answers += 1
    progress().finished(table)
    return result


def extract_incidents(
    client: BetterStackClient,
    monitors: Sequence[str] | None,
    window: Window,
    open_elsewhere: Sequence[str],
    sink: Callable[[pa.Table], None],
    *,
    run_id: str,
    workers: int,
    keep: Sequence[str] | None = None,
) -> Extracted:
    """Incidents started in the window (one paged walk per monitor, or a single walk over the
    account when ``monitors`` is None, keeping only the monitors in ``keep`` when given), plus
    each incident still open in the lake that started before the window (``open_elsewhere``),
    re-read by id until it resolves."""
    kept = pa.array(sorted(keep), pa.string()) if keep is not None else None
    result = Extracted(INCIDENTS.name)
    walks: list[str | None] = list(monitors) if monitors is not None else [None]
    progress().planned(INCIDENTS.name, len(walks) + len(open_elsewhere))
    seen: set[str] = set()

    def walk(monitor_id: str | None) -> list[pa.Table]:
        tables: list[pa.Table] = []
        for page in client.iter_incident_pages(
            monitor_id=monitor_id, from_date=window.start, to_date=window.end
        ):
            if page.number > 1:
                progress().planned(INCIDENTS.name, 1)
            rows = incident_rows(page.resources, extracted_at=page.fetched_at, run_id=run_id)
            if kept is not None:
                rows = rows.filter(pc.is_in(rows.column("monitor_id"), value_set=kept))
            tables.append(rows)
            progress().done(INCIDENTS.name)
        return tables

    def reread(incident_id: str) -> list[pa.Table]:
        try:
            answer = client.get_incident(incident_id)
        except NotFoundError:
            log.warning(
                "incident %s is open in the lake but gone upstream; kept as is", incident_id
            )
            result.skipped.append(incident_id)
            progress().done(INCIDENTS.name)
            return []
        progress().done(INCIDENTS.name)
        return [
            incident_rows(
                [answer.data],
                extracted_at=answer.fetched_at,
                run_id=run_id,
                endpoint=f"/api/v3/incidents/{incident_id}",
            )
        ]

    for tables in bounded_map(walk, walks, workers):
        for rows in tables:
            _sink_new(rows, seen, sink, result)
    pending = [i for i in open_elsewhere if i not in seen]
    for tables in bounded_map(reread, pending, workers):
        for rows in tables:
            _sink_new(rows, seen, sink, result)
    progress().finished(INCIDENTS.name)
    return result


def _sink_new(
    rows: pa.Table, seen: set[str], sink: Callable[[pa.Table], None], result: Extracted
) -> None:
    seen.update(rows.column("incident_id").to_pylist())
    sink(rows)
    result.rows += rows.num_rows
    result.answers += 1
