"""Issue 24: the settings model is built without pydantic's plugin discovery (it reads the
entry points of every installed package: 10-35 ms of every command's start), and leaves the
switch it uses as it found it, so other models of the process still find their plugins."""

from __future__ import annotations

import os
import subprocess
import sys

_SCRIPT = """
import os
import betterstack_etl.settings as settings
import pydantic.plugin._loader as loader
print(loader._plugins, os.environ.get("PYDANTIC_DISABLE_PLUGINS"))
print(settings.load_settings({}, read_env_file=False, rate="3").settings.rate)
"""


def _run(**env: str) -> list[str]:
    base = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_no_plugin_is_looked_for_and_the_switch_is_left_unset() -> None:
    assert _run() == ["None None", "3.0"]  # never discovered; the model validates


def test_a_switch_the_environment_sets_is_kept() -> None:
    """Set by the user, it is theirs: pydantic does what it says (here: discover, leaving out
    one plugin by name)."""
    assert _run(PYDANTIC_DISABLE_PLUGINS="some_plugin") == ["{} some_plugin", "3.0"]
