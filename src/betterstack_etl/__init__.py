"""Better Stack Uptime ETL: response times, incidents, daily SLA and monitors into a
partitioned Parquet lake (local DuckDB, or GCS + BigQuery BigLake). See the README's code map."""

from __future__ import annotations

import sys
import threading
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

__all__ = ["__version__"]


@cache
def _version() -> str:
    # importlib.metadata costs ~60 ms to import: read only when the version is asked for
    from importlib import metadata

    try:
        return metadata.version("betterstack-etl")
    except metadata.PackageNotFoundError:  # run from a bare checkout, not installed
        return "0+unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_here = threading.local()  # this thread's pyarrow is taking its first look at pandas


def _first_look_without_pandas(pa: ModuleType) -> None:
    """pyarrow imports pandas, when installed, the first time it makes an array from a Python
    list (to ask whether it is a pandas Series) or reads a file: 0.24 s and ~40 MiB in every
    run. Nothing here hands pandas objects to pyarrow, so its pandas shim is shown no pandas
    for its first look (an empty array made while ``_LeanImports`` refuses pandas to this
    thread: ``sys.meta_path`` is not touched, other threads may be importing) and remembers
    it; a later ``to_pandas()`` still works (the shim imports pandas when asked for one)."""
    if "pandas" in sys.modules:
        return  # already paid for
    _here.no_pandas = True
    try:
        pa.array([])
    finally:
        _here.no_pandas = False


class _LeanImports:
    """First on ``sys.meta_path``: two third-party imports trimmed to what the package uses
    (issue 24), whichever module imports them first.

    - httpx imports its own command line (click, pygments, rich: 20-30 ms of every start)
      when those are installed; nothing here runs it, so it is refused while httpx itself is
      being imported (``httpx.main`` then says the command line is unavailable; a later
      ``import httpx._main`` still works).
    - pyarrow loads as usual, then takes its first look at pandas without it
      (``_first_look_without_pandas``): nothing here imports pyarrow before data is read or
      written, so this happens when it is first imported, not when the tables are declared."""

    @classmethod
    def find_spec(
        cls, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name == "pandas" and getattr(_here, "no_pandas", False):
            raise ModuleNotFoundError("pandas is kept out of pyarrow", name=name)
        if name == "httpx._main" and _initializing("httpx"):
            raise ModuleNotFoundError("httpx's command line is not used here", name=name)
        if name != "pyarrow":
            return None
        others = [f for f in sys.meta_path if f is not cls]
        found = next((s for f in others if (s := _find(f, name, path, target)) is not None), None)
        loader: Any = found.loader if found is not None else None
        if loader is not None and hasattr(loader, "exec_module"):
            load = loader.exec_module

            def exec_module(module: ModuleType) -> None:
                load(module)
                _first_look_without_pandas(module)

            loader.exec_module = exec_module
        return found


def _initializing(name: str) -> bool:
    spec = getattr(sys.modules.get(name), "__spec__", None)
    return bool(getattr(spec, "_initializing", False))


def _find(
    finder: Any, name: str, path: Sequence[str] | None, target: ModuleType | None
) -> ModuleSpec | None:
    find = getattr(finder, "find_spec", None)
    return None if find is None else find(name, path, target)


sys.meta_path.insert(0, _LeanImports)
if "pyarrow" in sys.modules:
    _first_look_without_pandas(sys.modules["pyarrow"])
