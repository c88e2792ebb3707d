"""``betterstack-etl report`` as a user runs it: a file written, or one clear line and exit 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from . import fixture_lake as F

CLI = [sys.executable, "-m", "betterstack_etl.cli.app", "report"]


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("BETTERSTACK_")}
    base["BETTERSTACK_ENV_FILE"] = os.devnull  # not the developer's own ./.env
    return subprocess.run(
        [*CLI, *args], env={**base, **(env or {})}, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_writes_the_report_for_a_past_month(tmp_path: Path) -> None:
    lake = F.build(tmp_path / "lake")
    out = tmp_path / "out.html"
    done = _run(["--out", str(out), "--lake-root", str(lake), "--month", "2026-10",
                 "--lang", "en"], {"BETTERSTACK_SLO": "99.5"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"report written to {out}" in done.stderr
    html = out.read_text(encoding="utf-8")
    assert "Oct 1, 2026 – Oct 31, 2026" in html
    assert "SLO: 99.500%" in html  # from BETTERSTACK_SLO


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--month", "2026-13"], "bad --month '2026-13' — use YYYY-MM"),
        (["--lang", "fr"], "unknown --lang 'fr' — use --lang pt-BR or --lang en"),
        (
            ["--monitor-id", "999"],
            "unknown monitor 999: not in the lake — use one of: 100, 200, 300",
        ),
        (["--timezone", "Nowhere/City"], "--timezone 'Nowhere/City' is not a known time zone"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(
    lake: Path, tmp_path: Path, args: list[str], needle: str
) -> None:
    out = tmp_path / "out.html"
    done = _run(["--out", str(out), "--lake-root", str(lake), *args])
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert needle in lines[0]
    assert "Traceback" not in done.stderr + done.stdout
    assert not out.exists()


def test_a_folder_without_a_lake_is_one_line(tmp_path: Path) -> None:
    done = _run(["--out", str(tmp_path / "r.html"), "--lake-root", str(tmp_path)])
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "no DuckDB database at" in done.stderr
