"""The simulator's records: monitors (and heartbeats), groups and incidents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from betterstack_etl.simulator.traits import Maintenance

__all__ = ["EXPIRY_CAUSES", "Group", "Incident", "Monitor", "is_expiry_warning"]

EXPIRY_CAUSES: Final = ("SSL certificate expires soon", "Domain expires soon")


@dataclass(frozen=True, slots=True)
class Monitor:
    """A monitor (or, with ``heartbeat``, a heartbeat: index < 0, no regions)."""

    index: int
    id: str
    name: str
    url: str | None
    regions: tuple[str, ...]
    region_offsets: tuple[int, ...]  # seconds; check k of region r is at offset + k*frequency
    check_frequency: int  # seconds
    request_timeout: int  # seconds (HTTP monitor)
    created_ms: int
    monitor_type: str = "status"
    group_id: int | None = None
    maintenance: Maintenance | None = None
    pauses: bool = False
    confirmation_period: int = 0  # seconds
    recovery_period: int = 180  # seconds
    heartbeat: bool = False


@dataclass(frozen=True, slots=True)
class Group:
    index: int
    id: int
    name: str
    created_ms: int


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    monitor: Monitor
    started_ms: int
    acknowledged_ms: int | None
    acknowledged_by: str | None
    resolved_ms: int
    resolved_by: str
    cause: str
    response_code: str | None
    response_content: str | None
    regions: tuple[str, ...] | None  # None: the API sends null
    unconfirmed_ms: int = 0  # the first ms of it are Unconfirmed
    validating_ms: int = 0  # the last ms before resolution are Validating

    def end_ms(self, now_ms: int) -> int:
        """Where the incident's downtime ends as seen at ``now_ms`` (open ones: now)."""
        return min(self.resolved_ms, now_ms)

    @property
    def is_downtime(self) -> bool:
        """False for expiry warnings: the monitor is up while its certificate nears expiry."""
        return not is_expiry_warning(self.cause)

    def unconfirmed(self, now_ms: int) -> bool:
        """Still inside its confirmation period at ``now_ms`` (not an incident yet)."""
        return now_ms < self.started_ms + self.unconfirmed_ms

    def validating(self, now_ms: int) -> bool:
        """Its monitor looks up again but the recovery period runs (still open)."""
        return self.resolved_ms - self.validating_ms <= now_ms < self.resolved_ms

    @property
    def failing_until_ms(self) -> int:
        """Where the checks stop failing (the Validating stretch is up)."""
        return self.resolved_ms - self.validating_ms


def is_expiry_warning(cause: str | None) -> bool:
    """A cause about an SSL certificate or a domain expiring (the SLA views' rule, SPEC §8.2)."""
    text = (cause or "").lower()
    return "expir" in text and any(w in text for w in ("ssl", "tls", "certificate", "domain"))
