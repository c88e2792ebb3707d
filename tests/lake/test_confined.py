"""Writes never leave the lake root (SPEC §3; issue 19 item 11) and a lock that cannot be one
says so in one line (issue 25 item 10)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from betterstack_etl.errors import StorageError
from betterstack_etl.lake import LocalLake
from betterstack_etl.tables import DAILY_SLA, INCIDENTS, PARTITION_COLUMN, RESPONSE_TIMES, TABLES


def rows(lake: LocalLake) -> dict[str, list[tuple[Any, ...]]]:
    return {
        spec.name: sorted(
            tuple(r.values())
            for t in lake.scan(spec, [*spec.columns, PARTITION_COLUMN])
            for r in t.to_pylist()
        )
        for spec in TABLES
    }


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_partition_folder_linked_to_another_lake_is_refused_never_followed(
    tmp_path: Path, b: Any
) -> None:
    other = LocalLake(tmp_path / "other", lock_timeout=5.0)
    other.merge_partition(INCIDENTS, b.DAY1, b.incidents(["x1", "x2"], b.T0))
    before = snapshot(tmp_path / "other")
    lake = LocalLake(tmp_path / "lake", lock_timeout=5.0)
    lake.merge_partition(INCIDENTS, b.DAY2, b.incidents(["i1"], b.T0.replace(day=11)))
    link = lake.partition_dir(INCIDENTS, b.DAY1)
    link.symlink_to(other.partition_dir(INCIDENTS, b.DAY1), target_is_directory=True)

    with pytest.raises(StorageError, match="symbolic link") as refused:
        lake.merge_partition(INCIDENTS, b.DAY1, b.incidents(["i9"], b.T0))
    assert "repair" in str(refused.value)
    assert "\n" not in str(refused.value)
    with pytest.raises(StorageError, match="symbolic link"):
        lake.read_partition(INCIDENTS, b.DAY1)
    assert b.DAY1 not in lake.partitions(INCIDENTS)  # readers skip it
    assert snapshot(tmp_path / "other") == before  # the other lake untouched

    [problem] = lake.verify()
    assert (problem.kind, problem.location) == ("symlink", str(link))
    aside = Path(lake.quarantine(problem))
    assert aside.is_symlink()  # the link moved, not what it points to
    assert not link.exists()
    assert snapshot(tmp_path / "other") == before
    lake.merge_partition(INCIDENTS, b.DAY1, b.incidents(["i9"], b.T0))
    clean = LocalLake(tmp_path / "clean")
    clean.merge_partition(INCIDENTS, b.DAY2, b.incidents(["i1"], b.T0.replace(day=11)))
    clean.merge_partition(INCIDENTS, b.DAY1, b.incidents(["i9"], b.T0))
    assert rows(lake) == rows(clean)


def test_a_linked_table_folder_or_state_folder_is_refused(tmp_path: Path, b: Any) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    lake = LocalLake(tmp_path / "lake", lock_timeout=5.0)
    (tmp_path / "lake").mkdir()
    (tmp_path / "lake" / DAILY_SLA.name).symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(StorageError, match="symbolic link"):
        lake.merge_partition(DAILY_SLA, b.DAY1, b.sla([b.DAY1]))
    (tmp_path / "lake" / "_state").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(StorageError, match="symbolic link"):
        lake.merge_partition(INCIDENTS, b.DAY1, b.incidents(["i1"], b.T0))
    assert list(elsewhere.iterdir()) == []  # nothing written through either link
    assert [p.kind for p in lake.verify([DAILY_SLA])] == ["symlink"]


@pytest.mark.parametrize("which", ["partition", "index", "repair"])
def test_a_lock_path_replaced_by_a_folder_is_one_line_with_a_hint(
    tmp_path: Path, b: Any, which: str
) -> None:
    lake = LocalLake(tmp_path / "lake", lock_timeout=5.0)
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 2)))
    lake.merge_partition(INCIDENTS, b.DAY1, b.incidents(["i1"], b.T0))
    root = tmp_path / "lake"
    lock = {
        "partition": root / RESPONSE_TIMES.name / ".locks" / "data_particao=2024-03-10.lock",
        "index": root / "_state" / f".{INCIDENTS.name}.open.parquet.lock",
        "repair": root / "_state" / ".repair.lock",
    }[which]
    if lock.exists():
        lock.unlink()
    lock.mkdir(parents=True)

    def attempt() -> None:
        if which == "repair":
            with lake.repair_lock():
                pass
        elif which == "index":
            lake.merge_partition(INCIDENTS, b.DAY1, b.incidents(["i2"], b.T0))
        else:
            lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 3)))

    with pytest.raises(StorageError) as failed:
        attempt()
    text = str(failed.value)
    assert f"the lock {lock} is a folder" in text
    assert f"remove the folder {lock}" in text
    assert "\n" not in text
    os.rmdir(lock)
    lake.merge_partition(RESPONSE_TIMES, b.DAY1, b.rt(b.hours(b.DAY1, 3)))  # fixed: it runs
