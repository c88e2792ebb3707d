"""Ledger rows (``eai_gateway_runs``) built from what a run knows, typed as declared."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from importlib import metadata

import pytest

from betterstack_etl import __version__
from betterstack_etl.api import RequestStats
from betterstack_etl.lake.gates import check_rows
from betterstack_etl.run.ledger import LedgerEntry, ledger_table
from betterstack_etl.settings import Window
from betterstack_etl.tables import RUNS

STARTED = datetime(2026, 11, 25, 23, 59, 30, tzinfo=UTC)


def _entries() -> list[LedgerEntry]:
    done = STARTED + timedelta(minutes=2)
    return [
        LedgerEntry(
            "eai_gateway_daily_sla",
            "ok",
            STARTED,
            done,
            requests=RequestStats(requests=12, retries=2, throttled=1),
            rows_read=6,
            rows_inserted=4,
            rows_updated=2,
            partitions=2,
        ),
        LedgerEntry(
            "eai_gateway_incidents", "failed", STARTED, done, error="AuthenticationError: 401"
        ),
    ]


def test_rows_follow_the_declared_schema_and_pass_the_gates() -> None:
    table = ledger_table(
        _entries(),
        run_id="run-1",
        flow_run_id="flow-1",
        window=Window(date(2026, 11, 24), date(2026, 11, 25)),
        monitors=["1", "2"],
        extracted_at=STARTED + timedelta(minutes=3),
    )
    assert table.schema == RUNS.schema
    rows = table.to_pylist()
    assert [r["status"] for r in rows] == ["ok", "failed"]
    first = rows[0]
    assert (first["requests"], first["retries"], first["throttled"]) == (12, 2, 1)
    assert first["window_start"] == date(2026, 11, 24)
    assert first["monitors"] == ["1", "2"]
    assert first["version"] == metadata.version("betterstack-etl")
    assert first["_run_id"] == "run-1"
    assert rows[1]["error"] == "AuthenticationError: 401"
    assert check_rows(RUNS, table, STARTED.date(), now=STARTED + timedelta(minutes=3)).ok


def test_a_run_without_window_or_flow_run_still_has_rows() -> None:
    table = ledger_table(
        _entries()[:1], run_id="r", flow_run_id=None, window=None, monitors=[], extracted_at=STARTED
    )
    (row,) = table.to_pylist()
    assert row["flow_run_id"] is None
    assert row["window_start"] is None


def test_a_naive_time_or_an_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError, match="status"):
        LedgerEntry("t", "maybe", STARTED, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="UTC"):
        LedgerEntry("t", "ok", datetime(2026, 1, 1), None)


def test_the_package_version_is_known() -> None:
    assert __version__ == metadata.version("betterstack-etl")
