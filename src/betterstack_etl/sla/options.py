"""The two knobs of the SLA views: the report time zone and the SLO (SPEC §8.2). Their
defaults are in ``constants``; the settings (``BETTERSTACK_REPORT_TIMEZONE``,
``BETTERSTACK_SLO``) are declared, parsed and refused in ``settings``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from betterstack_etl import constants as C
from betterstack_etl.sla.alerts import DEFAULT_RULES, BurnRule
from betterstack_etl.sla.slo_file import Slo, default_slo

__all__ = ["DEFAULT_SLO_PCT", "DEFAULT_TIME_ZONE", "SlaOptions", "is_time_zone"]

DEFAULT_TIME_ZONE: Final = C.DEFAULT_REPORT_TIMEZONE
DEFAULT_SLO_PCT: Final = C.DEFAULT_SLO_PCT


def is_time_zone(name: str) -> bool:
    """An IANA zone name that is safe to write into the views' SQL (no quote, no backslash)."""
    if not name or name != name.strip() or "'" in name or "\\" in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class SlaOptions:
    """``time_zone``: the IANA zone whose calendar days and months the views use;
    ``slo_pct``: the availability objective in percent (0 < slo < 100) of monitors no SLO of
    the file names; ``slos``: the SLOs of ``BETTERSTACK_SLO_FILE`` (SPEC §11); ``burn_rules``:
    the burn-rate alert rules. Built from settings that were already checked; a bad value here
    is a programming error (ValueError)."""

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
        if not is_time_zone(self.time_zone):
            raise ValueError(f"not a usable time zone: {self.time_zone!r}")
        slo = self.slo_pct
        if isinstance(slo, bool) or not math.isfinite(slo) or not 0 < slo < 100:
            raise ValueError(f"the SLO must be strictly between 0 and 100, not {slo!r}")
