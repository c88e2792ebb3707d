"""SPEC §3: ``query`` is read-only in fact. Only statements that read run (DuckDB classifies
them first); ``COPY … TO``, ``INSTALL``, ``LOAD``, ``ATTACH``, ``SET``, writes and file functions
on paths outside the lake are refused with one line, and the lake is left as it was."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from betterstack_etl.cli.app import app
from betterstack_etl.lake import LocalLake
from betterstack_etl.tables import INCIDENTS, TABLES


@pytest.fixture
def filled(lake: LocalLake, b) -> Path:
    lake.merge_partition(INCIDENTS, b.DAY1, b.incidents(["1", "2"], b.T0))
    lake.publish(TABLES)
    return Path(lake.root)


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _query(root: Path, sql: str, *more: str) -> tuple[int, str]:
    done = CliRunner().invoke(app, ["query", "--lake-root", str(root), *more, sql])
    return done.exit_code, done.output


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) AS n FROM eai_gateway_incidents",
        "WITH x AS (SELECT incident_id FROM eai_gateway_incidents) SELECT count(*) FROM x",
        "FROM eai_gateway_incidents SELECT count(*)",
        "DESCRIBE eai_gateway_incidents",
        "SHOW TABLES",
        "SUMMARIZE SELECT duration_seconds FROM eai_gateway_incidents",
        "EXPLAIN SELECT * FROM eai_gateway_incidents",
        "EXPLAIN ANALYZE SELECT * FROM eai_gateway_incidents",
        "PRAGMA table_info('eai_gateway_incidents')",
        "SELECT count(*) FROM read_parquet('{lake}/eai_gateway_incidents/*/*.parquet')",
    ],
)
def test_statements_that_read_run(filled: Path, sql: str) -> None:
    code, output = _query(filled, sql.format(lake=filled), "--format", "json")
    assert code == 0, output
    assert json.loads(output)  # rows came back


@pytest.mark.parametrize(
    ("sql", "refused"),
    [
        (
            "COPY (SELECT 1 AS x) TO '{part}/data.parquet' (FORMAT parquet)",
            "COPY does not only read",
        ),
        ("COPY (SELECT 1 AS x) TO '{outside}/out.csv'", "COPY does not only read"),
        ("SELECT 1; COPY (SELECT 1) TO '{outside}/out.csv'", "COPY does not only read"),
        ("EXPLAIN ANALYZE COPY (SELECT 1) TO '{outside}/out.csv'", "EXPLAIN of COPY"),
        ("INSTALL httpfs", "LOAD does not only read"),
        ("LOAD httpfs", "LOAD does not only read"),
        ("ATTACH '{outside}/other.duckdb' AS other", "ATTACH does not only read"),
        ("SET enable_external_access = true", "SET does not only read"),
        ("PRAGMA enable_profiling", "PRAGMA does not only read"),
        ("CREATE TABLE t AS SELECT 1", "CREATE does not only read"),
        ("CALL pragma_version()", "CALL does not only read"),
        ("SELECT * FROM read_text('{outside}/secret.txt')", "Cannot access file"),
        ("SELECT * FROM read_csv('{outside}/secret.txt')", "Cannot access file"),
        ("SELECT * FROM glob('{outside}/*')", "Cannot access file"),
        ("SELECT * FROM read_text('{lake}/../secret.txt')", "Cannot access file"),
        ("SELECT * FROM read_parquet('https://example.com/x.parquet')", "Cannot access file"),
    ],
)
def test_anything_else_is_refused_in_one_line_and_the_lake_is_untouched(
    filled: Path, tmp_path: Path, sql: str, refused: str
) -> None:
    (tmp_path / "secret.txt").write_text("not yours\n")
    part = next((filled / INCIDENTS.name).glob("data_particao=*"))
    before = _files(filled)
    code, output = _query(filled, sql.format(part=part, outside=tmp_path, lake=filled))
    assert code == 1
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("error: query refused")
    assert refused in lines[0]
    assert "not yours" not in output
    assert _files(filled) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["secret.txt", "lake"])


def test_a_column_named_like_markup_is_shown_literally(
    filled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    code, output = _query(filled, 'SELECT 1 AS "[/bold]", \'\x1b]0;T\x07\' AS "[red]x"')
    assert code == 0, output
    assert "[/bold]" in output
    assert "[red]x" in output
    assert "\\x1b]0;T\\x07" in output
    assert "\x1b" not in output


def test_a_lake_whose_folder_has_a_quote_is_confined_to_it(tmp_path: Path, b) -> None:
    """The allowed folders are written into the statement as a list literal (no bound
    parameter: binding one makes DuckDB import pandas): a quote in the path is one character."""
    root = tmp_path / "it's [a] lake"
    lake = LocalLake(root, lock_timeout=5.0)
    lake.merge_partition(INCIDENTS, b.DAY1, b.incidents(["1", "2"], b.T0))
    lake.publish(TABLES)
    code, output = _query(
        root, "SELECT count(*) AS n FROM eai_gateway_incidents", "--format", "json"
    )
    assert code == 0, output
    assert json.loads(output) == [{"n": 2}]
    (tmp_path / "secret.txt").write_text("not yours\n")
    outside = f"SELECT * FROM read_csv('{tmp_path}/secret.txt')"
    code, output = _query(root, outside)
    assert code != 0
    assert "not yours" not in output
