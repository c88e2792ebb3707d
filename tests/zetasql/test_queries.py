"""The report's and the SLO check's BigQuery queries, as the code sends them through
``BigQuerySource``: each one analyzed by ZetaSQL in BigQuery's language mode, then run on its
reference evaluator over the scenario, with the same report and breaches as on DuckDB."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from betterstack_etl.report import BigQuerySource, DuckDbSource
from betterstack_etl.report.data import RAW_TABLES, SLA_VIEWS

from . import lake
from .analyzer import Catalog
from .compare import differences
from .statements import (
    DATASET,
    OPTIONS,
    PROJECT,
    ZetaSqlBigQuery,
    read_everything,
    ref,
    reports,
    scenario_catalogs,
)

if TYPE_CHECKING:
    import duckdb

    from .analyzer import BigQueryAnalyzer

pytestmark = [pytest.mark.zetasql, pytest.mark.slow]  # starts ZetaSQL's server


def _duckdb_views_only(full: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    import duckdb

    conn = duckdb.connect()
    for name in SLA_VIEWS:
        conn.register("incoming", full.execute(f'SELECT * FROM "{name}"').to_arrow_table())
        conn.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
        conn.unregister("incoming")
    return conn


@dataclass(frozen=True)
class Run:
    """The report and the SLO check run on ZetaSQL (through ``BigQuerySource``) and DuckDB."""

    catalog: Catalog
    queries: list[str]
    on_bigquery: list[Any]
    on_duckdb: list[Any]


@pytest.fixture(scope="module", params=["lake", "views-only"])
def run(request: pytest.FixtureRequest, bigquery_analyzer: BigQueryAnalyzer) -> Run:
    """``lake``: raw tables and views there (the report inlines the views' SELECTs over the raw
    tables); ``views-only``: a dataset with the views alone (the report reads them)."""
    lake_catalog, lake_rows, views_only, view_rows = scenario_catalogs(bigquery_analyzer)
    full = lake.duckdb_lake(OPTIONS)
    if request.param == "lake":
        client = ZetaSqlBigQuery(bigquery_analyzer, lake_catalog, lake_rows)
        duck = full
    else:
        client = ZetaSqlBigQuery(bigquery_analyzer, views_only, view_rows)
        duck = _duckdb_views_only(full)
    source = BigQuerySource(client, project=PROJECT, dataset=DATASET)  # type: ignore[arg-type]
    on_bigquery = read_everything(source)
    return Run(client.catalog, client.queries, on_bigquery, read_everything(DuckDbSource(duck)))


def test_report_and_slo_queries_are_accepted_by_zetasql(
    bigquery_analyzer: BigQueryAnalyzer, run: Run
) -> None:
    """Every query the report and the SLO check sent, analyzed over the declared schemas."""
    queries = list(dict.fromkeys(run.queries))
    for i, sql in enumerate(queries, 1):
        assert bigquery_analyzer.output_columns(sql, run.catalog, label=f"query {i}")
    sent = "\n".join(queries)
    read = {n for n in (*SLA_VIEWS, *RAW_TABLES) if f"`{ref(n)}`" in sent}
    if set(RAW_TABLES) <= {n.rsplit(".", 1)[1] for n in run.catalog.tables}:
        assert read == set(RAW_TABLES)  # the views' SELECTs inlined over the raw tables
        assert "GENERATE_DATE_ARRAY" in sent
    else:
        assert read == set(SLA_VIEWS)
    assert len(queries) >= 8, queries


def test_report_and_slo_rows_match_duckdb(run: Run) -> None:
    """The same reports and breaches from ZetaSQL's reference evaluator as from DuckDB."""
    loaded = run.on_duckdb[: len(reports())]
    assert all(r.monitors for r in loaded), "no monitor in the DuckDB report: nothing compared"
    assert any(run.on_duckdb[len(reports()) :]), "no SLO breach in the scenario: nothing compared"
    found = differences(run.on_bigquery, run.on_duckdb)
    assert not found, found[:10]
