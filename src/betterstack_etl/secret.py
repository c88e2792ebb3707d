"""A token that never prints itself, and a redactor for text that might contain it."""

from __future__ import annotations

import re
from typing import Final

__all__ = ["Secret", "redact"]

_MASK: Final = "***"


class Secret:
    """Holds a secret string; ``str``/``repr``/f-strings show ``***``, ``reveal()`` gives it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return f"Secret({_MASK!r})"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, spec: str) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        # Never pickle the value (Prefect may serialise task arguments and results).
        raise TypeError("Secret values cannot be pickled; pass settings names, not tokens")


_BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\"]+")


def redact(text: str, *secrets: Secret | str | None) -> str:
    """Replace every occurrence of the given secrets, and any Bearer credential, with ``***``."""
    for secret in secrets:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if value and len(value) >= 4:
            text = text.replace(value, _MASK)
    return _BEARER.sub(lambda m: m.group(1) + _MASK, text)
