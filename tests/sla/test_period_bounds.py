"""Issue 24: the views answering a month read only that month's partitions, and answer what
the whole history answers (the SLO check after each run must not grow with the lake's age).

The lake is benchmark 6's synthetic one (70 days up to 2026-11-25, in the layout's own files),
with the monitors' daily history and one outage that began in August and ended on 3 November:
an incident lives in the partition of the day it started, so a month that reads only its own
partitions must still see it."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from benchmarks.views import NOW, build_lake

from betterstack_etl.lake import publish_duckdb_views
from betterstack_etl.lake.layout import split_by_file
from betterstack_etl.report import DuckDbSource
from betterstack_etl.sla import SlaOptions, view_selects
from betterstack_etl.tables import COVERAGE, DAILY_SLA, INCIDENTS, MONITORS, RESPONSE_TIMES

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
OUTAGE = (datetime(2026, 8, 1, 6, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC))
SPECS = (RESPONSE_TIMES, INCIDENTS, DAILY_SLA, MONITORS, COVERAGE)


def _partition(root: Path, name: str, day: date) -> Path:
    return root / name / f"data_particao={day.isoformat()}"


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("lake")
    days = 70
    build_lake(root, monitors=3, days=days)
    listed = _partition(root, MONITORS.name, NOW.date())
    for back in range(1, days):  # one listing a day, as the hourly runs keep it
        shutil.copytree(listed, _partition(root, MONITORS.name, NOW.date() - timedelta(days=back)))
    started, ended = OUTAGE
    ts = pa.timestamp("ms", tz="UTC")
    row: dict[str, Any] = {"incident_id": "long", "monitor_id": "m00000", "cause": "Status 503"}
    row["raw"] = "{}"
    row |= {"started_at": started, "resolved_at": ended, "_extracted_at": NOW, "_run_id": "t"}
    columns = [
        pa.array([row.get(f.name)], ts if pa.types.is_timestamp(f.type) else f.type)
        for f in INCIDENTS.schema
    ]
    folder = _partition(root, INCIDENTS.name, started.date())
    folder.mkdir(parents=True)
    for name, rows in split_by_file(
        INCIDENTS, pa.Table.from_arrays(columns, schema=INCIDENTS.schema)
    ):
        pq.write_table(rows, folder / name)
    con = duckdb.connect(str(publish_duckdb_views(root, SPECS)), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    return con


def _root(con: duckdb.DuckDBPyConnection) -> Path:
    return Path(str(con.execute("PRAGMA database_list").fetchall()[0][2])).parent


def _selects(
    period: tuple[date, date] | None, listed: duckdb.DuckDBPyConnection | None = None
) -> dict[str, str]:
    """The views' SELECTs; with ``listed``, reading the raw tables as the run and the report do
    on the lake of that connection: the period's partition files only (``window_ref``)."""
    source = None if listed is None else DuckDbSource(listed, root=_root(listed))
    made = view_selects(
        "duckdb",
        table_ref=lambda n: f'"{n}"',
        options=SlaOptions(),
        now=NOW,
        period=period,
        window_ref=None if source is None else source.window_ref,
    )
    return {spec.name: select for spec, select in made}


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    """The rows, sorted, floats to 12 significant digits (an average's last bit depends on the
    order DuckDB's threads add the values in, the same query run twice included)."""
    rows = con.execute(sql).fetchall()
    rounded = [tuple(float(f"{v:.12g}") if isinstance(v, float) else v for v in r) for r in rows]
    return sorted(rounded, key=repr)


@pytest.mark.parametrize(
    ("view", "where"),
    [
        ("eai_gateway_availability_monthly", "month = DATE '2026-11-01'"),
        ("eai_gateway_availability_daily", "day BETWEEN DATE '2026-11-01' AND DATE '2026-11-30'"),
        (
            "eai_gateway_sla_reconciliation",
            "`date` BETWEEN DATE '2026-11-01' AND DATE '2026-11-30'",
        ),
        ("eai_gateway_response_times_hourly", "data_particao >= DATE '2026-11-01'"),
        ("eai_gateway_slo_status", "true"),
    ],
)
@pytest.mark.parametrize("listed", [False, True], ids=["filtered", "listed"])
def test_a_bounded_view_answers_what_the_whole_history_answers(
    lake: duckdb.DuckDBPyConnection, view: str, where: str, listed: bool
) -> None:
    where = where.replace("`", '"')
    whole = _rows(lake, f"SELECT * FROM ({_selects(None)[view]}) AS v WHERE {where}")
    selects = _selects(NOVEMBER, lake if listed else None)
    bounded = _rows(lake, f"SELECT * FROM ({selects[view]}) AS v WHERE {where}")
    assert whole, f"{view}: nothing to compare"
    assert bounded == whole


@pytest.mark.parametrize("listed", [False, True], ids=["filtered", "listed"])
def test_an_outage_that_began_months_before_counts_in_the_month(
    lake: duckdb.DuckDBPyConnection, listed: bool
) -> None:
    monthly = _selects(NOVEMBER, lake if listed else None)["eai_gateway_availability_monthly"]
    (down,) = lake.execute(
        f"SELECT downtime_seconds FROM ({monthly}) AS v "
        "WHERE monitor_id = 'm00000' AND month = DATE '2026-11-01'"
    ).fetchone() or (None,)
    # by hand: November in São Paulo begins at 03:00 UTC; the outage ends on 3 Nov 00:00 UTC
    assert down is not None
    assert down >= (OUTAGE[1] - datetime(2026, 11, 1, 3, tzinfo=UTC)).total_seconds()


def _scans(con: duckdb.DuckDBPyConnection, sql: str, out: Path) -> list[dict[str, str]]:
    con.execute("PRAGMA enable_profiling = 'json'")
    con.execute(f"PRAGMA profiling_output = '{out}'")
    try:
        con.execute(sql).fetchall()
    finally:
        con.execute("PRAGMA disable_profiling")
    found: list[dict[str, str]] = []

    def walk(node: dict[str, Any]) -> None:
        if node.get("operator_name") == "READ_PARQUET":
            found.append(node["extra_info"])
        for child in node.get("children", []):
            walk(child)

    walk(json.loads(out.read_text()))
    return found


def _table_of(info: dict[str, str]) -> str:
    first = info["Filename(s)"].split(", ")[0]
    return Path(first).parent.parent.name


def _read(info: dict[str, str], listed: bool = False) -> int:
    """How many files the scan opened, or was given to bind against (``Scanning Files:
    read/listed``)."""
    counts = info.get("Scanning Files", info.get("Total Files Read", "-1")).split("/")
    return int(counts[-1] if listed else counts[0])


def _files(root: Path, name: str, first: date, last: date) -> tuple[int, int]:
    """How many of the table's files lie in partitions ``first``..``last``, and how many in all."""
    days = [
        date.fromisoformat(f.parent.name.split("=")[1]) for f in (root / name).glob("*/*.parquet")
    ]
    return sum(first <= d <= last for d in days), len(days)


@pytest.mark.parametrize("listed", [False, True], ids=["filtered", "listed"])
@pytest.mark.parametrize("view", ["eai_gateway_availability_monthly", "eai_gateway_slo_status"])
def test_a_months_queries_read_only_that_months_partitions(
    lake: duckdb.DuckDBPyConnection, view: str, listed: bool, tmp_path: Path
) -> None:
    """DuckDB's own profile says which files each scan opened and how many it was given
    ("Scanning Files: read/listed"); the expected count is the files in the window's
    partitions, counted on disk. Filtered, DuckDB is given (and binds against) every file of
    the history; listed, only the window's."""
    root = _root(lake)
    selects = _selects(NOVEMBER, lake if listed else None)
    scans = _scans(lake, f"SELECT count(*) FROM ({selects[view]}) AS v", tmp_path / "p.json")
    if view.endswith("monthly"):
        first, last = date(2026, 10, 31), date(2026, 12, 1)  # the month, a day either side
    else:  # the SLO windows: the last 32 days and a day either side
        first, last = NOW.date() - timedelta(days=33), NOW.date() + timedelta(days=1)
    seen = set()
    for info in scans:
        table = _table_of(info)
        seen.add(table)
        reach = first - timedelta(days=7) if table == MONITORS.name else first
        inside, total = _files(root, table, reach, last)
        if table == INCIDENTS.name and "resolved_at" in json.dumps(info.get("Filters", "")):
            # the incidents that began before the window and reach into it (the outage)
            assert _read(info) == total - inside
            if listed:
                assert _read(info, listed=True) == total - inside
            continue
        assert _read(info) == inside, (table, info)
        if listed:  # given only those files, DuckDB binds against those only
            assert _read(info, listed=True) == inside, (table, info)
        assert inside < total or table == RESPONSE_TIMES.name  # (two days of checks in all)
    assert {COVERAGE.name, MONITORS.name, INCIDENTS.name} <= seen


@pytest.mark.parametrize("view", ["eai_gateway_availability_monthly", "eai_gateway_slo_status"])
def test_listed_a_months_queries_never_open_a_file_outside_the_window(
    lake: duckdb.DuckDBPyConnection, view: str, tmp_path: Path
) -> None:
    """Every file outside the window replaced by bytes that are not Parquet: the query that
    lists the window's files answers as before; the one over the whole views (DuckDB reads
    every file's schema when it binds them) fails. The incidents are left whole: their older
    partitions are read for the incidents still open when the window begins."""
    copy = tmp_path / "lake"
    shutil.copytree(_root(lake), copy)
    con = duckdb.connect(str(publish_duckdb_views(copy, SPECS)), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    query = f"SELECT * FROM ({_selects(NOVEMBER, con)[view]}) AS v"
    before = _rows(con, query)
    first = date(2026, 10, 31) if view.endswith("monthly") else NOW.date() - timedelta(days=33)
    damaged = 0
    for spec in (COVERAGE, MONITORS, DAILY_SLA, RESPONSE_TIMES):
        reach = first - timedelta(days=7) if spec is MONITORS else first
        for path in (copy / spec.name).glob("*/*.parquet"):
            if date.fromisoformat(path.parent.name.split("=")[1]) < reach:
                path.write_bytes(b"not parquet")
                damaged += 1
    assert damaged > 50
    assert _rows(con, f"SELECT * FROM ({_selects(NOVEMBER, con)[view]}) AS v") == before
    with pytest.raises(duckdb.Error):
        con.execute(f"SELECT count(*) FROM ({_selects(NOVEMBER)[view]}) AS v").fetchall()


def test_every_raw_table_read_on_bigquery_is_filtered_on_its_partition_column() -> None:
    """BigQuery bills the partitions a query's predicate on ``data_particao`` leaves: in the
    bounded SQL each read of a raw table sits in a SELECT whose WHERE bounds it (by dates)."""
    import sqlglot
    from sqlglot import exp

    from betterstack_etl.sla import SOURCES

    made = view_selects(
        "bigquery",
        table_ref=lambda n: f"`p.d.{n}`",
        options=SlaOptions(),
        now=NOW,
        period=NOVEMBER,
    )
    checked = 0
    for spec, select in made:
        if spec.name == "eai_gateway_uptime_kpi":  # reads the monthly view, not a raw table
            continue
        for table in sqlglot.parse_one(select, read="bigquery").find_all(exp.Table):
            if table.name not in SOURCES:
                continue
            reading = table.find_ancestor(exp.Select)
            assert reading is not None, (spec.name, table.name)
            where = reading.args.get("where")
            assert where is not None, (spec.name, table.name)
            bounds = [
                node
                for node in where.find_all(exp.Between, exp.LT)
                if isinstance(node.this, exp.Column) and node.this.name == "data_particao"
            ]
            assert bounds, (spec.name, table.name, where.sql("bigquery"))
            checked += 1
    assert checked >= 5 * 4  # every raw table, in every view that reads it


def _status_select(options: SlaOptions, con: duckdb.DuckDBPyConnection) -> str:
    source = DuckDbSource(con, root=_root(con))
    made = view_selects(
        "duckdb",
        table_ref=lambda n: f'"{n}"',
        options=options,
        now=NOW,
        period=(NOW.date(), NOW.date()),  # as the run's alert step asks (steps.check_alerts)
        window_ref=source.window_ref,
    )
    return next(select for spec, select in made if spec.name == "eai_gateway_slo_status")


def test_the_slo_status_reads_the_response_times_only_for_a_latency_slo(
    lake: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Issue 24: the response times (most of the lake) were scanned and joined by the alerts'
    SLO status even when no SLO is about latency, the heaviest part of an hourly run's memory.
    Availability alone: DuckDB's profile shows no scan of them, and the availability rows are
    those the same query gives with a latency SLO declared beside it (which does scan them)."""
    from betterstack_etl.sla.slo_file import Slo

    latency = Slo("fast", "latency", 0.9, monitor_ids=("m00001",), threshold_seconds=0.5)
    alone = _status_select(SlaOptions(), lake)
    beside = _status_select(SlaOptions(slos=(latency,)), lake)
    read_alone = {
        _table_of(i) for i in _scans(lake, f"SELECT * FROM ({alone}) AS v", tmp_path / "a.json")
    }
    read_beside = {
        _table_of(i) for i in _scans(lake, f"SELECT * FROM ({beside}) AS v", tmp_path / "b.json")
    }
    assert RESPONSE_TIMES.name not in read_alone
    assert {COVERAGE.name, INCIDENTS.name} <= read_alone
    assert RESPONSE_TIMES.name in read_beside
    availability = "SELECT * FROM ({}) AS v WHERE indicator = 'availability'"
    rows = _rows(lake, availability.format(alone))
    assert len(rows) == 3  # the default SLO on each of the three monitors
    assert rows == _rows(lake, availability.format(beside))
    assert [
        r[:3]
        for r in _rows(
            lake,
            f"SELECT slo_name, monitor_id, indicator FROM ({beside}) AS v WHERE indicator = 'latency'",
        )
    ] == [("fast", "m00001", "latency")]
