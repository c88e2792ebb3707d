"""The scale benchmark's memory figure is the measured child's own peak, not its parent's.

On Linux ``getrusage(RUSAGE_SELF).ru_maxrss`` survives ``execve``: a child spawned by a parent
holding 600 MiB reports 600 MiB whatever it does itself. That is how a 500-monitor hourly run
(≈ 400 MiB) once showed 2.3 GiB — the benchmark process held the simulator's cache.
``benchmarks.common.own_peak_rss`` reads ``VmHWM`` of the child's own address space."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024

_PARENT = """
import json, subprocess, sys
ballast = bytearray(600 * 1024 * 1024)
for i in range(0, len(ballast), 4096):
    ballast[i] = 1  # resident, page by page
child = (
    "import json, resource\\n"
    "from benchmarks.common import own_peak_rss\\n"
    "print(json.dumps([own_peak_rss(),"
    " resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024]))"
)
done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True)
print(done.stdout.strip())
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux /proc only")
def test_a_child_reports_its_own_peak_not_its_parents() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PARENT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    own, inherited = json.loads(done.stdout.strip().splitlines()[-1])
    assert inherited >= 600 * MIB  # the trap the benchmark fell into
    assert own < 300 * MIB  # the child itself: an interpreter and the benchmark's imports
