"""DuckDB errors on the lake said in the user's terms: a damaged file, a moved lake, an
unquoted reserved word; each with its fix, never a bare "check the SQL"."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from betterstack_etl.cli.app import app
from betterstack_etl.lake.duckerrors import explain_duckdb_error


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("duckerrors") / "lake"
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("BETTERSTACK_")}
    os.environ["BETTERSTACK_TASK_RETRIES"] = "0"
    try:
        ran = CliRunner().invoke(app, ["demo", "--monitors", "1", "--lake-root", str(root)])
    finally:
        os.environ.pop("BETTERSTACK_TASK_RETRIES")
        os.environ.update(saved)
    assert ran.exit_code == 0, ran.output
    return root


def _query(root: Path, sql: str) -> str:
    ran = CliRunner().invoke(app, ["query", "--lake-root", str(root), sql], env={"COLUMNS": "400"})
    assert ran.exit_code == 1, ran.output
    return " ".join(ran.output.split())


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT at FROM eai_gateway_response_times",
        "SELECT max(at) FROM eai_gateway_response_times",
        "SELECT region FROM eai_gateway_response_times ORDER BY at",
    ],
)
def test_an_unquoted_reserved_column_gets_the_quoting_hint(lake: Path, sql: str) -> None:
    said = _query(lake, sql)
    assert 'quote it ("at")' in said
    assert "check the SQL" not in said


def test_a_plain_syntax_error_still_says_check_the_sql(lake: Path) -> None:
    assert "check the SQL" in _query(lake, "SELEC region FROM eai_gateway_response_times")


def test_a_damaged_file_is_named_relative_to_the_lake_with_repair(
    lake: Path, tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(lake, copy)
    victim = sorted((copy / "eai_gateway_daily_sla").rglob("*.parquet"))[0]
    victim.write_bytes(b"not parquet")
    said = _query(copy, "SELECT count(*) FROM eai_gateway_daily_sla")
    relative = victim.relative_to(copy).as_posix()
    assert f"the lake file {relative} " in said
    assert "is damaged" in said
    assert "repair --lake-root" in said
    assert "check the SQL" not in said
    assert "cannot open the DuckDB database" not in said


def test_views_over_a_moved_lake_say_so_with_the_fix(tmp_path: Path) -> None:
    old = tmp_path / "old" / "lake"
    new = tmp_path / "new" / "lake"
    new.mkdir(parents=True)
    con = duckdb.connect()
    with pytest.raises(duckdb.Error) as raised:
        con.execute(f"SELECT * FROM read_parquet('{old}/eai_gateway_incidents/*/*.parquet')")
    explained = explain_duckdb_error(raised.value, new)
    assert explained is not None
    assert "moved" in str(explained)
    assert str(old) in str(explained)
    assert "--lake-root" in str(explained.hint)
    assert "repair" in str(explained.hint)


def test_an_unrelated_error_is_left_to_the_caller(tmp_path: Path) -> None:
    con = duckdb.connect()
    with pytest.raises(duckdb.Error) as raised:
        con.execute("SELECT 1/'x'::INTEGER")
    assert explain_duckdb_error(raised.value, tmp_path) is None
