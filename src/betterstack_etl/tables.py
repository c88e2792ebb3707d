"""The tables, declared once as typed data (SPEC §1-§2).

A ``TableSpec`` is the load contract of one table: its name, its unique key, the column whose
UTC date gives ``data_particao``, and its Arrow schema. The flow, the transforms, the lakes and
the BigQuery definitions all read these declarations; adding a table is adding one here.

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
    # Key columns whose hash picks the file of a partition a row lives in (one of
    # ``file_buckets``); () = one file per partition. A key is never in two files.
    file_key: tuple[str, ...] = ()
    file_buckets: int = 64
    # Rows whose ``open_while_null`` column is null are "open" (re-read until it is set);
    # the lake keeps a small index of them beside the tables. None: the table has no such rows.
    open_while_null: str | None = None

    def __post_init__(self) -> None:
        if not set(self.file_key) <= set(self.key):
            raise ValueError(f"{self.name}: file_key {self.file_key} must be part of the key")
        if not 1 <= self.file_buckets <= 4096:
            raise ValueError(f"{self.name}: file_buckets must be within 1..4096")

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
)

TABLES: Final[tuple[TableSpec, ...]] = (RESPONSE_TIMES, INCIDENTS, DAILY_SLA)


def table_by_name(name: str) -> TableSpec:
    """Find a table by its full or short name (``incidents`` or ``eai_gateway_incidents``)."""
    for spec in TABLES:
        if name in (spec.name, spec.short_name):
            return spec
    known = ", ".join(s.short_name for s in TABLES)
    from betterstack_etl.errors import ConfigError

    raise ConfigError(f"unknown table {name!r}", hint=f"choose among: {known}")
