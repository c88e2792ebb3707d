"""The SQL of the DuckDB views over the lake's files (``lake.duck`` runs it).

Apart from ``duck`` so that a view over files is written from its table's name alone: the
read-only side (``query``) imports no pyarrow (issue 24); only a table with no file yet needs
its declared schema (``duckdb_type``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final

from betterstack_etl.constants import PARTITION_COLUMN
from betterstack_etl.lake.layout import LEGACY_FILE, is_data_file, parse_partition_dir

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    import pyarrow as pa

    from betterstack_etl.tables import TableSpec

__all__ = [
    "BUCKET_FILES",
    "PARTITION_DIRS",
    "duckdb_type",
    "files_view_sql",
    "glob_escape",
    "quote_ident",
    "quote_literal",
    "source_files",
    "table_sources",
    "view_sql",
]

# Only our own names (lake.layout), each as one exact pattern: DuckDB globs have no
# alternation, and one pattern for both (``[dp][0-9a-f][0-9a-ft][0-9a-f]``) also took
# ``dead.parquet`` or ``d00d.parquet``. Folders: the shape of a date; a valid one is checked
# by the view itself.
PARTITION_DIRS: Final = f"{PARTITION_COLUMN}=[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
BUCKET_FILES: Final = "p[0-9a-f][0-9a-f][0-9a-f].parquet"
_SIMPLE_TYPES: Final = {  # pyarrow's type factory → DuckDB's name
    "string": "VARCHAR",
    "large_string": "VARCHAR",
    "bool_": "BOOLEAN",
    "int8": "TINYINT",
    "int16": "SMALLINT",
    "int32": "INTEGER",
    "int64": "BIGINT",
    "float32": "FLOAT",
    "float64": "DOUBLE",
    "date32": "DATE",
}


def duckdb_type(arrow_type: pa.DataType) -> str:
    """The DuckDB type DuckDB gives a Parquet column of ``arrow_type`` (as pyarrow writes it)."""
    import pyarrow as pa  # here: `query` over a lake with data imports no pyarrow

    for factory, name in _SIMPLE_TYPES.items():
        if arrow_type == getattr(pa, factory)():
            return name
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP WITH TIME ZONE" if arrow_type.tz else "TIMESTAMP"
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return f"{duckdb_type(arrow_type.value_type)}[]"
    raise TypeError(f"no DuckDB type declared for Arrow type {arrow_type}")


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def glob_escape(text: str) -> str:
    """``text`` matched literally by a DuckDB glob: ``[``, ``*`` and ``?`` each in a class."""
    return "".join(f"[{c}]" if c in "[*?" else c for c in text)


def source_files(root: Path, spec: TableSpec) -> tuple[str, ...]:
    """The file patterns a view of ``spec`` reads: ``data.parquet`` and/or the bucket files,
    each only when a valid partition folder holds one (a pattern must match a file)."""
    return table_sources(root, spec.name)


def table_sources(root: Path, name: str) -> tuple[str, ...]:
    table_dir = root / name
    found: set[str] = set()
    if table_dir.is_symlink() or not table_dir.is_dir():
        return ()
    for entry in os.scandir(table_dir):
        if parse_partition_dir(entry.name) is None or not entry.is_dir(follow_symlinks=False):
            continue
        for file in os.scandir(entry.path):
            if is_data_file(file.name):
                found.add(LEGACY_FILE if file.name == LEGACY_FILE else BUCKET_FILES)
        if len(found) == 2:
            break
    return tuple(sorted(found))


def view_sql(spec: TableSpec, root: Path, *, sources: Sequence[str]) -> str:
    """``CREATE OR REPLACE VIEW`` for one table: over the given file patterns of its
    partitions (``source_files``), or typed and empty when there are none."""
    if sources:
        return files_view_sql(spec.name, root, sources)
    columns = [f"CAST(NULL AS {duckdb_type(f.type)}) AS {quote_ident(f.name)}" for f in spec.schema]
    columns.append(f"CAST(NULL AS DATE) AS {quote_ident(PARTITION_COLUMN)}")
    select = f"SELECT {', '.join(columns)} WHERE false"  # quoted: nothing from a user's SQL
    return f"CREATE OR REPLACE VIEW {quote_ident(spec.name)} AS {select}"


def files_view_sql(table: str, root: Path, sources: Sequence[str]) -> str:
    """``view_sql`` of a table with files: it needs only the table's name (no pyarrow)."""
    folder = f"{glob_escape(str(root / table))}/{PARTITION_DIRS}"
    patterns = ", ".join(quote_literal(f"{folder}/{file}") for file in sources)
    part = quote_ident(PARTITION_COLUMN)
    source = (
        f"SELECT * REPLACE (CAST({part} AS DATE) AS {part}) "  # noqa: S608
        f"FROM read_parquet([{patterns}], hive_partitioning = true, "
        f"hive_types = {{'{PARTITION_COLUMN}': VARCHAR}}, union_by_name = true) "
        f"WHERE TRY_CAST({part} AS DATE) IS NOT NULL"
    )
    # identifiers and the path are quoted above; nothing here comes from a user's SQL
    return f"CREATE OR REPLACE VIEW {quote_ident(table)} AS {source}"
