"""What the live API does that is awkward (SPEC §7, betterstack-api.md §3, §11), as data.

The realistic simulator (the default) serves these; ``SimConfig(tidy=True)`` serves none. Every
draw comes from its own seeded stream, so the tidy world (ids, regions, incidents' times) is
the same with or without them. Choices where Better Stack is silent:

- **Monitor traits** (``draw_traits``): the first monitors show every trait so a three-monitor
  world holds them all — monitor 0 a maintenance window and a 60 s confirmation period,
  monitor 1 ``url: null`` (a Playwright monitor) and a markup-like name, monitor 2 pauses —
  and later ones draw them (maintenance 25 %, ``url: null`` 15 %, pauses 20 %, markup 30 %).
  Monitors 0 and 2 (then 60 %) belong to one of two groups (``monitor_group_id`` an int, as in
  the docs' list example); ``GET /api/v2/monitor-groups`` lists the groups.
- **Maintenance windows**: ``maintenance_from``/``to`` as ``HH:MM:SS`` in ``Brasilia`` (UTC-3:
  Brazil has kept no daylight saving time since 2019), on one to three ``maintenance_days``.
  Better Stack does not alert during a window ("times when you're expecting downtime … and
  don't want to be alerted", docs *Pausing monitors and maintenances*), so no incident of that
  monitor overlaps one; checks go on (response times are served).
- **Pauses**: Better Stack does not monitor a paused monitor ("We will not monitor the endpoint
  host now", same page). A pausing monitor is paused, in each week (epoch weeks), with
  probability one half, for 2-36 h: no incident overlaps a pause, no response time is measured
  in it, and while it lasts the monitor shows ``status: paused`` and ``paused_at``.
- **Incident statuses** (docs *Confirmation and recovery period*): an incident is
  ``Unconfirmed`` for its first ``min(confirmation_period, duration / 3)`` ("how long we wait
  after observing a failure before we start a new incident"), then ``Started``/
  ``Acknowledged``, and ``Validating`` for its last ``min(recovery_period, duration / 3)``
  ("how long a monitor has to be up before we … mark … the related incident as resolved"):
  the monitor is up again then (its response times are normal, its status ``validating``).
- **Heartbeat incidents**: two heartbeats whose incidents ("Missed heartbeat") carry
  ``relationships.heartbeat`` and no monitor; ``url``, ``http_method``, ``regions`` null.
- **Markup-like text** (``SimConfig.hostile_text``): names and some causes (15 %) hold Rich
  markup, matplotlib mathtext, HTML, Markdown links and terminal escapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Final

from betterstack_etl.simulator.seeding import seeded
from betterstack_etl.simulator.timeutil import DAY_MS, HOUR_MS

if TYPE_CHECKING:
    from betterstack_etl.simulator.config import SimConfig

__all__ = [
    "GROUP_NAMES",
    "HEARTBEAT_NAMES",
    "HOSTILE_TEXTS",
    "MAINTENANCE_TIMEZONE",
    "WEEK_MS",
    "Maintenance",
    "Traits",
    "draw_traits",
    "hostile_cause",
    "pauses_between",
]

WEEK_MS: Final = 7 * DAY_MS
MAINTENANCE_TIMEZONE: Final = "Brasilia"  # a Rails zone name, as the API sends it
_BRASILIA_OFFSET_MS: Final = -3 * HOUR_MS  # no daylight saving time since 2019
_DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOSTILE_TEXTS: Final = (
    "[/bold] $\\frac{1}{$ <script>alert(1)</script>",  # SPEC §13's example
    "[bold red]rich[/] [link=file:///etc/passwd]senha[/link]",
    "$\\alpha$ <img src=x onerror=alert(1)>",
    "[clique](javascript:alert(1))",
    "\x1b[31mALERTA\x1b[0m \x1b]0;TITLE\x07",
)
GROUP_NAMES: Final = ("Serviços ao cidadão", "Infraestrutura")
HEARTBEAT_NAMES: Final = ("Backup noturno", "Fila de notificações")
_PLAYWRIGHT: Final = "playwright"


@dataclass(frozen=True, slots=True)
class Maintenance:
    """A weekly maintenance window: ``[start, end)`` minutes of the day in Brasília time on
    ``days`` (an end before the start ends the next day)."""

    start_minute: int
    end_minute: int
    days: tuple[str, ...]

    @staticmethod
    def clock(minute: int) -> str:
        return f"{minute // 60:02d}:{minute % 60:02d}:00"

    def windows(self, start_ms: int, end_ms: int) -> list[tuple[int, int]]:
        """The windows (epoch ms, UTC) overlapping ``[start_ms, end_ms)``."""
        first = (start_ms + _BRASILIA_OFFSET_MS) // DAY_MS - 1
        last = (end_ms + _BRASILIA_OFFSET_MS) // DAY_MS
        found = []
        for local_day in range(first, last + 1):
            weekday = _DAYS[(date(1970, 1, 1) + timedelta(days=local_day)).weekday()]
            if weekday not in self.days:
                continue
            length = (self.end_minute - self.start_minute) % (24 * 60) or 24 * 60
            begin = local_day * DAY_MS - _BRASILIA_OFFSET_MS + self.start_minute * 60_000
            end = begin + length * 60_000
            if begin < end_ms and end > start_ms:
                found.append((begin, end))
        return found


@dataclass(frozen=True, slots=True)
class Traits:
    """One monitor's awkward ways (all off: the tidy monitor)."""

    url_null: bool = False
    group: int | None = None  # index into the world's groups
    maintenance: Maintenance | None = None
    pauses: bool = False
    confirmation_period: int = 0  # seconds
    recovery_period: int = 180  # seconds
    markup: str | None = None  # appended to the name

    @property
    def monitor_type(self) -> str:
        return _PLAYWRIGHT if self.url_null else "status"


def draw_traits(seed: int, index: int, config: SimConfig) -> Traits:
    """The traits of monitor ``index`` (none for a tidy world)."""
    if not config.realistic:
        return Traits()
    rng = seeded(seed, "traits", index)
    rolls = [rng.random() for _ in range(5)]
    forced = {0: "maintenance", 1: "url_null", 2: "pauses"}.get(index)
    maintenance = None
    if forced == "maintenance" or (forced is None and rolls[0] < 0.25):
        start = rng.choice((60, 120, 180))
        days = sorted(rng.sample(_DAYS, rng.randint(1, 3)), key=_DAYS.index)
        maintenance = Maintenance(start, start + rng.choice((30, 60, 90)), tuple(days))
    grouped = index in (0, 2) or (forced is None and rolls[1] < 0.6)
    markup = None
    if config.markup_text and (index == 1 or (forced is None and rolls[2] < 0.3)):
        markup = HOSTILE_TEXTS[0] if index == 1 else rng.choice(HOSTILE_TEXTS)
    return Traits(
        url_null=forced == "url_null" or (forced is None and rolls[3] < 0.15),
        group=(index // 2) % len(GROUP_NAMES) if grouped else None,
        maintenance=maintenance,
        pauses=forced == "pauses" or (forced is None and rolls[4] < 0.2),
        confirmation_period=60 if index == 0 else rng.choice((0, 0, 60, 120)),
        recovery_period=rng.choice((60, 180, 300)),
        markup=markup,
    )


def pauses_between(
    seed: int, monitor_id: str, created_ms: int, start_ms: int, end_ms: int
) -> list[tuple[int, int]]:
    """The pauses (epoch ms) of a pausing monitor overlapping ``[start_ms, end_ms)``: in each
    epoch week, with probability one half, one of 2-36 h (never in its first day)."""
    found = []
    for week in range(start_ms // WEEK_MS, end_ms // WEEK_MS + 1):
        rng = seeded(seed, monitor_id, "pause", week)
        if rng.random() >= 0.5:
            continue
        begin = week * WEEK_MS + rng.randrange(WEEK_MS - 2 * HOUR_MS)
        end = min(begin + rng.randrange(2 * HOUR_MS, 36 * HOUR_MS), (week + 1) * WEEK_MS)
        if begin >= created_ms + DAY_MS and begin < end_ms and end > start_ms:
            found.append((begin, end))
    return found


def hostile_cause(seed: int, incident_key: str, cause: str, config: SimConfig) -> str:
    """``cause``, with markup-like text appended for 15 % of the incidents (hostile text on)."""
    if not config.markup_text:
        return cause
    rng = seeded(seed, incident_key, "cause")
    return f"{cause} {rng.choice(HOSTILE_TEXTS)}" if rng.random() < 0.15 else cause
