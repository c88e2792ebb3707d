"""The dbt package in ``dbt/`` (SPEC §12), generated from the one SQL definition.

The SLA models are the SLA views: their SELECTs come from ``betterstack_etl.sla.view_selects``
(written once in BigQuery SQL, transpiled to DuckDB by the same code that makes the DuckDB
views), for *every* view the definition publishes, so a new view becomes a model by itself.
The typed models of the raw tables are written once in BigQuery SQL here, from the tables'
declared schemas (``betterstack_etl.tables``), and transpiled the same way. Each model file
holds both flavours, the one for the target's engine picked by ``target.type``: BigQuery in
production, DuckDB (dbt-duckdb) in the test suite.

    python -m betterstack_etl.dbtgen            # (re)write the generated files under dbt/
    python -m betterstack_etl.dbtgen --check    # exit 1 and name the files that drifted

What is generated (``render``): the models, the two ``schema.yml`` files (every column
described in Portuguese, with ``unique``/``not_null``/range tests), ``sources.yml`` over our raw
tables and the ``betterstack_now`` macro. ``dbt_project.yml``, ``profiles.yml`` and the generic
tests under ``dbt/macros/tests/`` are written by hand.

``compile_bigquery`` renders the BigQuery flavour of every model with the refs and sources
resolved to fully qualified tables, without dbt (``dbt compile --target bigquery`` needs the
BigQuery adapter and a connection): what ZetaSQL's analyzer can check.
"""

from __future__ import annotations

from betterstack_etl.dbtgen.files import drifted, render, write
from betterstack_etl.dbtgen.models import DBT_DIR, OWNER_LABEL, Model, compile_bigquery, models

__all__ = [
    "DBT_DIR",
    "OWNER_LABEL",
    "Model",
    "compile_bigquery",
    "drifted",
    "models",
    "render",
    "write",
]
