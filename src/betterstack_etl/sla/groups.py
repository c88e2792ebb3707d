"""SLOs that name a Better Stack monitor group by its name (SPEC §11): name → id, pure.

An SLO's ``monitor_group`` is the group's id as the monitors listing shows it
(``monitor_group_id``) when it is all ASCII digits, its name otherwise. The views match
monitors by id, so a run resolves names first: it reads ``GET /api/v2/monitor-groups`` once,
only when some SLO names a group that is not all digits (``needs_groups``), turns the answer
into ``MonitorGroup`` rows (``group_listing``) and resolves each name (``resolve_group_names``):
the group of that exact name, else the one group whose name matches ignoring case. A name that
matches no group, or several, is a ``ConfigError`` before any data request: one line naming
the SLO, the name, the groups that exist (a few; the rest counted) and the fix.

Group names are API text: shown literally (``literal.visible``) and cut to a bounded length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

from betterstack_etl.errors import ConfigError
from betterstack_etl.literal import visible
from betterstack_etl.sla.slo_file import SLO_FILE_ENV

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from betterstack_etl.sla.slo_file import Slo

__all__ = [
    "MonitorGroup",
    "apply_group_ids",
    "group_listing",
    "is_group_id",
    "needs_groups",
    "resolve_group_names",
]

_DIGITS: Final = re.compile(r"[0-9]+")
SHOWN_GROUPS: Final = 5  # groups named in a refusal; the rest are counted
SHOWN_CHARS: Final = 60  # a group name longer than this is cut in a refusal


@dataclass(frozen=True, slots=True)
class MonitorGroup:
    """One monitor group of the account: its id (as ``monitor_group_id`` shows it) and name."""

    id: str
    name: str


def is_group_id(value: str) -> bool:
    """``monitor_group`` as an id (all ASCII digits), not a name."""
    return _DIGITS.fullmatch(value) is not None


def needs_groups(slos: Sequence[Slo]) -> bool:
    """Whether some SLO names its monitor group by name (the listing must be read)."""
    return any(s.monitor_group is not None and not is_group_id(s.monitor_group) for s in slos)


def group_listing(resources: Iterable[Mapping[str, Any]]) -> tuple[MonitorGroup, ...]:
    """The groups of ``GET /api/v2/monitor-groups`` resources (``{"id", "attributes":
    {"name"}}``; an id string or int). A resource without a usable id or name is left out:
    no SLO can name it."""
    found = []
    for resource in resources:
        ident = resource.get("id") if isinstance(resource, dict) else None
        attributes = resource.get("attributes") if isinstance(resource, dict) else None
        name = attributes.get("name") if isinstance(attributes, dict) else None
        if isinstance(ident, int) and not isinstance(ident, bool):
            ident = str(ident)
        if isinstance(ident, str) and is_group_id(ident) and isinstance(name, str) and name:
            found.append(MonitorGroup(ident, name))
    return tuple(found)


def resolve_group_names(slos: Sequence[Slo], groups: Sequence[MonitorGroup]) -> dict[str, str]:
    """Each group name the SLOs use → its group's id: the exact name, else the one group whose
    name matches ignoring case. ``ConfigError`` (one line) for a name matching none or several."""
    resolved: dict[str, str] = {}
    for slo in slos:
        name = slo.monitor_group
        if name is None or is_group_id(name) or name in resolved:
            continue
        found = [g for g in groups if g.name == name]
        if not found:
            found = [g for g in groups if g.name.casefold() == name.casefold()]
        if len(found) != 1:
            raise _refusal(slo.name, name, found, groups)
        resolved[name] = found[0].id
    return resolved


def apply_group_ids(slos: Sequence[Slo], ids: Mapping[str, str]) -> tuple[Slo, ...]:
    """The SLOs with each group name replaced by its id (``resolve_group_names``)."""
    return tuple(
        replace(s, monitor_group=ids[s.monitor_group])
        if s.monitor_group is not None and s.monitor_group in ids
        else s
        for s in slos
    )


def _shown(name: str) -> str:
    cut = name if len(name) <= SHOWN_CHARS else name[: SHOWN_CHARS - 1] + "…"
    return repr(visible(cut))


def _refusal(
    slo: str, name: str, found: Sequence[MonitorGroup], groups: Sequence[MonitorGroup]
) -> ConfigError:
    where = f"{SLO_FILE_ENV}: SLO {slo!r}: monitor_group {_shown(name)}"
    if found:
        which = ", ".join(f"{_shown(g.name)} (id {g.id})" for g in found[:SHOWN_GROUPS])
        return ConfigError(
            f"{where} matches {len(found)} monitor groups: {which}",
            hint="write the name exactly as the group you mean spells it, or its id "
            f'(monitor_group: "{found[0].id}")',
        )
    if not groups:
        return ConfigError(
            f"{where} matches no monitor group: the account has none",
            hint="create the group in Better Stack, or list the monitors in monitor_ids",
        )
    shown = ", ".join(f"{_shown(g.name)} (id {g.id})" for g in groups[:SHOWN_GROUPS])
    more = len(groups) - SHOWN_GROUPS
    rest = f" and {more} more" if more > 0 else ""
    return ConfigError(
        f"{where} matches no monitor group; the account has {len(groups)}: {shown}{rest}",
        hint="write monitor_group as one of these names, or as the group's id",
    )
