"""Fixtures of the CLI tests that start a real ``betterstack-etl`` process."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from betterstack_etl.simulator import Simulator

from ..conftest import FAST_PACE

CliEnv = Callable[..., dict[str, str]]


def cli_env(sim: Simulator, lake: Path, tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a CLI process running against ``sim`` into ``lake``: none of this
    process's BETTERSTACK_/PREFECT_ settings, no developer's ./.env, its own TMPDIR (where a
    spool goes), the highest pace the settings accept; ``extra`` settings on top."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BETTERSTACK_", "PREFECT_")) and k != "MONITOR_ID"
    }
    tmp.mkdir(parents=True, exist_ok=True)
    return {
        **base,
        "BETTERSTACK_TOKEN": "sim-token",
        "MONITOR_ID": "all",
        "BETTERSTACK_BASE_URL": sim.base_url,
        "BETTERSTACK_LAKE_ROOT": str(lake),
        "BETTERSTACK_ENV_FILE": os.devnull,
        "TMPDIR": str(tmp),
        **FAST_PACE,  # tests/conftest.py: the simulator answers at once
        **extra,
    }


@pytest.fixture
def process_env() -> CliEnv:
    """``process_env(sim, lake, tmp, **extra)``: see ``cli_env``."""
    return cli_env
