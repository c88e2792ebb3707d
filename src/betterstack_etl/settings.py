"""Settings: environment variables (injected by Infisical in production), overridable by CLI
options and flow parameters. Parsing is strict and every error names the variable and the fix.

| variable | meaning | default |
|---|---|---|
| BETTERSTACK_TOKEN | API token (secret) | required |
| MONITOR_ID | one id, a comma-separated list, or ``all`` | required |
| BETTERSTACK_BASE_URL | API base URL | https://uptime.betterstack.com |
| BETTERSTACK_DESTINATION | ``local`` or ``bigquery`` | local |
| BETTERSTACK_LAKE_ROOT | folder, or ``gs://bucket/prefix`` for bigquery | ./lake |
| BETTERSTACK_BILLING_PROJECT_ID | GCP project | rj-iplanrio |
| BETTERSTACK_DATASET_ID | BigQuery dataset | brutos_betterstack |
| BETTERSTACK_BIGQUERY_CONNECTION_ID | BigLake connection ``project.location.name`` | none |
| BETTERSTACK_BIGQUERY_LOCATION | dataset location | US |
| BETTERSTACK_FROM_DATE / _TO_DATE | backfill window, inclusive UTC YYYY-MM-DD | yesterday/today |
| BETTERSTACK_TABLES | comma-separated tables to load | all three |
| BETTERSTACK_TASK_RETRIES | task-level retries | 3 |
| BETTERSTACK_TASK_RETRY_DELAY | seconds between task retries | 60 |
| BETTERSTACK_RATE | request budget, requests/second | 8 |
| BETTERSTACK_MAX_IN_FLIGHT | concurrent requests at most | 4 |
| BETTERSTACK_TIMEOUT | HTTP timeout per request, seconds | 30 |
| BETTERSTACK_RETRY_BASE_DELAY | first backoff of a retried request, seconds | 1 |
| BETTERSTACK_REPORT_TIMEZONE | time zone of the SLA views' days and months | America/Sao_Paulo |
| BETTERSTACK_SLO | availability objective, percent | 99.9 |
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from betterstack_etl import constants as C
from betterstack_etl.errors import ConfigError
from betterstack_etl.sla import SlaOptions, sla_options_from_env
from betterstack_etl.tables import TABLES, TableSpec, table_by_name

if TYPE_CHECKING:
    from collections.abc import Mapping

    from betterstack_etl.secret import Secret

__all__ = [
    "ALL_MONITORS",
    "RunParams",
    "Window",
    "parse_date",
    "parse_monitor_ids",
    "read_token",
]

ALL_MONITORS = "all"
Destination = Literal["local", "bigquery"]
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(value: str, *, name: str) -> date:
    """Strict ``YYYY-MM-DD`` (a UTC calendar day)."""
    text = value.strip()
    if _DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise ConfigError(
        f"{name}={value!r} is not a date",
        hint=f"write {name} as YYYY-MM-DD, a UTC calendar day, e.g. 2026-01-31",
    )


def parse_monitor_ids(value: str | None) -> tuple[str, ...] | Literal["all"]:
    """``MONITOR_ID``: one id, a comma-separated list, or ``all``."""
    if value is None or not value.strip():
        raise ConfigError(
            "MONITOR_ID is not set",
            hint="set MONITOR_ID to a Better Stack monitor id, a comma-separated list, or 'all'",
        )
    if value.strip().lower() == ALL_MONITORS:
        return "all"
    ids: list[str] = []
    for part in value.split(","):
        item = part.strip()
        if not item:
            continue
        if not item.isdigit() or not item.isascii():
            raise ConfigError(
                f"MONITOR_ID contains {item!r}, which is not a monitor id",
                hint="monitor ids are digits (see the URL of the monitor in Better Stack); "
                "separate several with commas, or use 'all'",
            )
        if item not in ids:
            ids.append(item)
    if not ids:
        raise ConfigError("MONITOR_ID is empty", hint="give at least one monitor id, or 'all'")
    return tuple(ids)


@dataclass(frozen=True, slots=True)
class Window:
    """The UTC days to read incidents and SLA for (inclusive)."""

    start: date
    end: date

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def _env_float(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value >= minimum:
        raise ConfigError(f"{name}={raw!r} is not a number ≥ {minimum:g}", hint=f"fix {name}")
    return value


def read_token(env: Mapping[str, str] | None = None) -> Secret:
    """``BETTERSTACK_TOKEN`` from the environment (Infisical injects it in production), or the
    Prefect Secret block named by ``BETTERSTACK_TOKEN_SECRET_BLOCK`` (prefect_blocks.py)."""
    from betterstack_etl.prefect_blocks import resolve_token

    return resolve_token(env)


@dataclass(frozen=True, slots=True)
class RunParams:
    """Everything one run needs but the token: frozen, secret-free (safe to log, to pass to
    a Prefect task, to store). Built once per run with ``RunParams.from_env(...)``; the CLI
    and the flow build it the same way. The token travels apart (``read_token``)."""

    monitors: tuple[str, ...] | Literal["all"]
    base_url: str = C.DEFAULT_BASE_URL
    destination: Destination = "local"
    lake_root: str = C.DEFAULT_LAKE_ROOT
    billing_project_id: str = C.DEFAULT_BILLING_PROJECT_ID
    dataset_id: str = C.DEFAULT_DATASET_ID
    bigquery_connection_id: str | None = None
    bigquery_location: str = "US"
    from_date: date | None = None
    to_date: date | None = None
    tables: tuple[TableSpec, ...] = TABLES
    task_retries: int = C.TASK_RETRIES
    task_retry_delay: float = C.TASK_RETRY_DELAY_SECONDS
    rate: float = C.DEFAULT_RATE
    max_in_flight: int = C.DEFAULT_MAX_IN_FLIGHT
    timeout: float = 30.0
    retry_base_delay: float = 1.0
    sla: SlaOptions = field(default_factory=SlaOptions)  # SLA views: time zone and SLO

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> RunParams:
        """Read the environment, then apply non-None ``overrides`` (CLI options, flow
        parameters) given as strings or values, and validate the whole."""
        env = dict(os.environ if env is None else env)
        given = {k: v for k, v in overrides.items() if v is not None and v != ""}

        def pick(key: str, var: str, default: str | None = None) -> str | None:
            if key in given:
                return str(given[key])
            value = env.get(var)
            return value if value not in (None, "") else default

        monitors = given.get("monitors")
        parsed_monitors = (
            monitors
            if isinstance(monitors, tuple)
            else parse_monitor_ids(pick("monitors", "MONITOR_ID"))
        )
        destination = (pick("destination", "BETTERSTACK_DESTINATION", "local") or "").lower()
        if destination not in ("local", "bigquery"):
            raise ConfigError(
                f"BETTERSTACK_DESTINATION={destination!r} is not a destination",
                hint="use 'local' (Parquet + DuckDB on disk) or 'bigquery' (GCS + BigLake)",
            )
        default_root = C.DEFAULT_LAKE_ROOT
        lake_root = pick("lake_root", "BETTERSTACK_LAKE_ROOT", default_root) or default_root
        if destination == "bigquery" and not lake_root.startswith("gs://"):
            raise ConfigError(
                f"BETTERSTACK_LAKE_ROOT={lake_root!r} is not a GCS location",
                hint="with BETTERSTACK_DESTINATION=bigquery set BETTERSTACK_LAKE_ROOT=gs://bucket/prefix",
            )
        if destination == "local" and lake_root.startswith("gs://"):
            raise ConfigError(
                f"BETTERSTACK_LAKE_ROOT={lake_root!r} is in GCS but the destination is local",
                hint="set BETTERSTACK_DESTINATION=bigquery, or give a local folder",
            )
        base_url = (pick("base_url", "BETTERSTACK_BASE_URL", C.DEFAULT_BASE_URL) or "").rstrip("/")
        if not re.match(r"^https?://[^/\s]+(/[^\s]*)?$", base_url):
            raise ConfigError(
                f"BETTERSTACK_BASE_URL={base_url!r} is not an http(s) URL",
                hint=f"leave it unset for {C.DEFAULT_BASE_URL}",
            )
        from_raw = pick("from_date", "BETTERSTACK_FROM_DATE")
        to_raw = pick("to_date", "BETTERSTACK_TO_DATE")
        from_date = parse_date(from_raw, name="from_date") if from_raw else None
        to_date = parse_date(to_raw, name="to_date") if to_raw else None
        if from_date and to_date and to_date < from_date:
            raise ConfigError(
                f"to_date {to_date} is before from_date {from_date}",
                hint="the window is inclusive: from_date ≤ to_date",
            )
        tables_raw = pick("tables", "BETTERSTACK_TABLES")
        tables = TABLES
        if tables_raw:
            names = [t.strip() for t in tables_raw.split(",") if t.strip()]
            tables = tuple(dict.fromkeys(table_by_name(n) for n in names))
        retries = int(_env_float(env, "BETTERSTACK_TASK_RETRIES", C.TASK_RETRIES, minimum=0))
        params = cls(
            monitors=parsed_monitors,
            base_url=base_url,
            destination="bigquery" if destination == "bigquery" else "local",
            lake_root=lake_root,
            billing_project_id=pick(
                "billing_project_id", "BETTERSTACK_BILLING_PROJECT_ID", C.DEFAULT_BILLING_PROJECT_ID
            )
            or C.DEFAULT_BILLING_PROJECT_ID,
            dataset_id=pick("dataset_id", "BETTERSTACK_DATASET_ID", C.DEFAULT_DATASET_ID)
            or C.DEFAULT_DATASET_ID,
            bigquery_connection_id=pick(
                "bigquery_connection_id", "BETTERSTACK_BIGQUERY_CONNECTION_ID"
            ),
            bigquery_location=pick("bigquery_location", "BETTERSTACK_BIGQUERY_LOCATION", "US")
            or "US",
            from_date=from_date,
            to_date=to_date,
            tables=tables,
            task_retries=retries,
            task_retry_delay=_env_float(
                env, "BETTERSTACK_TASK_RETRY_DELAY", C.TASK_RETRY_DELAY_SECONDS, minimum=0
            ),
            rate=_env_float(env, "BETTERSTACK_RATE", C.DEFAULT_RATE, minimum=0.01),
            max_in_flight=int(
                _env_float(env, "BETTERSTACK_MAX_IN_FLIGHT", C.DEFAULT_MAX_IN_FLIGHT, minimum=1)
            ),
            timeout=_env_float(env, "BETTERSTACK_TIMEOUT", 30.0, minimum=0.1),
            retry_base_delay=_env_float(env, "BETTERSTACK_RETRY_BASE_DELAY", 1.0, minimum=0),
            sla=sla_options_from_env(
                env, time_zone=given.get("report_timezone"), slo_pct=given.get("slo")
            ),
        )
        return params

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
                f"from_date {start} is in the future (today is {today} UTC)",
                hint="backfills read past days; leave from_date unset for the default window",
            )
        return Window(start, end)
