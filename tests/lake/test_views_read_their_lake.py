"""The DuckDB views read the lake they are given, exactly the files the layout writes (SPEC §3;
issue 19 items 9, 10, 13; issue 25 items 4, 9). After each fault the views answer what the
views of a clean lake, built without the fault, answer."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from betterstack_etl.errors import StorageError
from betterstack_etl.lake import LocalLake, open_duckdb
from betterstack_etl.sla import VIEWS
from betterstack_etl.tables import DAILY_SLA, INCIDENTS, RESPONSE_TIMES, TABLES, WRITTEN

PUBLISHED = (*TABLES, *WRITTEN)  # what a run publishes (the SLA views read the coverage too)


def build(root: Path, b: Any, *, days: int = 2) -> LocalLake:
    lake = LocalLake(root, lock_timeout=5.0)
    for day in (b.DAY1, b.DAY2, b.DAY3)[:days]:
        lake.merge_partition(RESPONSE_TIMES, day, b.rt(b.hours(day, 3)))
        lake.merge_partition(DAILY_SLA, day, b.sla([day]))
    lake.merge_partition(INCIDENTS, b.DAY1, b.incidents(["1", "2"], b.T0))
    lake.publish(PUBLISHED)
    return lake


def answers(root: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every raw table's rows and every SLA view's row count, through ``open_duckdb``."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with open_duckdb(root) as conn:
        for spec in TABLES:
            found[spec.name] = sorted(
                conn.execute(f'SELECT * EXCLUDE ("_run_id") FROM "{spec.name}"').fetchall(),
                key=repr,
            )
        for view in VIEWS:
            found[view.name] = conn.execute(f'SELECT count(*) FROM "{view.name}"').fetchall()
    return found


_CLEAN: dict[tuple[int, date], dict[str, list[tuple[Any, ...]]]] = {}


@pytest.fixture
def clean_answers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[Any, int], dict[str, list[tuple[Any, ...]]]]:
    """``answers`` of a clean lake of ``build(root, b, days=days)``: built once per worker and
    UTC day (views count up to CURRENT_TIMESTAMP), not once per test, as they are the same."""

    def get(b: Any, days: int) -> dict[str, list[tuple[Any, ...]]]:
        key = (days, datetime.now(UTC).date())
        if key not in _CLEAN:
            root = tmp_path_factory.mktemp("clean")
            build(root, b, days=days)
            _CLEAN[key] = answers(root)
        return _CLEAN[key]

    return get


def cli_count(root: Path, table: str) -> str:
    from typer.testing import CliRunner

    from betterstack_etl.cli.app import app

    result = CliRunner().invoke(
        app,
        [
            "query",
            f"SELECT count(*) AS n FROM {table}",
            "--lake-root",
            str(root),
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


# -- issue 19 item 9: a copied or moved lake is read from where it is ------------------------


def test_a_copied_lake_is_read_where_it_is_by_query_and_report(tmp_path: Path, b: Any) -> None:
    original = tmp_path / "original"
    build(original, b, days=3)
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    for day in ("2024-03-11", "2024-03-12"):  # the copy loses two days: it differs now
        shutil.rmtree(copy / RESPONSE_TIMES.name / f"data_particao={day}")
    clean = tmp_path / "clean"
    build(clean, b, days=1)
    shutil.rmtree(clean / DAILY_SLA.name)
    shutil.copytree(original / DAILY_SLA.name, clean / DAILY_SLA.name)
    LocalLake(clean).publish(PUBLISHED)

    assert cli_count(copy, RESPONSE_TIMES.name) == "3"  # not the original's 9
    assert answers(copy) == answers(clean)
    from betterstack_etl.report import DuckDbSource

    with DuckDbSource.open(copy) as source:
        assert source.query(f"SELECT count(*) AS n FROM {RESPONSE_TIMES.name}").to_pylist() == [
            {"n": 3}
        ]
    shutil.rmtree(original)  # the original gone: the copy still answers
    assert answers(copy) == answers(clean)


def test_a_moved_lake_published_by_an_older_version_is_read_where_it_is(
    tmp_path: Path, b: Any, clean_answers: Callable[[Any, int], Any]
) -> None:
    """A DuckDB file written before the definitions were kept per view (no ``raw_views``)."""
    original = tmp_path / "original"
    build(original, b)
    db = original / "betterstack.duckdb"
    conn = duckdb.connect(str(db))
    conn.execute("CREATE OR REPLACE VIEW _betterstack_definitions AS SELECT 'x' AS fingerprint")
    conn.close()
    moved = tmp_path / "moved"
    original.rename(moved)
    assert answers(moved) == clean_answers(b, 2)


def test_a_table_whose_files_are_all_gone_reads_as_typed_and_empty(tmp_path: Path, b: Any) -> None:
    """The read-only open re-derives a view over files from its table's name alone (issue 24:
    ``query`` imports no pyarrow); a table whose files all went since the publish still gets
    the typed empty view of its declaration, not an error."""
    root = tmp_path / "lake"
    build(root, b)
    shutil.rmtree(root / INCIDENTS.name)
    with open_duckdb(root) as conn:
        columns = [r[0] for r in conn.execute(f'DESCRIBE "{INCIDENTS.name}"').fetchall()]
        rows = conn.execute(f'SELECT count(*) FROM "{INCIDENTS.name}"').fetchall()
    assert columns == [*INCIDENTS.schema.names, "data_particao"]
    assert rows == [(0,)]


# -- issue 19 item 10: glob characters in the lake's folder are literal ----------------------


@pytest.mark.parametrize("name", ["g[12]", "g*"])
def test_a_lake_folder_with_glob_characters_reads_only_itself(
    tmp_path: Path, b: Any, clean_answers: Callable[[Any, int], Any], name: str
) -> None:
    lakes = tmp_path / "lakes"
    build(lakes / "g1", b, days=3)  # a sibling the glob would match
    build(lakes / "g2", b, days=3)
    build(lakes / name, b, days=1)
    assert cli_count(lakes / name, RESPONSE_TIMES.name) == "3"
    assert answers(lakes / name) == clean_answers(b, 1)
    with duckdb.connect(str(lakes / name / "betterstack.duckdb"), read_only=True) as conn:
        # the file's own views too (any DuckDB client)
        assert conn.execute(f"SELECT count(*) FROM {RESPONSE_TIMES.name}").fetchone() == (3,)


def test_a_question_mark_in_the_lake_folder_is_read_literally_or_refused_in_one_line(
    tmp_path: Path, b: Any
) -> None:
    """DuckDB reads a '?' in a database path as options: its file cannot live there (one
    line saying so); a database file kept elsewhere reads such a lake literally."""
    from betterstack_etl.errors import ConfigError
    from betterstack_etl.lake import DuckDbPublisher

    lakes = tmp_path / "lakes"
    build(lakes / "g1", b, days=3)
    with pytest.raises(ConfigError, match=r"'\?' in the path") as refused:
        DuckDbPublisher(lakes / "g?")
    assert "\n" not in str(refused.value)
    db = tmp_path / "db" / "g.duckdb"
    lake = LocalLake(lakes / "g?", db_path=db, lock_timeout=5.0)
    for day in (b.DAY1,):
        lake.merge_partition(RESPONSE_TIMES, day, b.rt(b.hours(day, 3)))
    lake.publish(PUBLISHED)
    with open_duckdb(lakes / "g?", db) as conn:
        assert conn.execute(f"SELECT count(*) FROM {RESPONSE_TIMES.name}").fetchone() == (3,)
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute(f"SELECT count(*) FROM {RESPONSE_TIMES.name}").fetchone() == (3,)


# -- issue 19 item 13, issue 25 item 4: only the names the layout writes ----------------------


def test_a_folder_with_an_impossible_date_never_breaks_a_query(
    tmp_path: Path, b: Any, clean_answers: Callable[[Any, int], Any]
) -> None:
    root = tmp_path / "lake"
    build(root, b)
    for spec in (RESPONSE_TIMES, DAILY_SLA, INCIDENTS):
        good = sorted((root / spec.name).glob("data_particao=*/*.parquet"))[0]
        impossible = root / spec.name / "data_particao=2026-02-30"
        impossible.mkdir()
        shutil.copy(good, impossible / good.name)
    LocalLake(root).publish(PUBLISHED)
    assert answers(root) == clean_answers(b, 2)
    with open_duckdb(root) as conn:
        days = conn.execute(f"SELECT DISTINCT data_particao FROM {DAILY_SLA.name} ORDER BY 1")
        assert [str(d) for (d,) in days.fetchall()] == ["2024-03-10", "2024-03-11"]


@pytest.mark.parametrize("stray", ["dead.parquet", "deaf.parquet", "pate.parquet", "d00d.parquet"])
def test_strays_named_like_ours_are_never_read(
    tmp_path: Path, b: Any, clean_answers: Callable[[Any, int], Any], stray: str
) -> None:
    root = tmp_path / "lake"
    build(root, b)
    for spec in (RESPONSE_TIMES, DAILY_SLA, INCIDENTS):
        good = sorted((root / spec.name).glob("data_particao=*/*.parquet"))[0]
        shutil.copy(good, good.parent / stray)  # a copy: it would double the partition
    garbage = root / DAILY_SLA.name / "data_particao=2024-03-11" / stray
    garbage.write_bytes(b"not parquet at all")  # and one that would fail every query
    LocalLake(root).publish(PUBLISHED)
    assert answers(root) == clean_answers(b, 2)
    with duckdb.connect(str(root / "betterstack.duckdb"), read_only=True) as conn:
        assert conn.execute(f"SELECT count(*) FROM {DAILY_SLA.name}").fetchone() == (2,)


# -- issue 25 item 9: a damaged betterstack.duckdb is rebuilt ---------------------------------


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_database_file_is_rebuilt_by_the_next_publish(
    tmp_path: Path, b: Any, clean_answers: Callable[[Any, int], Any], damage: str
) -> None:
    root = tmp_path / "lake"
    lake = build(root, b)
    db = root / "betterstack.duckdb"
    data = db.read_bytes()
    db.write_bytes(b"\x00garbage" * 512 if damage == "garbage" else data[: len(data) // 3])
    with pytest.raises(StorageError) as opened:
        open_duckdb(root)
    assert "betterstack-etl repair" in str(opened.value)
    assert "\n" not in str(opened.value)  # one line
    lake.publish(PUBLISHED)
    assert answers(root) == clean_answers(b, 2)
    aside = [p.name for p in root.iterdir() if p.name.startswith("betterstack.duckdb.damaged-")]
    assert len(aside) == 1  # kept, beside it
