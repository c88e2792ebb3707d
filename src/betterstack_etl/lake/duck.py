"""DuckDB on top of the local lake: one view per table over its Parquet partitions (SPEC §3).

The database file (default ``<root>/betterstack.duckdb``) holds only views, so it can be rebuilt
at any time with ``publish_duckdb_views`` (a damaged one is moved aside and rebuilt by the next
publish: a run, or ``repair``). DuckDB lets one process write a database file at a time:
opening it retries with a bounded backoff before giving up with a ``StorageError``.

A view reads exactly the files the layout writes (``lake.layout``): the lake folder taken
literally (its glob characters escaped), valid ``data_particao=YYYY-MM-DD`` folders only (a
``2026-02-30`` is skipped, never cast), and only the names ``data.parquet`` and ``pXXX.parquet``
(one exact pattern each, listed only when the table holds such a file: DuckDB fails a pattern
that matches nothing). The definitions name the lake's absolute folder, so that any DuckDB
client opening the file reads the lake; ``open_duckdb`` compares them with the lake it is given
and, when the lake was copied or moved (or the file is out of date), reads through temporary
views over the folder it was given instead: the read-only commands read the lake they are
pointed at, before any run re-points the file.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

import duckdb

from betterstack_etl.errors import ConfigError, DamagedFileError, StorageError, storage_error
from betterstack_etl.lake.duckerrors import open_error as _open_error
from betterstack_etl.lake.viewsql import (
    duckdb_type,
    files_view_sql,
    glob_escape,
    quote_ident,
    quote_literal,
    source_files,
    table_sources,
    view_sql,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from betterstack_etl.sla import SlaOptions
    from betterstack_etl.tables import TableSpec

__all__ = [
    "DEFAULT_DB_NAME",
    "FINGERPRINT_VIEW",
    "DuckDbPublisher",
    "damaged_file_in",
    "default_db_path",
    "definition_statements",
    "duckdb_type",
    "glob_escape",
    "open_duckdb",
    "publish_duckdb_views",
    "source_files",
    "view_sql",
]

log = logging.getLogger(__name__)

DEFAULT_DB_NAME: Final = "betterstack.duckdb"
_ATTEMPTS: Final = 10
_FIRST_DELAY: Final = 0.05
_MAX_DELAY: Final = 2.0


def default_db_path(root: Path | str) -> Path:
    return Path(root).expanduser().absolute() / DEFAULT_DB_NAME


def _db_path(root: Path | str, db_path: Path | str | None) -> Path:
    """The DuckDB file's absolute path; refused when DuckDB cannot keep a file there."""
    path = default_db_path(root) if db_path is None else Path(db_path).expanduser().absolute()
    if "?" in str(path):  # DuckDB reads "?" in a database path as the start of its options
        raise ConfigError(
            f"DuckDB cannot keep its database file at {path}: it reads a '?' in the path as "
            "options",
            hint="rename the lake folder (or the folder above it) without '?'",
        )
    return path


def _raw_views(root: Path, specs: Sequence[TableSpec]) -> list[str]:
    return [view_sql(spec, root, sources=source_files(root, spec)) for spec in specs]


FINGERPRINT_VIEW: Final = "_betterstack_definitions"
# DuckDB names the Parquet file it could not read in its message (truncated, not Parquet…).
_DAMAGED_FILE: Final = re.compile(r"""(?:file|File)[^'"]*['"]([^'"]+\.parquet)['"]""")
_NO_SPACE: Final = "No space left on device"


def definition_statements(
    root: Path,
    specs: Sequence[TableSpec],
    sla: SlaOptions | None,
    *,
    raw: Sequence[str] | None = None,
) -> list[str]:
    """Every statement that (re)creates the views: one per raw table (``raw``, when already
    made), then, when the tables the SLA views read are all among ``specs``, the five SLA
    views (SPEC §8.2)."""
    from betterstack_etl.sla import SOURCES as SLA_SOURCES
    from betterstack_etl.sla import view_selects

    statements = list(_raw_views(root, specs) if raw is None else raw)
    statements += [
        f"COMMENT ON VIEW {quote_ident(s.name)} IS {quote_literal(s.description)}" for s in specs
    ]
    if sla is not None and {s.name for s in specs} >= SLA_SOURCES:
        for spec, select in view_selects("duckdb", table_ref=quote_ident, options=sla):
            name = quote_ident(spec.name)
            statements.append(f"CREATE OR REPLACE VIEW {name} AS {select}")
            statements.append(f"COMMENT ON VIEW {name} IS {quote_literal(spec.description)}")
            statements += [
                f"COMMENT ON COLUMN {name}.{quote_ident(column)} IS {quote_literal(text)}"
                for column, text in spec.columns.items()
            ]
    return statements


def damaged_file_in(exc: Exception) -> str | None:
    """The Parquet file a DuckDB error says it could not read, if it names one."""
    found = _DAMAGED_FILE.search(str(exc))
    return None if found is None else found.group(1)


def _fingerprint(statements: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(statements).encode()).hexdigest()[:32]


def _published(path: Path) -> str | None:
    """The fingerprint of what the file holds now (read-only: fine beside other readers)."""
    if not path.is_file():
        return None
    try:
        conn = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None  # locked by a writer, or damaged: publish will say which
    try:
        row = conn.execute(f"SELECT fingerprint FROM {FINGERPRINT_VIEW}").fetchone()  # noqa: S608
        return None if row is None else str(row[0])
    except duckdb.Error:
        return None
    finally:
        conn.close()


def _note_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.published")


def _file_stamp(path: Path) -> list[int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return [found.st_ino, found.st_size, found.st_mtime_ns]


def _noted(path: Path) -> str | None:
    """The fingerprint the last publish wrote (or found) in the file, read from the note
    beside it without opening DuckDB: None when there is no note, or the file is no longer
    the one noted (written since by anyone, moved aside, replaced) or has a WAL to replay."""
    if path.with_name(f"{path.name}.wal").exists():
        return None
    try:
        note = json.loads(_note_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(note, dict) or note.get("file") != _file_stamp(path):
        return None
    found = note.get("fingerprint")
    return found if isinstance(found, str) else None


def _note(path: Path, fingerprint: str) -> None:
    """Keep beside the file the fingerprint it holds and its identity (inode, size, mtime):
    the next publish with the same definitions need not open DuckDB. Only a shortcut: a note
    that cannot be written is left out."""
    stamp = _file_stamp(path)
    if stamp is None:
        return
    note = _note_path(path)
    partial = note.with_name(f"{note.name}.partial")
    try:
        partial.write_text(json.dumps({"fingerprint": fingerprint, "file": stamp}), "utf-8")
        os.replace(partial, note)
    except OSError:
        partial.unlink(missing_ok=True)


def publish_duckdb_views(
    root: Path | str,
    specs: Sequence[TableSpec],
    db_path: Path | str | None = None,
    *,
    sla: SlaOptions | None = None,
    attempts: int = _ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> Path:
    """(Re)create the views in the DuckDB file when their definitions changed; returns the
    file's path. Idempotent, and writes nothing when nothing changed (so an analyst's open
    read-only session does not block a run).

    A table with no partition yet gets a typed view with zero rows; the next publish after
    its first load makes the view read the Parquet files (the definition changed). The
    definitions include the lake's absolute folder: a moved or copied lake is re-pointed at
    its new place by the next publish (and read where it is by ``open_duckdb`` before that).
    A file DuckDB cannot open (damaged) is moved aside beside itself and rebuilt. What the
    file holds is noted beside it (``<file>.published``: fingerprint, inode, size, mtime), so
    a publish with nothing to change does not open DuckDB at all."""
    base = Path(root).expanduser().absolute()
    path = _db_path(base, db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = _raw_views(base, specs)
    statements = definition_statements(base, specs, sla, raw=raw)
    fingerprint = _fingerprint(statements)
    noted = _noted(path)
    if noted == fingerprint:  # nothing changed, and DuckDB is not even opened
        return path
    current = _published(path) if noted is None else noted
    if current == fingerprint:
        _note(path, fingerprint)
        return path
    statements.append(
        f"CREATE OR REPLACE VIEW {FINGERPRINT_VIEW} AS SELECT "
        f"{quote_literal(fingerprint)} AS fingerprint, {quote_literal(str(base))} AS lake_root, "
        f"{quote_literal(_raw_fingerprints(specs, raw))} AS raw_views"
    )
    try:
        conn = _connect(path, read_only=False, attempts=attempts, sleep=sleep)
    except StorageError as exc:
        if "locked" in exc.message and current is not None:
            # Another process (an analyst's notebook) reads the file: the data has landed and
            # the views it has still read it; the next publish brings the definitions up to date.
            log.warning("DuckDB views not refreshed: %s", exc)
            return path
        if "locked" in exc.message or "ermission" in exc.message or not path.is_file():
            raise
        _set_aside(path, exc)
        conn = _connect(path, read_only=False, attempts=attempts, sleep=sleep)
    try:
        conn.execute("BEGIN TRANSACTION")
        for statement in statements:
            conn.execute(statement)
        conn.execute("COMMIT")
        # into the file now, not at close (where a failure is silent and leaves a `.wal`)
        conn.execute("CHECKPOINT")
    except duckdb.Error as exc:
        damaged = damaged_file_in(exc)
        if damaged is not None and "ermission denied" in str(exc):
            raise StorageError(
                f"the DuckDB views were not refreshed: {damaged} may not be read",
                hint="give the user running the pipeline read access to it (chown/chmod); it "
                "is a permission problem, not damage",
            ) from exc
        if damaged is not None:
            raise DamagedFileError(
                f"the DuckDB views were not refreshed: {damaged} cannot be read",
                path=damaged,
            ) from exc
        if _NO_SPACE in str(exc):  # the data landed; the views wait for space
            full = OSError(errno.ENOSPC, _NO_SPACE)
            raise storage_error(full, str(path), "refresh the DuckDB views in", "") from exc
        raise StorageError(
            f"could not create the DuckDB views in {path}: {exc}",
            hint=f"delete {path} (it only holds views; the data is in the Parquet files) and "
            "run the pipeline again",
        ) from exc
    finally:
        conn.close()
        _drop_empty_wal(path)
    _note(path, fingerprint)
    return path


def _drop_empty_wal(path: Path) -> None:
    """A write that failed at once (a full disk) can leave an empty ``.wal`` beside the file:
    it holds nothing to replay, so it goes (one that holds anything is DuckDB's to replay)."""
    wal = path.with_name(path.name + ".wal")
    if wal.is_file() and wal.stat().st_size == 0:
        wal.unlink(missing_ok=True)


def open_duckdb(
    root: Path | str,
    db_path: Path | str | None = None,
    read_only: bool = True,
    *,
    attempts: int = _ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> duckdb.DuckDBPyConnection:
    """A connection to the lake's DuckDB file, for queries (read-only by default). A
    read-only connection reads the lake at ``root`` even when the file's views point
    elsewhere (a copied or moved lake) or are out of date: temporary views over ``root``
    take their place for this connection."""
    base = Path(root).expanduser().absolute()
    path = _db_path(base, db_path)
    if not path.is_file():
        raise ConfigError(
            f"no DuckDB database at {path}",
            hint="run the pipeline first (`betterstack-etl run` writes ./lake, `betterstack-etl "
            "demo` writes ./demo-lake) or point --lake-root at an existing lake, e.g. "
            "--lake-root ./demo-lake",
        )
    conn = _connect(path, read_only=read_only, attempts=attempts, sleep=sleep)
    if read_only:
        try:
            _repoint(conn, base)
        except duckdb.Error as exc:
            conn.close()
            raise _open_error(path, exc, base) from exc
    return conn


def _table_specs() -> dict[str, TableSpec]:
    """Every declared table by name (imports ``tables``, hence pyarrow: only when needed)."""
    from betterstack_etl import tables
    from betterstack_etl.tables import TableSpec

    return {v.name: v for v in vars(tables).values() if isinstance(v, TableSpec)}


def _repoint(conn: duckdb.DuckDBPyConnection, root: Path) -> None:
    """When the file's raw views were not made for the lake at ``root`` as it is now, shadow
    them (for this connection) with temporary views over ``root``; the SLA views read them.

    The file names its raw views (``raw_views``, written by publish). A view over files needs
    only its table's name, and a typed empty view does not depend on the lake's folder: when
    the file holds one for a table that has no file yet, it stands. So a read (``query``)
    imports no pyarrow; the table declarations are read only for an older file, or a table
    whose files are all gone (its view must become the typed empty one)."""
    views = dict(
        conn.execute(
            "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'"
        ).fetchall()
    )
    try:
        row = conn.execute(f"SELECT raw_views FROM {FINGERPRINT_VIEW}").fetchone()  # noqa: S608
        stored = json.loads(str(row[0])) if row is not None else {}
    except (duckdb.Error, ValueError):
        stored = {}  # written before the definitions were kept per view
    if not isinstance(stored, dict):
        stored = {}
    specs = None if stored else _table_specs()
    raw = set(stored) if stored else set(specs or ())
    stale = 0
    for name in sorted(n for n in views if n in raw):
        sources = table_sources(root, name)
        if sources:
            statement = files_view_sql(name, root, sources)
        elif stored and "read_parquet" not in str(views[name]).lower():
            continue  # typed and empty, as published: the same for any folder
        else:
            specs = _table_specs() if specs is None else specs
            if name not in specs:
                continue
            statement = view_sql(specs[name], root, sources=())
        if stored.get(name) != _fingerprint([statement]):
            conn.execute(statement.replace("CREATE OR REPLACE VIEW", "CREATE OR REPLACE TEMP VIEW"))
            stale += 1
    if stale:
        log.info("%d view(s) of the DuckDB file are not those of %s now: read fresh", stale, root)


def _raw_fingerprints(specs: Sequence[TableSpec], raw: Sequence[str]) -> str:
    """JSON: each raw view's name and the fingerprint of its definition."""
    pairs = {s.name: _fingerprint([q]) for s, q in zip(specs, raw, strict=True)}
    return json.dumps(pairs, sort_keys=True)


def _set_aside(path: Path, exc: StorageError) -> None:
    """Move a DuckDB file that cannot be opened (and its WAL) aside, beside it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for source in (path, path.with_name(f"{path.name}.wal")):
        if source.exists():
            os.replace(source, source.with_name(f"{source.name}.damaged-{stamp}"))
    log.warning(
        "%s could not be opened (%s): moved aside as %s.damaged-%s and rebuilt (it only holds "
        "views; the data is in the Parquet files)",
        path,
        exc.message,
        path.name,
        stamp,
    )


def _connect(
    path: Path, *, read_only: bool, attempts: int, sleep: Callable[[float], None]
) -> duckdb.DuckDBPyConnection:
    """Open ``path``, retrying while another process holds its lock (bounded backoff)."""
    last: duckdb.Error | None = None
    for attempt in range(max(attempts, 1)):
        if attempt:
            sleep(min(_FIRST_DELAY * 2 ** (attempt - 1), _MAX_DELAY))
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise _open_error(path, exc) from exc
            last = exc
        except duckdb.Error as exc:
            raise _open_error(path, exc) from exc
    raise StorageError(
        f"{path} stayed locked by another process after {attempts} attempts: {last}",
        hint="close the other DuckDB session using it (a `betterstack-etl query`, the DuckDB "
        "CLI, a notebook) and run again; only one process may write the file at a time",
    ) from last


class DuckDbPublisher:
    """The local lake's publisher: the views of its DuckDB file (``publish_duckdb_views``),
    the tables' and the SLA views (with the run's time zone and SLO)."""

    def __init__(
        self, root: Path | str, db_path: Path | str | None = None, *, sla: SlaOptions | None = None
    ) -> None:
        from betterstack_etl.sla import SlaOptions

        _db_path(root, db_path)  # refused now, before a run fetches anything
        self._root = Path(root)
        self._db_path = db_path
        self._sla = sla or SlaOptions()

    def __repr__(self) -> str:
        return f"DuckDbPublisher({str(self._root)!r})"

    def publish(self, specs: Sequence[TableSpec]) -> None:
        publish_duckdb_views(self._root, specs, self._db_path, sla=self._sla)
