"""``check`` looks at the lake too (issue 23): damaged or stray files (what ``repair`` would move
aside), and the run ledger: the last run's status per table and how fresh each table is.

A run would fail on a damaged file minutes in; ``check`` says it in a second, with the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from betterstack_etl import clock
from betterstack_etl.errors import BetterStackEtlError
from betterstack_etl.ops.check import CheckResult
from betterstack_etl.tables import TABLES

if TYPE_CHECKING:
    from datetime import datetime

    from betterstack_etl.settings import RunParams

__all__ = ["check_lake", "check_ledger"]

_REPAIR = (
    "run `betterstack-etl repair` (moves them aside, kept under _quarantine/, and fetches "
    "their days again)"
)


def _relative(location: str, root: str) -> str:
    prefix = str(Path(root).expanduser().absolute()) + "/" if "://" not in root else root + "/"
    return location.removeprefix(prefix)


def check_lake(params: RunParams) -> list[CheckResult]:
    """The lake's files (local lake: every one is read) and its ledger."""
    if params.destination == "local":
        root = Path(params.lake_root).expanduser()
        if not any(root.glob("*/data_particao=*")):
            return [
                CheckResult(
                    "lake", True, f"no data yet in {params.lake_root}: the first run writes it"
                )
            ]
        from betterstack_etl.run.destinations import open_lake

        try:
            problems = list(open_lake(params).verify(TABLES))
        except BetterStackEtlError as exc:
            return [CheckResult("lake files", False, exc.message, exc.hint)]
        if problems:
            named = "; ".join(
                f"{p.kind.replace('_', ' ')} {_relative(p.location, params.lake_root)}"
                for p in problems[:3]
            )
            more = f" and {len(problems) - 3} more" if len(problems) > 3 else ""
            files = CheckResult(
                "lake files", False, f"{len(problems)} problem(s): {named}{more}", _REPAIR
            )
        else:
            files = CheckResult("lake files", True, "every file of the lake reads as it should")
        if problems:  # the views would fail on them: the ledger waits for the repair
            return [files]
        return [files, *check_ledger(params)]
    return check_ledger(params)


def _ago(moment: datetime | None, now: datetime) -> str:
    from betterstack_etl.ops.status import since

    return since(moment, now)


def check_ledger(params: RunParams, now: datetime | None = None) -> list[CheckResult]:
    """The last run per table (ok or failed) and the oldest last successful load."""
    from betterstack_etl.ops.status import table_states
    from betterstack_etl.run.destinations import view_source

    now = now or clock.utcnow()
    try:
        source = view_source(params)
        try:
            states = table_states(source)
        finally:
            close = getattr(source, "close", None)
            if callable(close):
                close()
    except BetterStackEtlError as exc:
        return [
            CheckResult(
                "last run", False, f"the run ledger cannot be read: {exc.message}", exc.hint
            )
        ]
    if not states:
        return [CheckResult("last run", True, "no run in the ledger yet: the first run writes it")]
    failed = [s for s in states if s.status != "ok"]
    last = max(s.started_at for s in states)
    if failed:
        names = ", ".join(f"{s.table} ({s.error or s.status})" for s in failed[:3])
        run = CheckResult(
            "last run",
            False,
            f"{len(failed)} table(s) failed in their last run: {names}",
            "see `betterstack-etl status`, fix the cause, and run again",
        )
    else:
        run = CheckResult("last run", True, f"every table ok, last started {_ago(last, now)}")
    stalest = min(states, key=lambda s: (s.last_ok is not None, s.last_ok or now))
    limit = 2 * params.run_interval if params.run_interval > 0 else None
    age = None if stalest.last_ok is None else (now - stalest.last_ok).total_seconds()
    fresh = age is not None and (limit is None or age <= limit)
    detail = (
        f"{stalest.table}: never loaded without error"
        if stalest.last_ok is None
        else f"oldest successful load: {stalest.table}, {_ago(stalest.last_ok, now)}"
    )
    fix = None if fresh else "run the pipeline (is the schedule running? `betterstack-etl status`)"
    return [run, CheckResult("freshness", fresh, detail, fix)]
