"""The spool sweep never deletes what is not ours (issue 25, item 1).

A run's spool root sits in a shared temporary folder, where anyone may plant a name first. On
``main`` the sweep followed a symbolic link planted there and deleted, recursively, every folder
older than a minute it found behind it ("removed 2 spool folder(s) left by runs that were
killed": someone's project and photos). Here: links, strangers' folders and folders without
our marker are left alone, and the run still works, in a private folder of its own."""

from __future__ import annotations

import fcntl
import logging
import os
import stat
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from betterstack_etl import clock
from betterstack_etl.run.spool import (
    MARKER,
    SPOOL_DIRNAME,
    default_spool_root,
    owned_spool,
    sweep_dead_spools,
)
from betterstack_etl.simulator import Simulator
from betterstack_etl.tables import TABLES

NOBODY = 65534
HOURS_AGO = time.time() - 7200


def _victim(where: Path) -> dict[Path, bytes]:
    """Someone's files, old enough for the old sweep's 60-second rule; what they hold."""
    files = {
        where / "important-project" / "src" / "main.py": b"print('years of work')\n",
        where / "important-project" / "README.md": b"# project\n",
        where / "photos" / "2019" / "beach.jpg": b"\xff\xd8\xff\xe0 not really a jpeg",
    }
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    for path in sorted(where.rglob("*"), reverse=True):
        os.utime(path, (HOURS_AGO, HOURS_AGO))
    return files


def _intact(files: dict[Path, bytes]) -> None:
    for path, content in files.items():
        assert path.read_bytes() == content, path


def _our_dead_spool(root: Path, name: str) -> Path:
    """What a killed run of ours leaves: its folder, its marker (no lock held), a spool file."""
    with owned_spool(root, name) as spool:
        (spool / "response_times-1234").mkdir()
        (spool / "response_times-1234" / "0001.arrow").write_bytes(b"rows")
        kept = spool.parent / f"{name}-copy"
        os.rename(spool, kept)  # survive the block's own cleanup, as a SIGKILL would
    kept.rename(root / name)
    return root / name


@pytest.mark.skipif(os.geteuid() != 0, reason="plants files owned by another user: needs root")
def test_a_link_planted_by_another_user_in_a_sticky_tmp_is_never_followed(
    tmp_path: Path,
    simulator: Simulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """As root, TMPDIR a world-writable sticky folder where ``nobody`` planted the spool
    root's name (and the old name) as links to someone's files: the run lands, and spools in a
    private folder it removes; the files behind the links are untouched."""
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    shared.chmod(0o1777)
    victim = tmp_path / "someone"
    files = _victim(victim)
    planted = [default_spool_root(shared), shared / SPOOL_DIRNAME]
    for link in planted:
        link.symlink_to(victim, target_is_directory=True)
        os.lchown(link, NOBODY, NOBODY)
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    _env(monkeypatch, simulator, tmp_path / "lake")

    from betterstack_etl.run import runner
    from betterstack_etl.settings import read_token, run_params

    with caplog.at_level(logging.WARNING, logger="betterstack_etl.run.spool"):
        summary = runner.run(run_params(), read_token())
    assert summary.failures == {}
    assert all(t.rows_read > 0 for t in summary.tables)
    _intact(files)
    assert sorted(p.name for p in victim.iterdir()) == ["important-project", "photos"]
    for link in planted:  # the planted links are left where they were
        assert link.is_symlink()
        assert os.lstat(link).st_uid == NOBODY
    said = [r.getMessage() for r in caplog.records]
    assert any("is a symbolic link: left alone" in m for m in said), said
    assert sorted(p.name for p in shared.iterdir()) == sorted(p.name for p in planted)

    # what landed is what a run with an ordinary spool lands
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "plain-tmp"))
    (tmp_path / "plain-tmp").mkdir()
    monkeypatch.setenv("BETTERSTACK_LAKE_ROOT", str(tmp_path / "clean"))
    runner.run(run_params(), read_token())
    for spec in TABLES:
        assert _rows(tmp_path / "lake", spec.name) == _rows(tmp_path / "clean", spec.name)


def _rows(lake: Path, table: str) -> list[dict[str, object]]:
    found = pq.read_table(lake / table).drop_columns(["_run_id"]).to_pylist()
    return sorted(found, key=repr)


def _env(monkeypatch: pytest.MonkeyPatch, simulator: Simulator, lake: Path) -> None:
    for var in ("BETTERSTACK_FROM_DATE", "BETTERSTACK_TO_DATE", "BETTERSTACK_TABLES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("BETTERSTACK_TOKEN", "sim-token")
    monkeypatch.setenv("MONITOR_ID", "all")
    monkeypatch.setenv("BETTERSTACK_BASE_URL", simulator.base_url)
    monkeypatch.setenv("BETTERSTACK_LAKE_ROOT", str(lake))
    monkeypatch.setenv("BETTERSTACK_DESTINATION", "local")
    monkeypatch.setattr(clock, "utcnow", simulator.clock.now)


def test_a_plain_link_as_the_spool_root_is_left_alone_and_the_run_spools_privately(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    victim = tmp_path / "someone"
    files = _victim(victim)
    root = tmp_path / "spools"
    root.symlink_to(victim, target_is_directory=True)
    with caplog.at_level(logging.WARNING), owned_spool(root, "run1") as spool:
        assert spool.parent != victim
        assert not spool.parent.is_symlink()
        assert stat.S_IMODE(spool.parent.stat().st_mode) == 0o700
        (spool / "rows.arrow").write_bytes(b"x")
        private = spool.parent
    assert not private.exists()  # removed with the run
    _intact(files)
    assert sweep_dead_spools(root) == []
    _intact(files)
    assert any("is a symbolic link" in r.getMessage() for r in caplog.records)


@pytest.mark.skipif(os.geteuid() != 0, reason="makes a folder owned by another user: needs root")
def test_a_real_folder_owned_by_someone_else_is_never_swept(tmp_path: Path) -> None:
    """The spool root's name taken by another user's real folder (open to all), holding what
    looks like an old spool of ours: nothing in it is removed; the run spools elsewhere."""
    root = tmp_path / "spools"
    files = _victim(root)
    fake = root / "0123abcd"
    fake.mkdir()
    (fake / MARKER).write_bytes(b"betterstack-etl spool v1 0123abcd\n")
    for path in (root, *root.rglob("*")):
        os.lchown(path, NOBODY, NOBODY)
    root.chmod(0o777)
    with owned_spool(root, "run2") as spool:
        assert spool.parent != root
    assert sweep_dead_spools(root) == []
    _intact(files)
    assert (fake / MARKER).exists()


def test_our_root_open_to_others_is_not_used(tmp_path: Path) -> None:
    root = tmp_path / "spools"
    root.mkdir(mode=0o777)
    root.chmod(0o777)
    dead = root / "feedbeef"
    dead.mkdir()
    (dead / MARKER).write_bytes(b"betterstack-etl spool v1 feedbeef\n")
    with owned_spool(root, "run3") as spool:
        assert spool.parent != root
    assert dead.exists()  # others could have planted it: not provably ours


def test_only_folders_a_run_of_ours_made_are_swept(tmp_path: Path) -> None:
    """In our own private root: a dead spool of ours goes; a live one, a folder without the
    marker, a marker naming another folder, a marker that is a link, and a link to a folder
    all stay, however old."""
    root = tmp_path / "spools"
    with owned_spool(root, "liverun") as live:
        dead = _our_dead_spool(root, "deadrun")
        no_marker = root / "my-notes"
        _victim(no_marker)
        copied = root / "copied"
        copied.mkdir()
        (copied / MARKER).write_bytes(b"betterstack-etl spool v1 deadrun\n")
        linked_marker = root / "linkedmarker"
        linked_marker.mkdir()
        real_marker = tmp_path / "marker"
        real_marker.write_bytes(b"betterstack-etl spool v1 linkedmarker\n")
        (linked_marker / MARKER).symlink_to(real_marker)
        victim = tmp_path / "someone"
        files = _victim(victim)
        (root / "link").symlink_to(victim, target_is_directory=True)
        for path in root.rglob("*"):
            os.utime(path, (HOURS_AGO, HOURS_AGO), follow_symlinks=False)

        removed = sweep_dead_spools(root)

        assert removed == [dead]
        assert not dead.exists()
        assert live.is_dir()
        for kept in (no_marker, copied, linked_marker, root / "link"):
            assert kept.exists(), kept
        _intact(files)
        assert real_marker.exists()


def test_a_spool_whose_run_holds_its_lock_is_kept(tmp_path: Path) -> None:
    root = tmp_path / "spools"
    dead = _our_dead_spool(root, "stillrunning")
    fd = os.open(dead / MARKER, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as the run that made it would
        assert sweep_dead_spools(root) == []
        assert dead.is_dir()
    finally:
        os.close(fd)
    assert sweep_dead_spools(root) == [dead]


def test_the_root_a_run_makes_is_private_to_its_user(tmp_path: Path) -> None:
    root = default_spool_root(tmp_path)
    assert root.name == f"{SPOOL_DIRNAME}-{os.geteuid()}"
    with owned_spool(root, "run4") as spool:
        assert spool.parent == root
        assert stat.S_IMODE(root.stat().st_mode) == 0o700
        assert stat.S_IMODE(spool.stat().st_mode) == 0o700
        assert (spool / MARKER).read_bytes() == b"betterstack-etl spool v1 run4\n"
    assert list(root.iterdir()) == []
