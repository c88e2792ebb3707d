"""The tables, declared once as typed data (SPEC §1-§2, §8.1).

A ``TableSpec`` is the whole contract of one table: its name, its unique key, the column whose
UTC date gives ``data_particao``, its columns (plain data: the Arrow schema is made from them
when a table is first read or written, issue 24), the extraction that fills it (an entry point
``module:function`` taking an ``extract.ExtractRequest``), which rows stay open and are re-read
each run, and the columns a preview shows. The core, the transforms, the lakes, the CLI and the
BigQuery definitions all read these declarations; adding a table is adding one here.

``data_particao`` is never a column inside the Parquet files: it is the hive directory
(``<table>/data_particao=YYYY-MM-DD/``) and readers (DuckDB, BigQuery) expose it as a DATE.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple

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

if TYPE_CHECKING:
    import pyarrow as pa

    TIMESTAMP: pa.DataType  # UTC milliseconds, made when first asked for (``__getattr__``)

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
    "Column",
    "TableSpec",
    "arrow_schema",
    "table_by_name",
]


# The figures of an /sla answer (betterstack-api.md §4.4, §11): one of them at least, or the row
# is not a summary at all.
SLA_FIGURES: Final = (
    "availability",
    "total_downtime",
    "number_of_incidents",
    "longest_incident",
    "average_incident",
)
EXTRACTED_AT: Final = "_extracted_at"
RUN_ID: Final = "_run_id"

ArrowType = Literal["string", "int64", "float64", "bool", "date32", "timestamp", "list<string>"]


class Column(NamedTuple):
    """One declared column: its name, its Arrow type (``timestamp`` is ``TIMESTAMP``, UTC
    milliseconds) and whether it may be null. Plain data: the Arrow schema is made from it
    only when a table is read or written (``arrow_schema``): a run's first request does not
    wait for pyarrow and numpy (0.15-0.2 s, issue 24)."""

    name: str
    type: ArrowType
    nullable: bool = True


_LINEAGE: Final = (
    Column(EXTRACTED_AT, "timestamp", nullable=False),
    Column(RUN_ID, "string", nullable=False),
)


def _arrow_type(name: ArrowType) -> pa.DataType:
    import pyarrow as pa

    if name == "timestamp":
        return pa.timestamp("ms", tz="UTC")
    if name == "list<string>":
        return pa.list_(pa.string())
    return getattr(pa, "bool_" if name == "bool" else name)()


@functools.cache
def arrow_schema(fields: tuple[Column, ...]) -> pa.Schema:
    """The Arrow schema of declared ``fields`` (made once per declaration)."""
    import pyarrow as pa

    return pa.schema([pa.field(c.name, _arrow_type(c.type), nullable=c.nullable) for c in fields])


def __getattr__(name: str) -> Any:
    if name == "TIMESTAMP":  # the type of every timestamp column, made when first asked for
        return _arrow_type("timestamp")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True, slots=True)
class TableSpec:
    """How one table is keyed, partitioned and typed."""

    name: str
    short_name: str  # CLI/flow name: response_times, incidents, daily_sla
    key: tuple[str, ...]
    partition_by: str  # a TIMESTAMP or DATE column whose UTC date is data_particao
    fields: tuple[Column, ...]  # its Arrow schema, declared (``schema``)
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
    def schema(self) -> pa.Schema:
        """The table's Arrow schema (imports pyarrow the first time)."""
        return arrow_schema(self.fields)

    @property
    def columns(self) -> list[str]:
        return [c.name for c in self.fields]

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
    fields=(
        Column("monitor_id", "string", nullable=False),
        Column("region", "string", nullable=False),
        Column("at", "timestamp", nullable=False),
        Column("response_time", "float64", nullable=False),
        Column("name_lookup_time", "float64"),
        Column("connection_time", "float64"),
        Column("tls_handshake_time", "float64"),
        Column("data_transfer_time", "float64"),
        *_LINEAGE,
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
    fields=(
        Column("incident_id", "string", nullable=False),
        Column("monitor_id", "string"),
        Column("heartbeat_id", "string"),
        Column("name", "string"),
        Column("url", "string"),
        Column("http_method", "string"),
        Column("cause", "string"),
        Column("incident_group_id", "string"),
        Column("started_at", "timestamp", nullable=False),
        Column("acknowledged_at", "timestamp"),
        Column("acknowledged_by", "string"),
        Column("resolved_at", "timestamp"),
        Column("resolved_by", "string"),
        Column("status", "string"),
        Column("team_name", "string"),
        Column("response_content", "string"),
        Column("response_options", "string"),
        Column("regions", "list<string>"),
        Column("response_url", "string"),
        Column("screenshot_url", "string"),
        Column("origin_url", "string"),
        Column("escalation_policy_id", "string"),
        Column("call", "bool"),
        Column("sms", "bool"),
        Column("email", "bool"),
        Column("push", "bool"),
        Column("metadata", "string"),  # JSON text
        Column("duration_seconds", "int64"),  # null while open
        Column("raw", "string", nullable=False),  # the whole API record, JSON text
        *_LINEAGE,
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
    fields=(
        Column("monitor_id", "string", nullable=False),
        Column("date", "date32", nullable=False),
        Column("availability", "float64"),  # percent
        Column("total_downtime", "int64"),  # seconds
        Column("number_of_incidents", "int64"),
        Column("longest_incident", "int64"),  # seconds
        Column("average_incident", "int64"),  # seconds
        Column("is_complete", "bool", nullable=False),
        # the whole API record as JSON text (nothing the API adds later is lost); nullable
        # unlike incidents.raw: rows landed before it existed read it as null
        Column("raw", "string"),
        *_LINEAGE,
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
    fields=(
        Column("monitor_id", "string", nullable=False),
        Column("pronounceable_name", "string"),
        Column("url", "string"),
        Column("monitor_type", "string"),
        Column("status", "string"),
        Column("check_frequency", "int64"),  # seconds
        Column("regions", "list<string>"),
        Column("paused_at", "timestamp"),
        Column("created_at", "timestamp"),
        Column("updated_at", "timestamp"),
        Column("raw", "string", nullable=False),  # the whole API record, JSON text
        *_LINEAGE,
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
    fields=(
        Column("run_id", "string", nullable=False),
        Column("flow_run_id", "string"),  # the Prefect flow run, when there is one
        Column("table_name", "string", nullable=False),
        Column("status", "string", nullable=False),  # ok / failed
        Column("error", "string"),  # one line: why the table failed
        Column("started_at", "timestamp", nullable=False),
        Column("finished_at", "timestamp"),
        Column("window_start", "date32"),
        Column("window_end", "date32"),
        Column("monitors", "list<string>"),
        Column("requests", "int64"),  # HTTP requests sent, retries included
        Column("retries", "int64"),
        Column("throttled", "int64"),  # 429 answers
        Column("rows_read", "int64"),
        Column("rows_inserted", "int64"),
        Column("rows_updated", "int64"),
        Column("partitions", "int64"),  # partitions merged into
        # records left out because they break the API contract, each named in a warning
        # (SPEC §13); null in rows written before the column existed
        Column("records_skipped", "int64"),
        Column("version", "string"),  # betterstack-etl's version
        *_LINEAGE,
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
    fields=(
        Column("table_name", "string", nullable=False),  # the table that was fetched
        Column("monitor_id", "string", nullable=False),
        Column("date", "date32", nullable=False),  # the UTC day fetched
        # the day is known up to here: its end, or the run's start for a day not yet over
        Column("covered_until", "timestamp", nullable=False),
        *_LINEAGE,
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
    fields=(
        Column("slo_name", "string", nullable=False),
        Column("monitor_id", "string", nullable=False),
        Column("changed_at", "timestamp", nullable=False),  # the run that saw the change
        Column("state", "string", nullable=False),  # ok / burning / breached
        Column("previous_state", "string", nullable=False),
        Column("event", "string"),  # the Prefect event emitted, if any
        Column("indicator", "string"),
        Column("target", "float64"),
        Column("sli", "float64"),
        Column("error_budget_remaining", "float64"),
        Column("burn_rate_1h", "float64"),
        Column("burn_rate_6h", "float64"),
        Column("burn_rate_24h", "float64"),
        Column("burn_rate_3d", "float64"),
        Column("reason", "string"),  # which rule fired (page / ticket / budget spent)
        *_LINEAGE,
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
