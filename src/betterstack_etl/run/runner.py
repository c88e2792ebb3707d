"""Running a whole load: the step runner, the one place that orders the steps, and the dry run.

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

import ctypes
import functools
import logging
import shutil
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC
from typing import TYPE_CHECKING, Final, ParamSpec, Protocol, Self, TypeVar

from betterstack_etl import clock
from betterstack_etl.errors import (
    BetterStackEtlError,
    DamagedFileError,
    DiskFullError,
    RunFailedError,
    StoppedError,
    is_retryable,
    name_a_few,
)
from betterstack_etl.extract.selection import missing_monitors
from betterstack_etl.run.preload import AFTER_THE_FETCH, importing_meanwhile
from betterstack_etl.run.session import RunSession, run_session
from betterstack_etl.run.steps import (
    check_alerts,
    check_slo,
    fetch_table,
    find_open_rows,
    merge_table,
    publish,
    resolve_monitors_step,
    resolve_slo_groups,
    write_month_report,
)
from betterstack_etl.run.summary import (
    MergedTable,
    RunPlan,
    RunSummary,
    StagedTable,
    TableOutcome,
    describe_error,
    shorten,
)
from betterstack_etl.tables import MONITORS

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from pathlib import Path

    from betterstack_etl.extract.progress import Progress
    from betterstack_etl.extract.selection import Selection
    from betterstack_etl.report import SloBreach
    from betterstack_etl.secret import Secret
    from betterstack_etl.settings import RunParams

__all__ = ["InProcess", "Outcome", "StepRunner", "execute", "plan", "run"]

log = logging.getLogger(__name__)

_RETRY_LINE_CHARS: Final = 200  # a retry line is a notice; the full error comes once, at the end

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class Outcome(Protocol[R_co]):
    """A step's result to come (``concurrent.futures.Future``, ``PrefectFuture``)."""

    def result(self) -> R_co: ...


class StepRunner(Protocol):
    """How ``execute`` runs a step: here (``InProcess``) or as a Prefect task (the flow)."""

    def call(self, step: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R: ...

    def submit(self, step: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> Outcome[R]: ...


def _return_freed_memory() -> None:
    """glibc keeps what the fetch threads freed in its per-thread arenas; hand it back to the
    system (``malloc_trim``) before the checks, whose queries are the run's last peak (14 MiB
    at 500 monitors, issue 24). Without glibc, nothing."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def execute(session: RunSession, runner: StepRunner) -> RunSummary:
    """One whole load: the only place that orders the steps (the flow calls it too). Whatever
    happens, the run leaves one row per table in the ledger ``eai_gateway_runs``."""
    started = clock.utcnow()
    outcomes: dict[str, TableOutcome] = {}
    monitors: tuple[str, ...] = ()
    try:
        sla = runner.call(resolve_slo_groups, session)  # before the lake's views are made
        session.params = replace(session.params, sla=sla)
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
        with importing_meanwhile(AFTER_THE_FETCH, short_switches=False):  # what comes after
            for name, future in pending.items():
                outcomes[name] = _merged(session, runner, name, future)
    except BaseException as exc:
        # The run stopped before its tables could go on (a refused token, an unknown monitor,
        # a stop, a second Ctrl-C): every thread of the run stops at its next request, each
        # table not yet settled failed for that reason, and the ledger says so.
        session.stop.set(type(exc).__name__)
        why = describe_error(exc)
        for spec in session.params.tables:
            requests = session.table_requests(spec.name)
            outcomes.setdefault(spec.name, TableOutcome(spec.name, error=why, requests=requests))
        _record(session, _summary(session, started, monitors, outcomes, (), ()))
        raise
    summary = _summary(session, started, monitors, outcomes, (), ())
    from betterstack_etl.lake.coverage import record_coverage  # imported while listing

    coverage = record_coverage(  # the days each table that landed fetched (SPEC §4)
        session.lake,
        [(t.table, tuple(m for m in monitors if m not in t.gone), session.window.start,
          session.window.end, session.now)
         for t in summary.tables if t.error is None],
        run_id=session.run_id,
        extracted_at=summary.finished_at,
    )  # fmt: skip
    if session.stop.is_set():  # SIGINT/SIGTERM: what was done is recorded, nothing more is done
        _record(session, summary)
        raise StoppedError(session.stop.reason or "a stop request", summary=summary.to_dict())
    warnings = [
        *_refusals(summary, selection.refused),
        *_skipped_monitors(selection, summary),
        *_record(session, summary),
        *coverage,
    ]
    _return_freed_memory()  # before the checks, the run's last peak
    published = _publish(session, runner, warnings)
    try:  # the checks share one connection to the views (the session's), closed after them
        try:
            breaches = runner.call(check_slo, session, monitors)
        except Exception as exc:  # noqa: BLE001 - the load is done; the check is reported
            breaches = ()
            warnings.append(f"SLO check skipped: {describe_error(exc)}")
        try:
            alerts = runner.call(check_alerts, session, monitors)
        except Exception as exc:  # noqa: BLE001 - the load is done; the alert step is reported
            alerts = ()
            warnings.append(f"SLO alerts skipped: {describe_error(exc)}")
    finally:
        session.close_views()
    if alerts and published:
        # the alerts' rows landed after the views were made: the first ones of their table
        # change its view, made now rather than by the next run (nothing to do otherwise)
        _publish(session, runner, warnings, again=True)
    try:
        report = runner.call(write_month_report, session)
    except Exception as exc:  # noqa: BLE001 - the load is done; the report is reported, not fatal
        report = None
        warnings.append(f"report not written: {describe_error(exc)}")
    return replace(
        summary, slo_breaches=breaches, slo_transitions=alerts, warnings=tuple(warnings),
        report=report,
    )  # fmt: skip


def _publish(
    session: RunSession, runner: StepRunner, warnings: list[str], *, again: bool = False
) -> bool:
    """Publish the views; a damaged file or a full disk is a warning (the data landed, the
    views wait), and ``again`` any error of ours (the views of the load were published).
    Whether they were published."""
    tolerated = BetterStackEtlError if again else (DamagedFileError, DiskFullError)
    try:
        runner.call(publish, session)
    except tolerated as exc:
        warnings.append(describe_error(exc))
        log.warning("%s", exc)
        return False
    return True


def _merged(
    session: RunSession, runner: StepRunner, name: str, future: Outcome[StagedTable]
) -> TableOutcome:
    try:
        staged = future.result()
    except Exception as exc:  # noqa: BLE001 - every failure is reported by table
        return TableOutcome(name, error=describe_error(exc), requests=session.table_requests(name))
    try:
        if session.stop.is_set():  # fetched, but the run was asked to stop: nothing written
            got = staged.extracted
            why = f"{StoppedError(session.stop.reason or 'a stop request').message} before its "
            why += f"merge ({got.rows} row(s) read, none written)"
            return TableOutcome(name, got.rows, got.answers, error=why, requests=staged.requests)
        merged = runner.call(merge_table, session, staged)
        error = None
    except Exception as exc:  # noqa: BLE001
        merged, error = MergedTable(()), describe_error(exc)
    finally:
        shutil.rmtree(staged.spool, ignore_errors=True)
    got = staged.extracted
    return TableOutcome(
        name,
        got.rows,
        got.answers,
        merged.partitions,
        error,
        staged.requests,
        merged.warnings,
        tuple(got.refused),
        tuple(got.gone),
    )


def _skipped_monitors(selection: Selection, summary: RunSummary) -> list[str]:
    """One warning for ids of MONITOR_ID the account does not list, one per table that met a
    monitor deleted during the run (the other monitors landed)."""
    said = [f"{missing_monitors(selection.missing)}: skipped"] if selection.missing else []
    said += [
        f"{t.table}: monitor(s) {name_a_few(t.gone)} gone at Better Stack during the run "
        "(404): skipped, the others landed"
        for t in summary.tables
        if t.gone
    ]
    return said


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


def _refusals(summary: RunSummary, listing: tuple[str, ...]) -> list[str]:
    """One warning per table that left records out (they break the API contract), naming the
    first; the listing's when the monitors table was not part of the run."""
    said = [(t.table, t.refused) for t in summary.tables if t.refused]
    if listing and not any(t.table == MONITORS.name for t in summary.tables):
        said.append(("monitor listing", listing))
    return [
        f"{where}: {len(refused)} record(s) left out, they break the API contract: "
        f"{refused[0]}" + (" (and more: see the log)" if len(refused) > 1 else "")
        for where, refused in said
    ]


def _record(session: RunSession, summary: RunSummary) -> tuple[str, ...]:
    """Write the run's rows to the ledger (one per table); a warning when it cannot be."""
    from betterstack_etl.run.ledger import LedgerEntry, ledger_table
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
            records_skipped=len(t.refused),
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


@dataclass
class InProcess:
    """Runs the steps in this process, with the flow's task-level retry policy; ``submit``
    runs a step on a small thread pool (one thread per table). ``sleep`` is the wait between
    attempts (a run gives its ``StopFlag.sleep``: a stop ends it at once)."""

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
                log.warning(  # short: the whole error is said once, when the step gives up
                    "%s failed (%s); retry %d/%d in %gs",
                    step.__name__,
                    shorten(describe_error(exc), _RETRY_LINE_CHARS),
                    attempt + 1,
                    self.retries,
                    self.retry_delay,
                )
                self.sleep(self.retry_delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def submit(self, step: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        return self._pool.submit(functools.partial(self.call, step, *args, **kwargs))

    def __enter__(self) -> Self:
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
    with run_session(
        params, token, run_id=run_id, progress=progress, spool_root=spool_root
    ) as session:
        retries = InProcess(params.task_retries, params.task_retry_delay, session.stop.sleep)
        with retries as runner:
            summary = execute(session, runner)
    if raise_on_failure and summary.failures:
        raise RunFailedError(summary.failures, summary=summary.to_dict())
    return summary


def plan(params: RunParams, token: Secret, *, spool_root: Path | None = None) -> RunPlan:
    """The plan of a run: list the monitors (the one request made), find the rows still open
    in the lake (a read), and ask each table's declared planner what it would fetch."""
    from betterstack_etl.extract.fetch import PlanRequest, planner

    with run_session(params, token, spool_root=spool_root) as session:
        session.params = replace(session.params, sla=resolve_slo_groups(session))
        selection = resolve_monitors_step(session)
        plans = []
        for spec in params.tables:
            # an empty lake has nothing open (and its index is not built by a dry run)
            has_rows = spec.open_while_null is not None and session.lake.partitions(spec)
            open_keys = find_open_rows(session, spec, selection) if has_rows else ()
            request = PlanRequest(spec, selection, session.window, session.now, open_keys)
            plans.append(planner(spec)(request))
        return RunPlan(
            selection.ids,
            selection.visible,
            session.window,
            tuple(plans),
            session.requests_sent,
            params.rate,
            params.run_interval,
        )
