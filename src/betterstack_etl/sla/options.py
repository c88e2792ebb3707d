"""The two knobs of the SLA views: the report time zone and the SLO (SPEC §8.2)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from betterstack_etl.errors import ConfigError
from betterstack_etl.sla.alerts import DEFAULT_RULES, BurnRule, burn_rules_from_env
from betterstack_etl.sla.slo_file import SLO_FILE_ENV, Slo, default_slo, load_slo_file

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "DEFAULT_SLO_PCT",
    "DEFAULT_TIME_ZONE",
    "SLO_ENV",
    "SLO_FILE_ENV",
    "TIME_ZONE_ENV",
    "SlaOptions",
    "sla_options_from_env",
]

TIME_ZONE_ENV: Final = "BETTERSTACK_REPORT_TIMEZONE"
SLO_ENV: Final = "BETTERSTACK_SLO"
DEFAULT_TIME_ZONE: Final = "America/Sao_Paulo"
DEFAULT_SLO_PCT: Final = 99.9


@dataclass(frozen=True, slots=True)
class SlaOptions:
    """``time_zone``: the IANA zone whose calendar days and months the views use;
    ``slo_pct``: the availability objective in percent (0 < slo < 100) of monitors no SLO of
    the file names; ``slos``: the SLOs of ``BETTERSTACK_SLO_FILE`` (SPEC §11);
    ``burn_rules``: the burn-rate alert rules."""

    time_zone: str = DEFAULT_TIME_ZONE
    slo_pct: float = DEFAULT_SLO_PCT
    slos: tuple[Slo, ...] = ()
    burn_rules: tuple[BurnRule, ...] = field(default=DEFAULT_RULES)

    @property
    def declared(self) -> tuple[Slo, ...]:
        """The file's SLOs, plus the default availability SLO unless the file declares one."""
        if any(s.is_default and s.indicator == "availability" for s in self.slos):
            return self.slos
        return (*self.slos, default_slo(self.slo_pct))

    def __post_init__(self) -> None:
        _check_time_zone(self.time_zone, TIME_ZONE_ENV)
        _check_slo(self.slo_pct, SLO_ENV)


def _check_time_zone(name: str, variable: str) -> None:
    hint = f"set {variable} to an IANA time zone such as America/Sao_Paulo or UTC"
    if not name or name != name.strip() or "'" in name or "\\" in name:
        raise ConfigError(f"{variable}={name!r} is not a time zone", hint=hint)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{variable}={name!r} is not a known time zone", hint=hint) from exc


def _check_slo(value: float, variable: str) -> None:
    if isinstance(value, bool) or not math.isfinite(value) or not 0 < value < 100:
        raise ConfigError(
            f"{variable}={value!r} is outside 0-100",
            hint=f"set {variable} to a percentage strictly between 0 and 100, e.g. 99.9",
        )


def _parse_slo(value: float | str, variable: str) -> float:
    if isinstance(value, str):
        try:
            number = float(value.strip().removesuffix("%"))
        except ValueError:
            raise ConfigError(
                f"{variable}={value!r} is not a number",
                hint=f"set {variable} to a percentage strictly between 0 and 100, e.g. 99.9",
            ) from None
    else:
        number = float(value)
    _check_slo(number, variable)
    return number


def sla_options_from_env(
    env: Mapping[str, str] | None = None,
    *,
    time_zone: str | None = None,
    slo_pct: float | str | None = None,
    slo_file: str | None = None,
) -> SlaOptions:
    """Options from ``BETTERSTACK_REPORT_TIMEZONE`` / ``BETTERSTACK_SLO`` (``os.environ`` when
    ``env`` is None); explicit arguments (CLI options, flow parameters) win over the variables.
    A bad value raises ``ConfigError`` naming the variable and the fix."""
    source = os.environ if env is None else env
    zone_variable = "time_zone" if time_zone is not None else TIME_ZONE_ENV
    zone = time_zone if time_zone is not None else source.get(TIME_ZONE_ENV, "").strip()
    slo_variable = "slo_pct" if slo_pct is not None else SLO_ENV
    slo = slo_pct if slo_pct is not None else source.get(SLO_ENV, "").strip()
    zone = zone or DEFAULT_TIME_ZONE
    _check_time_zone(zone, zone_variable)
    number = _parse_slo(slo, slo_variable) if slo != "" else DEFAULT_SLO_PCT
    path = slo_file if slo_file is not None else source.get(SLO_FILE_ENV, "").strip()
    slos = load_slo_file(path) if path else ()
    return SlaOptions(
        time_zone=zone, slo_pct=number, slos=slos, burn_rules=burn_rules_from_env(source)
    )
