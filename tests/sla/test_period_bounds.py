"""Issue 24: the views answering a month read only that month's partitions, and answer what
the whole history answers (the SLO check after each run must not grow with the lake's age).

The lake is benchmark 6's synthetic one (70 days up to 2026-11-25, in the layout's own files),
with the monitors' daily history and one outage that began in August and ended on 3 November:
an incident lives in the partition of the day it started, so a month that reads only its own
partitions must still see it; and one outage that began in July and is still open. The lake's
summaries under ``_state/`` (``lake.reach``, the open-rows index) are rebuilt from its files, as
a run's merges keep them."""

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

from betterstack_etl.lake import LocalLake, publish_duckdb_views
from betterstack_etl.lake.layout import split_by_file
from betterstack_etl.lake.reach import reach_name
from betterstack_etl.report import DuckDbSource
from betterstack_etl.sla import SlaOptions, view_selects
from betterstack_etl.tables import COVERAGE, DAILY_SLA, INCIDENTS, MONITORS, RESPONSE_TIMES

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
OUTAGE = (datetime(2026, 8, 1, 6, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC))
OPEN = datetime(2026, 7, 10, 9, tzinfo=UTC)  # m00001's outage, not resolved yet
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
    for monitor, (started, ended) in {"m00000": OUTAGE, "m00001": (OPEN, None)}.items():
        _write_incident(root, monitor, started, ended)
    LocalLake(root).rebuild_indexes([INCIDENTS])
    con = duckdb.connect(str(publish_duckdb_views(root, SPECS)), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    return con


def _write_incident(root: Path, monitor: str, started: datetime, ended: datetime | None) -> None:
    ts = pa.timestamp("ms", tz="UTC")
    row: dict[str, Any] = {"incident_id": f"long-{monitor}", "monitor_id": monitor}
    row |= {"cause": "Status 503", "raw": "{}"}
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


def _root(con: duckdb.DuckDBPyConnection) -> Path:
    return Path(str(con.execute("PRAGMA database_list").fetchall()[0][2])).parent


def _selects(
    period: tuple[date, date] | None,
    listed: duckdb.DuckDBPyConnection | None = None,
    *,
    reached: bool = False,
) -> dict[str, str]:
    """The views' SELECTs; with ``listed``, reading the raw tables as the run and the report do
    on the lake of that connection: the period's partition files only (``window_ref``); with
    ``reached`` too, of the incidents that began before the period only the partitions the
    lake's summaries say may still overlap it (``reaching``)."""
    source = None if listed is None else DuckDbSource(listed, root=_root(listed))
    made = view_selects(
        "duckdb",
        table_ref=lambda n: f'"{n}"',
        options=SlaOptions(),
        now=NOW,
        period=period,
        window_ref=None if source is None else source.window_ref,
        reaching=source.reaching if source is not None and reached else None,
    )
    return {spec.name: select for spec, select in made}


MODES = ["filtered", "listed", "reached"]


def _mode_selects(
    period: tuple[date, date], con: duckdb.DuckDBPyConnection, mode: str
) -> dict[str, str]:
    return _selects(period, None if mode == "filtered" else con, reached=mode == "reached")


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
@pytest.mark.parametrize("mode", MODES)
def test_a_bounded_view_answers_what_the_whole_history_answers(
    lake: duckdb.DuckDBPyConnection, view: str, where: str, mode: str
) -> None:
    where = where.replace("`", '"')
    whole = _rows(lake, f"SELECT * FROM ({_selects(None)[view]}) AS v WHERE {where}")
    selects = _mode_selects(NOVEMBER, lake, mode)
    bounded = _rows(lake, f"SELECT * FROM ({selects[view]}) AS v WHERE {where}")
    assert whole, f"{view}: nothing to compare"
    assert bounded == whole


@pytest.mark.parametrize("mode", MODES)
def test_an_outage_that_began_months_before_counts_in_the_month(
    lake: duckdb.DuckDBPyConnection, mode: str
) -> None:
    monthly = _mode_selects(NOVEMBER, lake, mode)["eai_gateway_availability_monthly"]
    down = dict(
        lake.execute(
            f"SELECT monitor_id, downtime_seconds FROM ({monthly}) AS v "
            "WHERE month = DATE '2026-11-01'"
        ).fetchall()
    )
    # by hand: November in São Paulo begins at 03:00 UTC; the outage ends on 3 Nov 00:00 UTC
    assert down["m00000"] >= (OUTAGE[1] - datetime(2026, 11, 1, 3, tzinfo=UTC)).total_seconds()
    # the July outage still open: down the whole month so far, 1 Nov 03:00 UTC up to now
    assert down["m00001"] == (NOW - datetime(2026, 11, 1, 3, tzinfo=UTC)).total_seconds()


def test_the_lakes_summaries_name_the_older_partitions_that_reach_the_month(
    lake: duckdb.DuckDBPyConnection,
) -> None:
    """By hand: before 31 October (the month less a day), the August outage (resolved on
    3 November) and the July one (open) reach November; the synthetic incidents last at most
    4 h, so of them only those of 30 October may reach past midnight. None of the history's
    other days is read."""
    source = DuckDbSource(lake, root=_root(lake))
    found = source.reaching(date(2026, 10, 31))
    assert found is not None
    assert {OPEN.date(), OUTAGE[0].date()} <= set(found)
    assert set(found) - {OPEN.date(), OUTAGE[0].date()} <= {date(2026, 10, 30)}


def test_without_the_summaries_every_older_partition_is_read(
    lake: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """A lake whose ``_state/`` summary is missing (written before it existed): ``reaching``
    says unknown, the older partitions are all read, and the open outage still counts."""
    copy = tmp_path / "lake"
    shutil.copytree(_root(lake), copy)
    (copy / "_state" / reach_name(INCIDENTS)).unlink()
    con = duckdb.connect(str(publish_duckdb_views(copy, SPECS)), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    assert DuckDbSource(con, root=copy).reaching(date(2026, 10, 31)) is None
    monthly = _selects(NOVEMBER, con, reached=True)["eai_gateway_availability_monthly"]
    (down,) = con.execute(
        f"SELECT downtime_seconds FROM ({monthly}) AS v "
        "WHERE monitor_id = 'm00001' AND month = DATE '2026-11-01'"
    ).fetchone() or (None,)
    assert down == (NOW - datetime(2026, 11, 1, 3, tzinfo=UTC)).total_seconds()


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


def _reaching_files(root: Path, since: date) -> int:
    """Counted on disk, file by file (not from the summaries): the incidents files of the
    partitions before ``since`` where some row is open or resolved at or after its midnight."""
    midnight = datetime(since.year, since.month, since.day, tzinfo=UTC)
    by_day: dict[date, list[bool]] = {}
    for path in (root / INCIDENTS.name).glob("*/*.parquet"):
        day = date.fromisoformat(path.parent.name.split("=")[1])
        if day >= since:
            continue
        ends = pq.read_table(path, columns=["resolved_at"]).column(0).to_pylist()
        by_day.setdefault(day, []).append(any(e is None or e >= midnight for e in ends))
    return sum(len(files) for files in by_day.values() if any(files))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("view", ["eai_gateway_availability_monthly", "eai_gateway_slo_status"])
def test_a_months_queries_read_only_that_months_partitions(
    lake: duckdb.DuckDBPyConnection, view: str, mode: str, tmp_path: Path
) -> None:
    """DuckDB's own profile says which files each scan opened and how many it was given
    ("Scanning Files: read/listed"); the expected count is the files in the window's
    partitions, counted on disk. Filtered, DuckDB is given (and binds against) every file of
    the history; listed, only the window's, and of the incidents that began before it every
    older file; reached, of those only the partitions where an incident reaches the window."""
    root = _root(lake)
    listed = mode != "filtered"
    selects = _mode_selects(NOVEMBER, lake, mode)
    scans = _scans(lake, f"SELECT count(*) FROM ({selects[view]}) AS v", tmp_path / "p.json")
    if view.endswith("monthly"):
        first, last = date(2026, 10, 31), date(2026, 12, 1)  # the month, a day either side
    else:  # the SLO windows: the last 32 days and a day either side
        first, last = NOW.date() - timedelta(days=33), NOW.date() + timedelta(days=1)
    seen = set()
    older = 0
    for info in scans:
        table = _table_of(info)
        seen.add(table)
        reach = first - timedelta(days=7) if table == MONITORS.name else first
        inside, total = _files(root, table, reach, last)
        day = date.fromisoformat(Path(info["Filename(s)"].split(", ")[0]).parent.name[-10:])
        if table == INCIDENTS.name and (
            day < first if listed else "resolved_at" in json.dumps(info.get("Filters", ""))
        ):
            # the incidents that began before the window and reach into it (the outages)
            older += _read(info)
            if listed:
                assert _read(info, listed=True) == _read(info)
            continue
        assert _read(info) == inside, (table, info)
        if listed:  # given only those files, DuckDB binds against those only
            assert _read(info, listed=True) == inside, (table, info)
        assert inside < total or table == RESPONSE_TIMES.name  # (two days of checks in all)
    assert {COVERAGE.name, MONITORS.name, INCIDENTS.name} <= seen
    inside, total = _files(root, INCIDENTS.name, first, last)
    before = _files(root, INCIDENTS.name, date.min, first - timedelta(days=1))[0]
    if mode == "reached":
        # the July and August outages' partitions and at most the day before the window
        assert older == _reaching_files(root, first)
        assert 2 <= older <= 2 + len(list((root / INCIDENTS.name).glob("*/*.parquet"))) // 70 + 3
    else:
        assert older == before == total - inside


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


@pytest.mark.parametrize("reached", [False, True], ids=["older", "reached"])
def test_every_raw_table_read_on_bigquery_is_filtered_on_its_partition_column(
    reached: bool,
) -> None:
    """BigQuery bills the partitions a query's predicate on ``data_particao`` leaves: in the
    bounded SQL each read of a raw table sits in a SELECT whose WHERE bounds it (by dates).
    Told which older incidents partitions reach the period, the older read names exactly
    those dates, by a list BigQuery prunes on (no open-ended ``<``)."""
    import sqlglot
    from sqlglot import exp

    from betterstack_etl.sla import SOURCES

    made = view_selects(
        "bigquery",
        table_ref=lambda n: f"`p.d.{n}`",
        options=SlaOptions(),
        now=NOW,
        period=NOVEMBER,
        reaching=(lambda since: [OPEN.date(), OUTAGE[0].date()]) if reached else None,
    )
    checked = 0
    listed: set[str] = set()
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
                for node in where.find_all(exp.Between, exp.LT, exp.In)
                if isinstance(node.this, exp.Column) and node.this.name == "data_particao"
            ]
            assert bounds, (spec.name, table.name, where.sql("bigquery"))
            if reached:
                assert not any(isinstance(node, exp.LT) for node in bounds)
            for node in bounds:
                if isinstance(node, exp.In):
                    listed |= {e.sql("bigquery") for e in node.expressions}
            checked += 1
    assert checked >= 5 * 4  # every raw table, in every view that reads it
    if reached:  # the two outages' partitions (each its own run of days: a branch each)
        assert listed == {"CAST('2026-07-10' AS DATE)", "CAST('2026-08-01' AS DATE)"}


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
