"""``repair`` (SPEC §10): a truncated file, a stray copy and a misnamed folder in a lake; after
the repair every row reads once, what was damaged is kept aside, and its days came back."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from betterstack_etl.ops.repair import repair
from betterstack_etl.run import runner
from betterstack_etl.settings import read_token, run_params
from betterstack_etl.simulator import Simulator
from betterstack_etl.tables import DAILY_SLA, INCIDENTS, TABLES

pytestmark = pytest.mark.slow


def _rows(lake: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's keys, sorted, read through fresh views over the files (no stale DB)."""
    found = {}
    con = duckdb.connect()
    try:
        for spec in (INCIDENTS, DAILY_SLA):
            keys = ", ".join(f'"{k}"' for k in spec.key)
            pattern = str(lake / spec.name / "data_particao=*" / "*.parquet")
            found[spec.name] = sorted(
                con.execute(
                    f"SELECT {keys} FROM read_parquet('{pattern}', hive_partitioning = true)"
                ).fetchall()
            )
    finally:
        con.close()
    return found


def test_repair_moves_damage_aside_and_refetches_its_days(
    pipeline_env: Simulator, lake_root: Path, query: Callable[[str], list[tuple[Any, ...]]]
) -> None:
    today = pipeline_env.clock.now().date()
    start = today - timedelta(days=6)
    params = run_params(
        from_date=start.isoformat(), to_date=today.isoformat(), tables="incidents,daily_sla"
    )
    runner.run(params, read_token())
    before = _rows(lake_root)
    assert before[INCIDENTS.name]
    assert before[DAILY_SLA.name]

    day = start + timedelta(days=2)
    sla_files = sorted((lake_root / DAILY_SLA.name / f"data_particao={day}").glob("*.parquet"))
    victim = sla_files[0]
    victim.write_bytes(victim.read_bytes()[:40])  # truncated
    other = sorted((lake_root / INCIDENTS.name).glob("data_particao=*/*.parquet"))[0]
    shutil.copy(other, other.parent / "data-backup.parquet")  # a stray copy
    bad = lake_root / INCIDENTS.name / "data_particao=garbage"
    bad.mkdir()
    shutil.copy(other, bad / "part.parquet")  # a folder readers must not trip on

    report = repair(run_params(), read_token())
    kinds = sorted(p.kind for p in report.problems)
    assert kinds == ["bad_folder", "damaged", "stray"]
    assert all(Path(m).exists() for m in report.moved_to)  # kept, aside
    assert report.refetch.tables == (DAILY_SLA,)
    assert report.refetch.start == report.refetch.end == day

    assert _rows(lake_root) == before  # every key back, each once
    for spec in TABLES:
        keys = ", ".join(f'"{k}"' for k in (*spec.key, "data_particao"))
        total, distinct = query(
            f"SELECT count(*), count(DISTINCT ({keys})) FROM {spec.name}"
        )[0]
        assert total == distinct, spec.name


def test_damage_outside_the_window_fails_no_later_run_and_strays_are_never_counted(
    pipeline_env: Simulator, lake_root: Path, query: Callable[[str], list[tuple[Any, ...]]]
) -> None:
    """Faults 1 and 2 of issue 12: one truncated file made every later run exit 1; a stray
    copy doubled its partition's rows in the views; a misnamed folder broke every query."""
    today = pipeline_env.clock.now().date()
    start = today - timedelta(days=6)
    backfill = run_params(
        from_date=start.isoformat(), to_date=today.isoformat(), tables="incidents,daily_sla"
    )
    runner.run(backfill, read_token())
    old = start + timedelta(days=1)
    victim = sorted((lake_root / DAILY_SLA.name / f"data_particao={old}").glob("*.parquet"))[0]
    victim.write_bytes(b"PAR1 not really")
    inc = sorted((lake_root / INCIDENTS.name).glob("data_particao=*/*.parquet"))[-1]
    shutil.copy(inc, inc.parent / "data-backup.parquet")
    (lake_root / INCIDENTS.name / "data_particao=garbage").mkdir()
    shutil.copy(inc, lake_root / INCIDENTS.name / "data_particao=garbage" / "data.parquet")

    summary = runner.run(run_params(), read_token())  # the default window: no raise
    assert not summary.failures
    keys = ", ".join(f'"{k}"' for k in (*INCIDENTS.key, "data_particao"))
    total, distinct, bad = query(
        f"SELECT count(*), count(DISTINCT ({keys})), count(*) FILTER (data_particao IS NULL) "
        f"FROM {INCIDENTS.name}"
    )[0]
    assert total == distinct  # the stray copy is not read
    assert bad == 0  # nor the folder that is not a date
