"""The flow end to end: simulator → Prefect flow → local lake, asserted on the lake (DuckDB)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from betterstack_etl.errors import AuthenticationError, BetterStackEtlError, RunFailedError
from betterstack_etl.simulator import SimConfig, Simulator
from betterstack_etl.tables import TABLES

pytestmark = pytest.mark.slow

Run = Callable[..., dict[str, Any]]
Query = Callable[[str], list[tuple[Any, ...]]]

KEYS = {
    spec.name: ", ".join(f'"{k}"' for k in (*spec.key, "data_particao")) for spec in TABLES
}  # a key is unique within its partition (the monitors table keeps one row per day)


def _count(query: Query, table: str) -> int:
    return int(query(f"SELECT count(*) FROM {table}")[0][0])


def _duplicates(query: Query, table: str) -> int:
    keys = KEYS[table]
    rows = query(
        f"SELECT count(*) FROM (SELECT {keys} FROM {table} GROUP BY {keys} HAVING count(*) > 1)"
    )
    return int(rows[0][0])


def test_one_run_lands_every_typed_table(core_run: Run, query: Query, lake_root: Path) -> None:
    summary = core_run()
    assert all(t["error"] is None for t in summary["tables"].values())
    for table in KEYS:
        assert _count(query, table) > 0, table
    types = {
        (table, name): kind
        for table, name, kind in query(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
        )
    }
    assert types[("eai_gateway_response_times", "at")].startswith("TIMESTAMP")
    assert types[("eai_gateway_response_times", "response_time")] == "DOUBLE"
    assert types[("eai_gateway_response_times", "data_particao")] == "DATE"
    assert types[("eai_gateway_incidents", "regions")] == "VARCHAR[]"
    assert types[("eai_gateway_incidents", "duration_seconds")] == "BIGINT"
    assert types[("eai_gateway_incidents", "call")] == "BOOLEAN"
    assert types[("eai_gateway_daily_sla", "date")] == "DATE"
    assert types[("eai_gateway_daily_sla", "availability")] == "DOUBLE"
    assert types[("eai_gateway_daily_sla", "is_complete")] == "BOOLEAN"
    # data_particao is the UTC date of the partitioning column, in every table
    for table, column in (
        ("eai_gateway_response_times", "CAST(timezone('UTC', \"at\") AS DATE)"),
        ("eai_gateway_incidents", "CAST(timezone('UTC', started_at) AS DATE)"),
        ("eai_gateway_daily_sla", "date"),
    ):
        assert query(f"SELECT count(*) FROM {table} WHERE data_particao <> {column}") == [(0,)]
    # the lake's table folders hold nothing but partitions' parquet (and ./_ names)
    for table in KEYS:
        for path in (lake_root / table).rglob("*"):
            rel = path.relative_to(lake_root / table)
            if any(part.startswith((".", "_")) for part in rel.parts):
                continue
            assert rel.parts[0].startswith("data_particao="), rel
            assert path.is_dir() or path.suffix == ".parquet", rel


def test_each_flow_run_leaves_a_summary_artifact(flow_run: Run) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    summary = flow_run()
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["betterstack-run-summary"]))
        )
    texts = [str(a.data) for a in artifacts]
    mine = [t for t in texts if summary["run_id"] in t]
    assert len(mine) == 1
    for table, info in summary["tables"].items():
        assert table in mine[0]
        for p in info["partitions"]:
            assert (
                f"| {table} | {p['data_particao']} | {p['rows_before']} | {p['rows_offered']} "
                in mine[0]
            )


def test_hourly_runs_never_duplicate_a_row(
    core_run: Run, query: Query, pipeline_env: Simulator
) -> None:
    counts = []
    for _ in range(3):
        core_run()
        counts.append(_count(query, "eai_gateway_response_times"))
        pipeline_env.frozen_clock.advance(timedelta(hours=1))
    for table in KEYS:
        assert _duplicates(query, table) == 0, table
    # each hourly run re-reads 24 h but only adds the new hour's points
    assert counts[0] < counts[1] < counts[2] < 2 * counts[0]
    # re-running at the same instant changes nothing
    pipeline_env.frozen_clock.advance(timedelta(hours=-1))
    before = {t: _count(query, t) for t in KEYS}
    core_run()
    assert {t: _count(query, t) for t in KEYS} == before


def _open_incident_time(sim: Simulator) -> None:
    """Move the simulator's clock forward hour by hour until some incident is open."""
    for _ in range(72):
        answer = httpx.get(
            f"{sim.base_url}/api/v3/incidents",
            params={"resolved": "false"},
            headers={"Authorization": "Bearer sim-token"},
        )
        if answer.json()["data"]:
            return
        sim.frozen_clock.advance(timedelta(hours=1))
    pytest.fail("the simulator had no open incident in 72 hours")


def test_an_open_incident_is_re_read_until_it_resolves(
    core_run: Run, query: Query, pipeline_env: Simulator
) -> None:
    _open_incident_time(pipeline_env)
    core_run()
    open_ids = [
        r[0]
        for r in query("SELECT incident_id FROM eai_gateway_incidents WHERE resolved_at IS NULL")
    ]
    assert open_ids
    assert query("SELECT DISTINCT status FROM eai_gateway_incidents WHERE resolved_at IS NULL")[0][
        0
    ] in ("Started", "Acknowledged")
    # three days later the incident's start is outside the default window (yesterday, today):
    # it can only be resolved in the lake through the re-read of open incidents
    pipeline_env.frozen_clock.advance(timedelta(days=3))
    core_run()
    ids = ", ".join(f"'{i}'" for i in open_ids)
    rows = query(
        f"SELECT incident_id, status, resolved_at, duration_seconds FROM eai_gateway_incidents "
        f"WHERE incident_id IN ({ids})"
    )
    assert len(rows) == len(open_ids)
    for incident_id, status, resolved_at, duration in rows:
        assert status == "Resolved", incident_id
        assert resolved_at is not None
        assert duration is not None
        assert duration >= 0
    assert _duplicates(query, "eai_gateway_incidents") == 0


def test_todays_sla_row_is_replaced_as_the_day_goes_on(
    core_run: Run, query: Query, pipeline_env: Simulator
) -> None:
    today = pipeline_env.clock.now().date()
    core_run(tables=["daily_sla"])
    first = dict(
        (m, (complete, extracted))
        for m, complete, extracted in query(
            f"SELECT monitor_id, is_complete, _extracted_at FROM eai_gateway_daily_sla WHERE date = DATE '{today}'"
        )
    )
    assert first
    assert all(complete is False for complete, _ in first.values())
    pipeline_env.frozen_clock.advance(timedelta(hours=5))
    core_run(tables=["daily_sla"])
    later = query(
        f"SELECT monitor_id, is_complete, _extracted_at FROM eai_gateway_daily_sla WHERE date = DATE '{today}'"
    )
    assert len(later) == len(first)  # replaced, not appended
    for monitor_id, complete, extracted in later:
        assert complete is False
        assert extracted > first[monitor_id][1]
    # the next day, yesterday's row is complete
    pipeline_env.frozen_clock.advance(timedelta(days=1))
    core_run(tables=["daily_sla"])
    assert query(
        f"SELECT DISTINCT is_complete FROM eai_gateway_daily_sla WHERE date = DATE '{today}'"
    ) == [(True,)]
    assert _duplicates(query, "eai_gateway_daily_sla") == 0


def test_backfill_reads_the_given_days(
    core_run: Run, query: Query, pipeline_env: Simulator
) -> None:
    end = pipeline_env.clock.now().date() - timedelta(days=3)
    start = end - timedelta(days=4)
    core_run(
        from_date=start.isoformat(), to_date=end.isoformat(), tables=["daily_sla", "incidents"]
    )
    days = [r[0] for r in query("SELECT DISTINCT date FROM eai_gateway_daily_sla ORDER BY 1")]
    assert days == [start + timedelta(days=i) for i in range(5)]
    started = query(
        "SELECT min(CAST(timezone('UTC', started_at) AS DATE)), max(CAST(timezone('UTC', started_at) AS DATE)) "
        "FROM eai_gateway_incidents"
    )[0]
    assert started[0] >= start
    assert started[1] <= end
    assert _count(query, "eai_gateway_response_times") == 0


def test_a_storm_of_5xx_and_429_is_survived(
    core_run: Run, query: Query, pipeline_env: Simulator
) -> None:
    pipeline_env.faults.fail_next(3, status=503)
    pipeline_env.faults.throttle_next(2, retry_after=1)
    pipeline_env.faults.cut_next(1)
    summary = core_run()
    assert all(t["error"] is None for t in summary["tables"].values())
    assert pipeline_env.stats.throttled >= 2
    assert pipeline_env.stats.by_status.get(503, 0) >= 3
    for table in KEYS:
        assert _count(query, table) > 0


def test_a_bad_token_fails_fast_with_a_clear_message(
    run_either: Run, pipeline_env: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BETTERSTACK_TOKEN", "wrong-token-123")
    monkeypatch.setenv("BETTERSTACK_TASK_RETRIES", "3")
    monkeypatch.setenv("BETTERSTACK_TASK_RETRY_DELAY", "5")
    pipeline_env.stats.reset()
    with pytest.raises(AuthenticationError) as info:
        run_either()
    message = str(info.value)
    assert "401" in message
    assert "BETTERSTACK_TOKEN" in message
    assert "wrong-token-123" not in message
    assert pipeline_env.stats.requests == 1  # neither the request nor the task was retried


def test_a_failing_table_is_named_and_the_others_still_land(
    run_either: Run, query: Query, pipeline_env: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from betterstack_etl.errors import BadRequestError
    from betterstack_etl.extract import fetch as extract

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise BadRequestError(
            "the API refused the dates",
            endpoint="/api/v2/monitors/1/sla",
            status=400,
            hint="check from_date/to_date",
        )

    monkeypatch.setattr(extract, "daily_sla", refuse)  # the table's declared extractor
    with pytest.raises(RunFailedError) as info:
        run_either()
    assert "eai_gateway_daily_sla" in str(info.value)
    assert "the API refused the dates" in str(info.value)
    assert set(info.value.failures) == {"eai_gateway_daily_sla"}
    assert _count(query, "eai_gateway_daily_sla") == 0
    assert _count(query, "eai_gateway_incidents") > 0


def test_a_write_killed_midway_leaves_the_previous_partition_intact(
    core_run: Run,
    query: Query,
    pipeline_env: Simulator,
    monkeypatch: pytest.MonkeyPatch,
    lake_root: Path,
) -> None:
    core_run(tables=["response_times"])
    before = sorted(
        query('SELECT monitor_id, region, "at", response_time FROM eai_gateway_response_times')
    )
    files = {p: p.read_bytes() for p in lake_root.rglob("*.parquet")}
    pipeline_env.frozen_clock.advance(timedelta(hours=1))
    real_replace = os.replace

    def crash(src: Any, dst: Any) -> None:
        if str(dst).endswith(".parquet"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises((RunFailedError, BetterStackEtlError, OSError)):
        core_run(tables=["response_times"])
    monkeypatch.setattr(os, "replace", real_replace)
    assert {p: p.read_bytes() for p in lake_root.rglob("*.parquet")} == files
    after = sorted(
        query('SELECT monitor_id, region, "at", response_time FROM eai_gateway_response_times')
    )
    assert after == before


def test_the_token_appears_in_no_log_and_no_file(
    make_simulator: Callable[..., Simulator],
    run_either: Run,
    monkeypatch: pytest.MonkeyPatch,
    lake_root: Path,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    pipeline_env: Simulator,
) -> None:
    token = "tok-SECRET-7f3a9c"
    sim = make_simulator(SimConfig(seed=11, monitors=2, token=token), pipeline_env.clock)
    monkeypatch.setenv("BETTERSTACK_TOKEN", token)
    monkeypatch.setenv("BETTERSTACK_BASE_URL", sim.base_url)
    sim.faults.fail_next(2, status=503)
    caplog.set_level(logging.DEBUG)
    run_either()
    # and a failing run, whose errors are logged
    sim.faults.fail_next(50, status=500)
    monkeypatch.setenv("BETTERSTACK_TASK_RETRIES", "0")
    with pytest.raises(BetterStackEtlError):
        run_either()
    captured = capfd.readouterr()
    assert token not in caplog.text
    assert token not in captured.out + captured.err
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_open_incidents_outside_the_window_are_found_in_the_lake(
    core_run: Run, query: Query, pipeline_env: Simulator
) -> None:
    """A backfill of an old day fetches open incidents of that day; a later default run
    (another window) still resolves them."""
    _open_incident_time(pipeline_env)
    today: date = pipeline_env.clock.now().date()
    core_run(from_date=today.isoformat(), to_date=today.isoformat(), tables=["incidents"])
    pipeline_env.frozen_clock.advance(timedelta(days=5))
    core_run(tables=["incidents"])
    assert query(
        f"SELECT count(*) FROM eai_gateway_incidents WHERE resolved_at IS NULL "
        f"AND CAST(timezone('UTC', started_at) AS DATE) = DATE '{today}'"
    ) == [(0,)]


def test_the_flow_and_the_core_land_the_same_lake(
    core_run: Run,
    flow_run: Run,
    pipeline_env: Simulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Same simulated world and clock, one lake by each path: the same rows in every table
    (only ``_run_id`` tells them apart)."""
    import duckdb

    lakes = {"core": tmp_path / "by-core", "flow": tmp_path / "by-flow"}
    for path, runner in (("core", core_run), ("flow", flow_run)):
        monkeypatch.setenv("BETTERSTACK_LAKE_ROOT", str(lakes[path]))
        summary = runner()
        assert not any(t["error"] for t in summary["tables"].values())
    seen = {}
    for path, root in lakes.items():
        con = duckdb.connect(str(root / "betterstack.duckdb"), read_only=True)
        try:
            seen[path] = {
                spec.name: sorted(
                    con.execute(f"SELECT * EXCLUDE (_run_id) FROM {spec.name}").fetchall(), key=repr
                )
                for spec in TABLES
            }
        finally:
            con.close()
    for spec in TABLES:
        assert seen["core"][spec.name], spec.name
        assert seen["core"][spec.name] == seen["flow"][spec.name], spec.name


def test_the_sla_views_are_published_with_the_tables(core_run: Run, query: Query) -> None:
    """After a run the five SLA views answer (SPEC §8.2), one monthly row per monitor."""
    core_run()
    monitors = {r[0] for r in query("SELECT DISTINCT monitor_id FROM eai_gateway_monitors")}
    monthly = query(
        "SELECT monitor_id, availability_pct, slo_pct FROM eai_gateway_availability_monthly"
    )
    assert {r[0] for r in monthly} == monitors
    assert all(r[2] == 99.9 for r in monthly)
    assert all(r[1] is None or 0 <= r[1] <= 100 for r in monthly)
    for view in (
        "eai_gateway_availability_daily",
        "eai_gateway_uptime_kpi",
        "eai_gateway_sla_reconciliation",
        "eai_gateway_response_times_hourly",
    ):
        assert _count(query, view) > 0, view


def test_a_flow_run_writes_the_months_report_and_links_it(
    flow_run: Run, pipeline_env: Simulator, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    out = str(tmp_path / "reports" / "sla-{month}.html")
    missing = flow_run(report_out=out)  # a folder that is not there: a warning, not a failure
    assert missing["report"] is None
    assert any("report not written" in w and "does not exist" in w for w in missing["warnings"])
    (tmp_path / "reports").mkdir()
    summary = flow_run(report_out=out)
    month = pipeline_env.clock.now().strftime("%Y-%m")
    written = tmp_path / "reports" / f"sla-{month}.html"
    assert summary["report"] == str(written)
    html = written.read_text()
    assert html.startswith("<!DOCTYPE html>") or html.lstrip().lower().startswith("<!doctype html")
    assert "<svg" in html
    with get_client(sync_client=True) as client:
        links = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["betterstack-report"]))
        )
    assert any(str(written) in str(a.data) for a in links)
