"""Records nested absurdly deep: named and left out, so the rest of their page lands.

orjson reads JSON nested up to 1,024 levels, but ``json.dumps`` of the record (the ``raw``
column) runs out of recursion near 1,000 and raised a bare ``RecursionError`` that failed the
whole table. No Better Stack record is more than a handful of levels deep (an incident's
``metadata`` is the deepest: four), so a record deeper than :data:`MAX_DEPTH` is not one: a list
page leaves it out with one warning naming it, a single answer fails with one line naming it.
Depth is measured without recursion, and stops as soon as the bound is passed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

from betterstack_etl.errors import ContractError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["MAX_DEPTH", "check_depth", "deeper_than", "within_depth"]

MAX_DEPTH: Final = 64

log = logging.getLogger(__name__)


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


def within_depth(
    resources: Sequence[Mapping[str, Any]], endpoint: str, kind: str
) -> list[Mapping[str, Any]]:
    """``resources`` without those nested deeper than :data:`MAX_DEPTH`, each left out with a
    one-line warning naming it."""
    kept = []
    for resource in resources:
        if deeper_than(resource):
            log.warning(
                "%s from %s is nested more than %d levels deep: it cannot be a Better Stack "
                "record and is left out (the rest of the page lands)",
                _name(resource, kind),
                endpoint,
                MAX_DEPTH,
            )
            continue
        kept.append(resource)
    return kept


def check_depth(resource: Mapping[str, Any], endpoint: str, kind: str) -> None:
    """ContractError naming ``resource`` when it is nested deeper than :data:`MAX_DEPTH`."""
    if deeper_than(resource):
        raise ContractError(
            f"unexpected answer from {endpoint}: {_name(resource, kind)} is nested more than "
            f"{MAX_DEPTH} levels deep, which no Better Stack record is",
            endpoint=endpoint,
            hint="the API changed or a proxy mangled the answer; the run keeps nothing from it",
        )
