"""Negative controls: the ZetaSQL checks fail when the SQL is wrong for BigQuery.

Each control takes a real published view, changes one piece (asserting the piece is there, so
a control cannot silently test nothing), and expects ZetaSQL's refusal for that reason; the
unchanged view passes in the same test. Then the column-type and row comparisons are shown to
notice a drift."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import sqlglot

from betterstack_etl.sla import SlaOptions, bigquery_views

from . import lake
from .analyzer import AnalysisError, Catalog, raw_catalog
from .compare import column_differences, differences, duckdb_columns, sorted_rows
from .statements import DATASET, PROJECT, published_views

if TYPE_CHECKING:
    from .analyzer import BigQueryAnalyzer

pytestmark = [pytest.mark.zetasql, pytest.mark.slow]  # starts ZetaSQL's server

OPTIONS = SlaOptions()
DAILY, MONTHLY, KPI, RECONCILIATION, HOURLY = (
    "eai_gateway_availability_daily",
    "eai_gateway_availability_monthly",
    "eai_gateway_uptime_kpi",
    "eai_gateway_sla_reconciliation",
    "eai_gateway_response_times_hourly",
)

# (view, what is there, what replaces it, ZetaSQL's reason)
MUTATIONS = {
    "duckdb-epoch": (
        DAILY,
        "TIMESTAMP_DIFF(c.window_end, c.window_start, MILLISECOND)",
        "(epoch(c.window_end) - epoch(c.window_start)) * 1000",
        "Function not found: epoch",
    ),
    "duckdb-epoch_ms": (
        HOURLY,
        "UNIX_MILLIS(`at`)",
        "epoch_ms(`at`)",
        "Function not found: epoch_ms",
    ),
    "duckdb-list_value": (
        MONTHLY,
        "UNNEST(GENERATE_DATE_ARRAY(",
        "UNNEST(list_value(",
        "Function not found: list_value",
    ),
    "duckdb-date_diff-order": (
        DAILY,
        "TIMESTAMP_DIFF(c.window_end, c.window_start, MILLISECOND)",
        "DATE_DIFF('millisecond', c.window_start, c.window_end)",
        "A valid date part name is required",
    ),
    "duckdb-type-name": (
        DAILY,
        "CAST(downtime_ms AS FLOAT64)",
        "CAST(downtime_ms AS DOUBLE)",
        "Type not found: DOUBLE",
    ),
    "duckdb-cast-syntax": (
        DAILY,
        "CAST(downtime_ms AS FLOAT64)",
        "downtime_ms::FLOAT64",
        "Syntax error",
    ),
    "wrong-column": (
        RECONCILIATION,
        "pronounceable_name AS monitor_name",
        "monitor_name AS monitor_name",
        "Unrecognized name: monitor_name",
    ),
    "wrong-table": (
        KPI,
        f"{MONTHLY}`",
        "eai_gateway_availability_month`",
        "Table not found",
    ),
    "type-error": (
        MONTHLY,
        "COUNTIF(counted)",
        "COUNTIF(overlap_ms)",
        "No matching signature for aggregate function COUNTIF",
    ),
    "timestamp-plus-int": (
        HOURLY,
        "h.data_particao\nFROM hourly",
        "h.hour + 1 AS next_hour, h.data_particao\nFROM hourly",
        "No matching signature for operator +",
    ),
}


def _views() -> dict[str, str]:
    return {name.rsplit(".", 1)[1]: sql for name, sql in published_views(OPTIONS)}


def _catalog_before(analyzer: BigQueryAnalyzer, view: str, views: dict[str, str]) -> Catalog:
    """The raw tables and every view published before ``view``, as BigQuery would have them."""
    order = [(f"{PROJECT}.{DATASET}.{n}", sql) for n, sql in views.items()]
    before = order[: [n for n, _ in order].index(f"{PROJECT}.{DATASET}.{view}")]
    return analyzer.analyze_in_order(before, raw_catalog(PROJECT, DATASET))[1]


@pytest.mark.parametrize("control", list(MUTATIONS))
def test_a_view_wrong_for_bigquery_is_refused(
    bigquery_analyzer: BigQueryAnalyzer, control: str
) -> None:
    view, there, instead, reason = MUTATIONS[control]
    views = _views()
    sql = views[view]
    assert there in sql, f"{control}: {there!r} is no longer in {view}: update the control"
    catalog = _catalog_before(bigquery_analyzer, view, views)
    assert bigquery_analyzer.output_columns(sql, catalog, label=view)  # as published: accepted
    with pytest.raises(AnalysisError) as refused:
        bigquery_analyzer.output_columns(sql.replace(there, instead), catalog, label=view)
    assert reason in refused.value.message, refused.value.message


def test_the_hive_partition_column_is_in_the_catalog(bigquery_analyzer: BigQueryAnalyzer) -> None:
    """The hourly view reads ``data_particao``: without the hive column it is refused."""
    full = raw_catalog(PROJECT, DATASET)
    without = Catalog(
        {n: tuple(c for c in cols if c[0] != "data_particao") for n, cols in full.tables.items()}
    )
    sql = _views()[HOURLY]
    assert bigquery_analyzer.output_columns(sql, full, label=HOURLY)
    with pytest.raises(AnalysisError, match="Unrecognized name: data_particao"):
        bigquery_analyzer.output_columns(sql, without, label=HOURLY)


def test_the_type_comparison_notices_a_drift(bigquery_analyzer: BigQueryAnalyzer) -> None:
    """A KPI whose ``total_minutes_in_month`` became FLOAT64 in BigQuery (``/`` for ``DIV``)
    while DuckDB's stays BIGINT; and a SUM that DuckDB types HUGEINT, BigQuery INT64."""
    conn = lake.duckdb_lake(OPTIONS)
    views = _views()
    catalog = _catalog_before(bigquery_analyzer, KPI, views)
    duck = duckdb_columns(conn, f'SELECT * FROM "{KPI}"')
    there = "DIV(month_seconds, 60)"
    assert there in views[KPI]
    assert not column_differences(bigquery_analyzer.output_columns(views[KPI], catalog), duck)
    drifted = bigquery_analyzer.output_columns(
        views[KPI].replace(there, "month_seconds / 60"), catalog
    )
    assert column_differences(drifted, duck) == [
        "column 5: BigQuery total_minutes_in_month FLOAT64, DuckDB total_minutes_in_month INT64"
    ]
    total = "SELECT monitor_id, SUM(total_downtime) AS downtime FROM {} GROUP BY monitor_id"
    ours = bigquery_analyzer.output_columns(
        total.format(f"`{PROJECT}.{DATASET}.eai_gateway_daily_sla`"), catalog
    )
    theirs = duckdb_columns(
        conn,
        sqlglot.transpile(total.format("eai_gateway_daily_sla"), read="bigquery", write="duckdb")[
            0
        ],
    )
    assert column_differences(ours, theirs) == [
        "column 2: BigQuery downtime INT64, DuckDB downtime ?HUGEINT"
    ]


def test_the_row_comparison_notices_a_drift(bigquery_analyzer: BigQueryAnalyzer) -> None:
    """The KPI rounded to one decimal on BigQuery's side is not DuckDB's KPI."""
    conn = lake.duckdb_lake(OPTIONS)
    now = lake.scenario().NOW
    catalog = raw_catalog(PROJECT, DATASET)
    contents = {f"{PROJECT}.{DATASET}.{n}": t for n, t in lake.raw_tables().items()}
    views = {
        v.table_id: v.view_query for v in bigquery_views(PROJECT, DATASET, options=OPTIONS, now=now)
    }
    name = f"{PROJECT}.{DATASET}.{MONTHLY}"
    contents[name] = bigquery_analyzer.evaluate(views[MONTHLY], catalog, contents)
    catalog = catalog.with_table(name, bigquery_analyzer.output_columns(views[MONTHLY], catalog))
    theirs = sorted_rows(conn.execute(f'SELECT * FROM "{KPI}"').to_arrow_table())
    there = "* 100, 3)"
    assert there in views[KPI]
    same = bigquery_analyzer.evaluate(views[KPI], catalog, contents)
    assert not differences(sorted_rows(same), theirs)
    drifted = bigquery_analyzer.evaluate(views[KPI].replace(there, "* 100, 1)"), catalog, contents)
    found = differences(sorted_rows(drifted), theirs)
    assert found
    assert all(".disponibilidade_percentual:" in line for line in found), found
