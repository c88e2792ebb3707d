"""A package's names imported when first used (PEP 562): the package lists each public name
with the submodule that defines it, and nothing is imported until a name is asked for (issue
24: ``query`` and a run's first request need a few names of ``sla`` and ``lake``, not the
modules behind the others)."""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["lazy_names"]


def lazy_names(
    package: str, where: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``: ``where`` maps a name to the
    submodule (relative to ``package``) it is imported from, once, then kept in the package."""
    namespace = vars(sys.modules[package])

    def getattr_(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted({*namespace, *where})

    return getattr_, dir_
