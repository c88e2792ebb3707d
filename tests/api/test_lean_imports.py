"""Issue 24: importing the API client costs what it uses. httpx imports its own command line
(click, pygments, rich: 20-30 ms of every start) when those are installed; nothing here runs
it, so it is left out, and a later import of it still works."""

from __future__ import annotations

import subprocess
import sys

_SCRIPT = """
import sys
{first}
import betterstack_etl.api
print("after api:", *[m for m in ("click", "pygments", "httpx._main") if m in sys.modules])
import httpx
import httpx._main
print("asked for:", "click" in sys.modules)
"""


def _run(first: str = "") -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT.format(first=first)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_the_api_client_imports_httpx_without_its_command_line() -> None:
    assert _run() == ["after api:", "asked for: True"]


def test_without_the_package_httpx_imports_its_command_line() -> None:
    """The check above can fail: httpx alone imports click and pygments (they are installed)."""
    assert _run("import httpx")[0] == "after api: click pygments httpx._main"
