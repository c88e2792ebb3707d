"""Secrets from Prefect blocks, for teams that keep them there (environment stays the default).

- The Better Stack token: ``BETTERSTACK_TOKEN`` (Infisical injects it; the default), or the
  Prefect ``Secret`` block named by ``BETTERSTACK_TOKEN_SECRET_BLOCK``. Setting both is an
  error (which one wins would be a guess).
- Google credentials: the ``GcpCredentials`` block (prefect-gcp) named by
  ``BETTERSTACK_GCP_CREDENTIALS_BLOCK``, when set; else the usual key file / ADC (gcp.py).

Only block *names* travel (environment of the worker); values are read at run time from the
Prefect server the run talks to, never stored in a deployment or passed as a flow parameter.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Final

from betterstack_etl.errors import ConfigError
from betterstack_etl.secret import Secret

if TYPE_CHECKING:
    from collections.abc import Mapping

    from google.auth.credentials import Credentials

__all__ = [
    "GCP_CREDENTIALS_BLOCK_ENV",
    "TOKEN_ENV",
    "TOKEN_SECRET_BLOCK_ENV",
    "gcp_credentials_from_block",
    "resolve_token",
]

TOKEN_ENV: Final = "BETTERSTACK_TOKEN"  # noqa: S105 - a variable name
TOKEN_SECRET_BLOCK_ENV: Final = "BETTERSTACK_TOKEN_SECRET_BLOCK"  # noqa: S105 - a name
GCP_CREDENTIALS_BLOCK_ENV: Final = "BETTERSTACK_GCP_CREDENTIALS_BLOCK"


def resolve_token(env: Mapping[str, str] | None = None) -> Secret:
    """The API token: ``BETTERSTACK_TOKEN``, or the Secret block ``BETTERSTACK_TOKEN_SECRET_BLOCK``.

    Raises ConfigError when neither (or both) is set, the block cannot be read, or it is empty.
    """
    env = os.environ if env is None else env
    value = env.get(TOKEN_ENV, "").strip()
    block = env.get(TOKEN_SECRET_BLOCK_ENV, "").strip()
    if value and block:
        raise ConfigError(
            f"both {TOKEN_ENV} and {TOKEN_SECRET_BLOCK_ENV} are set",
            hint="keep one: the variable (Infisical) or the name of a Prefect Secret block",
        )
    if value:
        return Secret(value)
    if not block:
        raise ConfigError(
            f"{TOKEN_ENV} is not set",
            hint=f"export {TOKEN_ENV}=<your Better Stack Uptime API token> (Infisical "
            f"injects it in production), or {TOKEN_SECRET_BLOCK_ENV}=<name of a Prefect "
            "Secret block holding it>",
        )
    from prefect.blocks.system import Secret as SecretBlock

    loaded: Any = _load_block(SecretBlock, block, "Secret")
    token = str(loaded.get()).strip()
    if not token:
        raise ConfigError(f"the Prefect Secret block {block!r} is empty", hint="set its value")
    return Secret(token)


def gcp_credentials_from_block(name: str) -> Credentials:
    """Google credentials from the prefect-gcp ``GcpCredentials`` block ``name``: its service
    account (info or file) when it has one, else Application Default Credentials."""
    try:
        from prefect_gcp import GcpCredentials
    except ImportError:
        raise ConfigError(
            f"{GCP_CREDENTIALS_BLOCK_ENV}={name!r} needs prefect-gcp, which is not installed",
            hint="install the extra: pip install 'betterstack-etl[gcp]' (or uv add "
            f"'betterstack-etl[gcp]'), or unset {GCP_CREDENTIALS_BLOCK_ENV} to use "
            "Application Default Credentials",
        ) from None

    block: Any = _load_block(GcpCredentials, name, "GcpCredentials")
    try:
        credentials: Credentials = block.get_credentials_from_service_account()
    except Exception as exc:  # noqa: BLE001 - any failure here is a configuration problem
        raise ConfigError(
            f"the GcpCredentials block {name!r} gives no usable credentials ({type(exc).__name__})",
            hint="give it a service account (info or file), or unset "
            f"{GCP_CREDENTIALS_BLOCK_ENV} to use Application Default Credentials",
        ) from None
    return credentials


def _load_block(cls: Any, name: str, kind: str) -> Any:
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
