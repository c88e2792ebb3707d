"""The tables, declared once as typed data (SPEC §1-§2, §8.1).

A ``TableSpec`` is the whole contract of one table: its name, its unique key, the column whose
UTC date gives ``data_particao``, its Arrow schema, the extraction that fills it (an entry point
``module:function`` taking an ``extract.ExtractRequest``), which rows stay open and are re-read
each run, and the columns a preview shows. The core, the transforms, the lakes, the CLI and the
BigQuery definitions all read these declarations; adding a table is adding one here.

``data_particao`` is never a column inside the Parquet files: it is the hive directory
(``<table>/data_particao=YYYY-MM-DD/``) and readers (DuckDB, BigQuery) expose it as a DATE.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Final, Literal

import pyarrow as pa

from betterstack_etl.constants import PARTITION_COLUMN
from betterstack_etl.rules import (
    RESPONSE_TIME_BOUND,
    Rule,
    at_most,
    between,
    non_negative,
    not_all_null,
    not_before,
    not_in_future,
    one_of,
)

__all__ = [
    "COVERAGE",
    "DAILY_SLA",
    "INCIDENTS",
    "MONITORS",
    "PARTITION_COLUMN",
    "RESPONSE_TIMES",
    "RUNS",
    "SLA_FIGURES",
    "SLO_ALERTS",
    "TABLES",
    "TIMESTAMP",
    "WRITTEN",
    "TableSpec",
    "table_by_name",
]


class _NoPandas:
    """A finder that says pandas cannot be imported (while it is first on ``sys.meta_path``)."""

    @staticmethod
    def find_spec(name: str, *_: object) -> None:
        if name == "pandas":
            raise ModuleNotFoundError("pandas is kept out of pyarrow", name=name)


def _arrow_without_pandas() -> None:
    """pyarrow imports pandas, when installed, the first time it makes an array from a Python
    list (to ask whether it is a pandas Series) or reads a file: 0.24 s and ~40 MiB in every
    run. Nothing here hands pandas objects to pyarrow, so its pandas shim is shown no pandas
    for its first look (an empty array made while a finder refuses pandas) and remembers it;
    a later ``to_pandas()`` still works (the shim imports pandas when asked for one)."""
    if "pandas" in sys.modules:
        return  # already paid for
    finder = _NoPandas()
    sys.meta_path.insert(0, finder)
    try:
        pa.array([])
    finally:
        sys.meta_path.remove(finder)


_arrow_without_pandas()

# The figures of an /sla answer (betterstack-api.md §4.4, §11): one of them at least, or the row
# is not a summary at all.
SLA_FIGURES: Final = (
    "availability",
    "total_downtime",
    "number_of_incidents",
    "longest_incident",
    "average_incident",
)
TIMESTAMP: Final = pa.timestamp("ms", tz="UTC")
EXTRACTED_AT: Final = "_extracted_at"
RUN_ID: Final = "_run_id"

_LINEAGE: Final = [
    pa.field(EXTRACTED_AT, TIMESTAMP, nullable=False),
    pa.field(RUN_ID, pa.string(), nullable=False),
]


@dataclass(frozen=True, slots=True)
class TableSpec:
    """How one table is keyed, partitioned and typed."""

    name: str
    short_name: str  # CLI/flow name: response_times, incidents, daily_sla
    key: tuple[str, ...]
    partition_by: str  # a TIMESTAMP or DATE column whose UTC date is data_particao
    schema: pa.Schema
    description: str
    extractor: str  # entry point ``module:function`` of its extraction (``extract.extractor``)
    planner: str  # entry point of what that extraction would ask (``run --dry-run``)
    preview: tuple[str, ...]  # columns ``demo`` shows, newest ``partition_by`` first
    # rows with this column null are re-read each run; the lake keeps an index of them beside
    # the tables (``lake.openindex``)
    open_while_null: str | None = None
    # Key columns whose hash picks the file of a partition a row lives in (one of
    # ``file_buckets``, ``lake.layout``); () = one file per partition. A key is in one file.
    file_key: tuple[str, ...] = ()
    file_buckets: int = 64
    rules: tuple[Rule, ...] = ()  # quality gates (rules.py); null key / partition always hold
    served_days: int | None = None  # past UTC days the API serves again (None: any; repair)
    # a successful run records the UTC days of its window it fetched for each monitor
    # (``eai_gateway_coverage``, SPEC §4): the SLA views count only covered time
    records_coverage: bool = False
    # "table": a key is unique in the whole table (SPEC §3): a row whose partition column
    # changes replaces its old row in another partition; "partition": unique within a
    # partition only (a daily history, SPEC §8.1)
    key_scope: Literal["table", "partition"] = "table"

    def __post_init__(self) -> None:
        if not set(self.file_key) <= set(self.key):
            raise ValueError(f"{self.name}: file_key {self.file_key} must be part of the key")
        if not 1 <= self.file_buckets <= 4096:
            raise ValueError(f"{self.name}: file_buckets must be within 1..4096")

    @property
    def columns(self) -> list[str]:
        return list(self.schema.names)

    @property
    def keys_can_move(self) -> bool:
        """Whether a key's row can change partition (the partition column is not part of the
        key, and the key is unique in the whole table): the lake then records where each key
        lives (``lake.keyindex``)."""
        return self.key_scope == "table" and self.partition_by not in self.key


RESPONSE_TIMES: Final = TableSpec(
    name="eai_gateway_response_times",
    short_name="response_times",
    key=("monitor_id", "region", "at"),
    partition_by="at",
    schema=pa.schema(
        [
            pa.field("monitor_id", pa.string(), nullable=False),
            pa.field("region", pa.string(), nullable=False),
            pa.field("at", TIMESTAMP, nullable=False),
            pa.field("response_time", pa.float64(), nullable=False),
            pa.field("name_lookup_time", pa.float64()),
            pa.field("connection_time", pa.float64()),
            pa.field("tls_handshake_time", pa.float64()),
            pa.field("data_transfer_time", pa.float64()),
            *_LINEAGE,
        ]
    ),
    description="Response time per check and region, in seconds (last 24 h at the source).",
    extractor="betterstack_etl.extract.fetch:response_times",
    served_days=1,  # the last 24 h only: today and yesterday
    planner="betterstack_etl.extract.fetch:plan_response_times",
    rules=(
        non_negative(
            "response_time",
            "name_lookup_time",
            "connection_time",
            "tls_handshake_time",
            "data_transfer_time",
        ),
        at_most("response_time", RESPONSE_TIME_BOUND, name="response_time_above_timeout"),
        not_in_future("at"),
    ),
    preview=(
        "monitor_id",
        "region",
        "at",
        "response_time",
        "connection_time",
        "tls_handshake_time",
    ),
    file_key=("monitor_id",),  # memory and rewrites follow one monitor's day (SPEC §3)
)

INCIDENTS: Final = TableSpec(
    name="eai_gateway_incidents",
    short_name="incidents",
    key=("incident_id",),
    partition_by="started_at",
    schema=pa.schema(
        [
            pa.field("incident_id", pa.string(), nullable=False),
            pa.field("monitor_id", pa.string()),
            pa.field("heartbeat_id", pa.string()),
            pa.field("name", pa.string()),
            pa.field("url", pa.string()),
            pa.field("http_method", pa.string()),
            pa.field("cause", pa.string()),
            pa.field("incident_group_id", pa.string()),
            pa.field("started_at", TIMESTAMP, nullable=False),
            pa.field("acknowledged_at", TIMESTAMP),
            pa.field("acknowledged_by", pa.string()),
            pa.field("resolved_at", TIMESTAMP),
            pa.field("resolved_by", pa.string()),
            pa.field("status", pa.string()),
            pa.field("team_name", pa.string()),
            pa.field("response_content", pa.string()),
            pa.field("response_options", pa.string()),
            pa.field("regions", pa.list_(pa.string())),
            pa.field("response_url", pa.string()),
            pa.field("screenshot_url", pa.string()),
            pa.field("origin_url", pa.string()),
            pa.field("escalation_policy_id", pa.string()),
            pa.field("call", pa.bool_()),
            pa.field("sms", pa.bool_()),
            pa.field("email", pa.bool_()),
            pa.field("push", pa.bool_()),
            pa.field("metadata", pa.string()),  # JSON text
            pa.field("duration_seconds", pa.int64()),  # null while open
            pa.field("raw", pa.string(), nullable=False),  # the whole API record, JSON text
            *_LINEAGE,
        ]
    ),
    description="One row per incident (v3), re-read until resolved.",
    extractor="betterstack_etl.extract.fetch:incidents",
    planner="betterstack_etl.extract.fetch:plan_incidents",
    rules=(
        non_negative("duration_seconds"),
        not_before("resolved_at", "started_at", name="resolved_before_started"),
        not_before("acknowledged_at", "started_at", name="acknowledged_before_started", hard=False),
        not_in_future("started_at", "acknowledged_at", "resolved_at"),
    ),
    preview=("incident_id", "monitor_id", "cause", "started_at", "status", "duration_seconds"),
    open_while_null="resolved_at",
    records_coverage=True,
)

DAILY_SLA: Final = TableSpec(
    name="eai_gateway_daily_sla",
    short_name="daily_sla",
    key=("monitor_id", "date"),
    partition_by="date",
    schema=pa.schema(
        [
            pa.field("monitor_id", pa.string(), nullable=False),
            pa.field("date", pa.date32(), nullable=False),
            pa.field("availability", pa.float64()),  # percent
            pa.field("total_downtime", pa.int64()),  # seconds
            pa.field("number_of_incidents", pa.int64()),
            pa.field("longest_incident", pa.int64()),  # seconds
            pa.field("average_incident", pa.int64()),  # seconds
            pa.field("is_complete", pa.bool_(), nullable=False),
            # the whole API record as JSON text (nothing the API adds later is lost); nullable
            # unlike incidents.raw: rows landed before it existed read it as null
            pa.field("raw", pa.string()),
            *_LINEAGE,
        ]
    ),
    description="Availability summary per monitor and UTC day; today's row is provisional.",
    extractor="betterstack_etl.extract.fetch:daily_sla",
    planner="betterstack_etl.extract.fetch:plan_daily_sla",
    rules=(
        not_all_null(*SLA_FIGURES, name="no_known_figure"),
        between("availability", 0, 100, name="availability_out_of_range"),
        non_negative(
            "total_downtime", "number_of_incidents", "longest_incident", "average_incident"
        ),
        at_most("total_downtime", 86_400, name="downtime_longer_than_a_day"),
        not_in_future("date"),
    ),
    records_coverage=True,
    preview=(
        "monitor_id",
        "date",
        "availability",
        "total_downtime",
        "number_of_incidents",
        "is_complete",
    ),
)

MONITORS: Final = TableSpec(
    name="eai_gateway_monitors",
    short_name="monitors",
    key=("monitor_id",),
    partition_by=EXTRACTED_AT,  # a daily history of each monitor's configuration
    schema=pa.schema(
        [
            pa.field("monitor_id", pa.string(), nullable=False),
            pa.field("pronounceable_name", pa.string()),
            pa.field("url", pa.string()),
            pa.field("monitor_type", pa.string()),
            pa.field("status", pa.string()),
            pa.field("check_frequency", pa.int64()),  # seconds
            pa.field("regions", pa.list_(pa.string())),
            pa.field("paused_at", TIMESTAMP),
            pa.field("created_at", TIMESTAMP),
            pa.field("updated_at", TIMESTAMP),
            pa.field("raw", pa.string(), nullable=False),  # the whole API record, JSON text
            *_LINEAGE,
        ]
    ),
    description="One row per monitor and UTC day of extraction: the monitor's configuration "
    "as the listing showed it that day.",
    extractor="betterstack_etl.extract.fetch:monitors",
    served_days=0,  # the listing shows the monitors as they are today
    key_scope="partition",  # one row per monitor and day: a history
    planner="betterstack_etl.extract.fetch:plan_monitors",
    preview=("monitor_id", "pronounceable_name", "monitor_type", "check_frequency", "regions"),
    rules=(non_negative("check_frequency"),),
)

RUNS: Final = TableSpec(
    name="eai_gateway_runs",
    short_name="runs",
    key=("run_id", "table_name"),
    partition_by="started_at",
    schema=pa.schema(
        [
            pa.field("run_id", pa.string(), nullable=False),
            pa.field("flow_run_id", pa.string()),  # the Prefect flow run, when there is one
            pa.field("table_name", pa.string(), nullable=False),
            pa.field("status", pa.string(), nullable=False),  # ok / failed
            pa.field("error", pa.string()),  # one line: why the table failed
            pa.field("started_at", TIMESTAMP, nullable=False),
            pa.field("finished_at", TIMESTAMP),
            pa.field("window_start", pa.date32()),
            pa.field("window_end", pa.date32()),
            pa.field("monitors", pa.list_(pa.string())),
            pa.field("requests", pa.int64()),  # HTTP requests sent, retries included
            pa.field("retries", pa.int64()),
            pa.field("throttled", pa.int64()),  # 429 answers
            pa.field("rows_read", pa.int64()),
            pa.field("rows_inserted", pa.int64()),
            pa.field("rows_updated", pa.int64()),
            pa.field("partitions", pa.int64()),  # partitions merged into
            # records left out because they break the API contract, each named in a warning
            # (SPEC §13); null in rows written before the column existed
            pa.field("records_skipped", pa.int64()),
            pa.field("version", pa.string()),  # betterstack-etl's version
            *_LINEAGE,
        ]
    ),
    description="The run ledger: one row per run and table, failed runs included (SPEC §10).",
    extractor="",  # none: not read from the API, the run writes it (ledger.ledger_table)
    planner="",  # none: not in TABLES, never planned
    preview=("run_id", "table_name", "status", "started_at", "requests", "rows_read", "error"),
    rules=(
        one_of("status", "ok", "failed", name="unknown_status"),
        not_before("finished_at", "started_at", name="finished_before_started"),
        non_negative(
            "requests",
            "retries",
            "throttled",
            "rows_read",
            "rows_inserted",
            "rows_updated",
            "partitions",
        ),
    ),
)

COVERAGE: Final = TableSpec(
    name="eai_gateway_coverage",
    short_name="coverage",
    key=("table_name", "monitor_id", "date"),
    partition_by="date",
    schema=pa.schema(
        [
            pa.field("table_name", pa.string(), nullable=False),  # the table that was fetched
            pa.field("monitor_id", pa.string(), nullable=False),
            pa.field("date", pa.date32(), nullable=False),  # the UTC day fetched
            # the day is known up to here: its end, or the run's start for a day not yet over
            pa.field("covered_until", TIMESTAMP, nullable=False),
            *_LINEAGE,
        ]
    ),
    description="What the lake has fetched (SPEC §4): one row per table, monitor and UTC day "
    "a successful run fetched, known up to covered_until.",
    extractor="",  # none: the run writes it (lake.coverage)
    planner="",
    preview=("table_name", "monitor_id", "date", "covered_until"),
    rules=(not_in_future("date"),),
)

SLO_ALERTS: Final = TableSpec(
    name="eai_gateway_slo_alerts",
    short_name="slo_alerts",
    key=("slo_name", "monitor_id", "changed_at"),
    partition_by="changed_at",
    schema=pa.schema(
        [
            pa.field("slo_name", pa.string(), nullable=False),
            pa.field("monitor_id", pa.string(), nullable=False),
            pa.field("changed_at", TIMESTAMP, nullable=False),  # the run that saw the change
            pa.field("state", pa.string(), nullable=False),  # ok / burning / breached
            pa.field("previous_state", pa.string(), nullable=False),
            pa.field("event", pa.string()),  # the Prefect event emitted, if any
            pa.field("indicator", pa.string()),
            pa.field("target", pa.float64()),
            pa.field("sli", pa.float64()),
            pa.field("error_budget_remaining", pa.float64()),
            pa.field("burn_rate_1h", pa.float64()),
            pa.field("burn_rate_6h", pa.float64()),
            pa.field("burn_rate_24h", pa.float64()),
            pa.field("burn_rate_3d", pa.float64()),
            pa.field("reason", pa.string()),  # which rule fired (page / ticket / budget spent)
            *_LINEAGE,
        ]
    ),
    description="Every change of an SLO's alert state (SPEC §11): one row per transition.",
    extractor="",  # none: the run writes it (sla.alerts)
    planner="",
    preview=("slo_name", "monitor_id", "changed_at", "previous_state", "state", "reason"),
    rules=(one_of("state", "ok", "burning", "breached", name="unknown_state"),),
)

# The tables a run loads. RUNS (the ledger), COVERAGE and SLO_ALERTS are written by the run
# itself, not extracted.
TABLES: Final[tuple[TableSpec, ...]] = (RESPONSE_TIMES, INCIDENTS, DAILY_SLA, MONITORS)
WRITTEN: Final[tuple[TableSpec, ...]] = (RUNS, COVERAGE, SLO_ALERTS)


def table_by_name(name: str) -> TableSpec:
    """Find a table by its full or short name (``incidents`` or ``eai_gateway_incidents``)."""
    for spec in TABLES:
        if name in (spec.name, spec.short_name):
            return spec
    known = ", ".join(s.short_name for s in TABLES)
    from betterstack_etl.errors import ConfigError

    raise ConfigError(f"unknown table {name!r}", hint=f"choose among: {known}")
