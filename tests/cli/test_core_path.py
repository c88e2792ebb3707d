"""The embedded default: ``betterstack-etl run`` runs the core in its own process.

No Prefect server is started, so nothing outlives a killed run (a spool it made is removed by
the next run), and runs started at once on one lake all land without a duplicate key.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from betterstack_etl.run.spool import default_spool_root
from betterstack_etl.simulator import SimConfig, Simulator, SystemClock
from betterstack_etl.tables import TABLES

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-m", "betterstack_etl.cli.app"]


def _session_processes(sid: int) -> list[int]:
    """Live processes of a session (the killed run and anything it may have started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, session = fields[0], int(fields[3])
        if session == sid and state != "Z":
            found.append(int(entry.name))
    return found


def _spools(tmp: Path) -> list[Path]:
    root = default_spool_root(tmp)
    return sorted(root.iterdir()) if root.is_dir() else []


def test_a_killed_run_leaves_no_process_and_its_spool_goes_with_the_next_run(
    make_simulator: Callable[..., Simulator],
    process_env: Callable[..., dict[str, str]],
    tmp_path: Path,
) -> None:
    sim = make_simulator(SimConfig(seed=5, monitors=4, latency=0.4), SystemClock())
    env = process_env(sim, tmp_path / "lake", tmp_path / "tmp")
    proc = subprocess.Popen(
        [*CLI, "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not any(p.glob("*-*") for p in _spools(tmp_path / "tmp")):  # a table is spooling
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "the run never started spooling"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    time.sleep(0.2)
    assert _session_processes(proc.pid) == []  # no server, no worker: nothing left running
    assert _spools(tmp_path / "tmp")  # what it was writing is still there...
    done = subprocess.run([*CLI, "run"], env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert _spools(tmp_path / "tmp") == []  # ...until the next run


def test_four_runs_at_once_on_one_lake_all_land_without_a_duplicate(
    make_simulator: Callable[..., Simulator],
    process_env: Callable[..., dict[str, str]],
    tmp_path: Path,
) -> None:
    sim = make_simulator(SimConfig(seed=9, monitors=3), SystemClock())
    lake = tmp_path / "lake"
    procs = [
        subprocess.Popen(
            [*CLI, "run", "--json"],
            env=process_env(sim, lake, tmp_path / "tmp"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(p.wait(timeout=240), p.communicate()) for p in procs]
    for code, (_, stderr) in results:
        assert code == 0, stderr
    con = duckdb.connect(str(lake / "betterstack.duckdb"), read_only=True)
    try:
        for spec in TABLES:
            keys = ", ".join(f'"{k}"' for k in (*spec.key, "data_particao"))
            total, distinct = con.execute(
                f"SELECT count(*), count(DISTINCT ({keys})) FROM {spec.name}"
            ).fetchone() or (0, 0)
            assert total > 0, spec.name
            assert total == distinct, spec.name
    finally:
        con.close()
    assert _spools(tmp_path / "tmp") == []


def test_dry_run_lists_the_monitors_then_plans_without_a_data_request_or_a_write(
    make_simulator: Callable[..., Simulator],
    process_env: Callable[..., dict[str, str]],
    tmp_path: Path,
) -> None:
    sim = make_simulator(SimConfig(seed=9, monitors=3), SystemClock())
    env = process_env(sim, tmp_path / "lake", tmp_path / "tmp")
    done = subprocess.run(
        [
            *CLI,
            "run",
            "--dry-run",
            "--json",
            "--from-date",
            "2026-11-01",
            "--to-date",
            "2026-11-10",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    import json

    plan = json.loads(done.stdout)
    tables = plan["tables"]
    # expected from the plan's own definition: 3 monitors × 10 days of SLA, one per monitor
    assert tables["eai_gateway_daily_sla"]["requests"] == 30
    assert tables["eai_gateway_daily_sla"]["partitions"][0] == "2026-11-01"
    assert len(tables["eai_gateway_daily_sla"]["partitions"]) == 10
    assert tables["eai_gateway_response_times"]["requests"] == 3
    assert tables["eai_gateway_incidents"]["at_least"] is True
    assert tables["eai_gateway_monitors"]["requests"] == 0
    assert set(sim.stats.by_endpoint) == {"/api/v2/monitors"}  # the listing, nothing else
    assert not (tmp_path / "lake").exists()  # nothing written
    assert plan["fits_interval"] is True  # 34 requests or more: seconds at 8 requests/s
    assert plan["warning"] is None

    # issue 25 item 11: the same plan at 0.5 requests/s on a cron every minute cannot keep up
    slow = {**env, "BETTERSTACK_RATE": "0.5", "BETTERSTACK_RUN_INTERVAL": "60"}
    said = subprocess.run(
        [*CLI, "run", "--dry-run", "--from-date", "2026-11-01", "--to-date", "2026-11-10"],
        env=slow,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert said.returncode == 0, said.stderr
    text = " ".join(said.stdout.split())
    assert "warning: the plan cannot keep up: about 34 requests: at least 68 s at 0.5" in text
    assert "longer than the 60 s between scheduled runs" in text


def _run_in_process(env: dict[str, str], *, before: str, after: str) -> str:
    """``betterstack-etl run --json`` in a fresh interpreter, with the Python ``before`` it
    (hooks to install) and ``after`` it (what to report, on stderr): that stderr, once the run
    succeeded."""
    script = (
        "import sys\n" + before + "from betterstack_etl.cli.app import main\n"
        "sys.argv = ['betterstack-etl', 'run', '--json']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n" + after
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_the_embedded_default_never_imports_prefect(
    make_simulator: Callable[..., Simulator],
    process_env: Callable[..., dict[str, str]],
    tmp_path: Path,
) -> None:
    """The core path is Prefect-free: a run in process does not even import Prefect (its
    import alone costs seconds and, with no API configured, would start a temporary server)."""
    sim = make_simulator(SimConfig(seed=9, monitors=2), SystemClock())
    said = _run_in_process(
        process_env(sim, tmp_path / "lake", tmp_path / "tmp"),
        before="",
        after="print('PREFECT', 'prefect' in sys.modules, file=sys.stderr)\n",
    )
    assert "PREFECT False" in said


_HEAVY = ("pandas", "matplotlib", "prefect", "google.cloud", "sqlglot")


def test_a_run_imports_only_what_it_uses(
    make_simulator: Callable[..., Simulator],
    process_env: Callable[..., dict[str, str]],
    tmp_path: Path,
) -> None:
    """Issue 24: a run's start-up is its imports. A local run, and a small query after it, do
    not import pandas (pyarrow's and DuckDB's shims would), matplotlib (the report), Prefect or
    google-cloud; the second run does not import sqlglot either (its views' DuckDB text is in
    the cache from the first). The query reads the views DuckDB keeps: it imports no pyarrow
    or numpy either (0.3-0.5 s of a 0.8 s query, issue 24)."""
    sim = make_simulator(SimConfig(seed=9, monitors=2), SystemClock())
    script = (
        "import os, sys\n"
        "from betterstack_etl.cli.app import main\n"
        "sys.argv = ['betterstack-etl', *sys.argv[1:]]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "heavy = os.environ['HEAVY'].split()\n"
        "found = [m for m in heavy if m in sys.modules or m + '.' in str(list(sys.modules))]\n"
        "print('IMPORTED', *found, file=sys.stderr)\n"
    )
    env = {**process_env(sim, tmp_path / "lake", tmp_path / "tmp"), "XDG_CACHE_HOME": str(tmp_path)}

    def imported(*args: str, heavy: tuple[str, ...] = _HEAVY) -> set[str]:
        done = subprocess.run(
            [sys.executable, "-c", script, *args],
            env={**env, "HEAVY": " ".join(heavy)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        line = next(ln for ln in done.stderr.splitlines() if ln.startswith("IMPORTED"))
        return set(line.split()[1:])

    assert imported("run", "--json") <= {"sqlglot"}  # the first run translates the views
    assert imported("run", "--json") == set()
    query = ("query", "SELECT count(*) FROM eai_gateway_monitors")
    assert imported(*query, heavy=(*_HEAVY, "pyarrow", "numpy")) == set()


def test_the_first_request_goes_before_arrow_numpy_and_duckdb_are_imported(
    make_simulator: Callable[..., Simulator],
    process_env: Callable[..., dict[str, str]],
    tmp_path: Path,
) -> None:
    """Issue 24: a run's first request (the monitors listing) needs only the settings and the
    API client. pyarrow, numpy and DuckDB (0.2-0.35 s of imports) are imported while its
    answer is awaited: the request does not wait for them; httpx's own command line (click,
    pygments) is not imported at all. Seen from inside the process, with pyarrow made slow to
    load (3 s): what is imported (whole) when the first connection opens, and at the end. A
    run that imported pyarrow before its first request would hold it whole by then."""
    sim = make_simulator(SimConfig(seed=9, monitors=2), SystemClock())
    said = _run_in_process(
        process_env(sim, tmp_path / "lake", tmp_path / "tmp"),
        before=(
            "import time\n"
            "from importlib.machinery import PathFinder\n"
            "class SlowArrow:\n"
            "    @staticmethod\n"
            "    def find_spec(name, path=None, target=None):\n"
            "        if name != 'pyarrow':\n"
            "            return None\n"
            "        spec = PathFinder.find_spec(name, path)\n"
            "        load = spec.loader.exec_module\n"
            "        spec.loader.exec_module = lambda m: (time.sleep(3), load(m))\n"
            "        return spec\n"
            "sys.meta_path.insert(0, SlowArrow)\n"
            "def whole(name):\n"
            "    spec = getattr(sys.modules.get(name), '__spec__', None)\n"
            "    return spec is not None and not getattr(spec, '_initializing', False)\n"
            "watched = ('pyarrow', 'numpy', 'duckdb', 'click', 'pygments')\n"
            "seen = []\n"
            "def hook(event, args):\n"
            "    if event == 'socket.connect' and not seen:\n"
            "        seen.append([m for m in watched if whole(m)])\n"
            "sys.addaudithook(hook)\n"
        ),
        after=(
            "print('FIRST', *seen[0], file=sys.stderr)\n"
            "print('END', *[m for m in watched if m in sys.modules], file=sys.stderr)\n"
        ),
    )
    found = [ln.split() for ln in said.splitlines() if ln.startswith(("FIRST", "END"))]
    lines = {words[0]: words[1:] for words in found}
    assert lines["FIRST"] == []  # the listing went out before any of them was imported
    assert lines["END"] == ["pyarrow", "numpy", "duckdb"]  # the run needed them after it
    assert sim.stats.requests > 2  # the listing, then the tables: a whole run


def test_what_comes_after_the_last_answer_is_imported_while_the_tables_are_fetched(
    make_simulator: Callable[..., Simulator],
    process_env: Callable[..., dict[str, str]],
    tmp_path: Path,
) -> None:
    """Issue 24: the ledger, the SLO check and the alert states' modules (40-70 ms) are
    imported by the preload thread during the fetch, not by the main thread after the last
    answer. Seen from inside the process: the thread that ran each module's code."""
    from betterstack_etl.run.preload import AFTER_THE_FETCH

    sim = make_simulator(SimConfig(seed=9, monitors=2), SystemClock())
    said = _run_in_process(
        process_env(sim, tmp_path / "lake", tmp_path / "tmp"),
        before=(
            "import threading\n"
            "from importlib.machinery import PathFinder\n"
            f"watched = {AFTER_THE_FETCH!r}\n"
            "by = {}\n"
            "class Recorder:\n"
            "    @staticmethod\n"
            "    def find_spec(name, path=None, target=None):\n"
            "        if name not in watched:\n"
            "            return None\n"
            "        spec = PathFinder.find_spec(name, path)\n"
            "        load = spec.loader.exec_module\n"
            "        def run(module):\n"
            "            by[name] = threading.current_thread().name\n"
            "            load(module)\n"
            "        spec.loader.exec_module = run\n"
            "        return spec\n"
            "sys.meta_path.insert(0, Recorder)\n"
        ),
        after="print('BY', *sorted(f'{k}={v}' for k, v in by.items()), file=sys.stderr)\n",
    )
    line = next(ln for ln in said.splitlines() if ln.startswith("BY"))
    assert line.split()[1:] == sorted(f"{name}=preload" for name in AFTER_THE_FETCH)
