"""SPEC §13: what the API sends is data, never code, in every command a user runs.

The simulator serves monitor names and incident causes holding Rich markup, matplotlib
mathtext, HTML and terminal escape sequences; ``run`` (its summary, its SLO warnings, its log
lines), ``query`` (every format), ``report``, ``demo`` and ``check`` show them as their
characters: nothing crashes, no escape sequence reaches the terminal, no tag or formula is
rendered."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from betterstack_etl import clock
from betterstack_etl.simulator import FrozenClock, SimConfig, Simulator
from betterstack_etl.simulator import world as sim_world

pytestmark = pytest.mark.slow

SIM_NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

CLI = [sys.executable, "-m", "betterstack_etl.cli.app"]
# every monitor gets this name (and its number): whichever is below its SLO, its line holds all
NAME = (
    "rich [/bold] [link=file:///etc/passwd]x[/link] $\\frac{1}{$ \x1b[31mred\x1b]0;T\x07 "
    "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)> $\\alpha$"
)
SHOWN = NAME.replace("\x1b", "\\x1b").replace("\x07", "\\x07")  # as a reader must see it
CAUSES = (
    ("[/bold] $\\frac{1}{$ <script>x</script>", "503", "<html>[/red]\x1b[2J</html>"),
    ("$\\alpha$ \x1b]0;T\x07 [/]", None, None),
)


@pytest.fixture
def hostile(
    monkeypatch: pytest.MonkeyPatch, make_simulator: Callable[..., Simulator], tmp_path: Path
) -> dict[str, str]:
    """The simulator (frozen at 2026-11-25 12:00 UTC) with hostile names and causes, and the
    environment of a run against it into ``tmp_path/lake``, below a strict SLO."""
    monkeypatch.setattr(sim_world, "_NAMES", (NAME,))
    monkeypatch.setattr(sim_world, "_CAUSES", CAUSES)
    # the names and causes are the ones above, not the simulator's own markup-like text
    config = SimConfig(seed=7, monitors=3, hostile_text=False)
    sim = make_simulator(config, FrozenClock(SIM_NOW))
    monkeypatch.setattr(clock, "utcnow", sim.clock.now)
    for var in [v for v in os.environ if v.startswith("BETTERSTACK_")]:
        monkeypatch.delenv(var)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    env = {
        "BETTERSTACK_TOKEN": "sim-token",
        "MONITOR_ID": "all",
        "BETTERSTACK_BASE_URL": sim.base_url,
        "BETTERSTACK_LAKE_ROOT": str(tmp_path / "lake"),
        "BETTERSTACK_SLO": "99.99999",  # every monitor with downtime this month is below it
        "BETTERSTACK_TASK_RETRIES": "0",
        "COLUMNS": "600",  # wide: no name is wrapped in a table
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The real command in a subprocess (real stdout and stderr)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("BETTERSTACK_")}
    return subprocess.run(
        [*CLI, *args], env={**base, **env}, capture_output=True, text=True, timeout=300, check=False
    )


def _on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """What the command writes to a (pseudo-)terminal: Rich's own colours included."""
    import pty

    base = {k: v for k, v in os.environ.items() if not k.startswith("BETTERSTACK_")}
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [*CLI, *args],
        env={**base, **env, "TERM": "xterm-256color"},
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
    ) as proc:
        os.close(follower)
        chunks = []
        try:
            while chunk := os.read(leader, 65536):  # read while it writes: no full buffer
                chunks.append(chunk)
        except OSError:  # EIO: the command ended and its terminal is drained
            pass
        finally:
            os.close(leader)
        assert proc.wait(timeout=300) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def _clean(done: subprocess.CompletedProcess[str]) -> str:
    """Both streams, after checking the command neither crashed nor drove the terminal."""
    both = done.stdout + done.stderr
    assert done.returncode == 0, both
    assert "Traceback" not in both
    assert "\x1b" not in both
    assert "\x07" not in both
    return both


def test_run_shows_hostile_names_literally_in_its_summary_and_slo_warnings(
    hostile: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    from betterstack_etl.cli.app import app

    with caplog.at_level(logging.INFO, logger="betterstack_etl"):
        ran = CliRunner().invoke(app, ["run", "-v"])  # -v: the INFO log lines too
    assert ran.exit_code == 0, ran.output
    assert "\x1b" not in ran.output
    # the lines under the summary
    said = " ".join(ran.output.split()).split("SLO breached: ")[1:]
    assert said
    assert all(s.startswith(" ".join(SHOWN.split())) for s in said)
    logged = [r.getMessage() for r in caplog.records if "SLO breached" in r.getMessage()]
    assert logged  # the log lines (INFO): the name shown, its escape sequences not sent
    assert all(SHOWN in line for line in logged)

    as_json = CliRunner().invoke(app, ["run", "--json"])
    assert as_json.exit_code == 0, as_json.output
    names = {b["name"] for b in json.loads(as_json.stdout)["slo_breaches"]}
    assert names  # the data itself is kept exact in JSON
    assert {n.rsplit(" ", 1)[0] for n in names} == {NAME}


def test_query_and_report_show_hostile_names_literally(
    hostile: dict[str, str], tmp_path: Path
) -> None:
    from betterstack_etl.run import runner
    from betterstack_etl.settings import read_token, run_params

    runner.run(run_params(), read_token())
    names = 'SELECT pronounceable_name AS "[/bold]" FROM eai_gateway_monitors ORDER BY 1'
    table = _clean(_cli(["query", names], hostile))
    for number in (1, 2, 3):
        assert f"{SHOWN} {number}" in table
    causes = "SELECT DISTINCT cause, response_content FROM eai_gateway_incidents"
    shown = _clean(_cli(["query", causes], hostile))
    assert "[/bold] $\\frac{1}{$ <script>x</script>" in shown
    assert "<html>[/red]\\x1b[2J</html>" in shown
    csv = _cli(["query", "--format", "csv", names], hostile)
    assert csv.returncode == 0, csv.stderr
    assert NAME in csv.stdout  # a pipe gets the exact data; a terminal, its escapes (below)
    for fmt in ("table", "csv"):
        seen = _on_a_terminal(["query", "--format", fmt, names], hostile)
        assert "\x1b]0;T" not in seen  # no window title set, no bell rung…
        assert "\x07" not in seen
        assert "\\x1b]0;T\\x07" in seen  # …the name shown instead

    out = tmp_path / "report.html"
    _clean(_cli(["report", "--out", str(out), "--lang", "en", "--month", "2026-11"], hostile))
    html = out.read_text()
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\x1b" not in html
    assert "\\x1b]0;T\\x07" in html
    svg = "".join(re.findall(r"<svg.*?</svg>", html, flags=re.S))
    assert "$\\alpha$" in svg  # drawn as its eight characters, not as a Greek letter
    assert "α" not in html
    assert "$\\frac{1}{$" in svg


def test_demo_and_check_show_hostile_names_literally(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from betterstack_etl.cli.app import app

    monkeypatch.setattr(sim_world, "_NAMES", (NAME,))
    monkeypatch.setattr(sim_world, "_CAUSES", CAUSES)
    for var in [v for v in os.environ if v.startswith("BETTERSTACK_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("BETTERSTACK_TASK_RETRIES", "0")
    monkeypatch.setenv("COLUMNS", "600")
    runner = CliRunner()
    demo = runner.invoke(app, ["demo", "--lake-root", str(tmp_path / "demo")])
    assert demo.exit_code == 0, demo.output
    assert "\x1b" not in demo.output
    assert SHOWN in demo.output  # the monitors preview (the run's SLO lines: test above)
    assert "Query it: .venv/bin/betterstack-etl query --lake-root" in demo.output

    with Simulator(SimConfig(seed=7, monitors=3)) as sim:
        monkeypatch.setenv("BETTERSTACK_TOKEN", "sim-token")
        monkeypatch.setenv("MONITOR_ID", "all")
        monkeypatch.setenv("BETTERSTACK_BASE_URL", sim.base_url)
        monkeypatch.setenv("BETTERSTACK_LAKE_ROOT", str(tmp_path / "[/bold]\x1b]0;T\x07"))
        check = runner.invoke(app, ["check"])
    assert "Traceback" not in check.output
    assert "\x1b" not in check.output
    assert "[/bold]\\x1b]0;T\\x07" in check.output
