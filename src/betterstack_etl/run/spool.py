"""The run's own spool folder, held by a lock for the run's lifetime, and the sweep of the
spools of runs that are gone.

The default root sits in a shared temporary folder (``/tmp``: world-writable and sticky), where
anyone may create a name before us. So nothing here trusts a path it did not make:

- the root is ``<TMPDIR>/betterstack-etl-spool-<uid>``, made with ``mkdir(0o700)``; an existing
  root is used only when it is a real folder (opened with ``O_NOFOLLOW``: a symbolic link is
  never followed), owned by this user, and closed to everyone else (no group or other bits).
  Otherwise the run says so in one warning, leaves that path alone, and spools in a fresh
  private folder (``tempfile.mkdtemp``) that it removes when it ends;
- a run's folder holds a marker, ``.owner.lock``: created exclusively (``O_EXCL``), locked with
  ``flock`` for the run's lifetime, then holding one line that names the format and the folder;
- the sweep works through directory descriptors (no path is resolved twice) and removes only a
  real folder owned by us whose marker is a regular file owned by us, holding exactly that line,
  and locked by nobody. Anything else (a folder without the marker, a link, a stranger's
  folder) is left alone, however old.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final

from betterstack_etl.errors import ConfigError, StorageError

if TYPE_CHECKING:
    from collections.abc import Iterator


log = logging.getLogger(__name__)

SPOOL_DIRNAME: Final = "betterstack-etl-spool"
MARKER: Final = ".owner.lock"
_FORMAT: Final = "betterstack-etl spool v1"
_MARKER_MAX: Final = 512
_RUN_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
_DIR_FLAGS: Final = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC

__all__ = ["MARKER", "SPOOL_DIRNAME", "default_spool_root", "owned_spool", "sweep_dead_spools"]


def default_spool_root(tmpdir: Path | str | None = None) -> Path:
    """``<TMPDIR>/betterstack-etl-spool-<uid>``: one private root per user of the machine."""
    base = Path(tmpdir) if tmpdir is not None else Path(tempfile.gettempdir())
    return base / f"{SPOOL_DIRNAME}-{os.geteuid()}"


def _marker_line(folder: str) -> bytes:
    return f"{_FORMAT} {folder}\n".encode()


def _open_private(root: Path) -> int | str:
    """A descriptor of ``root`` when it is a private folder of ours (made now if missing),
    else why it cannot be used."""
    try:
        os.mkdir(root, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        return f"cannot be created ({exc.strerror})"
    try:
        fd = os.open(root, _DIR_FLAGS)
    except OSError as exc:
        with contextlib.suppress(OSError):
            if stat.S_ISLNK(os.lstat(root).st_mode):
                return "is a symbolic link"
        if exc.errno == errno.ENOTDIR:
            return "is not a folder"
        return f"cannot be opened ({exc.strerror})"
    found = os.fstat(fd)
    why = None
    if found.st_uid != os.geteuid():
        why = f"belongs to user id {found.st_uid}, not to this user ({os.geteuid()})"
    elif found.st_mode & 0o077:
        why = f"is open to other users (mode {stat.filemode(found.st_mode)})"
    if why is not None:
        os.close(fd)
        return why
    return fd


@contextlib.contextmanager
def _spool_root(root: Path) -> Iterator[tuple[Path, int]]:
    """The run's spool root and a descriptor of it: ``root`` when it is safe, else a fresh
    private folder beside it, removed (with everything in it) when the block ends."""
    root.parent.mkdir(parents=True, exist_ok=True)
    opened = _open_private(root)
    if isinstance(opened, int):
        try:
            yield root, opened
        finally:
            os.close(opened)
        return
    private = Path(tempfile.mkdtemp(prefix=f"{root.name}-", dir=root.parent))
    log.warning(
        "spool folder %s %s: left alone; this run spools in %s instead (remove %s if nobody "
        "should have made it)",
        root,
        opened,
        private,
        root,
    )
    fd = os.open(private, _DIR_FLAGS)
    try:
        yield private, fd
    finally:
        os.close(fd)
        shutil.rmtree(private, ignore_errors=True)


@contextlib.contextmanager
def owned_spool(root: Path, run_id: str) -> Iterator[Path]:
    """``<root>/<run_id>``, made private and locked for the block's lifetime, removed after;
    first, the spools of runs that are gone are swept from ``root``."""
    if not _RUN_ID.fullmatch(run_id):
        raise ConfigError(
            f"run id {run_id[:80]!r} cannot name a folder",
            hint="use letters, digits, '-' and '_' (at most 128)",
        )
    with _spool_root(root) as (where, root_fd):
        _sweep(where, root_fd)
        try:
            os.mkdir(run_id, 0o700, dir_fd=root_fd)
        except FileExistsError:
            raise StorageError(
                f"the spool folder {where / run_id} already exists",
                hint="another run uses the same run id: give each run its own",
            ) from None
        lock = -1
        try:
            folder = os.open(run_id, _DIR_FLAGS, dir_fd=root_fd)
            try:
                flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
                lock = os.open(MARKER, flags, 0o600, dir_fd=folder)
            finally:
                os.close(folder)
            # locked before it says whose it is: a sweep that wins the race reads nothing
            # it recognises and leaves the folder alone
            fcntl.flock(lock, fcntl.LOCK_EX)
            os.write(lock, _marker_line(run_id))
            yield where / run_id
        finally:
            shutil.rmtree(run_id, dir_fd=root_fd, ignore_errors=True)
            if lock >= 0:
                os.close(lock)


def sweep_dead_spools(root: Path) -> list[Path]:
    """Remove the spool folders under ``root`` whose run is gone (nobody holds their lock):
    only folders a run of ours provably made, and only when ``root`` is a private folder of
    ours (else nothing is touched)."""
    opened = _open_private(root)
    if not isinstance(opened, int):
        log.warning("spool folder %s %s: left alone", root, opened)
        return []
    try:
        return _sweep(root, opened)
    finally:
        os.close(opened)


def _sweep(root: Path, root_fd: int) -> list[Path]:
    removed = []
    with os.scandir(root_fd) as entries:
        names = [e.name for e in entries if e.is_dir(follow_symlinks=False)]
    for name in names:
        if _is_dead_spool(name, root_fd):
            removed.append(root / name)
    if removed:
        log.info("removed %d spool folder(s) left by runs that were killed", len(removed))
    return removed


def _is_dead_spool(name: str, root_fd: int) -> bool:
    """Whether ``name`` is a spool of ours whose run is gone; if so it is removed, under its
    lock (so no two sweeps and no live run meet in it)."""
    try:
        folder = os.open(name, _DIR_FLAGS, dir_fd=root_fd)
    except OSError:
        return False  # a link, or gone
    try:
        if os.fstat(folder).st_uid != os.geteuid():
            return False
        try:
            lock = os.open(MARKER, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
        except OSError:
            return False  # no marker (or a link): not provably ours
    finally:
        os.close(folder)
    try:
        found = os.fstat(lock)
        if not stat.S_ISREG(found.st_mode) or found.st_uid != os.geteuid():
            return False
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a live run
        if os.read(lock, _MARKER_MAX) != _marker_line(name):
            return False
        shutil.rmtree(name, dir_fd=root_fd, ignore_errors=True)
        return True
    finally:
        os.close(lock)
