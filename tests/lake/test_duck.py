"""DuckDB views over the local lake: names, types, empty tables, new partitions, locking."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest

from betterstack_etl.errors import ConfigError, StorageError
from betterstack_etl.lake import LocalLake, open_duckdb, publish_duckdb_views
from betterstack_etl.lake.duck import duckdb_type
from betterstack_etl.tables import COVERAGE, DAILY_SLA, INCIDENTS, RESPONSE_TIMES, TABLES

WORKER = Path(__file__).with_name("_worker.py")


def describe(root: str | Path, table: str) -> dict[str, str]:
    with open_duckdb(root) as conn:
        return {row[0]: row[1] for row in conn.execute(f'DESCRIBE "{table}"').fetchall()}


def count(root: str | Path, table: str) -> int:
    with open_duckdb(root) as conn:
        row = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    assert row is not None
    return int(row[0])


def stored_count(root: str | Path, table: str) -> int:
    """The row count through the file's own views, as any DuckDB client opening it sees."""
    import duckdb

    conn = duckdb.connect(str(Path(root) / "betterstack.duckdb"), read_only=True)
    try:
        row = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    finally:
        conn.close()
    assert row is not None
    return int(row[0])


def fill(lake: LocalLake, b) -> None:
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 3)))
    lake.merge_partition(INCIDENTS, b.DAY1, b.incidents(["1", "2"], b.T0))
    lake.merge_partition(DAILY_SLA, b.DAY1, b.sla([b.DAY1]))


def test_empty_lake_gets_typed_empty_views(lake: LocalLake) -> None:
    lake.publish(TABLES)
    assert (Path(lake.root) / "betterstack.duckdb").is_file()
    for spec in TABLES:
        assert count(lake.root, spec.name) == 0
        columns = describe(lake.root, spec.name)
        assert list(columns) == [*spec.schema.names, "data_particao"]
        assert columns["data_particao"] == "DATE"
    assert describe(lake.root, RESPONSE_TIMES.name)["at"] == "TIMESTAMP WITH TIME ZONE"
    assert describe(lake.root, INCIDENTS.name)["regions"] == "VARCHAR[]"
    assert describe(lake.root, DAILY_SLA.name)["date"] == "DATE"


def test_views_over_data_have_the_same_types_as_empty_ones(
    lake: LocalLake, lake_root: Path, tmp_path: Path, b
) -> None:
    empty = LocalLake(tmp_path / "empty")
    empty.publish(TABLES)
    fill(lake, b)
    lake.publish(TABLES)
    for spec in TABLES:
        assert describe(lake.root, spec.name) == describe(empty.root, spec.name)
    rt = describe(lake.root, RESPONSE_TIMES.name)
    assert rt["at"] == "TIMESTAMP WITH TIME ZONE"
    assert rt["_extracted_at"] == "TIMESTAMP WITH TIME ZONE"
    assert rt["response_time"] == "DOUBLE"
    assert describe(lake.root, INCIDENTS.name)["duration_seconds"] == "BIGINT"


def test_views_return_the_rows_with_their_values(lake: LocalLake, b) -> None:
    fill(lake, b)
    lake.publish(TABLES)
    with open_duckdb(lake.root) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        rows = conn.execute(
            f'SELECT min("at"), data_particao, count(*) FROM {RESPONSE_TIMES.name} GROUP BY ALL'
        ).fetchall()
        regions = conn.execute(f"SELECT regions FROM {INCIDENTS.name} LIMIT 1").fetchone()
    assert len(rows) == 1
    first, partition, n = rows[0]
    assert (first.isoformat(), partition, n) == ("2024-03-10T00:00:00+00:00", b.DAY1, 3)
    assert regions == (["us", "eu"],)


def test_views_see_partitions_merged_after_publishing(lake: LocalLake, b) -> None:
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 3)))
    lake.publish(TABLES)
    lake.merge_partition(RESPONSE_TIMES, b.DAY2, b.rt(b.hours(b.DAY2, 2)))
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 4)))
    assert count(lake.root, RESPONSE_TIMES.name) == 6


def test_publish_is_idempotent_and_turns_empty_views_into_real_ones(lake: LocalLake, b) -> None:
    published = (*TABLES, COVERAGE)  # the SLA views read the coverage too
    lake.publish(published)
    fill(lake, b)
    assert stored_count(lake.root, DAILY_SLA.name) == 0  # the file's view: empty until published
    assert count(lake.root, DAILY_SLA.name) == 1  # open_duckdb reads the lake as it is
    lake.publish(published)
    lake.publish(published)
    assert count(lake.root, DAILY_SLA.name) == 1
    with open_duckdb(lake.root) as conn:
        names = conn.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1"
        ).fetchall()
    from betterstack_etl.lake.duck import FINGERPRINT_VIEW
    from betterstack_etl.sla import VIEWS

    expected = [s.name for s in published] + [v.name for v in VIEWS] + [FINGERPRINT_VIEW]
    assert names == sorted((n,) for n in expected)


def test_views_use_absolute_paths_and_quote_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, b
) -> None:
    weird = tmp_path / "it's here"
    weird.mkdir()
    monkeypatch.chdir(weird)
    lake = LocalLake("lake")
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 2)))
    lake.publish(TABLES)
    monkeypatch.chdir(tmp_path)
    assert count(weird / "lake", RESPONSE_TIMES.name) == 2


def test_custom_database_path(lake_root: Path, tmp_path: Path, b) -> None:
    db = tmp_path / "elsewhere" / "my.duckdb"
    lake = LocalLake(lake_root, db_path=db)
    lake.merge_partition(DAILY_SLA, b.DAY2, b.sla([b.DAY2]))
    lake.publish(TABLES)
    assert not (lake_root / "betterstack.duckdb").exists()
    with open_duckdb(lake_root, db) as conn:
        assert conn.execute(f"SELECT count(*) FROM {DAILY_SLA.name}").fetchone() == (1,)


def test_open_without_a_database_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no DuckDB database") as caught:
        open_duckdb(tmp_path)
    assert caught.value.hint
    assert "run" in caught.value.hint


def test_unknown_arrow_type_is_refused() -> None:
    assert duckdb_type(pa.list_(pa.int64())) == "BIGINT[]"
    with pytest.raises(TypeError, match="no DuckDB type"):
        duckdb_type(pa.dictionary(pa.int8(), pa.string()))


@pytest.fixture
def holder(tmp_path: Path, lake_root: Path):
    """A second process holding the DuckDB file open for writing until released."""
    lake_root.mkdir()
    db = lake_root / "betterstack.duckdb"
    ready, release = tmp_path / "ready", tmp_path / "release"
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), "hold-duckdb", str(db), str(ready), str(release)]
    )
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert proc.poll() is None, "holder exited early"
        assert time.monotonic() < deadline, "holder did not start"
        time.sleep(0.01)

    def let_go() -> None:
        release.touch()
        assert proc.wait(timeout=60) == 0

    yield let_go
    release.touch()
    proc.wait(timeout=60)


def test_publish_gives_up_on_a_locked_database_with_a_hint(holder, lake_root: Path) -> None:
    sleeps: list[float] = []
    with pytest.raises(StorageError, match="locked by another process") as caught:
        publish_duckdb_views(lake_root, TABLES, attempts=3, sleep=sleeps.append)
    assert caught.value.hint
    assert "close" in caught.value.hint
    assert len(sleeps) == 2
    assert sleeps[0] < sleeps[1]


def test_publish_retries_until_the_other_process_lets_go(holder, lake_root: Path) -> None:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:
            holder()

    publish_duckdb_views(lake_root, TABLES, attempts=5, sleep=sleep)
    assert len(sleeps) == 2
    assert count(lake_root, RESPONSE_TIMES.name) == 0


def test_publishing_unchanged_definitions_writes_nothing_so_a_reader_never_blocks_a_run(
    tmp_path: Path,
) -> None:
    """Fault: one open DuckDB reader (an analyst's notebook) made every local run fail. Now
    a run whose view definitions did not change does not open the file for writing at all, and
    one that must refresh them while the file is held leaves the old views and says so."""
    import subprocess
    import sys

    from betterstack_etl.lake.duck import publish_duckdb_views
    from betterstack_etl.tables import TABLES

    db = publish_duckdb_views(tmp_path, TABLES)
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print('open', flush=True); time.sleep(60)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None
        assert reader.stdout.readline().strip() == "open"
        before = db.stat().st_mtime_ns
        publish_duckdb_views(tmp_path, TABLES, attempts=2, sleep=lambda s: None)
        assert db.stat().st_mtime_ns == before  # nothing changed: nothing written
        (tmp_path / "eai_gateway_daily_sla" / "data_particao=2026-11-25").mkdir(parents=True)
        _write_any_sla_file(tmp_path / "eai_gateway_daily_sla" / "data_particao=2026-11-25")
        publish_duckdb_views(tmp_path, TABLES, attempts=2, sleep=lambda s: None)  # no raise
    finally:
        reader.kill()
        reader.wait()
    publish_duckdb_views(tmp_path, TABLES)  # the reader is gone: the views catch up
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM eai_gateway_daily_sla").fetchone() == (1,)
    finally:
        con.close()


def test_a_moved_lake_is_re_pointed_by_the_next_publish(tmp_path: Path) -> None:
    """Fault: the views stored absolute paths, so a copied or moved lake silently read the
    old folder. The definitions carry the folder: publishing at the new place replaces them."""
    import shutil

    import duckdb

    from betterstack_etl.lake.duck import publish_duckdb_views
    from betterstack_etl.tables import TABLES

    old = tmp_path / "old"
    _write_any_sla_file(old / "eai_gateway_daily_sla" / "data_particao=2026-11-25")
    publish_duckdb_views(old, TABLES)
    new = tmp_path / "new"
    shutil.copytree(old, new)
    shutil.rmtree(old / "eai_gateway_daily_sla")  # the old place no longer has the data
    publish_duckdb_views(new, TABLES)
    con = duckdb.connect(str(new / "betterstack.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM eai_gateway_daily_sla").fetchone() == (1,)
        root = con.execute("SELECT lake_root FROM _betterstack_definitions").fetchone()
        assert root == (str(new),)
    finally:
        con.close()


def _write_any_sla_file(folder: Path) -> None:
    from datetime import UTC, date, datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    from betterstack_etl.tables import DAILY_SLA

    folder.mkdir(parents=True, exist_ok=True)
    row = {
        "monitor_id": ["1"],
        "date": [date(2026, 11, 25)],
        "availability": [100.0],
        "total_downtime": [0],
        "number_of_incidents": [0],
        "longest_incident": [0],
        "average_incident": [0],
        "is_complete": [True],
        "raw": [None],
        "_extracted_at": [datetime(2026, 11, 26, tzinfo=UTC)],
        "_run_id": ["r"],
    }
    pq.write_table(pa.Table.from_pydict(row, schema=DAILY_SLA.schema), folder / "data.parquet")
