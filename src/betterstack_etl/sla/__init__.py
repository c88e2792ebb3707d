"""SLA tracking (SPEC §8.2): the five views over the raw tables, for DuckDB and BigQuery.

``view_selects`` gives each view's SELECT in either engine's dialect (written once, in
BigQuery SQL, transpiled to DuckDB with sqlglot); ``create_duckdb_views`` creates them in a
DuckDB connection; ``SlaOptions`` holds the report time zone and the SLO (read, like every
setting, by ``betterstack_etl.settings``).

Each name is imported when first used (PEP 562): the settings need ``SlaOptions`` before a
run's first request, and the views' SQL brings ``tables`` and with it pyarrow (issue 24).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from betterstack_etl.lazy import lazy_names

if TYPE_CHECKING:
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

_WHERE: Final = {
    "DEFAULT_SLO_PCT": "options",
    "DEFAULT_TIME_ZONE": "options",
    "SlaOptions": "options",
    "is_time_zone": "options",
    "SLO_STATUS": "views",
    "SOURCES": "views",
    "VIEWS": "views",
    "Dialect": "views",
    "ViewSpec": "views",
    "bigquery_views": "views",
    "create_duckdb_views": "views",
    "view_selects": "views",
}


__getattr__, __dir__ = lazy_names(__name__, _WHERE)
