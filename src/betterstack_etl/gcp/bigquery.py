"""BigQuery side of the production lake: one BigLake (external) table per table (SPEC §3).

``external_table_definition`` is pure: it builds the table we want (Parquet under the table's
prefix, hive partitioning with ``data_particao`` as DATE, typed schema, optional BigLake
connection). ``BigQueryPublisher`` creates the dataset when missing and creates or updates each
table, touching only what differs.

The definition we last applied is fingerprinted in the label ``betterstack_etl_definition``:
a change of the code or of the settings (lake root, connection) changes the fingerprint and the
table is updated; an unchanged definition makes no write at all.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import TYPE_CHECKING, Final

import pyarrow as pa
from google.api_core import exceptions as gexc
from google.cloud import bigquery

from betterstack_etl.errors import ConfigError
from betterstack_etl.gcp.errors import BIGQUERY, google_errors
from betterstack_etl.gcp.location import parse_gcs_root
from betterstack_etl.sla import SOURCES as SLA_SOURCES
from betterstack_etl.sla import bigquery_views
from betterstack_etl.tables import PARTITION_COLUMN

if TYPE_CHECKING:
    from collections.abc import Sequence

    from betterstack_etl.sla import SlaOptions
    from betterstack_etl.tables import TableSpec

__all__ = [
    "DEFINITION_LABEL",
    "BigQueryPublisher",
    "bigquery_schema",
    "definition_fingerprint",
    "external_table_definition",
    "parse_connection_id",
]

log = logging.getLogger(__name__)

DEFINITION_LABEL: Final = "betterstack_etl_definition"
_PROJECT = r"(?:[a-z0-9.-]+:)?[a-z](?:[a-z0-9-]*[a-z0-9])?"  # optionally domain-scoped
_CONNECTION = re.compile(
    rf"^(?:{_PROJECT}\.[a-z0-9-]+\.[A-Za-z0-9_-]+"
    rf"|projects/{_PROJECT}/locations/[a-z0-9-]+/connections/[A-Za-z0-9_-]+)$"
)
# BigQuery answers with legacy type names; we send the standard SQL ones.
_TYPE_ALIASES: Final = {"FLOAT": "FLOAT64", "INTEGER": "INT64", "BOOLEAN": "BOOL"}


def _scalar_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "STRING"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP" if arrow_type.tz is not None else "DATETIME"
    if pa.types.is_float64(arrow_type) or pa.types.is_float32(arrow_type):
        return "FLOAT64"
    if pa.types.is_integer(arrow_type):
        return "INT64"
    if pa.types.is_boolean(arrow_type):
        return "BOOL"
    if pa.types.is_date32(arrow_type):
        return "DATE"
    raise TypeError(f"no BigQuery type for Arrow type {arrow_type}")


def _schema_field(field: pa.Field) -> bigquery.SchemaField:
    if pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
        return bigquery.SchemaField(field.name, _scalar_type(field.type.value_type), "REPEATED")
    # NULLABLE even for fields our files declare required: a lenient reader never fails on a
    # file written by an older version, and BigQuery reads required Parquet columns as nullable.
    return bigquery.SchemaField(field.name, _scalar_type(field.type), "NULLABLE")


def bigquery_schema(schema: pa.Schema) -> list[bigquery.SchemaField]:
    """The BigQuery columns of an Arrow schema (``data_particao`` comes from the hive path)."""
    return [_schema_field(f) for f in schema if f.name != PARTITION_COLUMN]


def parse_connection_id(connection_id: str) -> str:
    """Validate ``project.location.connection`` (or the ``projects/…`` resource name)."""
    text = connection_id.strip()
    if not _CONNECTION.match(text):
        raise ConfigError(
            f"BigLake connection id {connection_id!r} is malformed",
            hint="set BETTERSTACK_BIGQUERY_CONNECTION_ID to <project>.<location>.<connection>, "
            "e.g. rj-iplanrio.us.biglake-betterstack (see `bq ls --connection "
            "--location=US --project_id=rj-iplanrio`)",
        )
    return text


def external_table_definition(
    spec: TableSpec,
    lake_root: str,
    *,
    project: str,
    dataset: str,
    connection_id: str | None = None,
) -> bigquery.Table:
    """The external table over ``<lake_root>/<table>/data_particao=*/data.parquet``.

    With ``connection_id`` it is a BigLake table (BigQuery reads GCS as the connection's
    service account); without, a plain external table (read with the querying user's rights).
    """
    table_uri = parse_gcs_root(lake_root).table_uri(spec.name)
    hive = bigquery.HivePartitioningOptions()
    hive.mode = "CUSTOM"
    hive.source_uri_prefix = f"{table_uri}/{{{PARTITION_COLUMN}:DATE}}"
    hive.require_partition_filter = False
    parquet = bigquery.ParquetOptions()  # type: ignore[no-untyped-call]
    parquet.enable_list_inference = True  # list<string> is STRING REPEATED, not a RECORD
    config = bigquery.ExternalConfig(bigquery.ExternalSourceFormat.PARQUET)
    config.source_uris = [f"{table_uri}/*"]
    config.autodetect = False
    config.hive_partitioning = hive
    config.parquet_options = parquet
    if connection_id is not None:
        config.connection_id = parse_connection_id(connection_id)
    table = bigquery.Table(f"{project}.{dataset}.{spec.name}", schema=bigquery_schema(spec.schema))
    table.external_data_configuration = config
    table.description = spec.description
    table.labels = {DEFINITION_LABEL: definition_fingerprint(table)}
    return table


def definition_fingerprint(table: bigquery.Table) -> str:
    """A short hash of what we define (schema, external config, description): a label value."""
    config = table.external_data_configuration
    payload = {
        "schema": [f.to_api_repr() for f in table.schema],
        "external": config.to_api_repr() if config is not None else None,
        "description": table.description,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _schema_key(fields: Sequence[bigquery.SchemaField]) -> list[tuple[str, str, str]]:
    return [
        (f.name, _TYPE_ALIASES.get(f.field_type, f.field_type), f.mode or "NULLABLE")
        for f in fields
    ]


def _changed_fields(existing: bigquery.Table, desired: bigquery.Table) -> list[str]:
    """Properties of ``existing`` to update so that it matches ``desired`` (empty: none)."""
    changed = []
    if (existing.labels or {}).get(DEFINITION_LABEL) != desired.labels[DEFINITION_LABEL]:
        changed += ["external_data_configuration", "labels"]
    if _schema_key(existing.schema) != _schema_key(desired.schema):
        changed.append("schema")
    if existing.description != desired.description:
        changed.append("description")
    return changed


class BigQueryPublisher:
    """Creates the dataset when missing and creates/updates one external table per spec."""

    def __init__(
        self,
        client: bigquery.Client,
        *,
        project: str,
        dataset: str,
        lake_root: str,
        location: str = "US",
        connection_id: str | None = None,
        sla: SlaOptions | None = None,
    ) -> None:
        parse_gcs_root(lake_root)  # fail early on a bad root
        self._sla = sla
        self._client = client
        self._project = project
        self._dataset = dataset
        self._lake_root = lake_root
        self._location = location
        self._connection_id = None if connection_id is None else parse_connection_id(connection_id)

    def __repr__(self) -> str:
        return f"BigQueryPublisher({self._project}.{self._dataset} over {self._lake_root!r})"

    @property
    def dataset_ref(self) -> str:
        return f"{self._project}.{self._dataset}"

    def definition(self, spec: TableSpec) -> bigquery.Table:
        return external_table_definition(
            spec,
            self._lake_root,
            project=self._project,
            dataset=self._dataset,
            connection_id=self._connection_id,
        )

    def publish(self, specs: Sequence[TableSpec]) -> None:
        with google_errors(
            f"publishing {self.dataset_ref}", f"BigQuery dataset {self.dataset_ref}", BIGQUERY
        ):
            self._ensure_dataset()
            for spec in specs:
                self._ensure_table(self.definition(spec))
            if self._sla is not None and {s.name for s in specs} >= SLA_SOURCES:
                for view in bigquery_views(self._project, self._dataset, options=self._sla):
                    self._ensure_view(view)

    def _ensure_dataset(self) -> None:
        try:
            self._client.get_dataset(self.dataset_ref)
        except gexc.NotFound:
            dataset = bigquery.Dataset(self.dataset_ref)
            dataset.location = self._location
            dataset.description = "Better Stack Uptime data (betterstack-etl), BigLake over GCS"
            self._client.create_dataset(dataset, exists_ok=True)
            log.info("created dataset %s in %s", self.dataset_ref, self._location)

    def _ensure_view(self, desired: bigquery.Table) -> None:
        """Create the view, or update its query and description when they changed (a view
        already there is never dropped: its grants and labels stay)."""
        try:
            existing = self._client.get_table(desired.reference)
        except gexc.NotFound:
            self._client.create_table(desired, exists_ok=True)
            log.info("created view %s", desired.reference)
            return
        fields = [
            name
            for name in ("view_query", "description")
            if getattr(existing, name) != getattr(desired, name)
        ]
        if fields:
            for name in fields:
                setattr(existing, name, getattr(desired, name))
            self._client.update_table(existing, fields)
            log.info("updated view %s: %s", desired.reference, ", ".join(fields))

    def _ensure_table(self, desired: bigquery.Table) -> None:
        try:
            existing = self._client.get_table(desired.reference)
        except gexc.NotFound:
            self._client.create_table(desired, exists_ok=True)  # a concurrent run: same table
            log.info("created table %s", desired.reference)
            return
        fields = _changed_fields(existing, desired)
        if not fields:
            return
        labels = {**(existing.labels or {}), **desired.labels}  # keep others' labels
        for name in fields:
            setattr(existing, name, labels if name == "labels" else getattr(desired, name))
        self._client.update_table(existing, fields)
        log.info("updated table %s: %s", desired.reference, ", ".join(fields))
