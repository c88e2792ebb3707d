"""Names and bytes of the lake's files (SPEC §3), shared by the local and the GCS lake.

``<root>/<table>/data_particao=YYYY-MM-DD/<file>``, where ``<file>`` is

- ``data.parquet`` for a table with one file per partition (``TableSpec.file_key == ()``), and
  the *legacy* single file of a table that now has several (rewritten by its next merge);
- ``pXXX.parquet`` (``XXX``: 3 hex digits) for a table with ``file_key``: the rows whose
  ``file_key`` hashes to bucket ``XXX`` (a stable hash, so a key is always in the same file).

Anything else in a partition is a stray file, and a folder that is not a valid
``data_particao=YYYY-MM-DD`` is a bad folder: readers skip both, ``verify`` reports them. Names
beginning with ``.`` or ``_`` are ours too (temporary files, locks, the state beside the tables)
and never read as data. While a legacy ``data.parquet`` and ``pXXX.parquet`` files coexist (a
migration that was cut short), the ``pXXX.parquet`` files win for the readers that go through
this module (merges, ``read_partition``, ``scan``, the open-incident lookup): the rows of
``data.parquet`` whose bucket has its own file are left out (``without_superseded``). A glob
reader (the DuckDB views, BigQuery's tables) counts those keys twice until the next merge of
the partition or ``repair`` finishes the migration (docs/lake.md).
"""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date
from typing import TYPE_CHECKING, Final

from betterstack_etl.constants import PARTITION_COLUMN

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Sequence

    import pyarrow as pa

    from betterstack_etl.tables import TableSpec

__all__ = [
    "LEGACY_FILE",
    "bucket_file",
    "conform",
    "decode_parquet",
    "encode_parquet",
    "file_names",
    "is_data_file",
    "is_hidden",
    "parse_partition_dir",
    "split_by_file",
    "without_superseded",
    "write_options",
]

LEGACY_FILE: Final = "data.parquet"
_DATA_FILE = re.compile(r"^(?:data|p[0-9a-f]{3})\.parquet$")
_PARTITION_DIR = re.compile(rf"^{PARTITION_COLUMN}=(\d{{4}}-\d{{2}}-\d{{2}})$")
_SEPARATOR: Final = "\x1f"


def parse_partition_dir(name: str) -> date | None:
    """The date of a ``data_particao=YYYY-MM-DD`` folder name; None for anything else."""
    match = _PARTITION_DIR.match(name)
    if match is None:
        return None
    try:
        return date.fromisoformat(match[1])
    except ValueError:
        return None


def is_data_file(name: str) -> bool:
    """Whether ``name`` is one of our Parquet file names (``data.parquet``, ``pXXX.parquet``)."""
    return _DATA_FILE.match(name) is not None


def is_hidden(name: str) -> bool:
    """Temporary files, locks, markers, quarantined files: never data."""
    return name.startswith((".", "_"))


def bucket_file(bucket: int) -> str:
    return f"p{bucket:03x}.parquet"


def _bucket_of(text: str, buckets: int) -> int:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % buckets


def file_names(spec: TableSpec, table: pa.Table) -> pa.Array:
    """The file name each row of ``table`` belongs in (a string array, one per row)."""
    import pyarrow as pa  # here: `query` (DuckDB only) imports no pyarrow
    import pyarrow.compute as pc

    n = table.num_rows
    if not spec.file_key:
        return pa.array([LEGACY_FILE] * n, pa.string()) if n else pa.array([], pa.string())
    columns = [pc.cast(table.column(c), pa.string()) for c in spec.file_key]
    joined = columns[0] if len(columns) == 1 else pc.binary_join_element_wise(*columns, _SEPARATOR)
    encoded = pc.dictionary_encode(joined).combine_chunks()
    names = [bucket_file(_bucket_of(v, spec.file_buckets)) for v in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(names, pa.string()), encoded.indices)


def split_by_file(spec: TableSpec, table: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    """``(file name, rows)`` for each file the rows of ``table`` belong in, by name."""
    import pyarrow as pa  # here: `query` (DuckDB only) imports no pyarrow
    import pyarrow.compute as pc

    if table.num_rows == 0:
        return
    if not spec.file_key:
        yield LEGACY_FILE, table
        return
    names = file_names(spec, table)
    for name in sorted(pc.unique(names).to_pylist()):
        yield name, table.filter(pc.equal(names, pa.scalar(name, pa.string())))


def without_superseded(spec: TableSpec, legacy: pa.Table, present: Collection[str]) -> pa.Table:
    """The rows of a legacy ``data.parquet`` whose bucket has no file of its own yet."""
    import pyarrow as pa  # here: `query` (DuckDB only) imports no pyarrow
    import pyarrow.compute as pc

    if not spec.file_key or not present or legacy.num_rows == 0:
        return legacy
    names = file_names(spec, legacy)
    return legacy.filter(pc.invert(pc.is_in(names, pa.array(sorted(present), pa.string()))))


def write_options(schema: pa.Schema) -> dict[str, object]:
    """How the lake writes Parquet: zstd; dictionaries for strings only (they repeat: ids,
    regions), floats as BYTE_STREAM_SPLIT (dictionaries of measurements never pay off)."""
    import pyarrow as pa  # here: `query` (DuckDB only) imports no pyarrow

    strings = [f.name for f in schema if pa.types.is_string(f.type)]
    floats = {f.name: "BYTE_STREAM_SPLIT" for f in schema if pa.types.is_floating(f.type)}
    return {
        "compression": "zstd",
        "coerce_timestamps": "ms",
        "use_dictionary": strings,
        "column_encoding": floats or None,
    }


def encode_parquet(table: pa.Table) -> bytes:
    import pyarrow.parquet as pq  # here: `query` reads no file through pyarrow

    sink = io.BytesIO()
    pq.write_table(table, sink, **write_options(table.schema))
    return sink.getvalue()


def decode_parquet(
    spec: TableSpec,
    source: bytes | str,
    columns: Sequence[str] | None = None,
    *,
    dictionaries: bool = False,
) -> pa.Table:
    """A file's rows typed as ``spec.schema`` (``columns`` only, when given; with
    ``dictionaries`` the string columns as dictionaries, as Parquet stores them). Raises
    ``OSError``/``ArrowException``/``ValueError`` when it is not this table's Parquet."""
    import pyarrow as pa  # here: `query` (DuckDB only) imports no pyarrow
    import pyarrow.parquet as pq

    handle = io.BytesIO(source) if isinstance(source, bytes) else source
    wanted = spec.columns if columns is None else list(columns)
    strings = [n for n in wanted if pa.types.is_string(spec.schema.field(n).type)]
    read_dictionary = strings if dictionaries else None
    with pq.ParquetFile(handle, read_dictionary=read_dictionary) as parquet:
        present = set(parquet.schema_arrow.names)
        table = parquet.read(columns=[c for c in wanted if c in present])
    return conform(spec, table, wanted, dictionaries=dictionaries)


def conform(
    spec: TableSpec,
    table: pa.Table,
    columns: Sequence[str] | None = None,
    *,
    dictionaries: bool = False,
) -> pa.Table:
    """``table`` with the given columns (default: all) typed as in ``spec.schema`` (string
    columns as dictionaries of strings, with ``dictionaries``).

    Nullable columns missing from an older file come back as nulls."""
    import pyarrow as pa  # here: `query` (DuckDB only) imports no pyarrow

    names = spec.columns if columns is None else columns
    fields = [_as_read(spec.schema.field(name), dictionaries) for name in names]
    target = pa.schema(fields)
    if table.schema.equals(target, check_metadata=False):
        return table
    arrays = []
    for field in fields:
        if field.name in table.column_names:
            column = table.column(field.name)
            arrays.append(column if column.type == field.type else column.cast(field.type))
        elif field.nullable:
            arrays.append(pa.nulls(table.num_rows, field.type))
        else:
            raise ValueError(f"required column {field.name!r} is missing")
    return pa.Table.from_arrays(arrays, schema=target)


def _as_read(field: pa.Field, dictionaries: bool) -> pa.Field:
    import pyarrow as pa  # here: `query` (DuckDB only) imports no pyarrow

    if dictionaries and pa.types.is_string(field.type):
        return field.with_type(pa.dictionary(pa.int32(), field.type))
    return field
