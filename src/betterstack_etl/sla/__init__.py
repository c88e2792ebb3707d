"""SLA tracking (SPEC §8.2): the five views over the raw tables, for DuckDB and BigQuery.

``view_selects`` gives each view's SELECT in either engine's dialect (written once, in
BigQuery SQL, transpiled to DuckDB with sqlglot); ``create_duckdb_views`` creates them in a
DuckDB connection; ``sla_options_from_env`` reads the report time zone and the SLO.
"""

from __future__ import annotations

from betterstack_etl.sla.options import (
    DEFAULT_SLO_PCT,
    DEFAULT_TIME_ZONE,
    SLO_ENV,
    TIME_ZONE_ENV,
    SlaOptions,
    sla_options_from_env,
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
    "SLO_ENV",
    "SLO_STATUS",
    "SOURCES",
    "TIME_ZONE_ENV",
    "VIEWS",
    "Dialect",
    "SlaOptions",
    "ViewSpec",
    "bigquery_views",
    "create_duckdb_views",
    "sla_options_from_env",
    "view_selects",
]
