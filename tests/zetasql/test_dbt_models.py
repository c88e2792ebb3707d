"""The dbt package's models (dbt/), compiled for BigQuery by ``dbtgen.compile_bigquery``,
analyzed by ZetaSQL in dependency order over the raw tables' declared schemas: every model is
accepted, and each SLA model's output columns are its view's, typed as the published view's."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from betterstack_etl import dbtgen
from betterstack_etl.sla import VIEWS

from .analyzer import raw_catalog

if TYPE_CHECKING:
    from .analyzer import BigQueryAnalyzer

pytestmark = [pytest.mark.zetasql, pytest.mark.slow]  # starts ZetaSQL's server

PROJECT, DATASET, RAW = "rj-iplanrio", "brutos_betterstack", "brutos_betterstack_staging"


def test_every_dbt_model_compiled_for_bigquery_is_accepted(
    bigquery_analyzer: BigQueryAnalyzer,
) -> None:
    compiled = dbtgen.compile_bigquery(
        project=PROJECT, dataset=DATASET, source_dataset=RAW, table_prefix=""
    )
    aliases = {m.name: m.alias for m in dbtgen.models()}
    ordered = [(f"{PROJECT}.{DATASET}.{aliases[name]}", sql) for name, sql in compiled.items()]
    columns, _ = bigquery_analyzer.analyze_in_order(ordered, raw_catalog(PROJECT, RAW))
    for view in VIEWS:
        got = [name for name, _ in columns[f"{PROJECT}.{DATASET}.{view.name}"]]
        assert got == list(view.columns), view.name
    incidents = dict(columns[f"{PROJECT}.{DATASET}.eai_gateway_incidents"])
    assert (incidents["id"], incidents["response_code"], incidents["ano_particao"]) == (
        "STRING", "INT64", "STRING",
    )  # fmt: skip
