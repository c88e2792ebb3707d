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
| BETTERSTACK_BIGQUERY_LAYOUT | ``flat``, or ``basedosdados`` (``gcp.layout``) | flat |
| BETTERSTACK_FROM_DATE / _TO_DATE | backfill window, inclusive UTC YYYY-MM-DD | yesterday/today |
| BETTERSTACK_TABLES | comma-separated tables to load | all three |
| BETTERSTACK_TASK_RETRIES, _TASK_RETRY_DELAY | task retries 0–10, seconds apart 0–3600 | 3, 60 |
| BETTERSTACK_RATE, _MAX_IN_FLIGHT | requests/second in (0, 100], at once (1–32) | 8, 4 |
| BETTERSTACK_TIMEOUT | HTTP timeout per request, seconds, 1–300 | 30 |
| BETTERSTACK_RETRY_BASE_DELAY | first backoff of a retried request, seconds, 0–60 | 1 |
| BETTERSTACK_RUN_INTERVAL | seconds between scheduled runs (the cron), 60–604800 | 3600 |
| BETTERSTACK_REPORT_TIMEZONE | time zone of the SLA views' days and months | America/Sao_Paulo |
| BETTERSTACK_SLO | availability objective, percent | 99.9 |
| BETTERSTACK_REPORT_OUT | each run writes the month's report there (.html path or gs://) | none |

Refused before any request (SPEC §10), one line each naming the setting: a base URL carrying
credentials, a path, a query or a fragment, or plain ``http://`` to anything but loopback
(127.0.0.0/8, ::1, localhost: elsewhere the token would travel in clear); a token with
whitespace, control or non-ASCII characters inside (surrounding whitespace is dropped); a local
lake root that is (under) a file or in a read-only folder; a number that is not finite, not
whole where a count is meant, or out of its range above; a date before ``EARLIEST_DATE``
(2015-01-01: before Better Stack existed, so a typo, not a backfill).
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import urlsplit

from betterstack_etl import constants as C
from betterstack_etl.errors import ConfigError
from betterstack_etl.sla import SlaOptions, sla_options_from_env
from betterstack_etl.tables import TABLES, TableSpec, table_by_name

if TYPE_CHECKING:
    from collections.abc import Mapping

    from betterstack_etl.secret import Secret

__all__ = [
    "ALL_MONITORS",
    "EARLIEST_DATE",
    "NUMERIC_RANGES",
    "NumericRange",
    "RunParams",
    "Window",
    "check_base_url",
    "check_token",
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
        ids.append(item)
    if not ids:
        raise ConfigError("MONITOR_ID is empty", hint="give at least one monitor id, or 'all'")
    return tuple(dict.fromkeys(ids))  # in order, once each (thousands of ids: linear)


@dataclass(frozen=True, slots=True)
class Window:
    """The UTC days to read incidents and SLA for (inclusive)."""

    start: date
    end: date

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


# Dates before this are a typo, not a backfill: Better Stack (Better Uptime) did not exist yet.
EARLIEST_DATE: Final = date(2015, 1, 1)


@dataclass(frozen=True, slots=True)
class NumericRange:
    """The sane range of a numeric setting; ``low_open``: the low end itself is refused."""

    low: float
    high: float
    integer: bool = False
    low_open: bool = False

    def describe(self) -> str:
        if self.low_open:
            return f"({self.low:g}, {self.high:g}]"
        return f"{self.low:g}–{self.high:g}"

    def contains(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        return above and value <= self.high


NUMERIC_RANGES: Final[dict[str, NumericRange]] = {
    "BETTERSTACK_TASK_RETRIES": NumericRange(0, 10, integer=True),
    "BETTERSTACK_TASK_RETRY_DELAY": NumericRange(0, 3600),
    "BETTERSTACK_RATE": NumericRange(0, 100, low_open=True),
    "BETTERSTACK_MAX_IN_FLIGHT": NumericRange(1, 32, integer=True),
    "BETTERSTACK_TIMEOUT": NumericRange(1, 300),
    "BETTERSTACK_RETRY_BASE_DELAY": NumericRange(0, 60),
    "BETTERSTACK_RUN_INTERVAL": NumericRange(60, 7 * 86_400),
}


def _env_number(env: Mapping[str, str], name: str, default: float) -> float:
    """``name`` from ``env`` (or ``default``): finite, whole if a count, within its range."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    bounds = NUMERIC_RANGES[name]
    try:
        value = float(raw.strip())
    except ValueError:
        value = math.nan
    kind = "a whole number" if bounds.integer else "a number"
    if not (math.isfinite(value) and bounds.contains(value)):
        raise ConfigError(
            f"{name}={raw.strip()[:40]!r} is not {kind} in {bounds.describe()}",
            hint=f"set {name} within {bounds.describe()}, or unset it for the default {default:g}",
        )
    if bounds.integer and not value.is_integer():
        raise ConfigError(
            f"{name}={raw.strip()[:40]!r} is not a whole number",
            hint=f"set {name} to a whole number in {bounds.describe()}, e.g. {default:g}",
        )
    return value


def _env_int(env: Mapping[str, str], name: str, default: int) -> int:
    return int(_env_number(env, name, default))


def check_token(token: str) -> str:
    """The token without surrounding whitespace; refused if whitespace, control or non-ASCII
    characters remain inside (the error never shows the token)."""
    token = token.strip()
    what = None
    if "\n" in token or "\r" in token:
        what = "a newline"
    elif any(c.isspace() for c in token):
        what = "whitespace"
    elif any(ord(c) < 32 or ord(c) == 127 for c in token):
        what = "a control character"
    elif not token.isascii():
        what = "a non-ASCII character"
    if what is not None:
        raise ConfigError(
            f"BETTERSTACK_TOKEN contains {what}",
            hint="copy it again without it (Better Stack → Uptime → API tokens)",
        )
    return token


_USERINFO = re.compile(r"(//)[^/?#]*@")


def _is_loopback(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(raw: str) -> str:
    """``BETTERSTACK_BASE_URL`` without its trailing ``/``: an http(s) origin with no credentials,
    path, query or fragment, and ``https`` unless the host is loopback."""
    name = "BETTERSTACK_BASE_URL"
    shown = _USERINFO.sub(r"\1***@", raw)[:120]  # never echo credentials
    host_only = f"give the host only, e.g. {C.DEFAULT_BASE_URL}"
    try:
        parts = urlsplit(raw)
        _ = parts.port  # raises on a port that is not a number in 0-65535
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() or ord(c) < 32 for c in raw)
    ):
        raise ConfigError(
            f"{name}={shown!r} is not an http(s) URL (also --base-url)",
            hint=f"{host_only}, or leave it unset",
        )
    if "@" in parts.netloc:
        raise ConfigError(
            f"{name}={shown!r} carries credentials (also --base-url)",
            hint=f"remove the user:password part; the API token goes in BETTERSTACK_TOKEN; "
            f"{host_only}",
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or raw.endswith(("?", "#")):
        raise ConfigError(
            f"{name}={shown!r} has a path, query or fragment (also --base-url)",
            hint=host_only,
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"{name}={shown!r} is plain http to a host that is not loopback: the token would "
            "travel in clear (also --base-url)",
            hint=f"use https://, e.g. {C.DEFAULT_BASE_URL} (http only for 127.0.0.1/localhost)",
        )
    return raw.rstrip("/")


def _check_local_root(root: str) -> None:
    """A local lake root must be a writable folder, or one that can be created (no write here)."""
    path = Path(root).expanduser()
    existing = next((p for p in (path, *path.absolute().parents) if p.exists()), None)
    hint = "point BETTERSTACK_LAKE_ROOT (or --lake-root) at a folder the pipeline can write in"
    if existing is not None and not existing.is_dir():
        raise ConfigError(
            f"BETTERSTACK_LAKE_ROOT={root!r} is not a folder ({existing} is a file)", hint=hint
        )
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(
            f"BETTERSTACK_LAKE_ROOT={root!r} is not writable ({existing} is read-only)", hint=hint
        )


def _check_not_too_early(day: date | None, name: str) -> None:
    if day is not None and day < EARLIEST_DATE:
        raise ConfigError(
            f"{name} {day} is before {EARLIEST_DATE}, before Better Stack kept any data",
            hint=f"give a {name} on or after {EARLIEST_DATE} (the monitors' own creation "
            "day is the real start)",
        )


def _report_out(value: str | None) -> str | None:
    """``BETTERSTACK_REPORT_OUT``: an ``.html`` path or ``gs://bucket/….html``; ``{month}``
    becomes the report's month (``YYYY-MM``)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if ("://" in text and not text.startswith("gs://")) or not text.endswith(".html"):
        raise ConfigError(
            f"BETTERSTACK_REPORT_OUT={value!r} is not an .html file path or gs:// URI",
            hint="e.g. BETTERSTACK_REPORT_OUT=gs://rj-iplanrio-reports/betterstack/{month}.html",
        )
    return text


def read_token(env: Mapping[str, str] | None = None) -> Secret:
    """``BETTERSTACK_TOKEN`` from the environment (Infisical injects it in production), or the
    Prefect Secret block named by ``BETTERSTACK_TOKEN_SECRET_BLOCK`` (``secret.resolve_token``);
    refused (never shown) when whitespace or control characters are left inside."""
    from betterstack_etl.secret import resolve_token

    token = resolve_token(env)
    check_token(token.reveal())
    return token


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
    bigquery_layout: str = "flat"  # flat or basedosdados: checked by gcp.layout.layout_of
    from_date: date | None = None
    to_date: date | None = None
    tables: tuple[TableSpec, ...] = TABLES
    task_retries: int = C.TASK_RETRIES
    task_retry_delay: float = C.TASK_RETRY_DELAY_SECONDS
    rate: float = C.DEFAULT_RATE
    max_in_flight: int = C.DEFAULT_MAX_IN_FLIGHT
    timeout: float = 30.0
    retry_base_delay: float = 1.0
    run_interval: float = C.RUN_INTERVAL_SECONDS  # a plan longer than this cannot keep up
    sla: SlaOptions = field(default_factory=SlaOptions)  # SLA views: time zone and SLO
    report_out: str | None = None  # where each run writes the month's report (path or gs://)

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
        if destination == "local":
            _check_local_root(lake_root)
        base_url = check_base_url(
            (pick("base_url", "BETTERSTACK_BASE_URL", C.DEFAULT_BASE_URL) or "").strip()
        )
        from_raw = pick("from_date", "BETTERSTACK_FROM_DATE")
        to_raw = pick("to_date", "BETTERSTACK_TO_DATE")
        from_date = parse_date(from_raw, name="from_date") if from_raw else None
        to_date = parse_date(to_raw, name="to_date") if to_raw else None
        _check_not_too_early(from_date, "from_date")
        _check_not_too_early(to_date, "to_date")
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
        retries = _env_int(env, "BETTERSTACK_TASK_RETRIES", C.TASK_RETRIES)
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
            bigquery_layout=pick("bigquery_layout", "BETTERSTACK_BIGQUERY_LAYOUT") or "flat",
            from_date=from_date,
            to_date=to_date,
            tables=tables,
            task_retries=retries,
            task_retry_delay=_env_number(
                env, "BETTERSTACK_TASK_RETRY_DELAY", C.TASK_RETRY_DELAY_SECONDS
            ),
            rate=_env_number(env, "BETTERSTACK_RATE", C.DEFAULT_RATE),
            max_in_flight=_env_int(env, "BETTERSTACK_MAX_IN_FLIGHT", C.DEFAULT_MAX_IN_FLIGHT),
            timeout=_env_number(env, "BETTERSTACK_TIMEOUT", 30.0),
            retry_base_delay=_env_number(env, "BETTERSTACK_RETRY_BASE_DELAY", 1.0),
            run_interval=_env_number(env, "BETTERSTACK_RUN_INTERVAL", C.RUN_INTERVAL_SECONDS),
            report_out=_report_out(pick("report_out", "BETTERSTACK_REPORT_OUT")),
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
