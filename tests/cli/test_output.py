"""What a run prints when piped (CI logs, ``| tee``): whole table names at COLUMNS=80, one row
per table, each SLO breach said once; the per-partition detail only with -v."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from betterstack_etl.simulator import SimConfig, Simulator
from betterstack_etl.tables import TABLES

CLI = [sys.executable, "-m", "betterstack_etl.cli.app"]


def _piped(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The real command, its stdout and stderr pipes (not a terminal), COLUMNS=80."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BETTERSTACK_", "PREFECT_API")) and k != "MONITOR_ID"
    }
    return subprocess.run(
        [*CLI, *args],
        env={**base, "COLUMNS": "80", **env},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def _counts(lake: Path) -> dict[str, tuple[int, int]]:
    """Rows and partitions per table, asked of the lake with SQL (not from the summary)."""
    sql = " UNION ALL ".join(
        f"SELECT '{t.name}', count(*), count(DISTINCT data_particao) FROM {t.name}" for t in TABLES
    )
    done = _piped(["query", "--lake-root", str(lake), "--format", "csv", sql], {})
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))[1:]
    return {name: (int(n), int(p)) for name, n, p in rows}


def _row(stdout: str, name: str) -> list[str]:
    lines = [line for line in stdout.splitlines() if f" {name} " in line]
    assert len(lines) == 1, stdout  # one row per table, the name whole
    return [c.strip() for c in lines[0].strip("│ ").split("│")]


@pytest.mark.slow  # the simulator over HTTP and five runs of the real command
def test_piped_run_shows_one_whole_row_per_table_and_each_breach_once(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    with Simulator(SimConfig(seed=7, monitors=3, token="sim-token")) as sim:
        env = {
            "BETTERSTACK_TOKEN": "sim-token",
            "MONITOR_ID": "all",
            "BETTERSTACK_BASE_URL": sim.base_url,
            "BETTERSTACK_LAKE_ROOT": str(lake),
        }
        plan = _piped(["run", "--dry-run"], env)
        first = _piped(["run"], env)
        counts = _counts(lake)
        second = _piped(["run", "-v"], env)
    assert plan.returncode == 0, plan.stderr
    for spec in TABLES:
        assert f" {spec.name} " in plan.stdout, plan.stdout
    assert first.returncode == 0, first.stderr

    for spec in TABLES:
        name, touched, inserted, updated, unchanged, now = _row(first.stdout, spec.name)
        assert name == spec.name
        rows, partitions = counts[spec.name]
        # a first run into an empty lake: every row is new
        assert (int(inserted), int(updated), int(unchanged), int(now)) == (rows, 0, 0, rows)
        assert touched.startswith(f"{partitions}: ") if partitions > 1 else "…" not in touched
    assert "per partition" not in first.stdout  # the detail is for -v / --json

    breaches = [line for line in first.stdout.splitlines() if "SLO breached" in line]
    assert breaches  # seed 7: monitor 3 of 3 is below 99.9 % this month
    assert len(breaches) == len(set(breaches))
    assert "SLO breached" not in first.stderr  # said once, not again as a log line
    assert all(line.rstrip().endswith("error budget used)") for line in breaches)  # not wrapped

    assert second.returncode == 0, second.stderr
    assert "per partition" in second.stdout
    detail = [line for line in second.stdout.splitlines() if "eai_gateway_daily_sla" in line]
    assert len(detail) == counts["eai_gateway_daily_sla"][1] + 1  # a line a partition + the row
    after = _counts(lake)
    for spec in TABLES:
        *_, inserted, updated, unchanged, now = _row(
            second.stdout.split("per partition")[1].split("┘", 1)[1], spec.name
        )
        assert int(now) == after[spec.name][0]
        assert int(inserted) == after[spec.name][0] - counts[spec.name][0]

    # status, tables, describe read the same lake back
    state = _piped(["status", "--lake-root", str(lake)], {})
    assert state.returncode == 0, state.stderr
    for spec in TABLES:
        row = _row(state.stdout, spec.name)
        assert row[1] == "ok"
        assert row[-1].endswith(" ago"), row
    landed = _piped(["tables", "--lake-root", str(lake)], {})
    assert landed.returncode == 0, landed.stderr
    for spec in TABLES:
        _, landed_rows, landed_partitions, _newest = _row(landed.stdout, spec.name)
        assert (int(landed_rows), int(landed_partitions)) == after[spec.name]
    one = _piped(["describe", "incidents", "--lake-root", str(lake)], {})
    assert one.returncode == 0, one.stderr
    assert f"{after['eai_gateway_incidents'][0]} row(s)" in " ".join(one.stdout.split())
    assert _row(one.stdout, "incident_id") == ["incident_id", "string"]

    # query: --limit titles the table with what it shows; numbers rounded on screen only
    sql = "SELECT monitor_id, availability_pct FROM eai_gateway_availability_monthly ORDER BY 1"
    shown = _piped(["query", "--lake-root", str(lake), "--limit", "1", sql], {})
    assert shown.returncode == 0, shown.stderr
    assert "first 1 of 3 row(s) (--limit 1)" in shown.stdout
    exact = _piped(["query", "--lake-root", str(lake), "--format", "csv", sql], {})
    first_id, first_pct = exact.stdout.splitlines()[1].split(",")
    row = _row(shown.stdout, first_id)
    assert row[1] == f"{float(first_pct):.4f}".rstrip("0").rstrip(".")
    assert len(first_pct) > len(row[1]) or float(first_pct) == 100  # csv keeps every digit
