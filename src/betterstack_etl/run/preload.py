"""What a run imports while its first request is in flight (issue 24).

A run's first request (the monitors listing) needs only the settings and the API client; what
comes after it needs pyarrow, numpy, DuckDB and the lake (0.2-0.35 s of imports). Those are
imported in a thread of their own while the main thread waits for the listing's answer (a
socket wait: the import thread has the interpreter to itself), instead of before the request.

The thread imports modules in the order the run needs them; a module the main thread needs
first is then imported by whichever thread gets there first (Python's import lock makes the
other wait). An import that fails in the thread is left for the code that needs the module to
raise, where it says why."""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

__all__ = ["AFTER_THE_FETCH", "AFTER_THE_LISTING", "importing_meanwhile"]

# What the run needs once the monitors are listed, in that order: the listing's own check
# (Arrow), the open-rows index and the extraction (pyarrow, Parquet), the lake and its views
# (DuckDB).
AFTER_THE_LISTING: Final = (
    "betterstack_etl.extract.transform",
    "betterstack_etl.extract.fetch",
    "betterstack_etl.lake.local",
    "betterstack_etl.lake.staging",
    "betterstack_etl.lake.coverage",
    "betterstack_etl.lake.duck",
)

# What the run needs once its last answer is in (the ledger, the SLO check and the alert
# states), imported while the tables are fetched: otherwise 40-70 ms after the last answer.
# The package's own modules only (no import cycle among them: tests/test_structure.py), whose
# third-party imports are the ones above, already loaded, or ones the fetch never needs (babel,
# by the report's texts), so the two threads never wait on each other's half-made module.
AFTER_THE_FETCH: Final = (
    "betterstack_etl.run.ledger",
    "betterstack_etl.lake.bounded",
    "betterstack_etl.sla._slo_sql",
    "betterstack_etl.report.breaches",
)

_SWITCH_SECONDS: Final = 0.001


def _import_all(modules: Sequence[str]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S112 - raised again where the module is needed
            continue


@contextlib.contextmanager
def importing_meanwhile(
    modules: Sequence[str] = AFTER_THE_LISTING, *, short_switches: bool = True
) -> Iterator[None]:
    """Import ``modules`` in a thread while the block runs (nothing to do when they are all
    imported already: a second run in the process, the Prefect flow); the block ends once
    they are imported, whether it succeeded or failed. ``short_switches``: while the block
    runs, a thread waiting for the interpreter gets it within 1 ms (for a block that is one
    request; not for the fetch's many threads)."""
    missing = [m for m in modules if m not in sys.modules]
    if not missing:
        yield
        return
    thread = threading.Thread(target=_import_all, args=(missing,), name="preload", daemon=True)
    with _short_switches() if short_switches else contextlib.nullcontext():
        thread.start()
        try:
            yield
        finally:
            thread.join()


_switches = threading.Lock()
_blocks: list[float] = []  # one entry per block running: the interval before the first


@contextlib.contextmanager
def _short_switches() -> Iterator[None]:
    """The request's own steps (resolve, connect, send) each give the interpreter up: while
    an import thread runs, the thread that sends gets it back within 1 ms of asking rather
    than the default 5 ms. Blocks that overlap (two runs in one process) restore it once,
    when the last ends."""
    with _switches:
        _blocks.append(_blocks[0] if _blocks else sys.getswitchinterval())
        sys.setswitchinterval(min(_blocks[0], _SWITCH_SECONDS))
    try:
        yield
    finally:
        with _switches:
            before = _blocks.pop()
            if not _blocks:
                sys.setswitchinterval(before)
