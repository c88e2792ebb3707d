"""What a run did and would do, small and typed: per-table outcomes, the run summary and the
dry-run plan, each with its JSON form (``run --json``, the artifact, the ledger read them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from betterstack_etl.api import RequestStats
from betterstack_etl.errors import BetterStackEtlError, StoppedError

if TYPE_CHECKING:
    from datetime import datetime

    from betterstack_etl.extract.fetch import (
        Extracted,
        TablePlan,
    )
    from betterstack_etl.lake import PartitionResult
    from betterstack_etl.report import SloBreach
    from betterstack_etl.settings import Window
    from betterstack_etl.sla.alerts import Transition

__all__ = [
    "MergedTable",
    "RunPlan",
    "RunSummary",
    "ScheduleFit",
    "StagedTable",
    "TableOutcome",
    "describe_error",
    "shorten",
]


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
    refused: tuple[str, ...] = ()  # records left out: they break the API contract (SPEC §13)
    gone: tuple[str, ...] = ()  # monitors deleted at Better Stack during the run: skipped

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
                    "records_skipped": len(t.refused),
                    "refused": list(t.refused),
                    "gone_monitors": list(t.gone),
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
    """``Kind: message``; our errors in full, anything else cut to 500 characters; a stop
    is said as it is (``stopped by SIGTERM``)."""
    if isinstance(exc, StoppedError):
        return exc.message
    text = f"{type(exc).__name__}: {exc}"
    return text if isinstance(exc, BetterStackEtlError) else text[:500]


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters (``…`` says it was cut)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class MergedTable:
    """What a merge did: each partition's counts, and the soft quality warnings."""

    partitions: tuple[PartitionResult, ...]
    warnings: tuple[tuple[str, int], ...] = ()


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"


@dataclass(frozen=True, slots=True)
class ScheduleFit:
    """Whether a run's requests fit between two scheduled runs: at ``rate`` requests a second
    (the run's budget), ``requests`` take at least ``requests / rate`` seconds; a plan longer
    than ``interval`` makes runs overlap and fall behind (SPEC §10: say so before)."""

    requests: int
    rate: float
    interval: float

    @property
    def seconds(self) -> float:
        return self.requests / self.rate

    @property
    def fits(self) -> bool:
        return self.seconds <= self.interval

    def describe(self) -> str:
        return (
            f"about {self.requests:,} requests: at least {_duration(self.seconds)} at "
            f"{self.rate:g} requests/s, "
            + ("within" if self.fits else "longer than")
            + f" the {_duration(self.interval)} between scheduled runs (BETTERSTACK_RUN_INTERVAL)"
        )

    @property
    def fix(self) -> str:
        return (
            "raise BETTERSTACK_RATE if the account's API limit allows, narrow MONITOR_ID (or "
            "split it between deployments), or schedule runs less often and set "
            "BETTERSTACK_RUN_INTERVAL to match"
        )

    def warning(self) -> str | None:
        """One line when the plan cannot keep up with the schedule, else None."""
        if self.fits:
            return None
        return f"the plan cannot keep up: {self.describe()} — {self.fix}"


@dataclass(frozen=True, slots=True)
class RunPlan:
    """What a run would do (``run --dry-run``): after listing the monitors, no data request
    and no write."""

    monitors: tuple[str, ...]
    visible: int
    window: Window
    tables: tuple[TablePlan, ...]
    requests_made: int  # the listing (and its pages): the only requests of a dry run
    rate: float = 8.0  # the run's request budget, requests/second
    interval: float = 3600.0  # seconds between scheduled runs (BETTERSTACK_RUN_INTERVAL)

    @property
    def requests(self) -> int:
        return sum(t.requests for t in self.tables)

    @property
    def schedule(self) -> ScheduleFit:
        return ScheduleFit(self.requests, self.rate, self.interval)

    def to_dict(self) -> dict[str, Any]:
        return {
            "monitors": list(self.monitors),
            "visible_monitors": self.visible,
            "window": [self.window.start.isoformat(), self.window.end.isoformat()],
            "requests_made": self.requests_made,
            "requests_planned": self.requests,
            "seconds_at_rate": round(self.schedule.seconds),
            "run_interval": self.interval,
            "fits_interval": self.schedule.fits,
            "warning": self.schedule.warning(),
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
