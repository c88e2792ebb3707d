"""The simulator's settings, as one small frozen value object."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

from betterstack_etl.errors import ConfigError
from betterstack_etl.secret import Secret

if TYPE_CHECKING:
    from datetime import date, datetime

__all__ = ["ALL_REGIONS", "CHECK_FREQUENCIES", "LinkStyle", "SimConfig", "SlaSkew"]

ALL_REGIONS: Final = ("us", "eu", "as", "au")
CHECK_FREQUENCIES: Final = (30, 60, 180)
MAX_MONITORS: Final = 10_000

RetryAfterFormat = Literal["seconds", "http-date"]
LinkStyle = Literal["bare", "echo"]


@dataclass(frozen=True, slots=True)
class SlaSkew:
    """Make the SLA endpoint disagree with the incidents: every SLA window that contains the
    start of UTC ``day`` reports ``seconds`` more ``total_downtime`` for ``monitor_id`` (and the
    availability that follows), so the reconciliation view shows a mismatch."""

    monitor_id: str
    day: date
    seconds: int


@dataclass(frozen=True, slots=True)
class SimConfig:
    """What the simulator serves and how badly it behaves.

    - ``seed``: every generated value is a pure function of (seed, time);
    - ``monitors``: how many monitors the token sees (1..10000);
    - ``token``: the one Bearer token accepted (never shown in ``repr``);
    - ``rate_limit``: requests/second of a token bucket shared by all requests (burst
      ``max(1, rate)``), or ``None`` for no limit;
    - ``latency``: real seconds slept before every answer;
    - ``error_rate``: probability that a request answers 503, drawn from a seeded RNG;
    - ``retry_after_format``: ``Retry-After`` as integer seconds or as an HTTP-date;
    - ``check_frequency`` / ``regions``: when set, every monitor uses them (benchmarks want
      the heaviest series: 30 s in all four regions); otherwise each monitor draws its own.
    - ``sla_edge_cases``: also generate what the SLA views must get right (``world`` says
      which): expiry warnings, overlapping incidents, incidents across midnight of the 1st.
      Off by default, so the plain world keeps its simple shape (no overlaps, <= 4 h);
    - ``recent_monitor_created_at``: when set, the last monitor was created at that moment
      (an aware datetime: a monitor created mid-month);
    - ``sla_skews``: ``SlaSkew`` entries making the SLA endpoint report a different figure;
    - ``tidy``: serve the tidy API this simulator first served instead of the live API's
      awkward ways (SPEC §7; ``traits`` says what they are): links that repeat every query
      parameter, three incident statuses, no pauses, maintenance windows, groups, heartbeat
      incidents or ``url: null``, a regular response-time grid, plain names;
    - ``links``: ``bare`` (only ``page``, and ``per_page`` when sent, as the live API) or
      ``echo`` (every query parameter); ``None``: bare, echo when ``tidy``;
    - ``hostile_text``: names and causes holding markup-like text (Rich markup, mathtext,
      HTML, Markdown links, terminal escapes), as the live API may send; never when ``tidy``.
    """

    seed: int = 42
    monitors: int = 3
    token: str | Secret = field(default="sim-token", repr=False)
    rate_limit: float | None = None
    latency: float = 0.0
    error_rate: float = 0.0
    retry_after_format: RetryAfterFormat = "seconds"
    check_frequency: int | None = None
    regions: tuple[str, ...] | None = None
    sla_edge_cases: bool = False
    recent_monitor_created_at: datetime | None = None
    sla_skews: tuple[SlaSkew, ...] = ()
    tidy: bool = False
    links: LinkStyle | None = None
    hostile_text: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.monitors <= MAX_MONITORS:
            raise ConfigError(
                f"simulator monitors={self.monitors} is out of range",
                hint=f"use between 1 and {MAX_MONITORS} monitors",
            )
        if not self.token_value:
            raise ConfigError("simulator token is empty", hint="give a non-empty --token")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ConfigError(
                f"simulator rate_limit={self.rate_limit} must be positive",
                hint="give requests per second above 0, or no rate limit at all",
            )
        if self.latency < 0:
            raise ConfigError("simulator latency is negative", hint="give 0 or more seconds")
        if not 0.0 <= self.error_rate <= 1.0:
            raise ConfigError(
                f"simulator error_rate={self.error_rate} is not a probability",
                hint="give a number between 0 and 1",
            )
        if self.links not in (None, "bare", "echo"):
            raise ConfigError(f"unknown links style {self.links!r}", hint="use 'bare' or 'echo'")
        if self.retry_after_format not in ("seconds", "http-date"):
            raise ConfigError(
                f"unknown retry_after_format {self.retry_after_format!r}",
                hint="use 'seconds' or 'http-date'",
            )
        self._check_series_overrides()
        created = self.recent_monitor_created_at
        if created is not None and created.tzinfo is None:
            raise ConfigError(
                f"simulator recent_monitor_created_at={created.isoformat()} has no time zone",
                hint="give an aware datetime, e.g. datetime(2026, 11, 14, 15, tzinfo=UTC)",
            )

    def _check_series_overrides(self) -> None:
        if self.check_frequency is not None and self.check_frequency < 1:
            raise ConfigError(
                f"simulator check_frequency={self.check_frequency} must be positive",
                hint="give whole seconds, e.g. 30",
            )
        if self.regions is not None and (
            not self.regions or any(r not in ALL_REGIONS for r in self.regions)
        ):
            raise ConfigError(
                f"simulator regions {self.regions!r} are not a subset of {ALL_REGIONS}",
                hint="choose among us, eu, as, au",
            )

    @property
    def realistic(self) -> bool:
        """Whether the live API's awkward ways are served (the default)."""
        return not self.tidy

    @property
    def link_style(self) -> LinkStyle:
        if self.links is not None:
            return self.links
        return "echo" if self.tidy else "bare"

    @property
    def markup_text(self) -> bool:
        """Whether names and causes hold markup-like text."""
        return self.hostile_text and not self.tidy

    @property
    def token_value(self) -> str:
        return self.token.reveal() if isinstance(self.token, Secret) else self.token
