"""DuckDB on top of the local lake: one view per table over its Parquet partitions (SPEC §3).

The database file (default ``<root>/betterstack.duckdb``) holds only views, so it can be rebuilt
at any time with ``publish_duckdb_views``. DuckDB lets one process write a database file at a
time: opening it retries with a bounded backoff before giving up with a ``StorageError``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

import duckdb
import pyarrow as pa

from betterstack_etl.errors import ConfigError, StorageError
from betterstack_etl.tables import PARTITION_COLUMN

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from betterstack_etl.tables import TableSpec

__all__ = [
    "DEFAULT_DB_NAME",
    "default_db_path",
    "duckdb_type",
    "open_duckdb",
    "publish_duckdb_views",
    "view_sql",
]

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


def publish_duckdb_views(
    root: Path | str,
    specs: Sequence[TableSpec],
    db_path: Path | str | None = None,
    *,
    attempts: int = _ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> Path:
    """(Re)create one view per table in the DuckDB file; returns the file's path. Idempotent.

    A table with no partition yet gets a typed view with zero rows; publish again after the
    first load so the view reads the Parquet files."""
    base = Path(root).expanduser().absolute()
    path = default_db_path(base) if db_path is None else Path(db_path).expanduser().absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    statements = [view_sql(spec, base, has_data=_has_data(base, spec)) for spec in specs]
    statements += [
        f"COMMENT ON VIEW {_quote_ident(s.name)} IS {_quote_literal(s.description)}" for s in specs
    ]
    conn = _connect(path, read_only=False, attempts=attempts, sleep=sleep)
    try:
        conn.execute("BEGIN TRANSACTION")
        for statement in statements:
            conn.execute(statement)
        conn.execute("COMMIT")
    except duckdb.Error as exc:
        raise StorageError(
            f"could not create the DuckDB views in {path}: {exc}",
            hint=f"delete {path} (it only holds views) and run the pipeline again",
        ) from exc
    finally:
        conn.close()
    return path


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
            hint="run the pipeline first (`betterstack-etl run` or `betterstack-etl demo`) "
            "or point --lake-root at an existing lake",
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
