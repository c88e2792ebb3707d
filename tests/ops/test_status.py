"""``status``/``tables``/``describe`` over a ledger written by hand (expected figures by hand)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest

from betterstack_etl.errors import ConfigError
from betterstack_etl.ops.status import describe, landed, since, table_states
from betterstack_etl.report import DuckDbSource
from betterstack_etl.run.ledger import LedgerEntry, ledger_table

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _source() -> DuckDbSource:
    con = duckdb.connect()
    ok = [
        LedgerEntry("eai_gateway_incidents", "ok", T0, T0 + timedelta(minutes=2), rows_inserted=4),
        LedgerEntry("eai_gateway_daily_sla", "ok", T0, T0 + timedelta(minutes=3), partitions=2),
    ]
    later = T0 + timedelta(hours=1)
    bad = [
        LedgerEntry("eai_gateway_incidents", "ok", later, later + timedelta(minutes=1)),
        LedgerEntry("eai_gateway_daily_sla", "failed", later, None, error="HTTP 503 (gave up)"),
    ]
    for run_id, entries in (("r1", ok), ("r2", bad)):
        arrow = ledger_table(
            entries, run_id=run_id, flow_run_id=None, window=None, monitors=["1"], extracted_at=T0
        )
        con.register("batch", arrow)
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name='eai_gateway_runs'"
        ).fetchone()
        if exists and exists[0]:
            con.execute("INSERT INTO eai_gateway_runs SELECT *, started_at::DATE FROM batch")
        else:
            con.execute(
                "CREATE TABLE eai_gateway_runs AS "
                "SELECT *, started_at::DATE AS data_particao FROM batch"
            )
        con.unregister("batch")
    return DuckDbSource(con)


def test_status_gives_each_tables_last_run_and_last_success() -> None:
    states = {s.table: s for s in table_states(_source())}
    sla = states["eai_gateway_daily_sla"]
    assert (sla.run_id, sla.status, sla.error) == ("r2", "failed", "HTTP 503 (gave up)")
    assert sla.last_ok == T0 + timedelta(minutes=3)  # the failed run did not move it
    inc = states["eai_gateway_incidents"]
    assert (inc.run_id, inc.status, inc.rows_inserted) == ("r2", "ok", 0)
    assert inc.last_ok == T0 + timedelta(hours=1, minutes=1)


def test_freshness_reads_as_people_say_it() -> None:
    now = T0 + timedelta(minutes=47, seconds=12)
    assert since(T0, now) == "47 min ago"
    assert since(T0, T0 + timedelta(hours=5, minutes=3)) == "5 h 3 min ago"
    assert since(T0, T0 + timedelta(days=3)) == "3 days ago"
    assert since(None, now) == "never"


def test_tables_and_describe_read_what_is_there() -> None:
    source = _source()
    (runs,) = landed(source)  # only the ledger exists here
    assert (runs.table, runs.rows, runs.partitions, runs.newest) == (
        "eai_gateway_runs",
        4,
        1,
        date(2026, 11, 20),
    )
    one = describe(source, "runs")
    assert ("status", "string") in one.columns
    assert one.rows == 4
    with pytest.raises(ConfigError, match="no table 'nope'"):
        describe(source, "nope")
    with pytest.raises(ConfigError, match="not in the lake yet"):
        describe(source, "incidents")
