"""The steps of a run, each a plain function over a ``RunSession`` (``execute`` orders them; the
flow wraps each in a Prefect task):

0. ``resolve_slo_groups``     the SLO file's monitor group names → ids (one listing, if named);
1. ``resolve_monitors_step``  list the account's monitors once; check the wanted ids against it;
2. ``find_open_rows``         keys of rows still open in the lake, re-read this run;
3. ``fetch_table``            one table from the API into the local spool;
4. ``merge_table``            the spool through its quality gates and merged into the lake;
5. ``publish``                the tables made queryable (DuckDB views, BigLake tables);
6. ``check_slo``, ``write_month_report``  what the published views say after the load.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from dataclasses import asdict, replace
from datetime import UTC
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Final

from betterstack_etl.extract.selection import resolve_monitors
from betterstack_etl.literal import visible
from betterstack_etl.run.destinations import view_source
from betterstack_etl.run.preload import importing_meanwhile
from betterstack_etl.run.summary import MergedTable, StagedTable
from betterstack_etl.tables import INCIDENTS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from betterstack_etl.api import BetterStackClient
    from betterstack_etl.extract.selection import Selection
    from betterstack_etl.report import SloBreach, ViewSource
    from betterstack_etl.run.session import RunSession
    from betterstack_etl.sla import SlaOptions
    from betterstack_etl.sla.alerts import Transition
    from betterstack_etl.tables import TableSpec

log = logging.getLogger(__name__)

# DuckDB's memory (MiB) and threads for the SLO check and the alerts after a run: beyond the
# limit their queries spill to disk (a query that cannot runs again with 4x, then with DuckDB's
# default). Unlimited on 2 threads, the SLO status of 500 monitors held 590 MiB for a moment,
# 2.6x what the rest of the run needs (issue 24).
_CHECK_MEMORY_MIB: Final = 96
_CHECK_THREADS: Final = 1

__all__ = [
    "check_alerts",
    "check_slo",
    "fetch_table",
    "find_open_rows",
    "merge_table",
    "publish",
    "resolve_monitors_step",
    "resolve_slo_groups",
    "slo_groups_by_id",
    "write_month_report",
]


def resolve_slo_groups(session: RunSession) -> SlaOptions:
    """The run's SLA options with every monitor group the SLO file names by name replaced by
    its id (``slo_groups_by_id``). ``ConfigError`` for a name matching no group, or several."""
    return slo_groups_by_id(session.params.sla, session.client)


def slo_groups_by_id(sla: SlaOptions, client: Callable[[], BetterStackClient]) -> SlaOptions:
    """``sla`` with each monitor group named by name replaced by its id: ``GET
    /api/v2/monitor-groups`` read once (a ``client()``), only when some SLO names a group that
    is not all digits; the resolution itself is ``sla.groups`` (pure)."""
    from betterstack_etl.sla.groups import (
        apply_group_ids,
        group_listing,
        needs_groups,
        resolve_group_names,
    )

    if not needs_groups(sla.slos):
        return sla
    groups = group_listing(client().list_monitor_groups())
    ids = resolve_group_names(sla.slos, groups)
    for name, group_id in ids.items():
        log.info("SLO monitor group %r is group %s", visible(name), group_id)
    return replace(sla, slos=apply_group_ids(sla.slos, ids))


def resolve_monitors_step(session: RunSession) -> Selection:
    """The run's monitors, checked against the account's listing (one paged request)."""
    with importing_meanwhile():  # what comes next, while the listing's answer is awaited
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
    from betterstack_etl.extract.fetch import ExtractRequest, extractor
    from betterstack_etl.lake.staging import Staging

    folder = session.spool / f"{spec.short_name}-{uuid.uuid4().hex[:8]}"
    staging = Staging(spec, folder)
    counter = session.table_counter(spec.name)  # every attempt's requests, for the ledger
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
    from betterstack_etl.lake.staging import Staging
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


def publish(session: RunSession) -> None:
    """Make every table queryable: DuckDB views locally, BigLake tables in BigQuery."""
    from betterstack_etl.tables import TABLES, WRITTEN

    session.lake.publish((*TABLES, *WRITTEN))


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
    options = replace(options, slos=params.sla.slos)  # the SLO file's SLOs (SPEC §11)
    html = render_report(view_source(params), options)
    return write_report(html, params.report_out.replace("{month}", month))


def check_slo(session: RunSession, monitors: tuple[str, ...]) -> tuple[SloBreach, ...]:
    """The run's monitors whose month-to-date availability (report time zone) is below the
    SLO, read from the published monthly view (SPEC §9)."""
    from zoneinfo import ZoneInfo

    from betterstack_etl.report.breaches import breach_text, slo_breaches

    options = session.params.sla
    today = session.now.astimezone(ZoneInfo(options.time_zone)).date()
    with _check_views(session) as source:
        found = slo_breaches(
            source,
            month=today.replace(day=1),
            options=options,
            monitor_ids=monitors,
            now=session.now,
            reaching=partial(session.lake.reaching, INCIDENTS),  # also what BigQuery bills
        )
    for b in found:  # said once by the CLI's summary; a log line for Prefect's logs and -v
        log.info("SLO breached: %s", breach_text(asdict(b), visible))
    return tuple(found)


def check_alerts(session: RunSession, monitors: tuple[str, ...]) -> tuple[Transition, ...]:
    """The SLOs' alert states of the run's monitors; only the changes are kept (in
    ``eai_gateway_slo_alerts``) and returned, for the flow to emit (``sla.alerts``)."""
    from betterstack_etl.report.source import window_reader
    from betterstack_etl.sla import SLO_STATUS, view_selects
    from betterstack_etl.sla.alerts import evaluate

    today = session.now.astimezone(UTC).date()
    with _check_views(session) as source:
        made = view_selects(  # bounded: the SLO windows' partitions only (the last 32 days)
            source.dialect,
            table_ref=source.ref,
            options=session.params.sla,
            now=session.now,
            period=(today, today),
            window_ref=window_reader(source),
            reaching=partial(session.lake.reaching, INCIDENTS),  # also what BigQuery bills
        )
        select = next(text for spec, text in made if spec.name == SLO_STATUS.name)
        found = evaluate(
            session.lake,
            source,
            select,
            now=session.now,
            monitors=monitors,
            run_id=session.run_id,
        )
    return tuple(found)


@contextlib.contextmanager
def _check_views(session: RunSession) -> Iterator[ViewSource]:
    """The views the checks after the load read: the session's one connection for all of
    them (``execute`` closes it after the last). A check that fails closes it, so a retry
    starts on a fresh one."""
    try:
        yield session.views(memory_mib=_CHECK_MEMORY_MIB, threads=_CHECK_THREADS)
    except BaseException:
        session.close_views()
        raise
