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
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from betterstack_etl.api import incident_page_bound, is_api_id
from betterstack_etl.errors import ContractError, NotFoundError
from betterstack_etl.extract.selection import GoneMonitors, Selection, resolve_monitors
from betterstack_etl.extract.transform import (
    incident_rows,
    monitor_rows,
    response_time_rows,
    skipping_bad_records,
    sla_row,
)
from betterstack_etl.literal import visible

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


# Records left out are each named in a warning, up to this many a table; then one line counts
# the rest (an API that changed shape wholesale must not print 5,000 lines).
_NAMED_REFUSALS: Final = 20


@dataclass
class Extracted:
    """What one table's extraction read (small; passed between tasks and shown in the summary)."""

    table: str
    rows: int = 0
    answers: int = 0  # API answers used (pages or single resources)
    skipped: list[str] = field(default_factory=list)  # e.g. incidents deleted upstream
    gone: list[str] = field(default_factory=list)  # monitors deleted during the run: skipped
    # records left out because they break the API contract (an id that is not digits, a
    # field of the wrong type), or open rows of the lake that can never be re-read: one
    # message each, naming the record (SPEC §13: the rest of the table lands)
    refused: list[str] = field(default_factory=list)

    def refuse(self, message: str) -> None:
        """Leave a record out, with a warning naming it (the first few; then a count)."""
        self.refused.append(message)
        if len(self.refused) <= _NAMED_REFUSALS:
            log.warning("%s: left out: %s", self.table, visible(message))
        elif len(self.refused) == _NAMED_REFUSALS + 1:
            log.warning("%s: more records left out (counted, not named)", self.table)


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


def response_times(req: ExtractRequest) -> Extracted:
    """Last 24 h of response times per monitor (the API has no date filter)."""

    def fetch(monitor_id: str) -> pa.Table | str:
        answer = req.client.get_response_times(monitor_id)
        try:
            return response_time_rows(
                answer.data,
                monitor_id=monitor_id,
                extracted_at=answer.fetched_at,
                run_id=req.run_id,
            )
        except ContractError as exc:
            return f"response times of monitor {monitor_id}: {exc.message}"

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

    def fetch(item: tuple[str, date]) -> pa.Table | str:
        monitor_id, day = item
        answer = req.client.get_sla(monitor_id, day, day)
        try:
            return sla_row(
                answer.data,
                monitor_id=monitor_id,
                day=day,
                extracted_at=answer.fetched_at,
                run_id=req.run_id,
            )
        except ContractError as exc:
            return f"SLA of monitor {monitor_id} on {day}: {exc.message}"

    return _fan_out(req, plan, fetch, monitor_of=lambda item: item[0])


def monitors(req: ExtractRequest) -> Extracted:
    """The run's monitors as the listing showed them (made by ``resolve_monitors``: no request)."""
    wanted = set(req.selection.ids)
    chosen = [m for m in req.selection.listing if str(m.get("id")) in wanted]
    # the listing's refusals were warned about when it was read: counted here, not said again
    result = Extracted(req.spec.name, refused=list(req.selection.refused))
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
    fetch: Callable[[T], pa.Table | str],
    *,
    monitor_of: Callable[[T], str],
) -> Extracted:
    """One request per item of ``plan`` (bounded concurrency), each answer sunk as it comes;
    an answer that breaks the contract (``fetch`` says why) is left out, the others land. An
    item whose monitor is gone (deleted at Better Stack during the run: a 404 here and on the
    monitor itself) is skipped with a warning; the other monitors land."""
    table = req.spec.name
    result = Extracted(table)
    req.progress.planned(table, len(plan))
    is_gone = GoneMonitors(req.client)

    def one(item: T) -> tuple[str, pa.Table | str | None]:
        monitor_id = monitor_of(item)
        try:
            rows: pa.Table | str | None = fetch(item)
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
        if isinstance(rows, str):
            result.refuse(rows)
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

    is_gone = GoneMonitors(req.client)
    days = (window.end - window.start).days + 1

    def walk(monitor_id: str | None) -> list[pa.Table | str]:
        try:
            return walk_pages(monitor_id)
        except NotFoundError:
            if monitor_id is None or not is_gone(monitor_id):
                raise
            log.warning("%s: monitor %s is gone at Better Stack (404): skipped", table, monitor_id)
            result.gone.append(monitor_id)
            progress.done(table)
            return []

    def walk_pages(monitor_id: str | None) -> list[pa.Table | str]:
        got: list[pa.Table | str] = []
        walked = selection.visible if monitor_id is None else 1
        for page in req.client.iter_incident_pages(
            monitor_id=monitor_id,
            from_date=window.start,
            to_date=window.end,
            max_pages=incident_page_bound(walked, days),
        ):
            if page.number > 1:
                progress.planned(table, 1)
            checked = skipping_bad_records(
                incident_rows, page.resources, extracted_at=page.fetched_at, run_id=req.run_id
            )
            rows = checked.rows
            if kept is not None:
                rows = rows.filter(pc.is_in(rows.column("monitor_id"), value_set=kept))
                ours = set(kept.to_pylist())
                got += [why for m, why in checked.refused if _monitor_of(m) in ours]
            else:
                got += [why for _, why in checked.refused]
            got.append(rows)
            progress.done(table)
        return got

    def reread(incident_id: str) -> list[pa.Table | str]:
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
        endpoint = f"/api/v3/incidents/{incident_id}"
        try:
            return [
                incident_rows(
                    [answer.data],
                    extracted_at=answer.fetched_at,
                    run_id=req.run_id,
                    endpoint=endpoint,
                )
            ]
        except ContractError as exc:
            return [f"incident {incident_id}: {exc.message}"]

    # an open row stored by an older version with an id the API never makes cannot be re-read:
    # left out (named), so it never sticks this run or any later one (`repair` reports it)
    unreadable = [i for i in req.open_keys if not is_api_id(i)]
    for incident_id in unreadable:
        result.refuse(
            f"incident {incident_id!r} is open in the lake but its id is not digits: never "
            "re-read (`betterstack-etl repair` lists it)"
        )
    for got in bounded_map(walk, walks, req.workers):
        _sink_new(got, seen, req.sink, result)
    pending = [i for i in req.open_keys if i not in seen and is_api_id(i)]
    for got in bounded_map(reread, pending, req.workers):
        _sink_new(got, seen, req.sink, result)
    progress.finished(table)
    return result


def _monitor_of(resource: Any) -> str | None:
    """The monitor id an incident resource names (for filtering refusals to the run's)."""

    def field(mapping: Any, name: str) -> Any:
        return mapping.get(name) if isinstance(mapping, dict) else None

    related = field(field(field(resource, "relationships"), "monitor"), "data")
    owner = field(related, "id")
    if owner is None:
        owner = field(field(resource, "attributes"), "monitor_id")
    return None if owner is None else str(owner)


def _sink_new(
    got: list[pa.Table | str], seen: set[str], sink: Callable[[pa.Table], None], result: Extracted
) -> None:
    for rows in got:
        if isinstance(rows, str):
            result.refuse(rows)
            continue
        seen.update(rows.column("incident_id").to_pylist())
        sink(rows)
        result.rows += rows.num_rows
        result.answers += 1
