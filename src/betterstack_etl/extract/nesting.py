"""Records nested absurdly deep: a contract break named in one line, not a RecursionError.

orjson reads JSON nested up to 1,024 levels, but ``json.dumps`` of the record (the ``raw``
column) runs out of recursion near 1,000 and raised a bare ``RecursionError`` that failed the
whole table. No Better Stack record is more than a handful of levels deep (an incident's
``metadata`` is the deepest: four), so a record deeper than :data:`MAX_DEPTH` is not one:
:func:`check_depth` raises a ``ContractError`` naming it, and a list page leaves that record out
like any record that breaks the contract (``transform.skipping_bad_records``: the rest lands).
Depth is measured without recursion, and stops as soon as the bound is passed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from betterstack_etl.errors import ContractError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["MAX_DEPTH", "check_depth", "deeper_than"]

MAX_DEPTH: Final = 64


def deeper_than(value: object, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` (decoded JSON) nests objects/arrays more than ``limit`` levels."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _name(resource: Mapping[str, Any], kind: str) -> str:
    ident = resource.get("id")
    shown = ident if isinstance(ident, str | int) and not isinstance(ident, bool) else None
    return f"{kind} {str(shown)[:40]!r}" if shown is not None else f"a {kind} without an id"


def check_depth(resource: Mapping[str, Any], endpoint: str, kind: str) -> None:
    """ContractError naming ``resource`` when it is nested deeper than :data:`MAX_DEPTH`."""
    if deeper_than(resource):
        raise ContractError(
            f"unexpected answer from {endpoint}: {_name(resource, kind)} is nested more than "
            f"{MAX_DEPTH} levels deep, which no Better Stack record is",
            endpoint=endpoint,
            hint="the API changed or a proxy mangled the answer; the run keeps nothing from it",
        )
