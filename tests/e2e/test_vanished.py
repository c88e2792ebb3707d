"""A monitor deleted at Better Stack blocks nothing (issue 25 item 5).

On ``main``: ``MONITOR_ID=1001,1002`` with 1002 deleted loaded nothing for 1001 either; with
``MONITOR_ID=all``, a monitor deleted during the run (listed, then its ``/response-times`` and
``/sla`` answering 404) failed response times and daily SLA for every monitor. Here the gone
monitor is skipped with a warning naming it, and the rest lands exactly as a clean run of the
other monitors lands it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from betterstack_etl.run import runner
from betterstack_etl.settings import read_token, run_params
from betterstack_etl.simulator import Simulator
from betterstack_etl.tables import DAILY_SLA, INCIDENTS, MONITORS, RESPONSE_TIMES, TABLES

pytestmark = pytest.mark.slow

Rows = Callable[..., list[Any]]


def _clean_run(monkeypatch: pytest.MonkeyPatch, lake: Path, monitors: list[str]) -> None:
    """The same run, on a fresh lake, for ``monitors`` only, on a simulator where none is gone."""
    monkeypatch.setenv("BETTERSTACK_LAKE_ROOT", str(lake))
    monkeypatch.setenv("MONITOR_ID", ",".join(monitors))
    summary = runner.run(run_params(), read_token())
    assert summary.warnings == () or all("SLO" in w for w in summary.warnings)


def test_an_explicit_id_that_is_gone_is_reported_and_the_others_load(
    pipeline_env: Simulator,
    make_simulator: Callable[..., Simulator],
    lake_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    table_rows: Rows,
) -> None:
    kept, gone, _ = pipeline_env.world.monitor_ids()
    sim = make_simulator(pipeline_env.config, pipeline_env.clock)  # the same account...
    sim.delete_monitor(gone)  # ...where one monitor was deleted
    monkeypatch.setenv("BETTERSTACK_BASE_URL", sim.base_url)
    monkeypatch.setenv("MONITOR_ID", f"{kept},{gone}")

    summary = runner.run(run_params(), read_token())

    assert summary.failures == {}
    assert summary.monitors == (kept,)
    said = [w for w in summary.warnings if gone in w]
    assert len(said) == 1, summary.warnings
    assert "not found" in said[0]
    assert all(t.rows_read > 0 for t in summary.tables if t.table != INCIDENTS.name)

    monkeypatch.setenv("BETTERSTACK_BASE_URL", pipeline_env.base_url)
    clean = tmp_path / "clean"
    _clean_run(monkeypatch, clean, [kept])
    for spec in TABLES:
        assert table_rows(lake_root, spec.name) == table_rows(clean, spec.name), spec.name


def test_a_monitor_deleted_during_the_run_is_skipped_and_the_rest_loads(
    pipeline_env: Simulator,
    make_simulator: Callable[..., Simulator],
    lake_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    table_rows: Rows,
) -> None:
    first, second, gone = pipeline_env.world.monitor_ids()
    pipeline_env.delete_monitor(gone, after="/api/v2/monitors")  # listed, then deleted

    summary = runner.run(run_params(), read_token())

    assert summary.failures == {}
    assert set(summary.monitors) == {first, second, gone}  # it was listed
    by_table = {t.table: t for t in summary.tables}
    assert by_table[RESPONSE_TIMES.name].gone == (gone,)
    assert by_table[DAILY_SLA.name].gone == (gone,)
    for name in (RESPONSE_TIMES.name, DAILY_SLA.name):
        said = [w for w in summary.warnings if w.startswith(name)]
        assert len(said) == 1, summary.warnings
        assert gone in said[0]
        assert "404" in said[0]
    assert pipeline_env.world.monitor(gone) is None

    clean = tmp_path / "clean"  # the same run of the two other monitors, nothing deleted
    untouched = make_simulator(pipeline_env.config, pipeline_env.clock)
    monkeypatch.setenv("BETTERSTACK_BASE_URL", untouched.base_url)
    _clean_run(monkeypatch, clean, [first, second])
    for spec in TABLES:
        if spec is MONITORS:  # the listing showed the gone monitor: its row is kept
            ours = [r for r in table_rows(lake_root, spec.name) if r[0] != gone]
            assert ours == table_rows(clean, spec.name)
            continue
        rows = table_rows(lake_root, spec.name)
        if spec is INCIDENTS:  # the account's walk also holds the heartbeats' incidents
            rows = [r for r in rows if r[1] is not None]
        assert rows == table_rows(clean, spec.name), spec.name
