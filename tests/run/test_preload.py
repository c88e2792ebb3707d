"""What a run imports while its first request is in flight (issue 24): in a thread, in order,
a failure left to the code that needs the module, and finished when the block ends."""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING

from betterstack_etl.run.preload import AFTER_THE_FETCH, AFTER_THE_LISTING, importing_meanwhile

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

import pytest


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on sys.path whose modules record the thread that imported them."""
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("preload_probe_")]:
        del sys.modules[name]


def _probe(folder: Path, name: str, body: str = "") -> None:
    (folder / f"{name}.py").write_text(
        "import threading, preload_probe_log\n"
        f"preload_probe_log.seen.append(({name!r}, threading.current_thread().name))\n" + body
    )


def test_the_modules_are_imported_in_a_thread_in_order_by_the_end_of_the_block(
    modules: Path,
) -> None:
    (modules / "preload_probe_log.py").write_text("seen = []\n")
    _probe(modules, "preload_probe_a")
    _probe(modules, "preload_probe_b", "raise RuntimeError('broken on purpose')\n")
    _probe(modules, "preload_probe_c")
    switch = sys.getswitchinterval()
    names = ["preload_probe_a", "preload_probe_b", "preload_probe_c"]
    with importing_meanwhile(names):
        assert sys.getswitchinterval() <= 0.001  # the sending thread gets the lock back soon
    import preload_probe_log  # type: ignore[import-not-found]

    assert preload_probe_log.seen == [
        ("preload_probe_a", "preload"),
        ("preload_probe_b", "preload"),
        ("preload_probe_c", "preload"),
    ]  # the broken one did not stop the others, nor the block
    assert "preload_probe_b" not in sys.modules  # its importer will say why
    assert sys.getswitchinterval() == switch
    assert not [t for t in threading.enumerate() if t.name == "preload"]


def test_nothing_is_started_when_every_module_is_imported_already() -> None:
    before = threading.active_count()
    with importing_meanwhile(["json", "threading"]):
        assert threading.active_count() == before


def test_the_modules_after_the_listing_exist() -> None:
    """The list names real modules (a renamed one would silently be imported later)."""
    import importlib.util

    assert all(importlib.util.find_spec(name) for name in (*AFTER_THE_LISTING, *AFTER_THE_FETCH))


def test_without_short_switches_the_interval_is_left_alone(modules: Path) -> None:
    """The fetch's block (many threads at work): the modules still come in the thread."""
    (modules / "preload_probe_log.py").write_text("seen = []\n")
    _probe(modules, "preload_probe_f")
    switch = sys.getswitchinterval()
    with importing_meanwhile(["preload_probe_f"], short_switches=False):
        assert sys.getswitchinterval() == switch
    import preload_probe_log  # type: ignore[import-not-found]

    assert preload_probe_log.seen == [("preload_probe_f", "preload")]


def test_overlapping_blocks_restore_the_switch_interval_once(modules: Path) -> None:
    """Two runs of one process listing at once: the interval is the one before either."""
    (modules / "preload_probe_log.py").write_text("seen = []\n")
    _probe(modules, "preload_probe_d")
    _probe(modules, "preload_probe_e")
    switch = sys.getswitchinterval()
    first = importing_meanwhile(["preload_probe_d"])
    first.__enter__()
    with importing_meanwhile(["preload_probe_e"]):
        first.__exit__(None, None, None)  # the first ends while the second runs
        assert sys.getswitchinterval() <= 0.001
    assert sys.getswitchinterval() == switch
