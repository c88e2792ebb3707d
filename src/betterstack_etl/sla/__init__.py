"""SLA tracking (SPEC §8.2): the five views over the raw tables, for DuckDB and BigQuery.

``view_selects`` gives each view's SELECT in either engine's dialect (written once, in
BigQuery SQL, transpiled to DuckDB with sqlglot); ``create_duckdb_views`` creates them in a
DuckDB connection; ``SlaOptions`` holds the report time zone and the SLO (read, like every
setting, by ``betterstack_etl.settings``).
"""

from __future__ import annotations

from betterstack_etl.sla.options import (
    DEFAULT_SLO_PCT,
    DEFAULT_TIME_ZONE,
    SlaOptions,
    is_time_zone,
)
from betterstack_etl.sla.views import (
    SLO_STATUS,
    SOURCES,
    VIEWS,
    Dialect,
    ViewSpec,
    bigquery_views,
    create_duckdb_views,
    view_selects,
)

__all__ = [
    "DEFAULT_SLO_PCT",
    "DEFAULT_TIME_ZONE",
    "SLO_STATUS",
    "SOURCES",
    "VIEWS",
    "Dialect",
    "SlaOptions",
    "ViewSpec",
    "bigquery_views",
    "create_duckdb_views",
    "is_time_zone",
    "view_selects",
]
