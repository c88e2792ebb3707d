"""Fixtures of the deployment tests: the repository's deployment files, and a real Prefect
server started on loopback (temporary PREFECT_HOME, SQLite), stopped at teardown.

Every wait is bounded; a server that does not come up fails the test with the tail of its log.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import yaml

if TYPE_CHECKING:
    from collections.abc import Iterator

REPO = Path(__file__).resolve().parents[2]
# The `prefect` of the interpreter running the tests: the repository's .venv, or the Python
# 3.13 venv of scripts/iplanrio-compat.sh (prefect 3.4.9), whose server is then that version.
VENV_BIN = Path(sys.executable).parent
PREFECT = VENV_BIN / "prefect"

SERVER_START_TIMEOUT = 150.0  # seconds; a cold start migrates a fresh SQLite DB
SERVER_STOP_TIMEOUT = 20.0

# Variables of ours or Prefect's that the test process may carry and that must not leak into
# the server, the deploy command or the worker (each gets exactly what it needs).
_SCRUBBED_PREFIXES = ("PREFECT_", "BETTERSTACK_")
_SCRUBBED_NAMES = ("MONITOR_ID",)


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without Prefect/pipeline settings, plus ``extra``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_SCRUBBED_PREFIXES) and key not in _SCRUBBED_NAMES
    }
    env["BETTERSTACK_ENV_FILE"] = os.devnull  # not the developer's own ./.env
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tail(path: Path, chars: int = 4000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"


@dataclass(frozen=True)
class PrefectServer:
    """A running Prefect server: its API URL, home, and the env to talk to it."""

    api_url: str
    home: Path
    log: Path

    def env(self, **extra: str) -> dict[str, str]:
        return clean_env(
            PREFECT_API_URL=self.api_url,
            PREFECT_HOME=str(self.home),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            **extra,
        )

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.api_url, timeout=30.0)


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"prefect server exited with {proc.returncode}:\n{tail(log)}")
        try:
            if httpx.get(f"{url}/health", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"prefect server not healthy after {SERVER_START_TIMEOUT:.0f} s:\n{tail(log)}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)  # our own session: the server and anything it spawned
    try:
        proc.wait(timeout=SERVER_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=SERVER_STOP_TIMEOUT)


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """``prefect server start`` on a free loopback port, with its own home and SQLite DB."""
    root = tmp_path_factory.mktemp("prefect-server")
    home = root / "home"
    home.mkdir()
    port = free_port()
    server = PrefectServer(f"http://127.0.0.1:{port}/api", home, root / "server.log")
    env = server.env(
        PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{root / 'prefect.db'}",
        PREFECT_UI_ENABLED="false",
        PREFECT_SERVER_LOGGING_LEVEL="WARNING",
        # Nothing here needs them, and the scheduler would queue production runs.
        PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",
        PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED="false",
        PREFECT_SERVER_SERVICES_FOREMAN_ENABLED="false",
        PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED="false",
        PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_ENABLED="false",
    )
    env.pop("PREFECT_API_URL")  # the server itself is not a client of another server
    with server.log.open("wb") as log:
        proc = subprocess.Popen(
            [str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        _wait_healthy(proc, server.api_url, server.log)
        yield server
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def prefect_yaml() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "prefect.yaml").read_text())
    return loaded


@pytest.fixture(scope="session")
def dockerfile() -> str:
    return (REPO / "Dockerfile").read_text()


def load_script(name: str) -> Any:
    """A module of scripts/ (deployment tooling, not part of the package), by file name."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        f"scripts_{name}", REPO / "scripts" / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
