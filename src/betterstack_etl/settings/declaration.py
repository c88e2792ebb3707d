"""Every setting of betterstack-etl, declared once: its name, its variable (the environment and
the ``.env`` file), its CLI option and flow parameter where it has one, its type and parser,
its default and range, its help text, and whether it is a secret.

The README's settings table, the CLI options' help, the ``config`` command and the error
messages are all derived from this declaration. To add a setting: one field below (its type, a
parser from ``values``, a ``Knob``, a ``Field`` with the default and the help); copy it into
``RunParams`` if a run needs it; regenerate the README table (``tests/settings/test_docs.py``
says how). A CLI option is ``cli.common.setting_option(name)``; a flow parameter is
``parameter=True`` plus the parameter in the flow's signature (a test checks both agree).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, model_validator

from betterstack_etl import constants as C
from betterstack_etl.secret import Secret
from betterstack_etl.settings.values import (
    Number,
    parse_base_url,
    parse_burn_rules,
    parse_date,
    parse_destination,
    parse_endpoint,
    parse_identifier,
    parse_layout,
    parse_monitor_ids,
    parse_report_out,
    parse_slo,
    parse_slo_file,
    parse_tables,
    parse_text,
    parse_time_zone,
    parse_token,
    refuse,
)

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo

__all__ = [
    "DEFAULT_ENV_FILE",
    "FIELDS",
    "NOT_SETTINGS",
    "Knob",
    "Settings",
    "knob",
    "number_range",
]

DEFAULT_ENV_FILE: Final = ".env"
# Variables with our prefix that are no setting of the pipeline (never noted as unknown).
NOT_SETTINGS: Final = {
    "BETTERSTACK_REQUIRE_ZETASQL": "the tests: the ZetaSQL analyzer must run, not skip (CI)",
}


@dataclass(frozen=True, slots=True)
class Knob:
    """How a setting is reached: ``variable`` (environment and ``.env``), ``option`` (the CLI
    option, e.g. ``--from-date``), ``parameter`` (also a parameter of the flow, named as the
    setting), ``secret`` (never shown), ``required`` (the commands that need it set) and
    ``default_text`` (the default as the docs say it, when it is not a plain value)."""

    variable: str
    option: str | None = None
    parameter: bool = False
    secret: bool = False
    required: str | None = None
    default_text: str | None = None


def _p(parser: Any) -> PlainValidator:
    return PlainValidator(parser)


_RUN = "run, check"


class Settings(BaseModel):
    """The settings in effect. Built by ``settings.load_settings`` from, highest first: the
    command's options (or the flow's parameters), the environment, the ``.env`` file, the
    defaults below. Frozen; the token is a ``Secret`` (``***`` in every repr).

    A pydantic model, not a pydantic-settings ``BaseSettings``: importing pydantic-settings
    costs about 0.4 s at every command's start (it imports asyncio and its source providers;
    measured: ``--help`` doubled), and what it would add is its merge of the sources, which
    keeps no record of which source gave each value (``config`` and every error message need
    that). ``loading`` reads each setting as text from its one variable, and the ``.env`` file
    with python-dotenv, the parser pydantic-settings itself uses."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        arbitrary_types_allowed=True,
        validate_default=False,
        defer_build=True,  # built below, without looking for pydantic plugins
    )

    token: Annotated[
        Secret | None, _p(parse_token), Knob("BETTERSTACK_TOKEN", secret=True, required=_RUN)
    ] = Field(None, description="Better Stack Uptime API token (no spaces or newlines inside)")
    token_secret_block: Annotated[
        str | None, _p(parse_identifier), Knob("BETTERSTACK_TOKEN_SECRET_BLOCK")
    ] = Field(None, description="name of a Prefect Secret block holding the token, instead")
    monitor_id: Annotated[
        tuple[str, ...] | Literal["all"] | None,
        _p(parse_monitor_ids),
        Knob("MONITOR_ID", "--monitor-id", parameter=True, required=_RUN),
    ] = Field(None, description="one monitor id, a comma-separated list, or 'all'")
    base_url: Annotated[
        str, _p(parse_base_url), Knob("BETTERSTACK_BASE_URL", "--base-url", parameter=True)
    ] = Field(
        C.DEFAULT_BASE_URL,
        description="API base URL: https:// host only (plain http:// only to loopback)",
    )
    destination: Annotated[
        Literal["local", "bigquery"],
        _p(parse_destination),
        Knob("BETTERSTACK_DESTINATION", "--destination", parameter=True),
    ] = Field("local", description="'local' (Parquet + DuckDB) or 'bigquery' (GCS + BigLake)")
    lake_root: Annotated[
        str, _p(parse_text), Knob("BETTERSTACK_LAKE_ROOT", "--lake-root", parameter=True)
    ] = Field(
        C.DEFAULT_LAKE_ROOT,
        description="lake root: a writable folder (made if missing), or gs://bucket/prefix "
        "for bigquery",
    )
    billing_project_id: Annotated[
        str,
        _p(parse_identifier),
        Knob("BETTERSTACK_BILLING_PROJECT_ID", "--billing-project-id", parameter=True),
    ] = Field(C.DEFAULT_BILLING_PROJECT_ID, description="GCP project (billing and dataset)")
    dataset_id: Annotated[
        str,
        _p(parse_identifier),
        Knob("BETTERSTACK_DATASET_ID", "--dataset-id", parameter=True),
    ] = Field(C.DEFAULT_DATASET_ID, description="BigQuery dataset")
    bigquery_connection_id: Annotated[
        str | None, _p(parse_identifier), Knob("BETTERSTACK_BIGQUERY_CONNECTION_ID")
    ] = Field(None, description="BigLake connection project.location.name; unset: plain tables")
    bigquery_location: Annotated[
        str, _p(parse_identifier), Knob("BETTERSTACK_BIGQUERY_LOCATION")
    ] = Field("US", description="BigQuery dataset location")
    bigquery_layout: Annotated[
        Literal["flat", "basedosdados"],
        _p(parse_layout),
        Knob("BETTERSTACK_BIGQUERY_LAYOUT", parameter=True),
    ] = Field(
        "flat",
        description="'flat', or 'basedosdados': raw tables etl_<table> in <dataset>_staging "
        "over gs://<bucket>/staging/<dataset>/ (docs/production.md, docs/cutover.md)",
    )
    from_date: Annotated[
        date | None,
        _p(parse_date),
        Knob("BETTERSTACK_FROM_DATE", "--from-date", parameter=True, default_text="yesterday"),
    ] = Field(None, description="first UTC day to load, YYYY-MM-DD, from 2015-01-01 (backfills)")
    to_date: Annotated[
        date | None,
        _p(parse_date),
        Knob("BETTERSTACK_TO_DATE", "--to-date", parameter=True, default_text="today"),
    ] = Field(None, description="last UTC day to load, inclusive, YYYY-MM-DD")
    tables: Annotated[
        tuple[Any, ...] | None,  # TableSpec (imported when parsed); None: every table
        _p(parse_tables),
        Knob("BETTERSTACK_TABLES", "--tables", parameter=True, default_text="all"),
    ] = Field(
        None,
        description="comma-separated subset of response_times, incidents, daily_sla, monitors",
    )
    task_retries: Annotated[
        int, _p(Number(0, 10, integer=True)), Knob("BETTERSTACK_TASK_RETRIES")
    ] = Field(C.TASK_RETRIES, description="task-level retries of a failed table")
    task_retry_delay: Annotated[
        float, _p(Number(0, 3600)), Knob("BETTERSTACK_TASK_RETRY_DELAY")
    ] = Field(C.TASK_RETRY_DELAY_SECONDS, description="seconds between task retries")
    rate: Annotated[float, _p(Number(0, 100, low_open=True)), Knob("BETTERSTACK_RATE")] = Field(
        C.DEFAULT_RATE, description="request budget of a run, requests/second"
    )
    max_in_flight: Annotated[
        int, _p(Number(1, 32, integer=True)), Knob("BETTERSTACK_MAX_IN_FLIGHT")
    ] = Field(C.DEFAULT_MAX_IN_FLIGHT, description="concurrent requests at most")
    timeout: Annotated[float, _p(Number(1, 300)), Knob("BETTERSTACK_TIMEOUT")] = Field(
        30.0,
        description=(
            "HTTP timeout, seconds: per socket operation, and the total time one request may "
            "take however slowly the server sends"
        ),
    )
    retry_base_delay: Annotated[float, _p(Number(0, 60)), Knob("BETTERSTACK_RETRY_BASE_DELAY")] = (
        Field(1.0, description="first backoff of a retried request, seconds")
    )
    run_interval: Annotated[float, _p(Number(60, 7 * 86_400)), Knob("BETTERSTACK_RUN_INTERVAL")] = (
        Field(
            C.RUN_INTERVAL_SECONDS,
            description="seconds between scheduled runs (the deployment's cron): run --dry-run and "
            "check say when a run's requests at BETTERSTACK_RATE take longer",
        )
    )
    report_timezone: Annotated[
        str, _p(parse_time_zone), Knob("BETTERSTACK_REPORT_TIMEZONE", "--timezone")
    ] = Field(C.DEFAULT_REPORT_TIMEZONE, description="time zone of the SLA views' days and months")
    slo: Annotated[float, _p(parse_slo), Knob("BETTERSTACK_SLO", "--slo")] = Field(
        C.DEFAULT_SLO_PCT, description="availability objective, percent (99.9 or 99.9%)"
    )
    slo_file: Annotated[
        tuple[Any, ...], _p(parse_slo_file), Knob("BETTERSTACK_SLO_FILE", default_text="none")
    ] = Field(
        (),
        description="OpenSLO v1 YAML declaring the SLOs (availability or latency, per monitor "
        "ids or group, calendar month or rolling 28d/30d; docs/sla.md), read and checked before "
        "any request",
    )
    burn_rate_rules: Annotated[
        tuple[Any, ...],
        _p(parse_burn_rules),
        Knob(
            "BETTERSTACK_BURN_RATE_RULES",
            default_text="page:1h/6h>14.4,page:6h/24h>6,ticket:6h/3d>1",
        ),
    ] = Field(
        (),  # () = the defaults of sla.alerts.DEFAULT_RULES
        description="SLO burn-rate alert rules (events on state changes only), "
        "name:short/long>threshold,…",
    )
    report_out: Annotated[
        str | None, _p(parse_report_out), Knob("BETTERSTACK_REPORT_OUT", parameter=True)
    ] = Field(
        None,
        description="each run writes the month's SLA report there (.html path or gs://…html; "
        "{month} becomes YYYY-MM)",
    )
    gcp_credentials_block: Annotated[
        str | None, _p(parse_identifier), Knob("BETTERSTACK_GCP_CREDENTIALS_BLOCK")
    ] = Field(None, description="name of a prefect-gcp GcpCredentials block, instead of ADC")
    bigquery_endpoint: Annotated[
        str | None, _p(parse_endpoint), Knob("BETTERSTACK_BIGQUERY_ENDPOINT")
    ] = Field(None, description="a BigQuery emulator's address (tests and local trials)")
    env_file: Annotated[str, _p(parse_text), Knob("BETTERSTACK_ENV_FILE")] = Field(
        DEFAULT_ENV_FILE,
        description="the .env file read for these settings (the environment wins over it)",
    )

    @model_validator(mode="after")
    def _agree(self) -> Settings:
        """The settings that must agree with each other (each one alone is already valid)."""
        gcs = self.lake_root.startswith("gs://")
        if self.destination == "bigquery" and not gcs:
            refuse(
                "{lake_root=} is not a GCS location",
                "with {destination=} set {lake_root} to gs://bucket/prefix",
            )
        if self.destination == "local" and gcs:
            refuse(
                "{lake_root=} is in GCS but the destination is local",
                "set {destination} to bigquery, or give a local folder",
            )
        if self.destination == "local":
            _check_local_root(self.lake_root)
        if self.from_date and self.to_date and self.to_date < self.from_date:
            refuse(
                "{to_date=} is before {from_date=}",
                "the window is inclusive: the first day comes first (swap the two dates)",
            )
        return self


def _check_local_root(root: str) -> None:
    """A local lake root must be a writable folder, or one that can be created (no write here)."""
    path = Path(root).expanduser()
    existing = next((p for p in (path, *path.absolute().parents) if p.exists()), None)
    hint = "point {lake_root} at a folder the pipeline can write in"
    if existing is not None and not existing.is_dir():
        refuse(f"{{lake_root=}} is not a folder ({existing} is a file)", hint)
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        refuse(f"{{lake_root=}} is not writable ({existing} is read-only)", hint)


def _build_without_plugins() -> None:
    """Build the model's validator with pydantic's plugin discovery off: it reads the entry
    points of every installed package (10-35 ms of every command's start, issue 24) to find
    plugins that would watch this model's validation, and none is wanted here. Only for this
    model (pydantic's own switch, ``PYDANTIC_DISABLE_PLUGINS``, set while it is built, unless
    the environment sets it), so other models in the process (Prefect's) still find theirs."""
    name = "PYDANTIC_DISABLE_PLUGINS"
    given = os.environ.get(name)
    if given is None:
        os.environ[name] = "__all__"
    try:
        Settings.model_rebuild(force=True)
    finally:
        if given is None:
            os.environ.pop(name, None)


_build_without_plugins()

FIELDS: Final[dict[str, FieldInfo]] = dict(Settings.model_fields)


def knob(name: str) -> Knob:
    """How setting ``name`` is reached."""
    return next(m for m in FIELDS[name].metadata if isinstance(m, Knob))


def number_range(name: str) -> Number | None:
    """The range of a numeric setting (None for the others)."""
    for meta in FIELDS[name].metadata:
        parser = getattr(meta, "func", None)
        if isinstance(parser, Number):
            return parser
    return None
