"""The index of open incidents beside the tables: bounded lookups, never missing an open one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from betterstack_etl.errors import StorageError
from betterstack_etl.lake import LocalLake
from betterstack_etl.lake import local as local_module
from betterstack_etl.tables import INCIDENTS

FIRST = date(2024, 1, 1)


def incident(b, incident_id: str, day: date, *, monitor: str = "m1", resolved: bool) -> pa.Table:
    started = datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
    rows = b.incidents([incident_id], started, resolved=resolved)
    return rows.set_column(1, "monitor_id", pa.array([monitor], pa.string()))


def history(lake: LocalLake, b, days: int) -> dict[str, date]:
    """One resolved incident a day, and an open one every 10th day (monitor m1 or m2)."""
    opened: dict[str, date] = {}
    for n in range(days):
        day = FIRST + timedelta(days=n)
        rows = [incident(b, f"r{n}", day, resolved=True)]
        if n % 10 == 0:
            monitor = "m1" if n % 20 == 0 else "m2"
            rows.append(incident(b, f"o{n}", day, monitor=monitor, resolved=False))
            opened[f"o{n}"] = day
        lake.merge_partition(INCIDENTS, day, pa.concat_tables(rows))
    return opened


def index_path(lake: LocalLake) -> Path:
    return Path(lake.root) / "_state" / f"{INCIDENTS.name}.open.parquet"


class ReadCounter:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        real = local_module._read_file

        def counting(spec, path, columns=None):  # type: ignore[no-untyped-def]
            self.paths.append(str(path))
            return real(spec, path, columns)

        monkeypatch.setattr(local_module, "_read_file", counting)


def test_lookup_reads_the_index_only_whatever_the_history(
    lake: LocalLake, b, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = history(lake, b, 45)
    assert index_path(lake).is_file()
    assert Path(lake.root, INCIDENTS.name) not in index_path(lake).parents
    reads = ReadCounter(monkeypatch)

    before = FIRST + timedelta(days=30)
    expected = sorted(i for i, d in opened.items() if d < before)
    assert lake.open_keys(INCIDENTS, None, before) == expected == ["o0", "o10", "o20"]
    m2 = sorted(i for i, d in opened.items() if d < before and int(i[1:]) % 20 != 0)
    assert lake.open_keys(INCIDENTS, ["m2"], before) == m2 == ["o10"]
    assert lake.open_keys(INCIDENTS, ["m9"], before) == []
    assert reads.paths == []  # not one partition file opened


def test_a_resolved_incident_leaves_the_index(lake: LocalLake, b) -> None:
    history(lake, b, 25)
    later = b.T0 + timedelta(days=400)
    resolved = incident(b, "o10", FIRST + timedelta(days=10), monitor="m2", resolved=True)
    resolved = resolved.set_column(
        resolved.schema.get_field_index("_extracted_at"),
        "_extracted_at",
        pa.array([later], INCIDENTS.schema.field("_extracted_at").type),
    )
    lake.merge_partition(INCIDENTS, FIRST + timedelta(days=10), resolved)
    assert lake.open_keys(INCIDENTS, None, date(2025, 1, 1)) == ["o0", "o20"]
    ids = pq.read_table(index_path(lake)).column("incident_id").to_pylist()
    assert sorted(ids) == ["o0", "o20"]


def test_a_missing_or_unreadable_index_is_rebuilt_from_the_partitions(lake: LocalLake, b) -> None:
    history(lake, b, 25)
    index_path(lake).unlink()
    assert lake.open_keys(INCIDENTS, None, date(2025, 1, 1)) == ["o0", "o10", "o20"]
    assert index_path(lake).is_file()
    index_path(lake).write_bytes(b"garbage")
    assert lake.open_keys(INCIDENTS, ["m1"], date(2025, 1, 1)) == ["o0", "o20"]


def test_rebuild_drops_entries_the_partitions_show_resolved(lake: LocalLake, b) -> None:
    history(lake, b, 15)
    stale = pq.read_table(index_path(lake))
    extra = incident(b, "r3", FIRST + timedelta(days=3), resolved=False)  # resolved in the lake
    pq.write_table(pa.concat_tables([stale, extra.select(stale.column_names)]), index_path(lake))
    assert lake.open_keys(INCIDENTS, None, date(2025, 1, 1)) == [
        "o0",
        "o10",
        "r3",
    ]  # stale: harmless
    lake.rebuild_indexes()
    assert lake.open_keys(INCIDENTS, None, date(2025, 1, 1)) == ["o0", "o10"]


def test_an_open_incident_is_indexed_before_its_file_is_written(
    lake: LocalLake, b, monkeypatch: pytest.MonkeyPatch
) -> None:
    history(lake, b, 5)
    real = local_module._write_atomically

    def crash_on_data(table: pa.Table, target: Path) -> None:
        if "_state" not in target.parts:
            raise StorageError(f"killed while writing {target}")
        real(table, target)

    monkeypatch.setattr(local_module, "_write_atomically", crash_on_data)
    day = FIRST + timedelta(days=2)
    with pytest.raises(StorageError, match="killed"):
        lake.merge_partition(INCIDENTS, day, incident(b, "new", day, resolved=False))
    monkeypatch.undo()
    # the crash left the index ahead of the data: listed (re-read, harmless), never missed
    assert lake.open_keys(INCIDENTS, None, date(2025, 1, 1)) == ["new", "o0"]
    lake.merge_partition(INCIDENTS, day, incident(b, "new", day, resolved=False))
    assert lake.open_keys(INCIDENTS, None, date(2025, 1, 1)) == ["new", "o0"]
