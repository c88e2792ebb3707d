"""Reading the settings: the layers, where each value came from, and the one translation of a
refused value into a ``ConfigError`` that names the knob the user touched.

Highest first: the command's options (or the flow's parameters) > the environment > the
``.env`` file (``./.env``, or the file ``BETTERSTACK_ENV_FILE`` names; parsed by python-dotenv)
> the declared default. Each setting is read as text from its one variable; which layer gave
each value is kept (``Layers.origins``), for the ``config`` command and the error messages.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from betterstack_etl import constants as C
from betterstack_etl.errors import ConfigError
from betterstack_etl.secret import Secret, redact, token_from_block
from betterstack_etl.settings.declaration import (
    DEFAULT_ENV_FILE,
    FIELDS,
    NOT_SETTINGS,
    Settings,
    knob,
)
from betterstack_etl.settings.params import RunParams, Window

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "Layers",
    "Loaded",
    "Origin",
    "env_file_path",
    "load_settings",
    "parse_as",
    "read_layers",
    "read_token",
    "refusals",
    "run_params",
    "secret_values",
]

Origin = Literal["default", "env", ".env", "option", "parameter"]
_VARIABLES: Final = {knob(name).variable: name for name in FIELDS}
_PLACEHOLDER: Final = re.compile(r"\{(\w+)(=?)\}")
_USERINFO: Final = re.compile(r"(//)[^/?#@]*@")
_SHOWN_CHARS: Final = 200


def _read_variables(variables: Mapping[str, str | None]) -> dict[str, str]:
    """The declared settings found in ``variables`` (the environment, or the lines of a
    ``.env`` file): each setting from its own variable, as text; empty counts as unset."""
    found: dict[str, str] = {}
    for name in FIELDS:
        value = variables.get(knob(name).variable)
        if value is not None and value.strip():
            found[name] = value
    return found


def env_file_path(environ: Mapping[str, str]) -> Path | None:
    """The ``.env`` file to read: the one ``BETTERSTACK_ENV_FILE`` names (it must exist), else
    ``./.env`` when there is one."""
    variable = knob("env_file").variable
    named = (environ.get(variable) or "").strip()
    if named:
        path = Path(named).expanduser().absolute()
        if not path.exists() or path.is_dir():
            raise ConfigError(
                f"{variable}={named!r} is not a file",
                hint=f"create it, or unset {variable} to read ./{DEFAULT_ENV_FILE} if there is one",
            )
        return path
    path = Path(DEFAULT_ENV_FILE).absolute()
    return path if path.is_file() else None


def _read_env_file(path: Path) -> dict[str, str | None]:
    """The file's lines; an unknown ``BETTERSTACK_*`` name in it is a typo, hence an error."""
    from dotenv import dotenv_values

    try:
        lines = dotenv_values(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"the settings file {path} could not be read ({type(exc).__name__})",
            hint=f"fix it or remove it (or point {knob('env_file').variable} elsewhere)",
        ) from None
    for name in lines:
        if name == knob("env_file").variable or (
            name.startswith(C.ENV_PREFIX) and name not in _VARIABLES and name not in NOT_SETTINGS
        ):
            raise ConfigError(f"{name} in {path} is not a setting", hint=_did_you_mean(name))
    return lines


def _did_you_mean(name: str) -> str:
    close = difflib.get_close_matches(name, [*_VARIABLES, *FIELDS], n=1)
    known = "`betterstack-etl config` lists the settings"
    return f"did you mean {close[0]}? ({known})" if close else known


@dataclass(frozen=True, slots=True)
class Layers:
    """What the knobs say, before anything is checked: each setting's value as given
    (``raw``), where it came from (``origins``), the ``.env`` file read, and the
    ``BETTERSTACK_*`` variables of the environment that are no setting (``unknown``)."""

    raw: Mapping[str, Any] = field(repr=False)
    origins: Mapping[str, Origin]
    env_file: Path | None = None
    unknown: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)  # a command's own option names

    def label(self, name: str) -> str:
        """The knob that gave setting ``name`` its value, as the user knows it."""
        declared, origin = knob(name), self.origins.get(name, "default")
        if name in self.labels:
            return self.labels[name]
        if origin == "option" and declared.option:
            return declared.option
        if origin == "parameter" and declared.parameter:
            return name
        return declared.variable

    def fill(self, text: str, setting: str | None = None) -> str:
        """``text`` with its knobs named: ``{name}`` / ``{x}`` become the knob of ``setting``
        / of setting ``x``, ``{name=}`` / ``{x=}`` that knob with the value written (never a
        secret's value, never a URL's credentials)."""

        def one(match: re.Match[str]) -> str:
            name = setting if match.group(1) == "name" else match.group(1)
            if name not in FIELDS:
                return match.group(0)
            label = self.label(name)
            if not match.group(2) or knob(name).secret:
                return label
            value = self.raw.get(name, FIELDS[name].default)
            value = value.reveal() if isinstance(value, Secret) else str(value)
            shown = repr(_USERINFO.sub(r"\1***@", value)[:_SHOWN_CHARS])
            if label.startswith("--"):
                return f"{label} {shown}"
            where = f" (in {self.env_file})" if self.origins.get(name) == ".env" else ""
            return f"{label}={shown}{where}"

        return _PLACEHOLDER.sub(one, text)

    def notes(self) -> list[str]:
        """One line per ``BETTERSTACK_*`` variable of the environment that is no setting (a
        typo there is ignored, never silently: commands and the flow say it)."""
        return [
            f"{name} is not a setting; ignored — {_did_you_mean(name)}" for name in self.unknown
        ]

    def secrets(self) -> list[str]:
        return [
            str(v.reveal() if isinstance(v, Secret) else v)
            for n, v in self.raw.items()
            if knob(n).secret
        ]


def read_layers(
    environ: Mapping[str, str] | None = None,
    *,
    origin: Literal["option", "parameter"] = "parameter",
    read_env_file: bool = True,
    **overrides: Any,
) -> Layers:
    """Every layer read and merged, nothing checked yet (``load_settings`` checks)."""
    environ = os.environ if environ is None else environ
    misspelled = sorted(set(overrides) - set(FIELDS))
    if misspelled:
        name = misspelled[0]
        raise ConfigError(f"{name!r} is not a setting", hint=_did_you_mean(name))
    path = env_file_path(environ) if read_env_file else None
    given = {k: v for k, v in overrides.items() if v is not None and v != ""}
    environment = _read_variables(environ)
    dotenv = _read_variables(_read_env_file(path)) if path else {}
    origins: dict[str, Origin] = dict.fromkeys(FIELDS, "default")
    raw: dict[str, Any] = {}
    where: Origin
    for where, values in ((origin, given), ("env", environment), (".env", dotenv)):
        for name, value in values.items():
            if name not in raw:
                raw[name], origins[name] = value, where
    unknown = sorted(
        n
        for n in environ
        if n.startswith(C.ENV_PREFIX) and n not in _VARIABLES and n not in NOT_SETTINGS
    )
    return Layers(raw, origins, path, tuple(unknown))


def refusals(exc: ValidationError, layers: Layers) -> list[tuple[str | None, ConfigError]]:
    """Each refusal in ``exc``: the setting refused (None when two disagree) and one line
    naming the knob (the option the user typed, the flow parameter, or the variable) and the
    fix. Secrets are scrubbed even from text they were never meant to reach."""
    secrets = layers.secrets()
    found: list[tuple[str | None, ConfigError]] = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else None
        hint = str((error.get("ctx") or {}).get("hint", "")) or None
        if error["type"] == "refused":
            message = layers.fill(error["msg"], name)
        else:  # pydantic's own words, for a value of the wrong kind altogether
            message = f"{layers.fill('{name=}', name)}: {error['msg']}"
        hint = redact(layers.fill(hint, name), *secrets) if hint else None
        found.append((name, ConfigError(redact(message, *secrets), hint=hint)))
    return found


def _refusal(exc: ValidationError, layers: Layers) -> ConfigError:
    """The first of ``refusals``, the others counted in its hint."""
    found = refusals(exc, layers)
    first = found[0][1]
    if len(found) > 1:
        more = f"{len(found) - 1} more setting(s) refused: `betterstack-etl config` shows each"
        return ConfigError(first.message, hint=f"{first.hint}; {more}" if first.hint else more)
    return first


@dataclass(frozen=True, slots=True)
class Loaded:
    """The settings in effect (``settings``) and the knobs they were read from (``layers``)."""

    settings: Settings
    layers: Layers

    @property
    def origins(self) -> Mapping[str, Origin]:
        return self.layers.origins

    def run_params(self, *, monitors_default: Literal["all"] | None = None) -> RunParams:
        """What one run needs but the token (``MONITOR_ID`` must be set, unless a default is
        given: ``repair`` reads every monitor when none is named)."""
        return RunParams.from_settings(self.settings, monitors_default=monitors_default)

    def window(self, now: datetime) -> Window:
        """The run's window at ``now`` (``RunParams.window``), a first day in the future
        refused naming the knob that set it."""
        try:
            return self.run_params(monitors_default="all").window(now)
        except ConfigError as exc:
            if "in the future" not in exc.message:
                raise
            name = "from_date" if self.settings.from_date else "to_date"
            today = now.astimezone(UTC).date()
            raise ConfigError(
                self.layers.fill(f"{{name=}} is in the future (today is {today} UTC)", name),
                hint=self.layers.fill(
                    "backfills read past days; leave {name} unset for the default window", name
                ),
            ) from None

    def token(self) -> Secret:
        """The API token: ``BETTERSTACK_TOKEN``, or the Prefect Secret block named by
        ``BETTERSTACK_TOKEN_SECRET_BLOCK`` (setting both is an error: which would win is a
        guess). Never shown in any message."""
        token, block = self.settings.token, self.settings.token_secret_block
        variable, block_variable = knob("token").variable, knob("token_secret_block").variable
        if token and block:
            raise ConfigError(
                f"both {variable} and {block_variable} are set",
                hint="keep one: the variable (Infisical) or the name of a Prefect Secret block",
            )
        if token:
            return token
        if not block:
            raise ConfigError(
                f"{variable} is not set",
                hint=f"export {variable}=<your Better Stack Uptime API token> (Infisical injects "
                f"it in production; locally it may sit in {DEFAULT_ENV_FILE}), or "
                f"{block_variable}=<name of a Prefect Secret block holding it>",
            )
        value: Secret = parse_as(
            "token", token_from_block(block), label=f"the Prefect Secret block {block!r}"
        )
        return value


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    origin: Literal["option", "parameter"] = "parameter",
    read_env_file: bool = True,
    **overrides: Any,
) -> Loaded:
    """The settings in effect: ``overrides`` (a command's options, ``origin="option"``, or the
    flow's parameters, named as the settings; None or "" means not given) over the environment
    (``os.environ`` unless ``environ``) over the ``.env`` file (unless ``read_env_file`` is
    False) over the defaults. A misspelled override or a refused value raises ``ConfigError``
    naming the knob and the fix."""
    layers = read_layers(environ, origin=origin, read_env_file=read_env_file, **overrides)
    try:
        settings = Settings(**layers.raw)
    except ValidationError as exc:
        raise _refusal(exc, layers) from None
    return Loaded(settings, layers)


def run_params(environ: Mapping[str, str] | None = None, /, **overrides: Any) -> RunParams:
    """``load_settings(environ, **overrides).run_params()``: the flow's and the tests' way."""
    return load_settings(environ, **overrides).run_params()


def read_token(environ: Mapping[str, str] | None = None) -> Secret:
    """``load_settings(environ).token()``."""
    return load_settings(environ).token()


def parse_as(name: str, value: Any, *, label: str) -> Any:
    """``value`` parsed as setting ``name`` is, refused with the same message naming ``label``
    (a command's own option of the same kind: ``report --from-date``, ``simulate --token``)."""
    parser = next(m.func for m in FIELDS[name].metadata if hasattr(m, "func"))
    try:
        return parser(value)
    except PydanticCustomError as exc:
        layers = Layers({name: value}, {name: "option"}, labels={name: label})
        hint = str((exc.context or {}).get("hint", "")) or None
        raise ConfigError(
            layers.fill(exc.message(), name), hint=layers.fill(hint, name) if hint else None
        ) from None


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """The raw values of the secret settings in the environment and the ``.env`` file (to
    scrub them from anything printed, valid or not)."""
    from dotenv import dotenv_values

    environ = os.environ if environ is None else environ
    variables = [knob(n).variable for n in FIELDS if knob(n).secret]
    try:
        path = env_file_path(environ)
        lines = dotenv_values(path) if path else {}
    except (ConfigError, OSError, UnicodeDecodeError):
        lines = {}
    found = [environ.get(v) or "" for v in variables] + [lines.get(v) or "" for v in variables]
    return [v.strip() for v in found if v.strip()]
