"""The report's plain, typed records (no SQL, no formatting): a monitor's month, its days,
incidents, reconciliation mismatches and response-time gaps, and the thresholds that classify
them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol
from zoneinfo import ZoneInfo

from betterstack_etl.report.options import month_bounds

if TYPE_CHECKING:
    from datetime import date

    from betterstack_etl.report.options import ReportOptions

__all__ = [
    "AT_RISK_BUDGET_PCT",
    "MISSING_SAMPLES_PCT",
    "PARTIAL_COVERAGE_PCT",
    "TOP_INCIDENTS",
    "DayFigures",
    "Gap",
    "Incident",
    "Mismatch",
    "MonitorReport",
    "MonthFigures",
    "ReportData",
    "SloSettings",
    "Status",
    "month_figures",
    "month_seconds",
    "status_of",
]

AT_RISK_BUDGET_PCT: Final = 50.0  # more than half of the month's error budget used: at risk
# less than half of the month's elapsed time covered by the lake: no verdict but "breached"
PARTIAL_COVERAGE_PCT: Final = 50.0
MISSING_SAMPLES_PCT: Final = 50.0  # an hour with fewer samples than half the expected: missing
TOP_INCIDENTS: Final = 10

Status = Literal["within", "at_risk", "breached", "partial", "no_data"]


class SloSettings(Protocol):
    """The report time zone and the SLO (``ReportOptions`` or the views' ``SlaOptions``)."""

    @property
    def time_zone(self) -> str: ...

    @property
    def slo_pct(self) -> float: ...


@dataclass(frozen=True, slots=True)
class MonthFigures:
    """One monitor's month (to date), from ``eai_gateway_availability_monthly``."""

    month: date
    observed_seconds: float
    downtime_seconds: float
    incidents: int
    availability_pct: float | None
    slo_pct: float
    error_budget_seconds: float
    longest_incident_seconds: float | None = None
    mtta_seconds: float | None = None
    mttr_seconds: float | None = None
    covered_seconds: float | None = None  # what the lake fetched of the month (SPEC §4)
    coverage_pct: float | None = None  # covered / elapsed existence

    @property
    def error_budget_remaining_seconds(self) -> float:
        return self.error_budget_seconds - self.downtime_seconds

    @property
    def budget_used_pct(self) -> float:
        if self.error_budget_seconds <= 0:
            return 0.0 if self.downtime_seconds <= 0 else float("inf")
        return 100.0 * self.downtime_seconds / self.error_budget_seconds

    @property
    def status(self) -> Status:
        return status_of(self)


def status_of(figures: MonthFigures | None) -> Status:
    """No data: nothing of the month observed. Breached: month-to-date availability below the
    SLO. Partial: not breached, but the lake covers less than ``PARTIAL_COVERAGE_PCT`` % of
    the month so far (a month the lake barely touches never reads as within). At risk: more
    than ``AT_RISK_BUDGET_PCT`` % of the month's error budget used. Else within."""
    if figures is None or figures.availability_pct is None:
        return "no_data"
    if figures.availability_pct < figures.slo_pct:
        return "breached"
    if figures.coverage_pct is not None and figures.coverage_pct < PARTIAL_COVERAGE_PCT:
        return "partial"
    if figures.budget_used_pct > AT_RISK_BUDGET_PCT:
        return "at_risk"
    return "within"


@dataclass(frozen=True, slots=True)
class DayFigures:
    day: date
    availability_pct: float | None
    downtime_seconds: float
    incidents: int


@dataclass(frozen=True, slots=True)
class Incident:
    incident_id: str
    started_at: datetime
    resolved_at: datetime | None  # None: still open
    cause: str

    def duration_seconds(self, now: datetime) -> float:
        return ((self.resolved_at or now) - self.started_at).total_seconds()


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A UTC day where the API's SLA and the incidents disagree."""

    date: date
    is_complete: bool
    api_availability: float | None
    api_downtime_seconds: float | None
    computed_downtime_seconds: float | None
    downtime_diff_seconds: float | None
    api_incidents: int | None
    computed_incidents: int | None


@dataclass(frozen=True, slots=True)
class Gap:
    """Consecutive UTC hours ``[start, end)`` of one region missing (or thin) in the lake."""

    region: str
    start: datetime
    end: datetime
    samples: int
    expected: int | None

    @property
    def hours(self) -> int:
        return int((self.end - self.start).total_seconds() // 3600)


@dataclass(slots=True)
class MonitorReport:
    monitor_id: str
    name: str
    month: MonthFigures | None = None
    daily: list[DayFigures] = field(default_factory=list)
    hourly: list[dict[str, Any]] = field(default_factory=list)  # rows of the hourly view
    incidents: list[Incident] = field(default_factory=list)
    reconciled_days: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    hours_window: tuple[datetime, datetime] | None = None  # first and last hour with data
    covered_since: date | None = None  # the first UTC day the lake fetched (SPEC §4)
    trend: list[MonthFigures] = field(default_factory=list)  # the last months, oldest first
    slos: list[dict[str, Any]] = field(default_factory=list)  # eai_gateway_slo_status rows

    @property
    def status(self) -> Status:
        return status_of(self.month)

    def longest(self, now: datetime) -> list[Incident]:
        ranked = sorted(self.incidents, key=lambda i: (-i.duration_seconds(now), i.started_at))
        return ranked[:TOP_INCIDENTS]


@dataclass(slots=True)
class ReportData:
    options: ReportOptions
    monitors: list[MonitorReport]
    missing: list[str]  # views/tables the lake lacks


def month_figures(row: dict[str, Any], slo_pct: float, month_seconds: float) -> MonthFigures:
    """A monthly-view row, its error budget taken at ``slo_pct`` (the view's own when equal)."""
    view_slo = row.get("slo_pct")
    if view_slo is not None and abs(float(view_slo) - slo_pct) < 1e-9:
        budget = float(row["error_budget_seconds"])
    else:
        budget = month_seconds * (1 - slo_pct / 100)
    pct = row.get("availability_pct")
    return MonthFigures(
        month=row["month"],
        observed_seconds=float(row.get("observed_seconds") or 0),
        downtime_seconds=float(row.get("downtime_seconds") or 0),
        incidents=int(row.get("incidents") or 0),
        availability_pct=None if pct is None else float(pct),
        slo_pct=slo_pct,
        error_budget_seconds=budget,
        longest_incident_seconds=row.get("longest_incident_seconds"),
        mtta_seconds=row.get("mtta_seconds"),
        mttr_seconds=row.get("mttr_seconds"),
        covered_seconds=row.get("covered_seconds"),
        coverage_pct=row.get("coverage_pct"),
    )


def month_seconds(month: date, time_zone: str) -> float:
    """The length of ``month`` in seconds, in ``time_zone`` (a DST change makes it ±1 h)."""
    zone = ZoneInfo(time_zone)
    first, last = month_bounds(month)
    start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return (end - start).total_seconds()
