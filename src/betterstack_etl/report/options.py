"""What a report covers: the period (days in the report time zone), monitors, SLO, language."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from betterstack_etl import constants as C
from betterstack_etl.errors import ConfigError
from betterstack_etl.report.i18n import LANGUAGES
from betterstack_etl.sla import SlaOptions

__all__ = ["DETAILED_MONITORS", "MAX_DAYS", "ReportOptions", "first_of_month", "month_bounds"]

MAX_DAYS: Final = 366
# the worst monitors drawn in full (charts of matplotlib); the others in a compact section each,
# so 500 monitors stay a file of a few MB drawn in seconds
DETAILED_MONITORS: Final = 10
_MONTH: Final = re.compile(r"^(\d{4})-(\d{2})$")


def _parse_month(text: str) -> date:
    found = _MONTH.match(text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise ConfigError(f"bad --month {text!r}", hint="use YYYY-MM, e.g. --month 2026-11")
    return date(int(found.group(1)), int(found.group(2)), 1)


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def month_bounds(month: date) -> tuple[date, date]:
    """First and last day of the month of ``month``."""
    first = first_of_month(month)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """Days ``start``..``end`` (inclusive, calendar days in ``time_zone``), seen at ``now``."""

    start: date
    end: date
    now: datetime
    time_zone: str = C.DEFAULT_REPORT_TIMEZONE
    slo_pct: float = C.DEFAULT_SLO_PCT
    lang: str = "pt-BR"
    monitor_ids: tuple[str, ...] = field(default=())
    slos: tuple[Any, ...] = ()  # the SLO file's (sla.slo_file.Slo): the SLO section
    detailed: int = DETAILED_MONITORS  # how many monitors, worst first, get the full charts

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        if self.lang not in LANGUAGES:
            raise ConfigError(f"unknown language {self.lang!r}", hint="use --lang pt-BR or en")
        SlaOptions(self.time_zone, self.slo_pct)  # already checked: a ValueError is a bug
        if self.detailed < 0:
            raise ValueError(f"detailed must be 0 or more, not {self.detailed}")

    @classmethod
    def from_cli(
        cls,
        *,
        now: datetime,
        month: str | None = None,
        from_date: str | None = None,
        to_date: str | None = None,
        time_zone: str = C.DEFAULT_REPORT_TIMEZONE,
        slo: str | float = C.DEFAULT_SLO_PCT,
        lang: str = "pt-BR",
        monitor_id: str | None = None,
    ) -> ReportOptions:
        """Options from the command line's text; ConfigError naming the bad one. The time
        zone, the SLO, the days and the monitor ids are parsed as the settings of the same
        kind are (``settings.parse_as``): the same value is refused with the same message."""
        from betterstack_etl.settings import parse_as

        zone = ZoneInfo(parse_as("report_timezone", time_zone, label="--timezone"))
        slo_pct = float(parse_as("slo", slo, label="--slo"))
        if lang not in LANGUAGES:
            raise ConfigError(f"unknown --lang {lang!r}", hint="use --lang pt-BR or --lang en")
        today = now.astimezone(zone).date()
        if month is not None and (from_date is not None or to_date is not None):
            raise ConfigError(
                "--month and --from-date/--to-date both given", hint="give one or the other"
            )
        if month is not None:
            start, end = month_bounds(_parse_month(month))
        elif from_date is not None or to_date is not None:
            start = (
                parse_as("from_date", from_date, label="--from-date")
                if from_date
                else first_of_month(today)
            )
            end = parse_as("to_date", to_date, label="--to-date") if to_date else today
        else:
            start, end = month_bounds(today)
        if end < start:
            raise ConfigError(
                f"--to-date {end} is before --from-date {start}", hint="swap the two dates"
            )
        if start > today:
            raise ConfigError(
                f"the period starts on {start}, after today ({today} in {zone.key})",
                hint="choose a month or days that have begun",
            )
        if (end - start).days + 1 > MAX_DAYS:
            raise ConfigError(
                f"the period covers {(end - start).days + 1} days",
                hint=f"report at most {MAX_DAYS} days at a time (e.g. one --month)",
            )
        chosen = parse_as("monitor_id", monitor_id, label="--monitor-id") if monitor_id else "all"
        ids: tuple[str, ...] = () if chosen == "all" else tuple(chosen)
        return cls(
            start=start,
            end=end,
            now=now.astimezone(UTC),
            time_zone=zone.key,
            slo_pct=slo_pct,
            lang=lang,
            monitor_ids=ids,
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    @property
    def month(self) -> date:
        """The month the first screen answers for: the period's last month that has begun."""
        return first_of_month(min(self.end, self.today))

    def local_midnight(self, day: date) -> datetime:
        """The UTC instant of ``day``'s midnight in the report time zone."""
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)

    @property
    def start_utc(self) -> datetime:
        return self.local_midnight(self.start)

    @property
    def end_utc(self) -> datetime:
        """The instant the period ends (exclusive), never after ``now``."""
        return min(self.local_midnight(self.end + timedelta(days=1)), self.now)
