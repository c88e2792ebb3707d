"""Issue 24: publishing views whose definitions did not change does not open DuckDB at all: the
fingerprint the file holds is noted beside it with the file's identity (inode, size, mtime).
A file written since by anyone else is no longer the one noted, and is read again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from betterstack_etl.lake import publish_duckdb_views
from betterstack_etl.tables import TABLES


def _opens(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each DuckDB connection opened from now on: read-only or not."""
    opened: list[bool] = []
    real = duckdb.connect

    def connect(database: str = ":memory:", read_only: bool = False, **kw: Any) -> Any:
        opened.append(read_only)
        return real(database, read_only=read_only, **kw)

    monkeypatch.setattr(duckdb, "connect", connect)
    return opened


def _views(db: Path) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    finally:
        con.close()
    return {str(r[0]) for r in rows}


def test_publishing_unchanged_views_opens_no_duckdb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = _opens(monkeypatch)
    db = publish_duckdb_views(tmp_path, TABLES)
    assert opened == [False]  # a new file: written once
    assert db.with_name(f"{db.name}.published").is_file()
    opened.clear()
    assert publish_duckdb_views(tmp_path, TABLES) == db
    assert publish_duckdb_views(tmp_path, TABLES) == db
    assert opened == []


def test_a_file_written_by_someone_else_is_read_again_and_repaired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another client dropped two views (the fingerprint's among them): the note no longer
    describes the file, so publish reads it, finds no fingerprint, and makes the views again."""
    db = publish_duckdb_views(tmp_path, TABLES)
    before = _views(db)
    assert {"_betterstack_definitions", TABLES[0].name} <= before
    con = duckdb.connect(str(db))
    try:
        con.execute("DROP VIEW _betterstack_definitions")
        con.execute(f'DROP VIEW "{TABLES[0].name}"')
        con.execute("CHECKPOINT")
    finally:
        con.close()
    opened = _opens(monkeypatch)
    publish_duckdb_views(tmp_path, TABLES)
    assert opened == [True, False]  # read (the note is stale), then written
    assert _views(db) == before
    opened.clear()
    publish_duckdb_views(tmp_path, TABLES)
    assert opened == []  # noted again


def test_a_damaged_note_is_only_a_missed_shortcut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = publish_duckdb_views(tmp_path, TABLES)
    db.with_name(f"{db.name}.published").write_text("{not json", encoding="utf-8")
    opened = _opens(monkeypatch)
    publish_duckdb_views(tmp_path, TABLES)
    assert opened == [True]  # read: the same fingerprint, nothing written
    opened.clear()
    publish_duckdb_views(tmp_path, TABLES)
    assert opened == []
