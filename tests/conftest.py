"""Shared fixtures: a frozen clock, the Better Stack API simulator on loopback, one Prefect
test harness and one BigQuery emulator per session."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from betterstack_etl.simulator import Clock, FrozenClock, SimConfig, Simulator

# Bytecode is kept even where PYTHONDONTWRITEBYTECODE is set (as on this project's machines):
# otherwise every worker rewrites every test module's asserts again and every process the tests
# start compiles the package again (__pycache__ is git-ignored).
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

SIM_NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
SIM_TOKEN = "sim-token"
BQ_PROJECT = "rj-iplanrio"  # the BigQuery emulator's project
_BQ_STARTUP_SECONDS = 60.0


@pytest.fixture(autouse=True)
def _no_env_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own ./.env never reaches a test: the settings read an empty file (the
    tests of the .env file point BETTERSTACK_ENV_FILE at theirs)."""
    monkeypatch.setenv("BETTERSTACK_ENV_FILE", os.devnull)


@pytest.fixture
def sim_clock() -> FrozenClock:
    """A clock frozen at 2026-11-25T12:00:00Z (move it with ``.set``/``.advance``)."""
    return FrozenClock(SIM_NOW)


# The simulator answers at once: a run against it paces at the highest rate the settings accept
# (the pacing itself is proven on a fake clock in tests/api and against Prefect in tests/deploy).
FAST_PACE = {"BETTERSTACK_RATE": "100", "BETTERSTACK_MAX_IN_FLIGHT": "8"}


@pytest.fixture
def make_simulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Simulator]]:
    """``make_simulator(config=None, clock=None)`` → a started Simulator, stopped at teardown;
    while one runs, this process's environment paces runs at ``FAST_PACE`` (a test sets its own
    rate after starting the simulator)."""
    started: list[Simulator] = []

    def make(config: SimConfig | None = None, clock: Clock | None = None) -> Simulator:
        if not started:
            for name, value in FAST_PACE.items():
                monkeypatch.setenv(name, value)
        sim = Simulator(
            config or SimConfig(seed=7, monitors=3), clock=clock or FrozenClock(SIM_NOW)
        )
        sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def simulator(
    request: pytest.FixtureRequest, make_simulator: Callable[..., Simulator], sim_clock: FrozenClock
) -> Simulator:
    """A started ``Simulator(SimConfig(seed=7, monitors=3))`` on ``sim_clock`` (token sim-token):
    the realistic API (SPEC §7). Other ``SimConfig`` fields come from a test's
    ``@pytest.mark.simulator(**fields)`` and from an indirect parameter (a dict of fields)."""
    fields: dict[str, Any] = {"seed": 7, "monitors": 3}
    for marker in reversed(list(request.node.iter_markers("simulator"))):
        fields.update(marker.kwargs)
    fields.update(getattr(request, "param", {}))
    return make_simulator(SimConfig(**fields), sim_clock)


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test harness (temporary database and API) for the whole test session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


# -- the fast loop and pytest-xdist ------------------------------------------------------------
# A test that needs one of these servers is ``slow`` whether or not it says so: the fast loop
# (``-m "not slow"``) starts no server and no emulator. A test reaching one through
# ``request.getfixturevalue`` on a parameter ("flow", "prefect") counts as needing it.
#
# Under ``-n N --dist loadgroup`` (the Makefile, .ci/run) each worker that runs a test needing a
# session fixture starts its own. Tests are grouped by the first server they need, so each server
# starts once and its tests run on one worker, while the in-process tests spread over the others;
# module-scoped fixtures (a simulated lake, a built dbt package) keep their module on one worker,
# so each is still built once.
_SERVERS = (  # longest group first (_first)
    "prefect_server",
    "prefect_harness",
    "bq_endpoint",
    "gcs_endpoint",
    "zetasql_server",
    "gcs_filesystem",
)
_PREFECT_PARAMS = frozenset({"flow", "prefect"})


def _server(item: pytest.Item) -> str | None:
    names = set(getattr(item, "fixturenames", ()))
    callspec = getattr(item, "callspec", None)
    if callspec is not None and _PREFECT_PARAMS & {
        value for value in callspec.params.values() if isinstance(value, str)
    }:
        names.add("prefect_harness")
    return next((server for server in _SERVERS if server in names), None)


def _module_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs.values() if info is not None else ()
    return any(d.scope == "module" for fixture in defs for d in fixture)


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook; its absence is not an error
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than the cores. Many tests wait (a server starting, a
    subprocess, a rate budget), and a third worker fills those waits: on 2 cores the whole suite
    took 369 s with 3 workers against 393 s with 2 (CONTRIBUTING.md, "The loop")."""
    return (os.cpu_count() or 1) + 1


def pytest_configure(config: pytest.Config) -> None:
    """Under xdist, the work is handed out in collection order (``_first``), not largest
    group first."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def _first(group: str | None) -> int:
    """Where a test's group starts: the servers' groups first (the longest chains of tests,
    mostly waiting on a server, a subprocess or a rate budget: started at once, the short tests
    fill the other workers around them), then the module groups (a lake built for the module, then
    its tests), then the single tests, which keep every worker busy to the end."""
    if group is None:
        return len(_SERVERS) + 1
    return _SERVERS.index(group) if group in _SERVERS else len(_SERVERS)


@pytest.hookimpl(tryfirst=True)  # before -m deselects and before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    xdist = config.pluginmanager.hasplugin("xdist")  # not in scripts/iplanrio-compat.sh's venv
    groups: dict[str, str | None] = {}
    for item in items:
        server = _server(item)
        if server is not None:
            item.add_marker(pytest.mark.slow)
        group = server or (item.nodeid.split("::", 1)[0] if _module_fixture(item) else None)
        if xdist and group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
        groups[item.nodeid] = group
    if xdist:  # a stable sort: the same order on every worker, as xdist requires
        items.sort(key=lambda item: _first(groups[item.nodeid]))


# -- the BigQuery emulator ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_serving(
    name: str, proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float
) -> None:
    """Until ``url`` answers 200: a server process the tests started is ready (or has exited,
    or is still not ready after ``timeout`` seconds: a RuntimeError with its log's tail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{name} not ready after {timeout}s: {log.read_text()[-2000:]}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a server process the tests started; kill it if it lingers."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def bq_project() -> str:
    """The emulator's project (``BQ_PROJECT``), for test packages that cannot import this file."""
    return BQ_PROJECT


@pytest.fixture(scope="session")
def bq_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One bqemulator for the session (tests/gcp and tests/sla share it: defined here, it is
    started once)."""
    home = tmp_path_factory.mktemp("bqemu-home")
    env = {**os.environ, "HOME": str(home), "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false"}
    install = "from duckdb_extensions import import_extension; import_extension('spatial')"
    subprocess.run([sys.executable, "-c", install], env=env, check=True, timeout=60)
    port = free_port()
    log = home / "bqemulator.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bqemulator", "start", "--rest-port", str(port),
             "--grpc-port", "0", "--project", BQ_PROJECT, "--log-level", "warning"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_serving("bqemulator", proc, f"{url}/healthz", log, _BQ_STARTUP_SECONDS)
        yield url
    finally:
        stop_server(proc)
