"""The pipeline core: one whole load, with no Prefect in it.

A run is a sequence of plain steps over a ``RunSession`` (the run's explicit state: parameters,
token, run id, clock reading, request budget, progress reporter, lake, spool folder):

1. ``resolve_monitors``   list the account's monitors once; check the wanted ids against it;
2. ``find_open_rows``     for a table that declares ``open_while_null`` (incidents), the keys of
                          rows still open in the lake, so the extraction re-reads them;
3. ``fetch_table``        one table from the API into a local spool (nothing reaches the lake);
4. ``merge_table``        the spool merged into the lake, partition by partition, by key;
5. ``publish``            the tables made queryable (DuckDB views, BigLake tables);

and ``execute`` is the one place that orders them. It takes a ``StepRunner``: ``InProcess`` runs
each step here (the CLI's embedded default), ``flow.PrefectSteps`` runs each as a Prefect task
(the deployments). Both get the same task-level retry policy: errors a retry can fix are retried
``params.task_retries`` times, ``params.task_retry_delay`` seconds apart; others fail at once.

If a table fails, the others still land and the summary names the failure; ``run`` and the flow
raise ``RunFailedError`` at the end.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import os
import shutil
import tempfile
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, ParamSpec, Protocol, TypeVar

import httpx

from betterstack_etl import clock
from betterstack_etl.api import BetterStackClient, Pacer, RequestCounter, RequestStats, RetryPolicy
from betterstack_etl.budget import run_budget
from betterstack_etl.errors import (
    BetterStackEtlError,
    DamagedFileError,
    RunFailedError,
    is_retryable,
)
from betterstack_etl.extract import (
    Extracted,
    ExtractRequest,
    PlanRequest,
    Selection,
    TablePlan,
    extractor,
    planner,
    resolve_monitors,
)
from betterstack_etl.lake import Staging, open_lake
from betterstack_etl.progress import LogProgress

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from datetime import datetime

    from betterstack_etl.lake import Lake, PartitionResult
    from betterstack_etl.progress import Progress
    from betterstack_etl.report import SloBreach, ViewSource
    from betterstack_etl.secret import Secret
    from betterstack_etl.settings import RunParams, Window
    from betterstack_etl.sla.alerts import Transition
    from betterstack_etl.tables import TableSpec

__all__ = [
    "InProcess",
    "RunSession",
    "RunSummary",
    "StagedTable",
    "StepRunner",
    "TableOutcome",
    "check_alerts",
    "check_slo",
    "describe_error",
    "execute",
    "fetch_table",
    "find_open_rows",
    "merge_table",
    "plan",
    "publish",
    "resolve_monitors_step",
    "run",
    "run_session",
    "write_month_report",
]

log = logging.getLogger("betterstack_etl.pipeline")

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)

SPOOL_DIRNAME: Final = "betterstack-etl-spool"
_OWNER_LOCK: Final = ".owner.lock"


# -- results --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StagedTable:
    """A table's rows for this run, spooled to ``spool`` (a local folder), and what reading
    them took (``Extracted``: rows, API answers, records skipped)."""

    spool: str
    extracted: Extracted
    requests: RequestStats = field(default_factory=RequestStats)

    @property
    def table(self) -> str:
        return self.extracted.table


@dataclass(frozen=True, slots=True)
class TableOutcome:
    """What one table did in one run (what the summary, the ledger and the CLI show)."""

    table: str
    rows_read: int = 0
    answers: int = 0
    partitions: tuple[PartitionResult, ...] = ()
    error: str | None = None
    requests: RequestStats = field(default_factory=RequestStats)
    warnings: tuple[tuple[str, int], ...] = ()  # soft quality rules: (rule, rows)

    @property
    def rows_inserted(self) -> int:
        return sum(p.rows_inserted for p in self.partitions)

    @property
    def rows_updated(self) -> int:
        return sum(p.rows_updated for p in self.partitions)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A whole run, small and typed; ``to_dict`` is its JSON form (``run --json``, artifact)."""

    run_id: str
    destination: str
    lake_root: str
    window: Window
    started_at: datetime
    finished_at: datetime
    monitors: tuple[str, ...]
    tables: tuple[TableOutcome, ...]
    requests: int = 0
    slo_breaches: tuple[SloBreach, ...] = ()
    warnings: tuple[str, ...] = ()
    report: str | None = None  # where the month's report was written (BETTERSTACK_REPORT_OUT)
    slo_transitions: tuple[Transition, ...] = ()  # SLO alert states that changed (SPEC §11)

    @property
    def failures(self) -> dict[str, str]:
        return {t.table: t.error for t in self.tables if t.error is not None}

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "destination": self.destination,
            "lake_root": self.lake_root,
            "window": [self.window.start.isoformat(), self.window.end.isoformat()],
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "monitors": list(self.monitors),
            "requests": self.requests,
            "slo_breaches": [
                {
                    "monitor_id": b.monitor_id,
                    "name": b.name,
                    "month": b.month.isoformat(),
                    "availability_pct": b.availability_pct,
                    "slo_pct": b.slo_pct,
                    "budget_used_pct": b.budget_used_pct,
                    "budget_used_seconds": b.budget_used_seconds,
                }
                for b in self.slo_breaches
            ],
            "warnings": list(self.warnings),
            "report": self.report,
            "slo_transitions": [
                {
                    "slo_name": t.slo_name,
                    "monitor_id": t.monitor_id,
                    "previous": t.previous,
                    "state": t.state,
                    "event": t.event,
                }
                for t in self.slo_transitions
            ],
            "tables": {
                t.table: {
                    "rows_read": t.rows_read,
                    "api_answers": t.answers,
                    "rows_inserted": t.rows_inserted,
                    "rows_updated": t.rows_updated,
                    **t.requests.as_dict(),
                    "warnings": dict(t.warnings),
                    "partitions": [
                        {
                            "data_particao": p.partition.isoformat(),
                            "rows_before": p.rows_before,
                            "rows_offered": p.rows_incoming,
                            "rows_after": p.rows_after,
                        }
                        for p in t.partitions
                    ],
                    "error": t.error,
                }
                for t in self.tables
            },
        }


def describe_error(exc: BaseException) -> str:
    """``Kind: message``; our errors in full, anything else cut to 500 characters."""
    text = f"{type(exc).__name__}: {exc}"
    return text if isinstance(exc, BetterStackEtlError) else text[:500]


# -- the run's state --------------------------------------------------------------------------


class RunSession:
    """The explicit state of one run, shared by its steps and threads; made by ``run_session``.

    It holds no secret in a form that prints: the token is a ``Secret`` used only to build API
    clients, which all share the run's request budget and one connection pool."""

    def __init__(
        self,
        params: RunParams,
        token: Secret,
        *,
        run_id: str,
        now: datetime,
        budget: Pacer,
        progress: Progress,
        http: httpx.Client,
        spool: Path,
        flow_run_id: str | None = None,
    ) -> None:
        self.params = params
        self.run_id = run_id
        self.flow_run_id = flow_run_id
        self.now = now
        self.window = params.window(now)
        self.budget = budget
        self.progress = progress
        self.spool = spool
        self._token = token
        self._http = http
        self._lake: Lake | None = None
        self._clients: list[BetterStackClient] = []

    def __repr__(self) -> str:
        return f"RunSession(run_id={self.run_id!r}, destination={self.params.destination!r})"

    @property
    def lake(self) -> Lake:
        if self._lake is None:
            self._lake = open_lake(self.params)
        return self._lake

    def client(self, stats: RequestCounter | None = None) -> BetterStackClient:
        """An API client on the run's connection pool and budget, reading the pipeline clock,
        counting its requests, retries and 429s in ``stats`` (one counter per table)."""
        client = BetterStackClient(
            self._http,
            self._token,
            base_url=self.params.base_url,
            retry=RetryPolicy(base_delay=self.params.retry_base_delay),
            pacer=self.budget,
            clock=lambda: clock.utcnow(),
            stats=stats,
        )
        self._clients.append(client)
        return client

    @property
    def requests_sent(self) -> int:
        """HTTP requests the run's clients sent so far, retries included."""
        return sum(c.requests_sent for c in self._clients)


@contextlib.contextmanager
def run_session(
    params: RunParams,
    token: Secret,
    *,
    run_id: str | None = None,
    progress: Progress | None = None,
    spool_root: Path | None = None,
    shared_budget: bool = False,
    flow_run_id: str | None = None,
) -> Iterator[RunSession]:
    """The state of one run, released when the block ends (however it ends).

    The request budget is the run's own ``Pacer``, or with ``shared_budget`` (the flow) one
    budget per token shared by every run on the same Prefect server (``budget.run_budget``:
    a global concurrency limit; the run's own pacer when no server answers).

    The spool is ``<spool_root>/<run_id>``, held by an ``flock`` for the run's lifetime; each
    new session first removes the spools of runs that are gone (killed, crashed): nothing a run
    made outlives it for more than one later run."""
    run_id = run_id or flow_run_id or uuid.uuid4().hex
    root = spool_root or Path(tempfile.gettempdir()) / SPOOL_DIRNAME
    timeout = httpx.Timeout(params.timeout, connect=min(10.0, params.timeout))
    with (
        run_budget(
            params.rate, params.max_in_flight, token, use_prefect=None if shared_budget else False
        ) as budget,
        _owned_spool(root, run_id) as spool,
        httpx.Client(timeout=timeout, verify=True, follow_redirects=False) as http,
    ):
        yield RunSession(
            params,
            token,
            run_id=run_id,
            now=clock.utcnow(),
            budget=budget,
            progress=progress or LogProgress(),
            http=http,
            spool=spool,
            flow_run_id=flow_run_id,
        )


@contextlib.contextmanager
def _owned_spool(root: Path, run_id: str) -> Iterator[Path]:
    root.mkdir(parents=True, exist_ok=True)
    sweep_dead_spools(root)
    spool = root / run_id
    spool.mkdir()
    fd = os.open(spool / _OWNER_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield spool
    finally:
        shutil.rmtree(spool, ignore_errors=True)
        os.close(fd)


def sweep_dead_spools(root: Path) -> list[Path]:
    """Remove the spool folders under ``root`` whose run is gone (nobody holds their lock)."""
    removed = []
    for folder in root.iterdir() if root.is_dir() else ():
        lock = folder / _OWNER_LOCK
        if not folder.is_dir():
            continue
        try:
            fd = os.open(lock, os.O_RDWR)
        except FileNotFoundError:
            # a run between mkdir and its lock, or a folder that is not ours: leave young ones
            if time.time() - folder.stat().st_mtime < 60:
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a live run
        finally:
            os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    if removed:
        log.info("removed %d spool folder(s) left by runs that were killed", len(removed))
    return removed


# -- the steps --------------------------------------------------------------------------------


def resolve_monitors_step(session: RunSession) -> Selection:
    """The run's monitors, checked against the account's listing (one paged request)."""
    selection = resolve_monitors(session.client(), session.params.monitors)
    ids = selection.ids
    log.info("loading %d of %d monitor(s): %s", len(ids), selection.visible, ", ".join(ids[:20]))
    return selection


def find_open_rows(session: RunSession, spec: TableSpec, selection: Selection) -> tuple[str, ...]:
    """Keys of rows of ``spec`` still open in the lake (``spec.open_while_null`` is null) that
    started before the run's window, for the run's monitors: the extraction re-reads them.
    One read of the lake's open-rows index, however long the history (``Lake.open_keys``)."""
    if spec.open_while_null is None:
        return ()
    monitors = None if selection.everything else selection.ids
    found = session.lake.open_keys(spec, monitors, session.window.start)
    if found:
        log.info("%s: %d row(s) still open in the lake, re-read this run", spec.name, len(found))
    return tuple(found)


def fetch_table(
    session: RunSession, spec: TableSpec, selection: Selection, open_keys: tuple[str, ...] = ()
) -> StagedTable:
    """Read one table from the API into the run's spool (nothing reaches the lake here)."""
    folder = session.spool / f"{spec.short_name}-{uuid.uuid4().hex[:8]}"
    staging = Staging(spec, folder)
    counter = RequestCounter()
    request = ExtractRequest(
        spec=spec,
        client=session.client(counter),
        selection=selection,
        window=session.window,
        sink=staging.add,
        run_id=session.run_id,
        workers=session.params.max_in_flight,
        progress=session.progress,
        open_keys=open_keys,
    )
    try:
        got = extractor(spec)(request)
    except BaseException:
        staging.cleanup()
        raise
    log.info("%s: %d rows read from %d API answers", spec.name, got.rows, got.answers)
    return StagedTable(str(folder), got, counter.snapshot())


def merge_table(session: RunSession, staged: StagedTable) -> MergedTable:
    """Check a spooled table against its quality gates (``spec.rules``) and merge it into the
    lake, one partition at a time, by key. A hard rule broken stops the table before anything
    of it is written (``GateError``: the rule, the count, a few keys); soft ones are counted."""
    from betterstack_etl.tables import table_by_name

    spec = table_by_name(staged.table)
    staging = Staging(spec, Path(staged.spool))
    gates = staging.gate(now=session.now)
    gates.raise_for_hard()
    for rule, count in gates.warnings.items():
        log.warning("%s: %d row(s) %s (kept)", spec.name, count, rule)
    results = staging.commit(session.lake)
    for r in results:
        log.info(
            "%s %s: %d rows before, %d offered, %d after",
            spec.name,
            r.partition,
            r.rows_before,
            r.rows_incoming,
            r.rows_after,
        )
    return MergedTable(tuple(results), tuple(sorted(gates.warnings.items())))


@dataclass(frozen=True, slots=True)
class MergedTable:
    """What a merge did: each partition's counts, and the soft quality warnings."""

    partitions: tuple[PartitionResult, ...]
    warnings: tuple[tuple[str, int], ...] = ()


def publish(session: RunSession) -> None:
    """Make every table queryable: DuckDB views locally, BigLake tables in BigQuery."""
    from betterstack_etl.tables import TABLES, WRITTEN

    session.lake.publish((*TABLES, *WRITTEN))


def _view_source(params: RunParams) -> ViewSource:
    from betterstack_etl.report import BigQuerySource, DuckDbSource

    if params.destination == "bigquery":
        return BigQuerySource.from_env(
            project=params.billing_project_id,
            dataset=params.dataset_id,
            location=params.bigquery_location,
        )
    return DuckDbSource.open(params.lake_root)


def write_month_report(session: RunSession) -> str | None:
    """The month's SLA report (SPEC §9), written where ``report_out`` says (``{month}``
    filled in), when it says; where it went."""
    from zoneinfo import ZoneInfo

    from betterstack_etl.report import ReportOptions, render_report, write_report

    params = session.params
    if params.report_out is None:
        return None
    zone = ZoneInfo(params.sla.time_zone)
    month = session.now.astimezone(zone).strftime("%Y-%m")
    options = ReportOptions.from_cli(
        now=session.now, month=month, time_zone=params.sla.time_zone, slo=params.sla.slo_pct
    )
    html = render_report(_view_source(params), options)
    return write_report(html, params.report_out.replace("{month}", month))


def check_slo(session: RunSession, monitors: tuple[str, ...]) -> tuple[SloBreach, ...]:
    """The run's monitors whose month-to-date availability (report time zone) is below the
    SLO, read from the published monthly view (SPEC §9)."""
    from zoneinfo import ZoneInfo

    from betterstack_etl.report import slo_breaches

    options = session.params.sla
    today = session.now.astimezone(ZoneInfo(options.time_zone)).date()
    source = _view_source(session.params)
    found = slo_breaches(
        source, month=today.replace(day=1), options=options, monitor_ids=monitors, now=session.now
    )
    for b in found:
        log.warning(
            "SLO breached: %s (%s) at %.3f%% this month, below %g%%; %.0f%% of the error budget "
            "used",
            b.name,
            b.monitor_id,
            b.availability_pct,
            b.slo_pct,
            b.budget_used_pct,
        )
    return tuple(found)


def check_alerts(session: RunSession, monitors: tuple[str, ...]) -> tuple[Transition, ...]:
    """The SLOs' alert states of the run's monitors; only the changes are kept (in
    ``eai_gateway_slo_alerts``) and returned, for the flow to emit (``sla.alerts``)."""
    from betterstack_etl.sla.alerts import evaluate

    source = _view_source(session.params)
    found = evaluate(
        session.lake,
        source,
        session.params.sla,
        now=session.now,
        monitors=monitors,
        run_id=session.run_id,
    )
    return tuple(found)


# -- orchestration ------------------------------------------------------------------------------


class Outcome(Protocol[R_co]):
    """A step's result to come (``concurrent.futures.Future``, ``PrefectFuture``)."""

    def result(self) -> R_co: ...


class StepRunner(Protocol):
    """How ``execute`` runs a step: here (``InProcess``) or as a Prefect task (the flow)."""

    def call(self, step: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R: ...

    def submit(
        self, step: Callable[P, R], *args: P.args, **kwargs: P.kwargs
    ) -> Outcome[R]: ...


def execute(session: RunSession, runner: StepRunner) -> RunSummary:
    """One whole load: the only place that orders the steps (the flow calls it too). Whatever
    happens, the run leaves one row per table in the ledger ``eai_gateway_runs``."""
    started = clock.utcnow()
    outcomes: dict[str, TableOutcome] = {}
    monitors: tuple[str, ...] = ()
    try:
        selection = runner.call(resolve_monitors_step, session)
        monitors = selection.ids
        pending: dict[str, Outcome[StagedTable]] = {}
        for spec in session.params.tables:
            try:
                open_keys = runner.call(find_open_rows, session, spec, selection)
            except Exception as exc:  # noqa: BLE001 - reported by table
                outcomes[spec.name] = TableOutcome(spec.name, error=describe_error(exc))
                continue
            pending[spec.name] = runner.submit(fetch_table, session, spec, selection, open_keys)
        for name, future in pending.items():
            outcomes[name] = _merged(session, runner, name, future)
    except BaseException as exc:
        # The run stopped before its tables could go on (a refused token, an unknown monitor):
        # each table not yet settled failed for that reason, and the ledger says so.
        why = describe_error(exc)
        for spec in session.params.tables:
            outcomes.setdefault(spec.name, TableOutcome(spec.name, error=why))
        _record(session, _summary(session, started, monitors, outcomes, (), ()))
        raise
    summary = _summary(session, started, monitors, outcomes, (), ())
    warnings = list(_record(session, summary))
    warnings += _record_coverage(session, summary)
    try:
        runner.call(publish, session)
    except DamagedFileError as exc:  # the data landed; the views wait for `repair`
        warnings.append(describe_error(exc))
        log.warning("%s", exc)
    try:
        breaches = runner.call(check_slo, session, monitors)
    except Exception as exc:  # noqa: BLE001 - the load is done; the check is reported, not fatal
        breaches = ()
        warnings.append(f"SLO check skipped: {describe_error(exc)}")
    try:
        alerts = runner.call(check_alerts, session, monitors)
    except Exception as exc:  # noqa: BLE001 - the load is done; the alert step is reported
        alerts = ()
        warnings.append(f"SLO alerts skipped: {describe_error(exc)}")
    try:
        report = runner.call(write_month_report, session)
    except Exception as exc:  # noqa: BLE001 - the load is done; the report is reported, not fatal
        report = None
        warnings.append(f"report not written: {describe_error(exc)}")
    return replace(
        summary,
        slo_breaches=breaches,
        slo_transitions=alerts,
        warnings=tuple(warnings),
        report=report,
    )


def _merged(
    session: RunSession, runner: StepRunner, name: str, future: Outcome[StagedTable]
) -> TableOutcome:
    try:
        staged = future.result()
    except Exception as exc:  # noqa: BLE001 - every failure is reported by table
        return TableOutcome(name, error=describe_error(exc))
    try:
        merged = runner.call(merge_table, session, staged)
        error = None
    except Exception as exc:  # noqa: BLE001
        merged, error = MergedTable(()), describe_error(exc)
    finally:
        shutil.rmtree(staged.spool, ignore_errors=True)
    got = staged.extracted
    return TableOutcome(
        name, got.rows, got.answers, merged.partitions, error, staged.requests, merged.warnings
    )


def _summary(
    session: RunSession,
    started: datetime,
    monitors: tuple[str, ...],
    outcomes: dict[str, TableOutcome],
    breaches: tuple[SloBreach, ...],
    warnings: tuple[str, ...],
) -> RunSummary:
    params = session.params
    return RunSummary(
        run_id=session.run_id,
        destination=params.destination,
        lake_root=params.lake_root,
        window=session.window,
        started_at=started,
        finished_at=clock.utcnow(),
        monitors=monitors,
        tables=tuple(outcomes[s.name] for s in params.tables if s.name in outcomes),
        requests=session.requests_sent,
        slo_breaches=breaches,
        warnings=warnings,
    )


def _record(session: RunSession, summary: RunSummary) -> tuple[str, ...]:
    """Write the run's rows to the ledger (one per table); a warning when it cannot be."""
    from betterstack_etl.ledger import LedgerEntry, ledger_table
    from betterstack_etl.tables import RUNS

    entries = [
        LedgerEntry(
            table_name=t.table,
            status="failed" if t.error else "ok",
            started_at=summary.started_at,
            finished_at=summary.finished_at,
            error=t.error,
            requests=t.requests,
            rows_read=t.rows_read,
            rows_inserted=t.rows_inserted,
            rows_updated=t.rows_updated,
            partitions=len(t.partitions),
        )
        for t in summary.tables
    ]
    rows = ledger_table(
        entries,
        run_id=session.run_id,
        flow_run_id=session.flow_run_id,
        window=session.window,
        monitors=summary.monitors,
        extracted_at=summary.finished_at,
    )
    try:
        session.lake.merge_partition(RUNS, summary.started_at.astimezone(UTC).date(), rows)
    except BetterStackEtlError as exc:
        log.warning("the run ledger was not written: %s", exc)
        return (f"run ledger not written: {describe_error(exc)}",)
    return ()


def _record_coverage(session: RunSession, summary: RunSummary) -> tuple[str, ...]:
    """Record in the lake the days each table that landed fetched (SPEC §4, lake.coverage)."""
    from betterstack_etl.lake.coverage import record_coverage

    window = session.window
    fetched = [
        (t.table, summary.monitors, window.start, window.end, session.now)
        for t in summary.tables
        if t.error is None
    ]
    return record_coverage(
        session.lake, fetched, run_id=session.run_id, extracted_at=summary.finished_at
    )


@dataclass
class InProcess:
    """Runs the steps in this process, with the flow's task-level retry policy; ``submit``
    runs a step on a small thread pool (one thread per table)."""

    retries: int
    retry_delay: float
    sleep: Callable[[float], None] = time.sleep
    _pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=4, thread_name_prefix="table")
    )

    def call(self, step: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(self.retries + 1):
            try:
                return step(*args, **kwargs)
            except Exception as exc:
                if attempt >= self.retries or not is_retryable(exc):
                    raise
                log.warning(
                    "%s failed (%s); retry %d/%d in %gs",
                    step.__name__,
                    describe_error(exc),
                    attempt + 1,
                    self.retries,
                    self.retry_delay,
                )
                self.sleep(self.retry_delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def submit(self, step: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        return self._pool.submit(functools.partial(self.call, step, *args, **kwargs))

    def __enter__(self) -> InProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def run(
    params: RunParams,
    token: Secret,
    *,
    run_id: str | None = None,
    progress: Progress | None = None,
    spool_root: Path | None = None,
    raise_on_failure: bool = True,
) -> RunSummary:
    """One whole load in this process (the CLI's embedded default; benchmarks; tests)."""
    with (
        run_session(
            params, token, run_id=run_id, progress=progress, spool_root=spool_root
        ) as session,
        InProcess(params.task_retries, params.task_retry_delay) as runner,
    ):
        summary = execute(session, runner)
    if raise_on_failure and summary.failures:
        raise RunFailedError(summary.failures)
    return summary


@dataclass(frozen=True, slots=True)
class RunPlan:
    """What a run would do (``run --dry-run``): after listing the monitors, no data request
    and no write."""

    monitors: tuple[str, ...]
    visible: int
    window: Window
    tables: tuple[TablePlan, ...]
    requests_made: int  # the listing (and its pages): the only requests of a dry run

    @property
    def requests(self) -> int:
        return sum(t.requests for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        return {
            "monitors": list(self.monitors),
            "visible_monitors": self.visible,
            "window": [self.window.start.isoformat(), self.window.end.isoformat()],
            "requests_made": self.requests_made,
            "requests_planned": self.requests,
            "tables": {
                t.table: {
                    "requests": t.requests,
                    "at_least": t.at_least,
                    "partitions": [d.isoformat() for d in t.partitions],
                    "note": t.note,
                }
                for t in self.tables
            },
        }


def plan(params: RunParams, token: Secret, *, spool_root: Path | None = None) -> RunPlan:
    """The plan of a run: list the monitors (the one request made), find the rows still open
    in the lake (a read), and ask each table's declared planner what it would fetch."""
    with run_session(params, token, spool_root=spool_root) as session:
        selection = resolve_monitors_step(session)
        plans = []
        for spec in params.tables:
            # an empty lake has nothing open (and its index is not built by a dry run)
            has_rows = spec.open_while_null is not None and session.lake.partitions(spec)
            open_keys = find_open_rows(session, spec, selection) if has_rows else ()
            request = PlanRequest(spec, selection, session.window, session.now, open_keys)
            plans.append(planner(spec)(request))
        return RunPlan(
            selection.ids, selection.visible, session.window, tuple(plans), session.requests_sent
        )
