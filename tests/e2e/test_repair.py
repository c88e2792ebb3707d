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
        total, distinct = query(f"SELECT count(*), count(DISTINCT ({keys})) FROM {spec.name}")[0]
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


# -- issues 19 and 25: the faults repair must handle; each lake compared with a clean copy ---

LINEAGE = ("_extracted_at", "_run_id")


def _table_rows(root: Path, *, lineage: bool = True) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows as the lake reads them (lineage columns left out when asked: a
    re-fetched day carries the repair's own)."""
    from betterstack_etl.lake import LocalLake
    from betterstack_etl.tables import PARTITION_COLUMN

    lake = LocalLake(root)
    found = {}
    for spec in TABLES:
        columns = [c for c in spec.columns if lineage or c not in LINEAGE]
        found[spec.name] = sorted(
            (tuple(map(repr, r.values())) for t in lake.scan(spec, [*columns, PARTITION_COLUMN])
             for r in t.to_pylist()),
        )  # fmt: skip
    return found


def _backfill(simulator: Simulator, lake_root: Path, days: int = 4) -> Path:
    """A lake of a few days of every table, and a clean copy of it beside."""
    today = simulator.clock.now().date()
    start = today - timedelta(days=days)
    params = run_params(from_date=start.isoformat(), to_date=today.isoformat())
    runner.run(params, read_token())
    clean = lake_root.with_name("clean")
    shutil.copytree(lake_root, clean, symlinks=True)
    return clean


def _cli(*args: str) -> Any:
    from typer.testing import CliRunner

    from betterstack_etl.cli.app import app

    return CliRunner().invoke(app, list(args))


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv to drop root's override")
def test_a_file_it_may_not_read_is_a_permission_problem_and_stays_where_it_is(
    pipeline_env: Simulator, lake_root: Path
) -> None:
    """Issue 25 item 2: chmod 000 was called damage, moved aside and re-fetched, losing the
    points the API no longer serves. Run as a user without DAC override (root drops it)."""
    import os
    import subprocess
    import sys

    clean = _backfill(pipeline_env, lake_root)
    victim = sorted((lake_root / "eai_gateway_response_times").glob("data_particao=*/*.parquet"))[0]
    victim.chmod(0)
    drop = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    env = {k: v for k, v in os.environ.items() if k != "BETTERSTACK_TOKEN"}
    done = subprocess.run(
        [*drop, sys.executable, "-m", "betterstack_etl.cli.app", "repair", "--lake-root", str(lake_root)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    victim.chmod(0o644)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "permission" in output
    assert "damaged" not in output
    assert "chown/chmod" in output
    assert not (lake_root / "_quarantine").exists()  # nothing moved
    assert victim.is_file()
    assert _table_rows(lake_root) == _table_rows(clean)


def test_a_second_repair_is_told_another_is_running(
    pipeline_env: Simulator, lake_root: Path
) -> None:
    from betterstack_etl.lake import LocalLake

    clean = _backfill(pipeline_env, lake_root, days=1)
    with LocalLake(lake_root).repair_lock():
        result = _cli("repair", "--lake-root", str(lake_root))
    assert result.exit_code == 1
    assert "another `betterstack-etl repair`" in result.output
    assert "kept nowhere else" not in result.output
    assert _table_rows(lake_root) == _table_rows(clean)
    assert _cli("repair", "--lake-root", str(lake_root)).exit_code == 0  # the lock was freed


def test_repair_and_the_next_run_rebuild_a_damaged_duckdb_file(
    pipeline_env: Simulator, lake_root: Path, query: Callable[[str], list[tuple[Any, ...]]]
) -> None:
    clean = _backfill(pipeline_env, lake_root, days=1)
    db = lake_root / "betterstack.duckdb"
    expected = query(f"SELECT count(*) FROM {INCIDENTS.name}")
    for rebuild in ("repair", "run"):
        db.write_bytes(b"not a duckdb file" * 100)
        if rebuild == "repair":
            assert _cli("repair", "--lake-root", str(lake_root)).exit_code == 0
        else:
            assert not runner.run(run_params(), read_token()).failures
        assert query(f"SELECT count(*) FROM {INCIDENTS.name}")[0][0] >= expected[0][0]
    assert (
        _table_rows(lake_root, lineage=False)[INCIDENTS.name]
        == _table_rows(clean, lineage=False)[INCIDENTS.name]
    )


def test_repair_finishes_an_interrupted_migration(pipeline_env: Simulator, lake_root: Path) -> None:
    """Issue 19 item 14: a partition left with its legacy data.parquet beside some bucket
    files (a run killed mid-migration) was double counted for good; repair finishes it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from betterstack_etl.tables import RESPONSE_TIMES

    clean = _backfill(pipeline_env, lake_root, days=1)
    folder = sorted((lake_root / RESPONSE_TIMES.name).glob("data_particao=*"))[0]
    files = sorted(folder.glob("p*.parquet"))
    assert len(files) >= 2
    legacy = pa.concat_tables([pq.read_table(f) for f in files])
    pq.write_table(legacy, folder / "data.parquet")
    for f in files[1:]:  # the migration had written its first bucket only
        f.unlink()
    keys = ", ".join(f'"{k}"' for k in RESPONSE_TIMES.key)
    total, distinct = _glob_counts(lake_root, RESPONSE_TIMES.name, keys)
    assert total > distinct  # a glob reader counts its keys twice

    report = repair(run_params(), None)
    assert [p.kind for p in report.problems] == ["migration"]
    assert report.moved_to == ("finished",)
    assert _table_rows(lake_root) == _table_rows(clean)
    assert len(set(_glob_counts(lake_root, RESPONSE_TIMES.name, keys))) == 1


def _glob_counts(root: Path, table: str, keys: str) -> tuple[int, int]:
    con = duckdb.connect()
    try:
        pattern = str(root / table / "data_particao=*" / "*.parquet")
        row = con.execute(
            f"SELECT count(*), count(DISTINCT ({keys})) FROM read_parquet('{pattern}')"
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0]), int(row[1])


def test_repair_reports_a_linked_partition_and_moves_the_link_only(
    pipeline_env: Simulator, lake_root: Path, tmp_path: Path
) -> None:
    clean = _backfill(pipeline_env, lake_root, days=1)
    other = tmp_path / "other-lake" / INCIDENTS.name / "data_particao=2020-01-01"
    other.mkdir(parents=True)
    source = sorted((lake_root / INCIDENTS.name).glob("data_particao=*/data.parquet"))[0]
    shutil.copy(source, other / "data.parquet")
    before = (other / "data.parquet").read_bytes()
    link = lake_root / INCIDENTS.name / "data_particao=2020-01-01"
    link.symlink_to(other, target_is_directory=True)

    report = repair(run_params(), None)
    assert [(p.kind, p.location) for p in report.problems] == [("symlink", str(link))]
    assert Path(report.moved_to[0]).is_symlink()
    assert not link.exists()
    assert (other / "data.parquet").read_bytes() == before
    assert _table_rows(lake_root) == _table_rows(clean)


def test_rows_the_api_no_longer_serves_are_counted_in_the_quarantine(
    pipeline_env: Simulator, lake_root: Path
) -> None:
    """Issue 25 item 2: when a re-fetch cannot restore what went aside, repair says how many
    rows only the quarantine holds (here: yesterday's points older than the API's 24 h)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from betterstack_etl.tables import RESPONSE_TIMES

    clean = _backfill(pipeline_env, lake_root, days=1)
    yesterday = pipeline_env.clock.now().date() - timedelta(days=1)
    folder = lake_root / RESPONSE_TIMES.name / f"data_particao={yesterday}"
    victim = sorted(folder.glob("p*.parquet"))[0]
    table = pq.read_table(victim)
    broken = table.set_column(  # written by some other tool: a column of the wrong type
        table.schema.get_field_index("response_time"),
        "response_time",
        pa.array(["fast"] * table.num_rows),
    )
    pq.write_table(broken, victim)
    pipeline_env.frozen_clock.set(pipeline_env.clock.now() + timedelta(hours=6))  # 6 h later

    report = repair(run_params(), read_token())
    assert [p.kind for p in report.problems] == ["damaged"]
    after = _table_rows(lake_root, lineage=False)[RESPONSE_TIMES.name]
    before = _table_rows(clean, lineage=False)[RESPONSE_TIMES.name]
    lost = len(set(before) - set(after))
    assert lost > 0  # the API serves 24 h: the day's early points cannot come back
    assert report.only_aside == lost
    assert any(f"{lost} row(s) are only in the quarantine" in n for n in report.notes)
    # what is missing from the clean lake is exactly some of the file's rows, none other
    victim_keys = {(repr(m), repr(r), repr(a)) for m, r, a in zip(
        *(table.column(k).to_pylist() for k in RESPONSE_TIMES.key), strict=True)}  # fmt: skip
    assert {row[:3] for row in set(before) - set(after)} <= victim_keys
