"""``betterstack-etl config``: the settings in effect and where each came from, the token
never shown (not on stdout, not on stderr, not in any file), a refused value named."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CLI = [sys.executable, "-m", "betterstack_etl.cli.app", "config"]
TOKEN = "tok-Zq8-very-secret-4417"


def _config(tmp: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The real command, in ``tmp`` (its ./.env is read), with only ``env`` for settings."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BETTERSTACK_", "PREFECT_")) and k != "MONITOR_ID"
    }
    base |= {"HOME": str(tmp), "TMPDIR": str(tmp), "COLUMNS": "200"}
    return subprocess.run(
        [*CLI, *args], env={**base, **env}, cwd=tmp, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


def _files_holding(root: Path, text: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def _rows(stdout: str) -> dict[str, dict[str, Any]]:
    return {r["variable"]: r for r in json.loads(stdout)["settings"]}


@pytest.mark.parametrize("where", ["env", ".env", "refused"])
def test_the_token_is_masked_everywhere(tmp_path: Path, where: str) -> None:
    env = {"MONITOR_ID": "12"}
    token = TOKEN if where != "refused" else f"{TOKEN} x"  # whitespace: refused, still secret
    if where == ".env":
        (tmp_path / ".env").write_text(f"BETTERSTACK_TOKEN='{token}'\n")
    else:
        env["BETTERSTACK_TOKEN"] = token
    outputs = [_config(tmp_path, args, env) for args in ([], ["--json"])]
    for done in outputs:
        assert TOKEN not in done.stdout
        assert TOKEN not in done.stderr
        assert "tok-Zq8" not in done.stdout + done.stderr
        assert done.returncode == (1 if where == "refused" else 0), done.stderr
    (tmp_path / ".env").unlink(missing_ok=True)
    assert _files_holding(tmp_path, TOKEN) == []
    row = _rows(outputs[1].stdout)["BETTERSTACK_TOKEN"]
    assert (row["value"], row["secret"]) == ("***", True)
    assert row["origin"] == (".env" if where == ".env" else "env")
    if where == "refused":
        assert row["problem"] == (
            "BETTERSTACK_TOKEN contains whitespace — copy it again without it "
            "(Better Stack → Uptime → API tokens)"
        )
        assert "error: BETTERSTACK_TOKEN contains whitespace" in outputs[0].stderr
    else:
        assert "│ BETTERSTACK_TOKEN " in outputs[0].stdout
        assert "***" in outputs[0].stdout


def test_each_setting_says_where_it_came_from(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("BETTERSTACK_RATE=5\nBETTERSTACK_SLO=98%\nMONITOR_ID=7\n")
    env = {"BETTERSTACK_SLO": "99.5", "BETTERSTACK_DESTINATION": "local"}
    done = _config(tmp_path, ["--json", "--lake-root", str(tmp_path / "lake")], env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["env_file"] == str(tmp_path / ".env")
    rows = _rows(done.stdout)
    seen = {
        v: (rows[v]["value"], rows[v]["origin"])
        for v in (
            "BETTERSTACK_RATE",
            "BETTERSTACK_SLO",
            "MONITOR_ID",
            "BETTERSTACK_DESTINATION",
            "BETTERSTACK_LAKE_ROOT",
            "BETTERSTACK_TIMEOUT",
            "BETTERSTACK_TOKEN",
        )
    }
    assert seen == {
        "BETTERSTACK_RATE": ("5", ".env"),
        "BETTERSTACK_SLO": ("99.5", "env"),  # the environment wins over .env
        "MONITOR_ID": ("7", ".env"),
        "BETTERSTACK_DESTINATION": ("local", "env"),
        "BETTERSTACK_LAKE_ROOT": (str(tmp_path / "lake"), "option"),
        "BETTERSTACK_TIMEOUT": ("30", "default"),
        "BETTERSTACK_TOKEN": (None, "default"),
    }
    table = _config(tmp_path, ["--lake-root", str(tmp_path / "lake")], env)
    assert f"settings in effect (.env: {tmp_path / '.env'})" in table.stdout
    assert "option --lake-root" in table.stdout


def test_a_refused_setting_exits_1_and_every_refusal_is_listed(tmp_path: Path) -> None:
    env = {"BETTERSTACK_RATE": "0", "BETTERSTACK_SLO": "100.5", "BETTERSTACK_SL0": "1"}
    done = _config(tmp_path, ["--from-date", "20261101"], env)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: --from-date '20261101' is not a date — write --from-date as YYYY-MM-DD, "
        "e.g. 2026-01-31",
        "error: BETTERSTACK_RATE='0' is not a number in (0, 100] — set BETTERSTACK_RATE within "
        "(0, 100], or unset it for the default",
        "error: BETTERSTACK_SLO='100.5' is outside 0-100 — set BETTERSTACK_SLO to a percentage "
        "strictly between 0 and 100, e.g. 99.9",
    ]
    assert "note: BETTERSTACK_SL0 is not a setting; ignored — did you mean BETTERSTACK_SLO?" in (
        done.stderr
    )
