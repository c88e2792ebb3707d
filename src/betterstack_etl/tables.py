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

from dataclasses import dataclass
from typing import Final

import pyarrow as pa

__all__ = [
    "DAILY_SLA",
    "INCIDENTS",
    "MONITORS",
    "PARTITION_COLUMN",
    "RESPONSE_TIMES",
    "TABLES",
    "TIMESTAMP",
    "TableSpec",
    "table_by_name",
]

PARTITION_COLUMN: Final = "data_particao"
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
    open_while_null: str | None = None  # rows with this column null are re-read each run

    @property
    def columns(self) -> list[str]:
        return list(self.schema.names)



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
    extractor="betterstack_etl.extract:response_times",
    planner="betterstack_etl.extract:plan_response_times",
    preview=(
        "monitor_id",
        "region",
        "at",
        "response_time",
        "connection_time",
        "tls_handshake_time",
    ),
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
    extractor="betterstack_etl.extract:incidents",
    planner="betterstack_etl.extract:plan_incidents",
    preview=("incident_id", "monitor_id", "cause", "started_at", "status", "duration_seconds"),
    open_while_null="resolved_at",
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
            *_LINEAGE,
        ]
    ),
    description="Availability summary per monitor and UTC day; today's row is provisional.",
    extractor="betterstack_etl.extract:daily_sla",
    planner="betterstack_etl.extract:plan_daily_sla",
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
    extractor="betterstack_etl.extract:monitors",
    planner="betterstack_etl.extract:plan_monitors",
    preview=("monitor_id", "pronounceable_name", "monitor_type", "check_frequency", "regions"),
)

TABLES: Final[tuple[TableSpec, ...]] = (RESPONSE_TIMES, INCIDENTS, DAILY_SLA, MONITORS)


def table_by_name(name: str) -> TableSpec:
    """Find a table by its full or short name (``incidents`` or ``eai_gateway_incidents``)."""
    for spec in TABLES:
        if name in (spec.name, spec.short_name):
            return spec
    known = ", ".join(s.short_name for s in TABLES)
    from betterstack_etl.errors import ConfigError

    raise ConfigError(f"unknown table {name!r}", hint=f"choose among: {known}")
