"""Rows of the run ledger ``eai_gateway_runs`` (SPEC §10), typed as ``tables.RUNS`` declares.

One :class:`LedgerEntry` per table of a run (failed ones included); :func:`ledger_table` adds
what the whole run shares (ids, window, monitors, version, lineage) and returns an Arrow table
ready to be merged like any other (key ``run_id, table_name``; partition: UTC day of
``started_at``). Pure: the caller gives every time and id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import pyarrow as pa

from betterstack_etl import __version__
from betterstack_etl.api import RequestStats
from betterstack_etl.tables import RUNS

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from betterstack_etl.settings import Window

__all__ = ["LedgerEntry", "ledger_table"]


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """What one table of a run did."""

    table_name: str
    status: Literal["ok", "failed"]
    started_at: datetime
    finished_at: datetime | None
    error: str | None = None
    requests: RequestStats = field(default_factory=RequestStats)
    rows_read: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    partitions: int = 0
    records_skipped: int = 0  # left out: they break the API contract (SPEC §13)

    def __post_init__(self) -> None:
        if self.status not in ("ok", "failed"):
            raise ValueError(f"ledger status must be 'ok' or 'failed', not {self.status!r}")
        for moment in (self.started_at, self.finished_at):
            if moment is not None and moment.utcoffset() is None:
                raise ValueError("ledger times must be timezone-aware (UTC)")


def ledger_table(
    entries: Iterable[LedgerEntry],
    *,
    run_id: str,
    flow_run_id: str | None,
    window: Window | None,
    monitors: Sequence[str],
    extracted_at: datetime,
    version: str | None = None,
) -> pa.Table:
    """The ledger rows of one run, with ``tables.RUNS``'s schema."""
    shared = {
        "run_id": run_id,
        "flow_run_id": flow_run_id,
        "window_start": window.start if window else None,
        "window_end": window.end if window else None,
        "monitors": list(monitors),
        "version": version or __version__,
        "_extracted_at": extracted_at,
        "_run_id": run_id,
    }
    rows = [
        {
            **shared,
            "table_name": e.table_name,
            "status": e.status,
            "error": e.error,
            "started_at": e.started_at,
            "finished_at": e.finished_at,
            **e.requests.as_dict(),
            "rows_read": e.rows_read,
            "rows_inserted": e.rows_inserted,
            "rows_updated": e.rows_updated,
            "partitions": e.partitions,
            "records_skipped": e.records_skipped,
        }
        for e in entries
    ]
    return pa.Table.from_pylist(rows, schema=RUNS.schema)
