"""The run's own spool folder, held by a lock for the run's lifetime, and the sweep of the
spools of runs that are gone."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import time
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


log = logging.getLogger(__name__)

SPOOL_DIRNAME: Final = "betterstack-etl-spool"
_OWNER_LOCK: Final = ".owner.lock"

__all__ = ["SPOOL_DIRNAME", "owned_spool", "sweep_dead_spools"]


@contextlib.contextmanager
def owned_spool(root: Path, run_id: str) -> Iterator[Path]:
    root.mkdir(parents=True, exist_ok=True)
    sweep_dead_spools(root)
    spool = root / run_id
    spool.mkdir()
    fd = os.open(spool / _OWNER_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield spool
    finally:
        shutil.rmtree(spool, ignore_errors=True)
        os.close(fd)


def sweep_dead_spools(root: Path) -> list[Path]:
    """Remove the spool folders under ``root`` whose run is gone (nobody holds their lock)."""
    removed = []
    for folder in root.iterdir() if root.is_dir() else ():
        lock = folder / _OWNER_LOCK
        if not folder.is_dir():
            continue
        try:
            fd = os.open(lock, os.O_RDWR)
        except FileNotFoundError:
            # a run between mkdir and its lock, or a folder that is not ours: leave young ones
            if time.time() - folder.stat().st_mtime < 60:
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a live run
        finally:
            os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    if removed:
        log.info("removed %d spool folder(s) left by runs that were killed", len(removed))
    return removed
