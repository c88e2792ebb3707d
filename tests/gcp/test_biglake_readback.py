"""The lake read back the way BigQuery will: through each BigLake table's own source URIs and
hive-partitioning options (``bigquery.external_table_definition``), over real objects.

GcsLake writes to fake-gcs-server's *filesystem* backend; DuckDB then reads
``read_parquet(<source URI glob>, hive_partitioning=true, hive_types=<from the URI prefix>)``
over those files. Whatever the object names under a table's prefix (one file per partition
today, maybe several later), the rows, the partition column and the types must be the declared
ones (tables.py; BigQuery types from bigquery_schema).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pytest

from betterstack_etl.gcp.bigquery import external_table_definition
from betterstack_etl.gcp.storage import GcsLake
from betterstack_etl.tables import PARTITION_COLUMN, TABLES, TableSpec

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import FilesystemGcs

DAYS = (date(2026, 3, 1), date(2026, 3, 2))
PER_DAY = 3
# DuckDB's name of a column type → BigQuery's (standard SQL names).
DUCK_TO_BQ = {
    "VARCHAR": "STRING",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "DOUBLE": "FLOAT64",
    "BIGINT": "INT64",
    "BOOLEAN": "BOOL",
    "DATE": "DATE",
    "VARCHAR[]": "STRING REPEATED",
}
BQ_LEGACY = {"FLOAT": "FLOAT64", "INTEGER": "INT64", "BOOLEAN": "BOOL"}


def value(field: pa.Field, spec: TableSpec, day: date, i: int) -> Any:
    at = datetime(day.year, day.month, day.day, 10, i, tzinfo=UTC)
    if field.name == spec.partition_by:
        return day if pa.types.is_date(field.type) else at
    t = field.type
    if pa.types.is_string(t):
        return f"{field.name}-{day.isoformat()}-{i}"
    if pa.types.is_timestamp(t):
        return at
    if pa.types.is_floating(t):
        return 0.5 + i
    if pa.types.is_integer(t):
        return 10 + i
    if pa.types.is_boolean(t):
        return i % 2 == 0
    if pa.types.is_list(t):
        return ["us", f"r{i}"]
    if pa.types.is_date(t):
        return day
    raise AssertionError(f"no sample value for {field}")


def sample(spec: TableSpec, day: date) -> pa.Table:
    return pa.Table.from_pylist(
        [{f.name: value(f, spec, day, i) for f in spec.schema} for i in range(PER_DAY)],
        schema=spec.schema,
    )


def local_glob(uri: str, gcs: FilesystemGcs) -> str:
    """A source URI ``gs://bucket/prefix/*`` as a glob over the filesystem backend. A GCS
    wildcard ``*`` at the end matches any object name under the prefix, slashes included."""
    match = re.fullmatch(r"gs://([^/]+)/(.+)/\*", uri)
    assert match, f"unexpected source URI {uri}"
    return str(gcs.root / match[1] / match[2] / "**")


def bq_type(field: Any) -> str:
    kind = BQ_LEGACY.get(field.field_type, field.field_type)
    return f"{kind} REPEATED" if field.mode == "REPEATED" else kind


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.name)
def test_the_lake_reads_back_through_the_biglake_definition(
    gcs_filesystem: FilesystemGcs, spec: TableSpec, tmp_path: Path
) -> None:
    client = gcs_filesystem.client()
    bucket = f"lake-{uuid.uuid4().hex[:12]}"
    client.create_bucket(bucket)
    root = f"gs://{bucket}/brutos_betterstack"
    lake = GcsLake(client, root)
    written = [sample(spec, day) for day in DAYS]
    for day, table in zip(DAYS, written, strict=True):
        lake.merge_partition(spec, day, table)

    definition = external_table_definition(spec, root, project="rj-iplanrio", dataset="d")
    config = definition.external_data_configuration
    assert config.source_format == "PARQUET"
    (uri,) = config.source_uris
    hive = config.hive_partitioning
    prefix_match = re.fullmatch(r"(.+)/\{(\w+):(\w+)\}", hive.source_uri_prefix)
    assert prefix_match, hive.source_uri_prefix
    assert uri == f"{prefix_match[1]}/*", "the partitions are read below the hive prefix"
    key, key_type = prefix_match[2], prefix_match[3]
    assert (key, key_type) == (PARTITION_COLUMN, "DATE")

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    relation = (
        f"read_parquet('{local_glob(uri, gcs_filesystem)}', hive_partitioning = true, "
        f"hive_types = {{'{key}': '{key_type}'}})"
    )
    described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    got_types = {name: DUCK_TO_BQ.get(kind, kind) for name, kind, *_ in described}
    declared = {f.name: bq_type(f) for f in definition.schema}
    assert got_types == {**declared, key: key_type}
    assert list(got_types)[: len(spec.schema)] == spec.schema.names

    order = ", ".join(f'"{column}"' for column in (key, *spec.key))
    read = con.execute(f"SELECT * FROM {relation} ORDER BY {order}").arrow().read_all()
    assert read.column(key).to_pylist() == [d for d in DAYS for _ in range(PER_DAY)]
    expected = pa.concat_tables(written).sort_by([(c, "ascending") for c in spec.key])
    got = read.select(spec.schema.names).cast(spec.schema)
    assert got.sort_by([(c, "ascending") for c in spec.key]).equals(expected)
    # Every file under the table's prefix is a partition of the table (nothing else read).
    files = con.execute(
        f"SELECT count(DISTINCT filename) FROM read_parquet('{local_glob(uri, gcs_filesystem)}',"
        " filename = true)"
    ).fetchone()
    assert files is not None
    assert files[0] >= len(DAYS)
