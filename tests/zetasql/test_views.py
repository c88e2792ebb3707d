"""The SLA views as ``publish`` sends them to BigQuery, checked by Google's analyzer (ZetaSQL in
BigQuery's language mode, over the tables' declared schemas): accepted, typed like the DuckDB
views, and computing the same rows as DuckDB on the hand-made scenario."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest

from betterstack_etl.sla import VIEWS, SlaOptions, bigquery_views, view_selects

from . import lake
from .analyzer import raw_catalog
from .compare import column_differences, differences, duckdb_columns, sorted_rows
from .statements import DATASET, PROJECT, published_views

if TYPE_CHECKING:
    from .analyzer import BigQueryAnalyzer

pytestmark = [pytest.mark.zetasql, pytest.mark.slow]  # starts ZetaSQL's server

OPTIONS = SlaOptions()


@pytest.mark.parametrize(
    "options",
    [SlaOptions(), SlaOptions(time_zone="UTC", slo_pct=99.5)],
    ids=["sao-paulo", "utc"],
)
def test_every_published_view_is_accepted_by_zetasql(
    bigquery_analyzer: BigQueryAnalyzer, options: SlaOptions
) -> None:
    views = published_views(options)
    assert [name.rsplit(".", 1)[1] for name, _ in views] == [v.name for v in VIEWS]
    columns, _ = bigquery_analyzer.analyze_in_order(views, raw_catalog(PROJECT, DATASET))
    for spec in VIEWS:
        found = [name for name, _ in columns[f"{PROJECT}.{DATASET}.{spec.name}"]]
        assert found == list(spec.columns), f"{spec.name}: its columns are not the documented ones"


@pytest.mark.parametrize("older", [None, [date(2026, 7, 10), date(2026, 8, 1), date(2026, 8, 2)]])
def test_a_months_bounded_queries_are_accepted_by_zetasql(
    bigquery_analyzer: BigQueryAnalyzer, older: list[date] | None
) -> None:
    """The views bounded to a month (the SLO check's and the report's queries, issue 24),
    with every older incidents partition asked, or only those the lake's summaries name (a
    list of dates BigQuery prunes on): accepted, with the documented columns."""
    made = view_selects(
        "bigquery",
        table_ref=lambda name: f"`{PROJECT}.{DATASET}.{name}`",
        options=OPTIONS,
        now=datetime(2026, 11, 25, 12, tzinfo=UTC),
        period=(date(2026, 11, 1), date(2026, 11, 30)),
        reaching=None if older is None else (lambda since: older),
    )
    views = [(f"{PROJECT}.{DATASET}.{spec.name}", select) for spec, select in made]
    columns, _ = bigquery_analyzer.analyze_in_order(views, raw_catalog(PROJECT, DATASET))
    for spec in VIEWS:
        found = [name for name, _ in columns[f"{PROJECT}.{DATASET}.{spec.name}"]]
        assert found == list(spec.columns), spec.name


def test_raw_tables_are_typed_alike() -> None:
    """The catalog's raw tables (BigQuery's declared schemas) against DuckDB's reading of the
    same Arrow schemas: the ground both engines' views stand on."""
    conn = lake.duckdb_lake(OPTIONS)
    catalog = raw_catalog(PROJECT, DATASET)
    for name in lake.raw_tables():
        ours = list(catalog.tables[f"{PROJECT}.{DATASET}.{name}"])
        theirs = duckdb_columns(conn, f'SELECT * FROM "{name}"')
        assert sorted(ours) == sorted(theirs), name


def test_view_columns_match_duckdb(bigquery_analyzer: BigQueryAnalyzer) -> None:
    conn = lake.duckdb_lake(OPTIONS)
    columns, _ = bigquery_analyzer.analyze_in_order(
        published_views(OPTIONS), raw_catalog(PROJECT, DATASET)
    )
    for spec in VIEWS:
        ours = columns[f"{PROJECT}.{DATASET}.{spec.name}"]
        theirs = duckdb_columns(conn, f'SELECT * FROM "{spec.name}"')
        assert not column_differences(ours, theirs), (spec.name, column_differences(ours, theirs))


def test_view_rows_match_duckdb(bigquery_analyzer: BigQueryAnalyzer) -> None:
    """ZetaSQL's reference evaluator runs the BigQuery views over the scenario; DuckDB runs the
    transpiled ones: the same rows (floats to 1e-9)."""
    now = lake.scenario().NOW
    conn = lake.duckdb_lake(OPTIONS)
    catalog = raw_catalog(PROJECT, DATASET)
    contents = {f"{PROJECT}.{DATASET}.{n}": t for n, t in lake.raw_tables().items()}
    for view in bigquery_views(PROJECT, DATASET, options=OPTIONS, now=now):
        name = f"{PROJECT}.{DATASET}.{view.table_id}"
        rows = bigquery_analyzer.evaluate(view.view_query, catalog, contents, label=name)
        theirs = conn.execute(f'SELECT * FROM "{view.table_id}"').to_arrow_table()
        assert rows.num_rows > 0, f"{name}: no row, nothing compared"
        assert rows.column_names == theirs.column_names
        found = differences(sorted_rows(rows), sorted_rows(theirs), view.table_id)
        assert not found, found[:10]
        # the next views read this one: as BigQuery would, with its rows and inferred schema
        catalog = catalog.with_table(
            name, bigquery_analyzer.output_columns(view.view_query, catalog, label=name)
        )
        contents[name] = rows
