"""The test loop itself: under ``-n N --dist loadgroup`` each group's tests run on one worker
(tests/conftest.py). pytest 9.2 keeps node ids where pytest-xdist 3.8 cannot append the group:
every group then ran wherever, and each worker started its own servers: a silent loss of
CPU that only this test notices."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Two cheap modules: each has a module-scoped fixture, so each is one group.
GROUPED = ("tests/lake/test_duckerrors.py", "tests/sla/test_slo.py")


def test_each_group_runs_on_one_worker_and_the_servers_go_first(tmp_path: Path) -> None:
    pytest.importorskip("xdist")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v", "-p",
         "no:cacheprovider", "--basetemp", str(tmp_path / "t"), *GROUPED],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    ran = re.findall(r"^\[(gw\d+)\] \[ *\d+%\] PASSED (\S+)", done.stdout, re.MULTILINE)
    workers: dict[str, set[str]] = defaultdict(set)
    for worker, nodeid in ran:
        if "@" in nodeid:
            workers[nodeid.rsplit("@", 1)[1]].add(worker)
    assert set(workers) >= {"tests/lake/test_duckerrors.py"}, (
        "no test carries its xdist group: --dist loadgroup ignores the groups (pytest-xdist "
        "and pytest versions disagree on node ids)\n" + done.stdout[-2000:]
    )
    assert all(len(found) == 1 for found in workers.values()), dict(workers)


def test_the_tests_needing_a_server_are_handed_out_first() -> None:
    """Collected in file order, the two tests needing the Prefect harness come late in
    tests/cli/test_cli.py; handed to the workers, they come first, then the tests sharing
    test_duckerrors.py's module lake, then the single tests (those of test_duckerrors.py that
    need no lake among them)."""
    pytest.importorskip("xdist")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "tests/cli/test_cli.py", "tests/lake/test_duckerrors.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    needing = {
        "tests/cli/test_cli.py::test_run_with_a_refused_token_exits_1_with_the_api_reason[prefect]",
        "tests/cli/test_cli.py::test_run_prints_the_summary_per_table_and_partition",
    }
    assert set(ids[:2]) == needing, ids[:5]
    lake = [i for i in ids if i.startswith("tests/lake/") and "moved_lake" not in i]
    lake = [i for i in lake if "unrelated_error" not in i]  # the two that need no lake
    assert len(lake) == 5
    assert ids[2:7] == lake, ids[:9]
    assert ids[7] == "tests/cli/test_cli.py::test_missing_token_is_one_clear_line_and_exit_1"
    source = (ROOT / "tests/cli/test_cli.py").read_text()
    assert source.index("def test_missing_token_is_one_clear_line") < source.index(
        "def test_run_with_a_refused_token_exits_1"
    )
