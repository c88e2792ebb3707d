"""The ``betterstack-etl`` console script: the CLI (``app.main``), then the process ends as
Python would end it, less its last step.

At exit Python joins the threads, runs the ``atexit`` handlers (logging's flush, temporary
folders' cleanup…), flushes the standard streams, then tears down every module and object one
by one: 0.15-0.3 s after a run, with pyarrow, numpy and DuckDB loaded (issue 24), for nothing
the user can see. ``entry`` does the first three itself and ends with ``os._exit``. It leaves
Python's own exit in place whenever a step might matter: a thread still running, Prefect
loaded (its services finish in finalizers), an uncaught error, a stream that cannot be flushed
(a closed pipe). ``app.main`` itself stays an ordinary function for callers in process.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading

from betterstack_etl.cli.app import main

__all__ = ["entry", "exit_status", "quick_exit_allowed"]


def entry() -> None:
    """Run the command line, then end the process at once (``quick_exit_allowed``)."""
    try:
        main()
    except SystemExit as done:
        if not quick_exit_allowed():
            raise
        status = exit_status(done.code)
        _end(status)
        raise SystemExit(status) from None  # a stream could not be flushed: Python says so


def exit_status(code: object) -> int:
    """The status Python gives ``SystemExit(code)``: None is 0, an int itself, anything else
    is printed to stderr and is 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def quick_exit_allowed() -> bool:
    """No other thread still running (Python would wait for it) and no Prefect loaded."""
    others = [t for t in threading.enumerate() if t is not threading.current_thread()]
    return not any(t.is_alive() and not t.daemon for t in others) and "prefect" not in sys.modules


def _end(status: int) -> None:
    """Python's exit up to the teardown: the ``atexit`` handlers, the standard streams flushed,
    then ``os._exit``. A stream that cannot be flushed returns, for Python's exit to report."""
    atexit._run_exitfuncs()  # the handlers Python would run, once (it clears them)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            return
    os._exit(status)
