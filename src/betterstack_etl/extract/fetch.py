"""Extraction: what to ask the API for each table, and turning each answer into rows.

Each table's declaration (``tables.TableSpec.extractor``) names one function here taking an
``ExtractRequest``: the injected client, the run's monitors and window, a ``sink`` (called with
each Arrow table as soon as an answer is transformed, so memory stays flat) and where to report
progress. It returns a small ``Extracted`` summary. Requests for many monitors/days run with
bounded concurrency; the run's request budget inside the client keeps the whole run under it.
"""

from __future__ import annotations

import importlib
import logging
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from betterstack_etl.errors import NotFoundError
from betterstack_etl.extract.selection import Selection, resolve_monitors
from betterstack_etl.extract.transform import (
    incident_rows,
    monitor_rows,
    response_time_rows,
    sla_row,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from betterstack_etl.api import BetterStackClient
    from betterstack_etl.extract.progress import Progress
    from betterstack_etl.settings import Window
    from betterstack_etl.tables import TableSpec

__all__ = [
    "ExtractRequest",
    "Extracted",
    "PlanRequest",
    "Selection",
    "TablePlan",
    "bounded_map",
    "daily_sla",
    "extractor",
    "incidents",
    "monitors",
    "plan_daily_sla",
    "plan_incidents",
    "plan_monitors",
    "plan_response_times",
    "planner",
    "resolve_monitors",
    "response_times",
]

log = logging.getLogger("betterstack_etl.extract.fetch")

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Extracted:
    """What one table's extraction read (small; passed between tasks and shown in the summary)."""

    table: str
    rows: int = 0
    answers: int = 0  # API answers used (pages or single resources)
    skipped: list[str] = field(default_factory=list)  # e.g. incidents deleted upstream
    gone: list[str] = field(default_factory=list)  # monitors deleted during the run: skipped


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
class ExtractRequest:
    """Everything one table's extraction needs for one run (the client carries the budget)."""

    spec: TableSpec
    client: BetterStackClient
    selection: Selection
    window: Window
    sink: Callable[[pa.Table], None]
    run_id: str
    workers: int
    progress: Progress
    open_keys: Sequence[str] = ()  # rows still open in the lake (``spec.open_while_null``)


def _entry_point(reference: str) -> Any:
    module, _, function = reference.partition(":")
    return getattr(importlib.import_module(module), function)


def extractor(spec: TableSpec) -> Callable[[ExtractRequest], Extracted]:
    """The extraction a table's declaration names (``spec.extractor``, ``module:function``)."""
    found: Callable[[ExtractRequest], Extracted] = _entry_point(spec.extractor)
    return found


@dataclass(frozen=True, slots=True)
class TablePlan:
    """What a table's extraction would ask and where its rows would land (``--dry-run``)."""

    table: str
    requests: int
    at_least: bool  # paged walks: one request a page, the number of pages is known only then
    partitions: tuple[date, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """What planning a table needs: the listing made, the window, the open rows found."""

    spec: TableSpec
    selection: Selection
    window: Window
    now: datetime
    open_keys: Sequence[str] = ()


def planner(spec: TableSpec) -> Callable[[PlanRequest], TablePlan]:
    """The planning function a table's declaration names (``spec.planner``)."""
    found: Callable[[PlanRequest], TablePlan] = _entry_point(spec.planner)
    return found


def plan_response_times(req: PlanRequest) -> TablePlan:
    now = req.now.astimezone(UTC)
    days = sorted({(now - timedelta(hours=24)).date(), now.date()})
    return TablePlan(
        req.spec.name, len(req.selection.ids), False, tuple(days), "last 24 h per monitor"
    )


def plan_daily_sla(req: PlanRequest) -> TablePlan:
    plan = _sla_days(req.selection, req.window)
    days = tuple(sorted({day for _, day in plan}))
    note = "one request per monitor and day it existed"
    return TablePlan(req.spec.name, len(plan), False, days, note)


def plan_incidents(req: PlanRequest) -> TablePlan:
    walks = 1 if req.selection.walk_account else len(req.selection.ids)
    how = "one account-wide walk" if walks == 1 else "one walk per monitor"
    note = f"{how}, 50 a page; {len(req.open_keys)} open incident(s) re-read"
    requests = walks + len(req.open_keys)
    return TablePlan(req.spec.name, requests, True, tuple(req.window.days()), note)


def plan_monitors(req: PlanRequest) -> TablePlan:
    listed = req.selection.listed_at or req.now
    note = "from the monitor listing already made"
    return TablePlan(req.spec.name, 0, False, (listed.astimezone(UTC).date(),), note)


class _GoneMonitors:
    """Whether a monitor whose route answered 404 is gone (deleted at Better Stack during the
    run): its own resource answering 404 too says so. Asked once per monitor."""

    def __init__(self, client: BetterStackClient) -> None:
        self._client = client
        self._known: dict[str, bool] = {}
        self._lock = threading.Lock()

    def __call__(self, monitor_id: str) -> bool:
        with self._lock:
            known = self._known.get(monitor_id)
        if known is not None:
            return known
        try:
            self._client.get_monitor(monitor_id)
            gone = False
        except NotFoundError:
            gone = True
        with self._lock:
            self._known[monitor_id] = gone
        return gone


def response_times(req: ExtractRequest) -> Extracted:
    """Last 24 h of response times per monitor (the API has no date filter)."""

    def fetch(monitor_id: str) -> pa.Table:
        answer = req.client.get_response_times(monitor_id)
        return response_time_rows(
            answer.data, monitor_id=monitor_id, extracted_at=answer.fetched_at, run_id=req.run_id
        )

    return _fan_out(req, list(req.selection.ids), fetch, monitor_of=lambda m: m)


def _sla_days(selection: Selection, window: Window) -> list[tuple[str, date]]:
    """(monitor, day) of the window from each monitor's creation day on: no request, and no
    100 % row, for a day before a monitor existed (``windows.clamp_window_to_monitors``)."""
    from betterstack_etl.extract.transform import parse_timestamps
    from betterstack_etl.windows import clamp_window_to_monitors

    listed = {str(m.get("id")): m.get("attributes") or {} for m in selection.listing}
    created: dict[str, datetime | None] = {}
    for monitor_id in selection.ids:
        text = listed.get(monitor_id, {}).get("created_at")
        when = None
        if isinstance(text, str):
            endpoint = "/api/v2/monitors"
            when = parse_timestamps([text], endpoint=endpoint, field="created_at")[0].as_py()
        created[monitor_id] = when
    windows = clamp_window_to_monitors(window, created).per_monitor
    return [
        (monitor_id, day)
        for day in window.days()
        for monitor_id in selection.ids
        if monitor_id in windows and day >= windows[monitor_id].start
    ]


def daily_sla(req: ExtractRequest) -> Extracted:
    """One ``/sla?from=D&to=D`` per monitor and day of the window it existed."""
    plan = _sla_days(req.selection, req.window)

    def fetch(item: tuple[str, date]) -> pa.Table:
        monitor_id, day = item
        answer = req.client.get_sla(monitor_id, day, day)
        return sla_row(
            answer.data,
            monitor_id=monitor_id,
            day=day,
            extracted_at=answer.fetched_at,
            run_id=req.run_id,
        )

    return _fan_out(req, plan, fetch, monitor_of=lambda item: item[0])


def monitors(req: ExtractRequest) -> Extracted:
    """The run's monitors as the listing showed them (made by ``resolve_monitors``: no request)."""
    wanted = set(req.selection.ids)
    chosen = [m for m in req.selection.listing if str(m.get("id")) in wanted]
    result = Extracted(req.spec.name)
    listed_at = req.selection.listed_at
    if listed_at is None or not chosen:
        return result
    rows = monitor_rows(chosen, extracted_at=listed_at, run_id=req.run_id)
    req.sink(rows)
    result.rows = rows.num_rows
    return result


def _fan_out(
    req: ExtractRequest,
    plan: Sequence[T],
    fetch: Callable[[T], pa.Table],
    *,
    monitor_of: Callable[[T], str],
) -> Extracted:
    """One request per item of ``plan`` (bounded concurrency), each answer sunk as it comes.
    An item whose monitor is gone (deleted at Better Stack during the run: a 404 here and on
    the monitor itself) is skipped with a warning; the other monitors land."""
    table = req.spec.name
    result = Extracted(table)
    req.progress.planned(table, len(plan))
    is_gone = _GoneMonitors(req.client)

    def one(item: T) -> tuple[str, pa.Table | None]:
        monitor_id = monitor_of(item)
        try:
            rows: pa.Table | None = fetch(item)
        except NotFoundError:
            if not is_gone(monitor_id):
                raise  # the monitor is there: the 404 is about something else
            rows = None
        req.progress.done(table)
        return monitor_id, rows

    for monitor_id, rows in bounded_map(one, plan, req.workers):
        if rows is None:
            if monitor_id not in result.gone:
                log.warning(
                    "%s: monitor %s is gone at Better Stack (404): skipped, the others load",
                    table,
                    monitor_id,
                )
                result.gone.append(monitor_id)
            continue
        req.sink(rows)
        result.rows += rows.num_rows
        result.answers += 1
    req.progress.finished(table)
    return result


def incidents(req: ExtractRequest) -> Extracted:
    """Incidents started in the window, plus each incident still open in the lake that started
    before it (``req.open_keys``), re-read by id until it resolves.

    The walk is one paged walk per monitor, or a single walk over the account (filtered to the
    run's monitors) when the run covers at least half of the account's monitors."""
    selection, window, table, progress = req.selection, req.window, req.spec.name, req.progress
    keep = None if selection.everything or not selection.walk_account else selection.ids
    kept = pa.array(sorted(keep), pa.string()) if keep is not None else None
    result = Extracted(table)
    walks: list[str | None] = [None] if selection.walk_account else list(selection.ids)
    progress.planned(table, len(walks) + len(req.open_keys))
    seen: set[str] = set()

    is_gone = _GoneMonitors(req.client)

    def walk(monitor_id: str | None) -> list[pa.Table]:
        try:
            return walk_pages(monitor_id)
        except NotFoundError:
            if monitor_id is None or not is_gone(monitor_id):
                raise
            log.warning("%s: monitor %s is gone at Better Stack (404): skipped", table, monitor_id)
            result.gone.append(monitor_id)
            progress.done(table)
            return []

    def walk_pages(monitor_id: str | None) -> list[pa.Table]:
        tables: list[pa.Table] = []
        for page in req.client.iter_incident_pages(
            monitor_id=monitor_id, from_date=window.start, to_date=window.end
        ):
            if page.number > 1:
                progress.planned(table, 1)
            rows = incident_rows(page.resources, extracted_at=page.fetched_at, run_id=req.run_id)
            if kept is not None:
                rows = rows.filter(pc.is_in(rows.column("monitor_id"), value_set=kept))
            tables.append(rows)
            progress.done(table)
        return tables

    def reread(incident_id: str) -> list[pa.Table]:
        try:
            answer = req.client.get_incident(incident_id)
        except NotFoundError:
            log.warning(
                "incident %s is open in the lake but gone upstream; kept as is", incident_id
            )
            result.skipped.append(incident_id)
            progress.done(table)
            return []
        progress.done(table)
        return [
            incident_rows(
                [answer.data],
                extracted_at=answer.fetched_at,
                run_id=req.run_id,
                endpoint=f"/api/v3/incidents/{incident_id}",
            )
        ]

    for tables in bounded_map(walk, walks, req.workers):
        for rows in tables:
            _sink_new(rows, seen, req.sink, result)
    pending = [i for i in req.open_keys if i not in seen]
    for tables in bounded_map(reread, pending, req.workers):
        for rows in tables:
            _sink_new(rows, seen, req.sink, result)
    progress.finished(table)
    return result


def _sink_new(
    rows: pa.Table, seen: set[str], sink: Callable[[pa.Table], None], result: Extracted
) -> None:
    seen.update(rows.column("incident_id").to_pylist())
    sink(rows)
    result.rows += rows.num_rows
    result.answers += 1
