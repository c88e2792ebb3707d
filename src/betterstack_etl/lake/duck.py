"""DuckDB on top of the local lake: one view per table over its Parquet partitions (SPEC §3).

The database file (default ``<root>/betterstack.duckdb``) holds only views, so it can be rebuilt
at any time with ``publish_duckdb_views``. DuckDB lets one process write a database file at a
time: opening it retries with a bounded backoff before giving up with a ``StorageError``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

import duckdb
import pyarrow as pa

from betterstack_etl.errors import ConfigError, DamagedFileError, DiskFullError, StorageError
from betterstack_etl.sla import SOURCES as SLA_SOURCES
from betterstack_etl.sla import view_selects
from betterstack_etl.tables import PARTITION_COLUMN

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
    "open_duckdb",
    "publish_duckdb_views",
    "view_sql",
]

log = logging.getLogger(__name__)

DEFAULT_DB_NAME: Final = "betterstack.duckdb"
# Only our own names (lake.layout): valid ``data_particao=YYYY-MM-DD`` folders, and files named
# ``data.parquet`` or ``pXXX.parquet`` (XXX hex): a stray ``data-backup.parquet`` or a folder
# ``data_particao=garbage`` is never read. (DuckDB globs have no alternation: the four character
# classes accept ``data`` and ``p`` + 3 hex digits.)
PARTITION_GLOB: Final = (
    f"{PARTITION_COLUMN}=[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
    "/[dp][0-9a-f][0-9a-ft][0-9a-f].parquet"
)
_ATTEMPTS: Final = 10
_FIRST_DELAY: Final = 0.05
_MAX_DELAY: Final = 2.0

_SIMPLE_TYPES: Final[dict[pa.DataType, str]] = {
    pa.string(): "VARCHAR",
    pa.large_string(): "VARCHAR",
    pa.bool_(): "BOOLEAN",
    pa.int8(): "TINYINT",
    pa.int16(): "SMALLINT",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float32(): "FLOAT",
    pa.float64(): "DOUBLE",
    pa.date32(): "DATE",
}


def default_db_path(root: Path | str) -> Path:
    return Path(root).expanduser().absolute() / DEFAULT_DB_NAME


def duckdb_type(arrow_type: pa.DataType) -> str:
    """The DuckDB type DuckDB gives a Parquet column of ``arrow_type`` (as pyarrow writes it)."""
    if arrow_type in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[arrow_type]
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP WITH TIME ZONE" if arrow_type.tz else "TIMESTAMP"
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return f"{duckdb_type(arrow_type.value_type)}[]"
    raise TypeError(f"no DuckDB type declared for Arrow type {arrow_type}")


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def view_sql(spec: TableSpec, root: Path, *, has_data: bool) -> str:
    """``CREATE OR REPLACE VIEW`` for one table: over its partitions, or typed and empty."""
    name = _quote_ident(spec.name)
    if has_data:
        pattern = _quote_literal(str(root / spec.name / PARTITION_GLOB))
        source = (
            f"SELECT * FROM read_parquet({pattern}, hive_partitioning = true, "  # noqa: S608
            f"hive_types = {{'{PARTITION_COLUMN}': DATE}}, union_by_name = true)"
        )
    else:
        columns = [
            f"CAST(NULL AS {duckdb_type(f.type)}) AS {_quote_ident(f.name)}" for f in spec.schema
        ]
        columns.append(f"CAST(NULL AS DATE) AS {_quote_ident(PARTITION_COLUMN)}")
        source = f"SELECT {', '.join(columns)} WHERE false"
    # identifiers and the path are quoted above; nothing here comes from a user's SQL
    return f"CREATE OR REPLACE VIEW {name} AS {source}"


def _has_data(root: Path, spec: TableSpec) -> bool:
    return any((root / spec.name).glob(PARTITION_GLOB))


FINGERPRINT_VIEW: Final = "_betterstack_definitions"
# DuckDB names the Parquet file it could not read in its message (truncated, not Parquet…).
_DAMAGED_FILE: Final = re.compile(r"""(?:file|File)[^'"]*['"]([^'"]+\.parquet)['"]""")
_NO_SPACE: Final = "No space left on device"


def definition_statements(
    root: Path, specs: Sequence[TableSpec], sla: SlaOptions | None
) -> list[str]:
    """Every statement that (re)creates the views: one per raw table, then, when the tables
    the SLA views read are all among ``specs``, the five SLA views (SPEC §8.2)."""
    statements = [view_sql(spec, root, has_data=_has_data(root, spec)) for spec in specs]
    statements += [
        f"COMMENT ON VIEW {_quote_ident(s.name)} IS {_quote_literal(s.description)}" for s in specs
    ]
    if sla is not None and {s.name for s in specs} >= SLA_SOURCES:
        for spec, select in view_selects("duckdb", table_ref=_quote_ident, options=sla):
            name = _quote_ident(spec.name)
            statements.append(f"CREATE OR REPLACE VIEW {name} AS {select}")
            statements.append(f"COMMENT ON VIEW {name} IS {_quote_literal(spec.description)}")
            statements += [
                f"COMMENT ON COLUMN {name}.{_quote_ident(column)} IS {_quote_literal(text)}"
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
    its new place by the next publish (a run, ``query`` or ``report``)."""
    base = Path(root).expanduser().absolute()
    path = default_db_path(base) if db_path is None else Path(db_path).expanduser().absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    statements = definition_statements(base, specs, sla)
    fingerprint = _fingerprint(statements)
    current = _published(path)
    if current == fingerprint:
        return path
    statements.append(
        f"CREATE OR REPLACE VIEW {FINGERPRINT_VIEW} AS SELECT "
        f"{_quote_literal(fingerprint)} AS fingerprint, {_quote_literal(str(base))} AS lake_root"
    )
    try:
        conn = _connect(path, read_only=False, attempts=attempts, sleep=sleep)
    except StorageError as exc:
        if "locked" not in exc.message or current is None:
            raise
        # Another process (an analyst's notebook) reads the file: the data has landed and the
        # views it has still read it; the next publish brings the definitions up to date.
        log.warning("DuckDB views not refreshed: %s", exc)
        return path
    try:
        conn.execute("BEGIN TRANSACTION")
        for statement in statements:
            conn.execute(statement)
        conn.execute("COMMIT")
        # into the file now, not at close (where a failure is silent and leaves a `.wal`)
        conn.execute("CHECKPOINT")
    except duckdb.Error as exc:
        damaged = damaged_file_in(exc)
        if damaged is not None:
            raise DamagedFileError(
                f"the DuckDB views were not refreshed: {damaged} cannot be read",
                path=damaged,
            ) from exc
        if _NO_SPACE in str(exc):
            raise DiskFullError(
                f"no space left on the disk holding {path} (the DuckDB views were not "
                "refreshed; the data landed)",
                path=str(path),
                hint="free space on that disk and run again (or `betterstack-etl repair`): the "
                "views are re-created then",
            ) from exc
        raise StorageError(
            f"could not create the DuckDB views in {path}: {exc}",
            hint=f"delete {path} (it only holds views; the data is in the Parquet files) and "
            "run the pipeline again",
        ) from exc
    finally:
        conn.close()
        _drop_empty_wal(path)
    return path


def _drop_empty_wal(path: Path) -> None:
    """A write that failed at once (a full disk) can leave an empty ``.wal`` beside the file:
    it holds nothing to replay, so it goes (one that holds anything is DuckDB's to replay)."""
    wal = path.with_name(path.name + ".wal")
    try:
        if wal.stat().st_size == 0:
            wal.unlink()
    except FileNotFoundError:
        pass


def open_duckdb(
    root: Path | str,
    db_path: Path | str | None = None,
    read_only: bool = True,
    *,
    attempts: int = _ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> duckdb.DuckDBPyConnection:
    """A connection to the lake's DuckDB file, for queries (read-only by default)."""
    path = default_db_path(root) if db_path is None else Path(db_path).expanduser().absolute()
    if not path.is_file():
        raise ConfigError(
            f"no DuckDB database at {path}",
            hint="run the pipeline first (`betterstack-etl run` writes ./lake, `betterstack-etl "
            "demo` writes ./demo-lake) or point --lake-root at an existing lake, e.g. "
            "--lake-root ./demo-lake",
        )
    return _connect(path, read_only=read_only, attempts=attempts, sleep=sleep)


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


def _open_error(path: Path, exc: duckdb.Error) -> StorageError:
    return StorageError(
        f"cannot open the DuckDB database {path}: {exc}",
        hint=f"close other connections to it in this process, or delete {path} "
        "(it only holds views) and run the pipeline again",
    )


class DuckDbPublisher:
    """The local lake's publisher: the views of its DuckDB file (``publish_duckdb_views``),
    the tables' and the SLA views (with the run's time zone and SLO)."""

    def __init__(
        self, root: Path | str, db_path: Path | str | None = None, *, sla: SlaOptions | None = None
    ) -> None:
        from betterstack_etl.sla import SlaOptions

        self._root = Path(root)
        self._db_path = db_path
        self._sla = sla or SlaOptions()

    def __repr__(self) -> str:
        return f"DuckDbPublisher({str(self._root)!r})"

    def publish(self, specs: Sequence[TableSpec]) -> None:
        publish_duckdb_views(self._root, specs, self._db_path, sla=self._sla)
