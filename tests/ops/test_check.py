"""``betterstack-etl check`` (SPEC §10): a ✓/✗ table with the fix for each ✗, exit 1 on any ✗,
nothing written. Against the in-process simulator, local folders and the storage emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from betterstack_etl.api import BetterStackClient
from betterstack_etl.ops.check import CheckResult, check_local_folder, check_prefect, run_checks
from betterstack_etl.secret import Secret
from betterstack_etl.settings import RunParams, run_params
from betterstack_etl.simulator import Simulator

CLI = [sys.executable, "-m", "betterstack_etl.cli.app"]


def _settings(sim: Simulator, lake: Path | str, **env: str) -> RunParams:
    base = {
        "BETTERSTACK_TOKEN": "sim-token",
        "MONITOR_ID": "all",
        "BETTERSTACK_BASE_URL": sim.base_url,
    }
    return run_params({**base, "BETTERSTACK_LAKE_ROOT": str(lake), **env})


def _by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.name: r for r in results}


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("BETTERSTACK_", "PREFECT_API"))
    }
    base.pop("MONITOR_ID", None)
    return subprocess.run(
        [*CLI, *args], env={**base, **env}, capture_output=True, text=True, timeout=120, check=False
    )


def test_everything_in_place_is_all_ticks_and_writes_nothing(
    simulator: Simulator, tmp_path: Path
) -> None:
    results = run_checks(_settings(simulator, tmp_path), Secret("sim-token"), env={})
    assert [r.name for r in results] == ["token", "monitors", "schedule", "destination"]
    assert all(r.ok for r in results), results
    assert _by_name(results)["monitors"].detail == "all: 3 monitor(s)"
    assert list(tmp_path.iterdir()) == []  # the probe file was deleted


def test_a_bad_token_is_a_cross_with_the_fix(simulator: Simulator, tmp_path: Path) -> None:
    settings = _settings(simulator, tmp_path)
    results = _by_name(run_checks(settings, Secret("not-the-token"), env={}))
    assert not results["token"].ok
    assert "401" in results["token"].detail
    assert "BETTERSTACK_TOKEN" in (results["token"].fix or "")
    assert not results["monitors"].ok
    assert results["destination"].ok


def test_a_monitor_the_token_does_not_see_is_named(simulator: Simulator, tmp_path: Path) -> None:
    known = simulator.world.monitor_ids()[0]
    settings = _settings(simulator, tmp_path, MONITOR_ID=f"{known},999999")
    results = _by_name(run_checks(settings, Secret("sim-token"), env={}))
    assert results["token"].ok
    assert not results["monitors"].ok
    assert "999999" in results["monitors"].detail
    assert known not in results["monitors"].detail
    assert "MONITOR_ID" in (results["monitors"].fix or "")


def test_a_missing_folder_that_can_be_created_is_fine_and_not_created(tmp_path: Path) -> None:
    target = tmp_path / "new" / "lake"
    result = check_local_folder(str(target))
    assert result.ok
    assert "first run creates it" in result.detail
    assert not (tmp_path / "new").exists()


def test_a_lake_root_that_is_a_file_is_a_cross(tmp_path: Path) -> None:
    file = tmp_path / "lake"
    file.write_text("not a folder")
    result = check_local_folder(str(file))
    assert not result.ok
    assert "is a file" in result.detail
    assert "BETTERSTACK_LAKE_ROOT" in (result.fix or "")
    under = check_local_folder(str(file / "sub"))
    assert not under.ok
    assert "cannot be created" in under.detail


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_is_a_cross(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert not check_local_folder(str(folder)).ok
    finally:
        folder.chmod(0o700)


def test_prefect_is_checked_only_when_configured() -> None:
    assert check_prefect({}) is None

    def health(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer pnu_key"
        return httpx.Response(200 if request.url.path == "/api/health" else 404, json=True)

    with httpx.Client(transport=httpx.MockTransport(health)) as http:
        env = {"PREFECT_API_URL": "http://prefect.test/api", "PREFECT_API_KEY": "pnu_key"}
        good = check_prefect(env, http)
        assert good is not None
        assert good.ok
        bad = check_prefect({**env, "PREFECT_API_URL": "http://prefect.test/nope"}, http)
        assert bad is not None
        assert not bad.ok
        assert "PREFECT_API_URL" in (bad.fix or "")
        assert "pnu_key" not in bad.detail + (bad.fix or "")


def test_the_command_prints_the_table_and_exits_1_on_any_cross(
    simulator: Simulator, tmp_path: Path
) -> None:
    env = {"BETTERSTACK_TOKEN": "sim-token", "MONITOR_ID": "all"}
    env |= {"BETTERSTACK_BASE_URL": simulator.base_url, "BETTERSTACK_LAKE_ROOT": str(tmp_path)}
    good = _cli(["check"], env)
    assert good.returncode == 0, good.stderr
    assert good.stdout.count("✓") == 5  # token, monitors, schedule, destination, lake
    assert "✗" not in good.stdout
    bad = _cli(["check"], {**env, "BETTERSTACK_TOKEN": "wrong-token-123"})
    assert bad.returncode == 1
    assert "✗" in bad.stdout
    assert "Traceback" not in bad.stderr + bad.stdout
    assert "wrong-token-123" not in bad.stderr + bad.stdout
    errors = [line for line in bad.stderr.splitlines() if line.strip()]
    assert len(errors) == 1
    assert "token" in errors[0]
    assert list(tmp_path.iterdir()) == []


def test_bad_settings_are_one_line_before_any_check(tmp_path: Path) -> None:
    done = _cli(["check"], {"BETTERSTACK_TOKEN": "tok-abc-123", "MONITOR_ID": "x"})
    assert done.returncode == 1
    assert "not a monitor id" in done.stderr
    assert "Traceback" not in done.stderr


def test_version_prints_the_package_version() -> None:
    from importlib import metadata

    done = _cli(["--version"], {})
    assert done.returncode == 0
    assert done.stdout.strip() == f"betterstack-etl {metadata.version('betterstack-etl')}"


def _account(monitors: int) -> httpx.Client:
    """An API whose listing holds ``monitors`` monitors, all older than the window."""
    listing = {
        "data": [
            {"id": str(100_000 + n), "type": "monitor", "attributes": {"created_at": CREATED}}
            for n in range(monitors)
        ],
        "pagination": {"next": None},
    }

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v2/monitors", request.url
        return httpx.Response(200, json=listing)

    return httpx.Client(transport=httpx.MockTransport(answer))


CREATED = "2025-01-01T00:00:00.000Z"


def test_an_account_too_big_for_the_hourly_schedule_is_a_cross_with_the_fix(
    tmp_path: Path,
) -> None:
    """Issue 25 item 11: 10,000 monitors plan 30,001 requests an hour (10,000 response-time
    lists, 2 x 10,000 SLA days, one incidents walk): at 8 requests/s about 63 minutes, longer
    than the hour between runs. ``check`` says so; 1,000 monitors (3,001 requests, 6 min) fit."""
    env = {"BETTERSTACK_BASE_URL": "https://uptime.example.test", "MONITOR_ID": "all"}
    params = run_params({**env, "BETTERSTACK_LAKE_ROOT": str(tmp_path)})
    for monitors, fits, said in ((10_000, False, "30,001"), (1_000, True, "3,001")):
        with _account(monitors) as http:
            client = BetterStackClient(
                http, Secret("tok-123456"), base_url=env["BETTERSTACK_BASE_URL"]
            )
            schedule = _by_name(run_checks(params, Secret("x"), env={}, api_client=client))[
                "schedule"
            ]
        assert schedule.ok is fits, schedule
        assert f"about {said} requests" in schedule.detail
        assert "8 requests/s" in schedule.detail
        assert "60 min between scheduled runs" in schedule.detail
        if not fits:
            assert "at least 63 min" in schedule.detail
            assert "BETTERSTACK_RATE" in (schedule.fix or "")
            assert "BETTERSTACK_RUN_INTERVAL" in (schedule.fix or "")


def test_thousands_of_unknown_ids_are_one_short_line(simulator: Simulator, tmp_path: Path) -> None:
    """Issue 25 item 11: 9,997 unknown ids gave an 80 kB "one line"."""
    known = simulator.world.monitor_ids()[0]
    unknown = ",".join(str(n) for n in range(500_000, 509_997))
    settings = _settings(simulator, tmp_path, MONITOR_ID=f"{known},{unknown}")
    monitors = _by_name(run_checks(settings, Secret("sim-token"), env={}))["monitors"]
    assert not monitors.ok
    assert "500000, 500001, 500002, 500003, 500004 and 9,992 more" in monitors.detail
    assert len(monitors.detail) < 200


def test_a_listed_monitor_whose_id_is_not_digits_is_named_not_a_failure(
    simulator: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from betterstack_etl.simulator import render

    original = render.monitor_resource
    first = simulator.world.monitor_ids()[0]

    def listed(monitor: object, now_ms: int, *args: Any, **kwargs: Any) -> dict[str, object]:
        resource = original(monitor, now_ms, *args, **kwargs)  # type: ignore[arg-type]
        return {**resource, "id": "9x[/bold]\x1b]0;T\x07"} if resource["id"] == first else resource

    monkeypatch.setattr(render, "monitor_resource", listed)
    results = _by_name(run_checks(_settings(simulator, tmp_path), Secret("sim-token"), env={}))
    assert results["monitors"].ok
    assert results["monitors"].detail == (
        "all: 3 monitor(s); 1 left out of runs, the id is not digits: '9x[/bold]\\x1b]0;T\\x07'"
    )
