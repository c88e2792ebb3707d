"""A raw table read over some of its partitions only, for DuckDB (issue 24).

A view of ``lake.duck`` reads a table's whole history: DuckDB lists every partition folder and,
with ``union_by_name``, reads every file's schema when it binds a query, before any filter on
``data_particao`` prunes a file. A query that answers a period (the run's SLO check, the report)
reads instead ``bounded_sql``: the files of the partitions whose date lies in the period, listed
here (as ``source_files`` lists the folders), so the cost follows the period, not the lake's age.

Rows and columns are the view's: the same files of those partitions (``lake.layout``'s names,
valid folders only), ``data_particao`` as a DATE, columns matched by name, and every column of
the table's declaration present (NULL where no file of the period has it yet), also when no
partition lies in the period (zero rows).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from betterstack_etl.lake.duck import duckdb_type, glob_escape
from betterstack_etl.lake.layout import is_data_file, parse_partition_dir
from betterstack_etl.tables import PARTITION_COLUMN

if TYPE_CHECKING:
    from datetime import date
    from pathlib import Path

    from betterstack_etl.tables import TableSpec

__all__ = ["bounded_sql", "period_files"]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def period_files(root: Path, spec: TableSpec, first: date | None, last: date | None) -> list[str]:
    """The data files of ``spec``'s partitions dated ``first``..``last`` (either end open when
    None), sorted: valid ``data_particao`` folders and the layout's file names only."""
    table_dir = root / spec.name
    if table_dir.is_symlink() or not table_dir.is_dir():
        return []
    found = []
    for entry in os.scandir(table_dir):
        day = parse_partition_dir(entry.name)
        if day is None or (first is not None and day < first) or (last is not None and day > last):
            continue
        if not entry.is_dir(follow_symlinks=False):
            continue
        found += [f.path for f in os.scandir(entry.path) if is_data_file(f.name)]
    return sorted(found)


def bounded_sql(spec: TableSpec, root: Path, first: date | None, last: date | None) -> str:
    """A parenthesised SELECT of ``spec``'s rows in the partitions ``first``..``last``: DuckDB
    opens (and binds against) those files only."""
    part = _ident(PARTITION_COLUMN)
    typed = [f"CAST(NULL AS {duckdb_type(f.type)}) AS {_ident(f.name)}" for f in spec.schema]
    typed.append(f"CAST(NULL AS DATE) AS {part}")
    empty = f"SELECT {', '.join(typed)} WHERE false"
    files = period_files(root, spec, first, last)
    if not files:
        return f"({empty})"
    listed = ", ".join(_literal(glob_escape(path)) for path in files)
    # the SQL names only our own paths (escaped, quoted) and declared columns
    return (
        f"(SELECT * REPLACE (CAST({part} AS DATE) AS {part}) "  # noqa: S608
        f"FROM read_parquet([{listed}], hive_partitioning = true, "
        f"hive_types = {{'{PARTITION_COLUMN}': VARCHAR}}, union_by_name = true) "
        f"UNION ALL BY NAME {empty})"
    )
