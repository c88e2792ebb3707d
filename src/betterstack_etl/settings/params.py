"""What one run needs, but the token: ``RunParams``, frozen and secret-free (safe to log, to
pass to a Prefect task, to store), made from the settings in effect; and its ``Window``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from betterstack_etl.errors import ConfigError
from betterstack_etl.settings.declaration import knob

if TYPE_CHECKING:
    from betterstack_etl.settings.declaration import Settings
    from betterstack_etl.sla import SlaOptions
    from betterstack_etl.tables import TableSpec

__all__ = ["RunParams", "Window"]


@dataclass(frozen=True, slots=True)
class Window:
    """The UTC days to read incidents and SLA for (inclusive)."""

    start: date
    end: date

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass(frozen=True, slots=True)
class RunParams:
    """The settings a run reads, already checked (``Settings`` declares each one, its default
    and its range; ``load_settings(...).run_params()`` makes this). The token travels apart."""

    monitors: tuple[str, ...] | Literal["all"]
    base_url: str
    destination: Literal["local", "bigquery"]
    lake_root: str
    billing_project_id: str
    dataset_id: str
    bigquery_connection_id: str | None
    bigquery_location: str
    bigquery_layout: Literal["flat", "basedosdados"]  # checked with the dataset: gcp.layout
    from_date: date | None
    to_date: date | None
    tables: tuple[TableSpec, ...]
    task_retries: int
    task_retry_delay: float
    rate: float
    max_in_flight: int
    timeout: float
    retry_base_delay: float
    run_interval: float  # seconds between scheduled runs: a plan longer cannot keep up
    sla: SlaOptions  # SLA views: time zone and SLO
    report_out: str | None  # where each run writes the month's report (path or gs://)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, monitors_default: Literal["all"] | None = None
    ) -> RunParams:
        from betterstack_etl.sla import SlaOptions
        from betterstack_etl.sla.alerts import DEFAULT_RULES
        from betterstack_etl.tables import TABLES

        monitors = settings.monitor_id or monitors_default
        if monitors is None:
            variable = knob("monitor_id").variable
            raise ConfigError(
                f"{variable} is not set",
                hint=f"set {variable} (or --monitor-id) to a Better Stack monitor id, a "
                "comma-separated list, or 'all'",
            )
        return cls(
            monitors=monitors,
            base_url=settings.base_url,
            destination=settings.destination,
            lake_root=settings.lake_root,
            billing_project_id=settings.billing_project_id,
            dataset_id=settings.dataset_id,
            bigquery_connection_id=settings.bigquery_connection_id,
            bigquery_location=settings.bigquery_location,
            bigquery_layout=settings.bigquery_layout,
            from_date=settings.from_date,
            to_date=settings.to_date,
            tables=settings.tables or TABLES,
            task_retries=settings.task_retries,
            task_retry_delay=settings.task_retry_delay,
            rate=settings.rate,
            max_in_flight=settings.max_in_flight,
            timeout=settings.timeout,
            retry_base_delay=settings.retry_base_delay,
            run_interval=settings.run_interval,
            sla=SlaOptions(
                time_zone=settings.report_timezone,
                slo_pct=settings.slo,
                slos=settings.slo_file,
                burn_rules=settings.burn_rate_rules or DEFAULT_RULES,
            ),
            report_out=settings.report_out,
        )

    def window(self, now: datetime) -> Window:
        """Incidents/SLA days: the backfill window, or yesterday and today (UTC) by default.
        Days after today are dropped (the API refuses a future ``from``)."""
        today = now.astimezone(UTC).date()
        start = self.from_date or (self.to_date or today) - timedelta(days=1)
        end = self.to_date or (
            today if self.from_date is None or self.from_date <= today else start
        )
        end = min(end, today)
        if start > today:
            raise ConfigError(
                f"the first day {start} is in the future (today is {today} UTC)",
                hint="backfills read past days; leave the first day unset for the default window",
            )
        return Window(start, end)
