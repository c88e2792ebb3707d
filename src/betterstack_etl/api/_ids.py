"""Validate ids before they go into a URL, and normalise ids the API sends back."""

from __future__ import annotations

import re
from typing import Any, Final

from betterstack_etl.errors import ConfigError

__all__ = [
    "is_api_id",
    "normalise_ids",
    "validate_id",
    "validate_incident_id",
    "validate_monitor_id",
]

_DIGITS: Final = re.compile(r"[0-9]{1,20}")


def is_api_id(value: object) -> bool:
    """True for an id as Better Stack makes them: a string of 1-20 ASCII digits."""
    return isinstance(value, str) and _DIGITS.fullmatch(value) is not None


def validate_id(value: str | int, kind: str) -> str:
    """``value`` as a string of ASCII digits (an ``int`` is accepted), else :class:`ConfigError`."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str):
        text = value.strip()
        if _DIGITS.fullmatch(text):
            return text
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"
    raise ConfigError(
        f"invalid {kind} id {shown}: it must be digits only",
        hint=f"use the numeric {kind} id from its URL on uptime.betterstack.com, e.g. 123456",
    )


def validate_monitor_id(value: str | int) -> str:
    """A Better Stack monitor id: digits only (an int or a str of an int), else ConfigError."""
    return validate_id(value, "monitor")


def validate_incident_id(value: str | int) -> str:
    """A Better Stack incident id: digits only, else ConfigError."""
    return validate_id(value, "incident")


def _id_to_str(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _normalise_relationships(relationships: Any) -> None:
    if not isinstance(relationships, dict):
        return
    for relation in relationships.values():
        if not isinstance(relation, dict):
            continue
        data = relation.get("data")
        linked = data if isinstance(data, list) else [data]
        for item in linked:
            if isinstance(item, dict) and "id" in item:
                item["id"] = _id_to_str(item["id"])


def normalise_ids(resource: dict[str, Any]) -> dict[str, Any]:
    """Make ``id`` and every ``relationships.*.data.id`` a string (in place); return it."""
    if "id" in resource:
        resource["id"] = _id_to_str(resource["id"])
    _normalise_relationships(resource.get("relationships"))
    return resource
