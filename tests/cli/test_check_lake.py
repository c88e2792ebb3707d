"""`check` shows its whole table when a setting is missing, and looks at the lake: damaged or
stray files, the last run's status from the ledger, freshness."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from betterstack_etl.cli.app import app

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def demo_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("check") / "lake"
    with pytest.MonkeyPatch.context() as mp:
        for var in [v for v in os.environ if v.startswith("BETTERSTACK_")]:
            mp.delenv(var)
        mp.setenv("BETTERSTACK_TASK_RETRIES", "0")
        ran = CliRunner().invoke(app, ["demo", "--monitors", "2", "--lake-root", str(root)])
    assert ran.exit_code == 0, ran.output
    return root


def _rows(output: str) -> dict[str, str]:
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 4 and cells[1] in ("✓", "✗"):
            rows[cells[2]] = f"{cells[1]} {cells[3]} {cells[4]}"
    return rows


def _check(lake: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, dict[str, str]]:
    for var in [v for v in os.environ if v.startswith("BETTERSTACK_") or v == "MONITOR_ID"]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.chdir(lake.parent)  # no .env around
    ran = CliRunner().invoke(app, ["check", "--lake-root", str(lake)])
    return ran.exit_code, _rows(ran.output)


def test_missing_settings_are_rows_and_the_lake_is_looked_at(
    demo_lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, rows = _check(demo_lake, monkeypatch)
    assert code == 1
    assert rows["token"].startswith("✗ BETTERSTACK_TOKEN is not set")
    assert rows["monitors"].startswith("✗ MONITOR_ID is not set")
    assert rows["destination"].startswith("✓")
    assert rows["lake files"].startswith("✓")
    assert rows["last run"].startswith("✓ every table ok")
    assert rows["freshness"].startswith("✓ oldest successful load")


def test_a_damaged_and_a_stray_file_are_a_cross_with_repair(
    demo_lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(demo_lake, lake)
    damaged = sorted((lake / "eai_gateway_incidents").rglob("*.parquet"))[0]
    damaged.write_bytes(b"x")
    (lake / "eai_gateway_monitors" / "notes.txt").write_text("?")
    code, rows = _check(lake, monkeypatch)
    assert code == 1
    said = rows["lake files"]
    assert said.startswith("✗ 2 problem(s)")
    assert damaged.relative_to(lake).as_posix() in said
    assert "repair" in said


def test_a_failed_last_run_is_a_cross(
    demo_lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    lake = tmp_path / "lake"
    shutil.copytree(demo_lake, lake)
    ledger = sorted((lake / "eai_gateway_runs").rglob("*.parquet"))[-1]
    table = pq.read_table(ledger)
    statuses = ["failed"] * table.num_rows
    import pyarrow as pa

    index = table.schema.get_field_index("status")
    pq.write_table(table.set_column(index, "status", pa.array(statuses)), ledger)
    code, rows = _check(lake, monkeypatch)
    assert code == 1
    assert rows["last run"].startswith("✗")
    assert "failed in their last run" in rows["last run"]
