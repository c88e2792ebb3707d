"""A raw table read over some partitions only (``lake.bounded``): the files of those folders,
the rows and columns the whole view gives for them, every declared column present."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from betterstack_etl.lake.bounded import bounded_sql, period_files
from betterstack_etl.tables import MONITORS


def _write(root: Path, day: str, ids: list[str], *, old: bool = False) -> Path:
    """A monitors file of ``day``; ``old``: written before ``check_frequency`` existed."""
    folder = root / MONITORS.name / f"data_particao={day}"
    folder.mkdir(parents=True, exist_ok=True)
    columns: dict[str, pa.Array] = {"monitor_id": pa.array(ids, pa.string())}
    if not old:
        columns["check_frequency"] = pa.array([60] * len(ids), pa.int64())
    pq.write_table(pa.table(columns), folder / "data.parquet")
    return folder / "data.parquet"


def _lake(root: Path) -> Path:
    _write(root, "2026-10-30", ["a"], old=True)
    _write(root, "2026-11-01", ["b"], old=True)
    _write(root, "2026-11-02", ["c", "d"])
    _write(root, "2026-11-05", ["e"])
    (root / MONITORS.name / "data_particao=2026-11-02" / "stray.parquet").write_bytes(b"x")
    (root / MONITORS.name / "data_particao=2026-02-30").mkdir()  # not a date: never read
    (root / MONITORS.name / "data_particao=2026-02-30" / "data.parquet").write_bytes(b"x")
    return root


def _query(root: Path, first: date | None, last: date | None) -> list[tuple[object, ...]]:
    sql = (
        "SELECT monitor_id, check_frequency, data_particao, pronounceable_name "
        f"FROM {bounded_sql(MONITORS, root, first, last)} AS t ORDER BY monitor_id"
    )
    return duckdb.connect().execute(sql).fetchall()


def test_only_the_periods_folders_are_listed(tmp_path: Path) -> None:
    root = _lake(tmp_path)
    names = [
        Path(p).parent.name[-10:] for p in period_files(root, MONITORS, date(2026, 11, 1), None)
    ]
    assert names == ["2026-11-01", "2026-11-02", "2026-11-05"]
    assert len(period_files(root, MONITORS, None, date(2026, 10, 31))) == 1
    assert period_files(root, MONITORS, date(2027, 1, 1), None) == []
    assert period_files(tmp_path / "elsewhere", MONITORS, None, None) == []


def test_rows_columns_and_dates_as_the_view_gives_them(tmp_path: Path) -> None:
    root = _lake(tmp_path)
    nov = date(2026, 11, 1), date(2026, 11, 2)
    # the older file lacks check_frequency: NULL there, as union_by_name gives it
    assert _query(root, *nov) == [
        ("b", None, date(2026, 11, 1), None),
        ("c", 60, date(2026, 11, 2), None),
        ("d", 60, date(2026, 11, 2), None),
    ]
    # only old files in the period: the declared columns are still there, typed
    assert _query(root, None, date(2026, 10, 31)) == [("a", None, date(2026, 10, 30), None)]
    assert _query(root, date(2027, 1, 1), None) == []
    described = duckdb.connect().execute(
        f"DESCRIBE SELECT * FROM {bounded_sql(MONITORS, root, date(2027, 1, 1), None)}"
    )
    types = {row[0]: row[1] for row in described.fetchall()}
    assert types["check_frequency"] == "BIGINT"
    assert types["data_particao"] == "DATE"
    assert set(types) == {f.name for f in MONITORS.schema} | {"data_particao"}


def test_a_folder_with_glob_characters_is_read_literally(tmp_path: Path) -> None:
    root = _lake(tmp_path / "lake [v2] *?")
    assert [r[0] for r in _query(root, date(2026, 11, 5), None)] == ["e"]
