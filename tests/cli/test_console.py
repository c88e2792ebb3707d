"""Issue 24: the console script ends the process as Python would, less the teardown of every
module and object (0.15-0.3 s after a run): the exit status, the ``atexit`` handlers and the
buffered output are kept; with a thread still running, Python's own exit is left in place."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from betterstack_etl.cli.console import exit_status

# An object finalized only by Python's teardown, an atexit handler, output still buffered.
_SCRIPT = """
import atexit, sys, threading
class Mark:
    def __del__(self):
        sys.stderr.write("torn down\\n")
KEPT = Mark()
atexit.register(lambda: sys.stderr.write("atexit ran\\n"))
sys.stdout.write("buffered, no newline")
if sys.argv[1] == "thread":
    # alive until the main thread has finished, however slowly the command ran
    threading.Thread(target=threading.main_thread().join).start()
from betterstack_etl.cli.console import entry
sys.argv = ["betterstack-etl", *sys.argv[2:]]
entry()
"""


def _entry(tmp_path: Path, mode: str, *args: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "entry.py"
    script.write_text(_SCRIPT, encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(script), mode, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(("args", "status"), [(("--help",), 0), (("no-such-command",), 2)])
def test_the_console_script_keeps_the_exit_and_skips_the_teardown(
    tmp_path: Path, args: tuple[str, ...], status: int
) -> None:
    done = _entry(tmp_path, "plain", *args)
    assert done.returncode == status
    assert done.stdout.startswith("buffered, no newline")
    assert "atexit ran" in done.stderr
    assert "torn down" not in done.stderr  # no module teardown


def test_with_a_thread_still_running_python_ends_as_usual(tmp_path: Path) -> None:
    done = _entry(tmp_path, "thread", "--help")
    assert done.returncode == 0
    assert "atexit ran" in done.stderr
    assert "torn down" in done.stderr  # Python's own exit, after the thread


def test_the_status_is_the_one_python_gives_system_exit(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_status(None) == 0
    assert exit_status(3) == 3
    assert exit_status("bad thing") == 1
    assert capsys.readouterr().err == "bad thing\n"
