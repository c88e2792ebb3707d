"""A token that never prints itself, a redactor for text that might contain it, and the
Prefect blocks secrets may be kept in.

The token is the setting ``BETTERSTACK_TOKEN`` (Infisical injects it), or the value of the
Prefect ``Secret`` block the setting ``BETTERSTACK_TOKEN_SECRET_BLOCK`` names (``settings``
decides which). Only block *names* travel (environment of the worker); values are read at run
time from the Prefect server the run talks to, never stored in a deployment or passed as a
flow parameter.
"""

from __future__ import annotations

import re
from typing import Any, Final

from betterstack_etl.errors import ConfigError

__all__ = ["Secret", "load_block", "redact", "token_from_block"]

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


def token_from_block(name: str) -> str:
    """The value of the Prefect ``Secret`` block ``name`` (read from the Prefect server the run
    talks to); ConfigError when it cannot be read or is empty. The settings decide when to
    use it (``BETTERSTACK_TOKEN_SECRET_BLOCK``) and check the value as they check a token."""
    from prefect.blocks.system import Secret as SecretBlock

    loaded: Any = load_block(SecretBlock, name, "Secret")
    token = str(loaded.get()).strip()
    if not token:
        raise ConfigError(f"the Prefect Secret block {name!r} is empty", hint="set its value")
    return token


def load_block(cls: Any, name: str, kind: str) -> Any:
    """The Prefect block ``name`` of class ``cls``; ConfigError naming the fix otherwise."""
    try:
        return cls.load(name, _sync=True)
    except ValueError as exc:  # Prefect: "Unable to find block document named ..."
        raise ConfigError(
            f"no Prefect {kind} block named {name!r} ({exc})".split("\n")[0],
            hint=f"create it in the Prefect UI (Blocks) or with {cls.__name__}(...).save("
            f"{name!r}); check PREFECT_API_URL points at the right server",
        ) from None
    except Exception as exc:  # noqa: BLE001 - server unreachable and the like
        raise ConfigError(
            f"the Prefect {kind} block {name!r} could not be read ({type(exc).__name__})",
            hint="check PREFECT_API_URL / PREFECT_API_KEY",
        ) from None
