"""docs/sla.md describes every view and column that ``VIEWS`` declares, and the views'
SELECTs produce exactly those columns."""

from __future__ import annotations

from pathlib import Path

import duckdb

from betterstack_etl.sla import VIEWS, SlaOptions, create_duckdb_views

from . import scenario
from .rows import load_duckdb, raw_tables

DOC = Path(__file__).parents[2] / "docs" / "sla.md"


def test_every_view_and_column_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for spec in VIEWS:
        section = text.split(f"### `{spec.name}`", 1)[1].split("\n### ", 1)[0]
        for column, description in spec.columns.items():
            assert f"| `{column}` | {description} |" in section, (spec.name, column)


def test_views_have_exactly_the_declared_columns_with_comments() -> None:
    conn = duckdb.connect()
    load_duckdb(conn, raw_tables(scenario.INCIDENTS, scenario.MONITORS, scenario.SLAS, []))
    create_duckdb_views(conn, options=SlaOptions(), now=scenario.NOW)
    for spec in VIEWS:
        got = conn.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
            [spec.name],
        ).fetchall()
        assert [name for name, _ in got] == list(spec.columns), spec.name
        assert all(comment == spec.columns[name] for name, comment in got), spec.name
