"""The command line as a user meets it: exit codes, one clear line on failure, what it shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from betterstack_etl.simulator import SimConfig, Simulator, SystemClock
from betterstack_etl.tables import TABLES

CLI = [sys.executable, "-m", "betterstack_etl.cli.app"]


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command in a subprocess (real stdout/stderr), without the caller's settings."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BETTERSTACK_") and k != "MONITOR_ID"
    }
    base["BETTERSTACK_ENV_FILE"] = os.devnull  # not the developer's own ./.env
    return subprocess.run(
        [*CLI, *args],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.fixture
def prefect_api(prefect_harness: None) -> dict[str, str]:
    """Point a subprocess at the session's Prefect test server (no ephemeral server per run)."""
    from prefect.settings import PREFECT_API_URL

    return {"PREFECT_API_URL": str(PREFECT_API_URL.value())}


def test_missing_token_is_one_clear_line_and_exit_1() -> None:
    done = _run(["run"], {"MONITOR_ID": "1"})
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "BETTERSTACK_TOKEN is not set" in lines[0]
    assert "export BETTERSTACK_TOKEN" in lines[0]
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (["run", "--from-date", "2026-13-01"], {"MONITOR_ID": "1"}, "YYYY-MM-DD"),
        (["run"], {"BETTERSTACK_FROM_DATE": "01/02/2026", "MONITOR_ID": "1"}, "YYYY-MM-DD"),
        (["run", "--monitor-id", "12,abc"], {}, "not a monitor id"),
        (["run", "--tables", "uptime"], {"MONITOR_ID": "1"}, "unknown table"),
        (["run", "--from-date", "2999-01-01"], {"MONITOR_ID": "1"}, "in the future"),
        (["run", "--destination", "bigquery"], {"MONITOR_ID": "1"}, "gs://bucket/prefix"),
    ],
)
def test_bad_input_fails_before_any_work_naming_the_fix(
    args: list[str], env: dict[str, str], needle: str
) -> None:
    done = _run(args, {"BETTERSTACK_TOKEN": "tok-xyz-123", **env})
    assert done.returncode == 1
    assert needle in done.stderr
    assert "Traceback" not in done.stderr
    assert "tok-xyz-123" not in done.stderr + done.stdout


def test_query_on_a_missing_lake_says_to_run_the_pipeline_first(tmp_path: Path) -> None:
    done = _run(["query", "--lake-root", str(tmp_path / "nothing"), "SELECT 1"])
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "run" in done.stderr.lower()


def test_simulate_prints_its_url_first_and_serves_it() -> None:
    proc = subprocess.Popen(
        [*CLI, "simulate", "--port", "0", "--token", "abc-token", "--monitors", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        answer = httpx.get(f"{url}/api/v2/monitors", headers={"Authorization": "Bearer abc-token"})
        assert answer.status_code == 200
        assert len(answer.json()["data"]) == 2
        assert httpx.get(f"{url}/api/v2/monitors").status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.parametrize(("flag", "link"), [([], "?page=2"), (["--tidy"], "?monitor_id=")])
def test_simulate_serves_the_live_apis_ways_unless_tidy(flag: list[str], link: str) -> None:
    proc = subprocess.Popen(
        [*CLI, "simulate", "--port", "0", "--monitors", "2", *flag],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        auth = {"Authorization": "Bearer sim-token"}
        monitor_id = httpx.get(f"{url}/api/v2/monitors", headers=auth).json()["data"][0]["id"]
        params = {"monitor_id": monitor_id, "from": "2020-01-01"}
        listed = httpx.get(f"{url}/api/v3/incidents", params=params, headers=auth).json()
        assert link in listed["pagination"]["next"]  # bare links drop the filters
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.parametrize(("flag", "hostile"), [([], True), (["--plain-text"], False)])
def test_simulate_sends_markup_like_names_unless_plain_text(flag: list[str], hostile: bool) -> None:
    proc = subprocess.Popen(
        [*CLI, "simulate", "--port", "0", "--monitors", "2", *flag],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        auth = {"Authorization": "Bearer sim-token"}
        listed = httpx.get(f"{url}/api/v2/monitors", headers=auth).json()["data"]
        names = [m["attributes"]["pronounceable_name"] for m in listed]
        assert any(set(name) & set("[]$<>\x1b") for name in names) is hostile, names
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
def test_demo_shows_the_non_empty_tables_then_query_reads_them(tmp_path: Path) -> None:
    lake = tmp_path / "demo"
    done = _run(["demo", "--lake-root", str(lake)], {"TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "ERROR" not in done.stderr  # no third-party noise (no Prefect server, no telemetry)
    for spec in TABLES:
        assert spec.name in done.stdout
    counts = _run(
        [
            "query",
            "--lake-root",
            str(lake),
            "--format",
            "csv",
            "SELECT (SELECT count(*) FROM eai_gateway_response_times) > 0, "
            "(SELECT count(*) FROM eai_gateway_incidents) > 0, "
            "(SELECT count(*) FROM eai_gateway_daily_sla) > 0",
        ],
    )
    assert counts.returncode == 0, counts.stderr
    assert counts.stdout.strip().splitlines()[-1] == "True,True,True"
    monthly = _run(
        [
            "query",
            "--lake-root",
            str(lake),
            "--format",
            "json",
            "SELECT * FROM eai_gateway_availability_monthly",
        ]
    )
    assert monthly.returncode == 0, monthly.stderr
    rows = json.loads(monthly.stdout)
    assert rows
    assert {"monitor_id", "month", "availability_pct", "error_budget_remaining_seconds"} <= set(
        rows[0]
    )
    bad = _run(["query", "--lake-root", str(lake), "SELECT nope FROM nowhere"])
    assert bad.returncode == 1
    assert "query failed" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.slow
@pytest.mark.parametrize("path", ["core", "prefect"])
def test_run_with_a_refused_token_exits_1_with_the_api_reason(
    path: str, request: pytest.FixtureRequest, simulator: Simulator, tmp_path: Path
) -> None:
    prefect_api = request.getfixturevalue("prefect_api") if path == "prefect" else {}
    env = {
        **prefect_api,
        "BETTERSTACK_TOKEN": "not-the-sim-token",
        "MONITOR_ID": "all",
        "BETTERSTACK_BASE_URL": simulator.base_url,
        "BETTERSTACK_LAKE_ROOT": str(tmp_path / "lake"),
    }
    done = _run(["run"], env)
    assert done.returncode == 1
    assert "401" in done.stderr
    assert "Invalid Team API token" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "not-the-sim-token" not in done.stderr + done.stdout
    errors = [line for line in done.stderr.splitlines() if "401" in line]
    assert len(errors) == 1, done.stderr  # said once, not once per layer


@pytest.mark.slow
def test_run_prints_the_summary_per_table_and_partition(
    prefect_api: dict[str, str], make_simulator: Callable[..., Simulator], tmp_path: Path
) -> None:
    sim = make_simulator(SimConfig(seed=3, monitors=3), SystemClock())
    env = {
        **prefect_api,
        "BETTERSTACK_TOKEN": "sim-token",
        "MONITOR_ID": ",".join(sim.world.monitor_ids()[:2]),
        "BETTERSTACK_BASE_URL": sim.base_url,
        "BETTERSTACK_LAKE_ROOT": str(tmp_path / "lake"),
    }
    today = datetime.now(UTC).date()
    done = _run(["run", "--json", "--tables", "daily_sla"], env)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    partitions = summary["tables"]["eai_gateway_daily_sla"]["partitions"]
    days = [p["data_particao"] for p in partitions]
    assert days == [(today - timedelta(days=1)).isoformat(), today.isoformat()]
    assert all(p["rows_after"] == 2 for p in partitions)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "--base-url", "http://user:hunter2-pw@127.0.0.1:9"], "carries credentials"),
        (["run", "--base-url", "http://uptime.betterstack.com"], "plain http"),
        (["run", "--base-url", "https://uptime.betterstack.com/api/v2"], "give the host only"),
        (["run", "--from-date", "1990-01-01"], "before 2015-01-01"),
    ],
)
def test_unsafe_or_absurd_inputs_are_refused_before_prefect_starts(
    args: list[str], needle: str
) -> None:
    done = _run(args, {"BETTERSTACK_TOKEN": "tok-xyz-123", "MONITOR_ID": "1"})
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert needle in lines[0]
    assert "hunter2-pw" not in done.stderr + done.stdout
    assert "tok-xyz-123" not in done.stderr + done.stdout


def test_a_rate_of_inf_is_refused_at_start_up() -> None:
    env = {"BETTERSTACK_TOKEN": "tok-xyz-123", "MONITOR_ID": "1", "BETTERSTACK_RATE": "inf"}
    done = _run(["run"], env)
    assert done.returncode == 1
    assert "BETTERSTACK_RATE" in done.stderr
    assert "(0, 100]" in done.stderr


def test_a_run_the_api_throttles_for_too_long_fails_at_once_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """How long the client waits out 429s before giving up is proven on a fake clock in
    tests/api (test_a_429_with_retry_after_60_on_every_answer_fails_within_3_minutes_...);
    here: the command gives up at once on that error (no task-level retry, which would wait
    3 x 60 s more) and says it in one line, in process."""
    from typer.testing import CliRunner

    from betterstack_etl.cli.app import app
    from betterstack_etl.errors import ThrottledTooLongError
    from betterstack_etl.run import steps

    calls: list[object] = []

    def throttled(*args: object, **kwargs: object) -> object:
        calls.append(args)
        raise ThrottledTooLongError(
            "the Better Stack API has been throttling this run for 120 s",
            endpoint="/api/v2/monitors",
            status=429,
            hint="lower BETTERSTACK_RATE, wait a few minutes before the next run, and check "
            "whether other jobs use the same token",
        )

    monkeypatch.setattr(steps, "resolve_monitors", throttled)
    env = {
        "PREFECT_API_URL": "",
        "BETTERSTACK_TOKEN": "sim-token",
        "MONITOR_ID": "all",
        "BETTERSTACK_BASE_URL": "http://127.0.0.1:9",
        "BETTERSTACK_LAKE_ROOT": str(tmp_path / "lake"),
        "BETTERSTACK_TASK_RETRIES": "3",
        "BETTERSTACK_TASK_RETRY_DELAY": "60",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    done = CliRunner().invoke(app, ["run"])
    assert done.exit_code == 1, done.output
    errors = [line for line in done.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.output
    assert "throttling" in errors[0]
    assert "BETTERSTACK_RATE" in errors[0]
    assert "same token" in errors[0]
    assert "Traceback" not in done.output
    assert len(calls) == 1  # no task-level retry of an error a retry cannot fix
