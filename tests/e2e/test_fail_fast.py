"""Faults no retry can fix fail at once, with the fix, in the embedded default (issue 19 item
16, issue 25 item 7); task retries stay for what a retry can fix.

On ``main``: a damaged file failed its table after three task retries a minute apart, each
printing a 600-character line (3 min 4 s); an unreachable host after 3 min 27 s; a full disk
after 3 x 60 s per table (about 12 minutes), and the CLI printed no per-table summary on
failure. Here each fails on its first attempt with one line naming the fix; the summary is
still printed; the lake is what a clean run would have made."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from betterstack_etl.cli.app import app
from betterstack_etl.run import runner, steps
from betterstack_etl.settings import read_token, run_params
from betterstack_etl.simulator import Simulator
from betterstack_etl.tables import INCIDENTS, RUNS, TABLES

pytestmark = pytest.mark.slow

Rows = Callable[..., list[Any]]


def _retry_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The task-level retries logged (``merge_table failed (...); retry 1/3 in 0s``)."""
    return [r.getMessage() for r in caplog.records if "; retry " in r.getMessage()]


def _errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def test_a_damaged_file_fails_its_table_at_once_naming_repair_and_the_rest_lands(
    pipeline_env: Simulator,
    lake_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    table_rows: Rows,
    caplog: pytest.LogCaptureFixture,
) -> None:
    start = pipeline_env.clock.now()
    runner.run(run_params(), read_token())
    damaged = sorted((lake_root / INCIDENTS.name).rglob("*.parquet"))[-1]
    damaged.write_bytes(b"garbage, not parquet")
    monkeypatch.setenv("BETTERSTACK_TASK_RETRIES", "3")
    pipeline_env.frozen_clock.advance(timedelta(hours=1))

    done = CliRunner().invoke(app, ["run"])

    assert done.exit_code == 1, done.output
    assert _retry_lines(caplog) == []  # neither the merge nor the SLO check was retried
    errors = _errors(done.output)
    assert len(errors) == 1, done.output
    assert str(damaged) in errors[0]
    assert "betterstack-etl repair" in errors[0]
    assert "FAILED" in done.output  # the per-table summary, then the error
    assert "partitions" in done.output  # its header
    assert damaged.read_bytes() == b"garbage, not parquet"

    clean = tmp_path / "clean"  # the same two runs, at the same times, on a clean lake
    monkeypatch.setenv("BETTERSTACK_LAKE_ROOT", str(clean))
    pipeline_env.frozen_clock.set(start)
    runner.run(run_params(), read_token())
    pipeline_env.frozen_clock.advance(timedelta(hours=1))
    runner.run(run_params(), read_token())
    for spec in TABLES:
        if spec is not INCIDENTS:
            assert table_rows(lake_root, spec.name) == table_rows(clean, spec.name), spec.name
    partition = damaged.parent.name
    for other in (lake_root, clean):
        shutil.rmtree(other / INCIDENTS.name / partition)
    assert table_rows(lake_root, INCIDENTS.name) == table_rows(clean, INCIDENTS.name)


def test_an_unreachable_host_fails_at_once_with_the_fix(
    pipeline_env: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    real = steps.resolve_monitors

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(steps, "resolve_monitors", counted)
    monkeypatch.setenv("BETTERSTACK_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("BETTERSTACK_TASK_RETRIES", "3")

    done = CliRunner().invoke(app, ["run"])

    assert done.exit_code == 1, done.output
    assert len(calls) == 1  # no task-level retry: a minute later nothing listens there either
    errors = _errors(done.output)
    assert len(errors) == 1, done.output
    assert "127.0.0.1:9 refuses connections" in errors[0]
    assert "BETTERSTACK_BASE_URL" in errors[0]
    assert "Traceback" not in done.output


# -- a full disk -----------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs (root with mount rights only): a disk that really fills up."""
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if os.geteuid() != 0 or mounted.returncode != 0:
        pytest.skip("needs root and the right to mount a tmpfs")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte; the filler file, to free the space again."""
    filler = disk / ".filler"
    with open(filler, "wb", buffering=0) as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 4096)
    with open(filler, "ab", buffering=0) as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0")
    return filler


def _files(lake: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(lake)): p.read_bytes()
        for p in sorted(lake.rglob("*"))
        if p.is_file() and p.name != ".filler"
    }


def test_a_full_disk_fails_at_once_naming_the_path_and_leaves_the_lake_whole(
    pipeline_env: Simulator,
    small_disk: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    table_rows: Rows,
    caplog: pytest.LogCaptureFixture,
) -> None:
    lake = small_disk / "lake"
    monkeypatch.setenv("BETTERSTACK_LAKE_ROOT", str(lake))
    monkeypatch.setenv("BETTERSTACK_TASK_RETRIES", "3")
    start = pipeline_env.clock.now()
    runner.run(run_params(), read_token())
    before = _files(lake)
    filler = _fill(small_disk)
    pipeline_env.frozen_clock.advance(timedelta(hours=1))

    done = CliRunner().invoke(app, ["run"])

    assert done.exit_code == 1, done.output
    assert _retry_lines(caplog) == []  # no merge was retried on a full disk
    errors = _errors(done.output)
    assert len(errors) == 1, done.output
    assert "no space left on the disk holding" in errors[0]
    assert str(lake) in errors[0]
    assert "free space" in errors[0]
    assert "FAILED" in done.output  # the per-table summary
    assert "partitions" in done.output
    assert _files(lake) == before  # nothing half-written, no temporary file left

    filler.unlink()  # space again: the next run lands what the failed one could not
    runner.run(run_params(), read_token())
    assert not list(lake.glob("*.wal"))  # DuckDB's log checkpointed into the file

    clean = tmp_path / "clean"
    monkeypatch.setenv("BETTERSTACK_LAKE_ROOT", str(clean))
    pipeline_env.frozen_clock.set(start)
    runner.run(run_params(), read_token())
    pipeline_env.frozen_clock.advance(timedelta(hours=1))
    runner.run(run_params(), read_token())
    for spec in TABLES:
        assert table_rows(lake, spec.name) == table_rows(clean, spec.name), spec.name
    assert len(table_rows(lake, RUNS.name)) == 2 * len(TABLES)  # the failed run's rows: lost
