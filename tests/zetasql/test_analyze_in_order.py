"""``BigQueryAnalyzer.analyze_in_order``, the entry point for SQL compiled for BigQuery by other
tools (dbt models): relations spelled the dbt way (```p`.`d`.`t```), each model seen by the next
under its relation name, and a refusal naming the model."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .analyzer import AnalysisError, raw_catalog

if TYPE_CHECKING:
    from .analyzer import BigQueryAnalyzer

pytestmark = [pytest.mark.zetasql, pytest.mark.slow]  # starts ZetaSQL's server

RAW = "`rj-iplanrio`.`brutos_betterstack_staging`.`eai_gateway_incidents`"
TYPED = "rj-iplanrio.brutos_betterstack.incidents_typed"
COUNTS = "rj-iplanrio.brutos_betterstack.incident_counts"


def test_models_in_dependency_order(bigquery_analyzer: BigQueryAnalyzer) -> None:
    models = [
        (TYPED, f"SELECT incident_id, monitor_id, started_at, data_particao FROM {RAW}"),
        (
            COUNTS,
            "SELECT monitor_id, COUNT(*) AS incidents, MAX(data_particao) AS last_day "
            "FROM `rj-iplanrio`.`brutos_betterstack`.`incidents_typed` GROUP BY monitor_id",
        ),
    ]
    catalog = raw_catalog("rj-iplanrio", "brutos_betterstack_staging")
    columns, after = bigquery_analyzer.analyze_in_order(models, catalog)
    assert columns[COUNTS] == [
        ("monitor_id", "STRING"),
        ("incidents", "INT64"),
        ("last_day", "DATE"),
    ]
    assert after.tables[TYPED] == (
        ("incident_id", "STRING"),
        ("monitor_id", "STRING"),
        ("started_at", "TIMESTAMP"),
        ("data_particao", "DATE"),
    )
    with pytest.raises(AnalysisError) as refused:  # the models out of order
        bigquery_analyzer.analyze_in_order(models[::-1], catalog)
    assert refused.value.label == COUNTS
    assert "Table not found" in refused.value.message
