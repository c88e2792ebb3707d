"""BigQuery side of the production lake: one BigLake (external) table per table (SPEC §3).

``external_table_definition`` is pure: it builds the table we want (Parquet under the table's
prefix, hive partitioning with ``data_particao`` as DATE, typed schema, optional BigLake
connection). ``BigQueryPublisher`` creates the dataset when missing and creates or updates each
table, touching only what differs.

The definition we last applied is fingerprinted in the label ``betterstack_etl_definition``:
a change of the code or of the settings (lake root, connection) changes the fingerprint and the
table is updated; an unchanged definition makes no write at all.

Every table and view created here carries the label ``managed-by: betterstack-etl``, and an
existing object is changed only when it is ours (``gcp.ownership``): anything else stops the
publish with one line naming the object, who seems to own it and the fix (SPEC §12).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Final

import pyarrow as pa
from google.api_core import exceptions as gexc
from google.cloud import bigquery

from betterstack_etl.errors import ConfigError
from betterstack_etl.gcp.errors import BIGQUERY, google_errors
from betterstack_etl.gcp.location import parse_gcs_root
from betterstack_etl.gcp.ownership import (
    OWNER_KEY,
    OWNER_LABELS,
    collision,
    is_ours,
    with_owner_label,
)
from betterstack_etl.sla import SOURCES as SLA_SOURCES
from betterstack_etl.sla import VIEWS, view_selects
from betterstack_etl.tables import PARTITION_COLUMN

if TYPE_CHECKING:
    from collections.abc import Sequence

    from betterstack_etl.gcp.ownership import Kind
    from betterstack_etl.sla import SlaOptions
    from betterstack_etl.tables import TableSpec

__all__ = [
    "DEFINITION_LABEL",
    "BigQueryPublisher",
    "OwnershipError",
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


class OwnershipError(ConfigError):
    """An object with one of our names is not ours: publish leaves it alone (SPEC §12)."""


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
    table_prefix: str = "",
) -> bigquery.Table:
    """The external table over ``<lake_root>/<table>/data_particao=*/data.parquet``.

    With ``connection_id`` it is a BigLake table (BigQuery reads GCS as the connection's
    service account); without, a plain external table (read with the querying user's rights).
    ``table_prefix`` goes before the table's name and folder (``gcp.layout``).
    """
    location = replace(parse_gcs_root(lake_root), name_prefix=table_prefix)
    table_uri = location.table_uri(spec.name)
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
    table = bigquery.Table(
        f"{project}.{dataset}.{table_prefix}{spec.name}", schema=bigquery_schema(spec.schema)
    )
    table.external_data_configuration = config
    table.description = spec.description
    table.labels = {DEFINITION_LABEL: definition_fingerprint(table), **OWNER_LABELS}
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
    labels = existing.labels or {}
    if labels.get(DEFINITION_LABEL) != desired.labels[DEFINITION_LABEL]:
        changed += ["external_data_configuration", "labels"]
    elif labels.get(OWNER_KEY) != OWNER_LABELS[OWNER_KEY]:
        changed.append("labels")  # made before the ownership label: adopted
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
        table_prefix: str = "",
    ) -> None:
        parse_gcs_root(lake_root)  # fail early on a bad root
        self._sla = sla
        self._table_prefix = table_prefix
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
            table_prefix=self._table_prefix,
        )

    def views(self) -> list[bigquery.Table]:
        """The SLA views (dependency order) over this layout's tables, labelled as ours."""
        if self._sla is None:
            return []
        views = {spec.name for spec in VIEWS}

        def ref(name: str) -> str:
            table = name if name in views else f"{self._table_prefix}{name}"
            return f"`{self._project}.{self._dataset}.{table}`"

        made = []
        for spec, select in view_selects("bigquery", table_ref=ref, options=self._sla):
            view = bigquery.Table(f"{self.dataset_ref}.{spec.name}")
            view.view_query = select
            view.description = spec.description
            view.labels = dict(OWNER_LABELS)
            made.append(view)
        return made

    def publish(self, specs: Sequence[TableSpec]) -> None:
        with google_errors(
            f"publishing {self.dataset_ref}", f"BigQuery dataset {self.dataset_ref}", BIGQUERY
        ):
            self._ensure_dataset()
            for spec in specs:
                self._ensure_table(self.definition(spec))
            if {s.name for s in specs} >= SLA_SOURCES:
                for view in self.views():
                    self._ensure_view(view)

    def _ensure_dataset(self) -> None:
        try:
            self._client.get_dataset(self.dataset_ref)
        except gexc.NotFound:
            dataset = bigquery.Dataset(self.dataset_ref)
            dataset.location = self._location
            dataset.description = "Better Stack Uptime data (betterstack-etl), BigLake over GCS"
            dataset.labels = dict(OWNER_LABELS)
            self._client.create_dataset(dataset, exists_ok=True)
            log.info("created dataset %s in %s", self.dataset_ref, self._location)

    def _refuse_unless_ours(self, existing: bigquery.Table, kind: Kind) -> None:
        ours = is_ours(existing, kind=kind, our_descriptions=[v.description for v in VIEWS])
        if not ours:
            found = collision(existing, object_id=str(existing.reference), kind=kind)
            raise OwnershipError(found.message, hint=found.fix)

    def _ensure_view(self, desired: bigquery.Table) -> None:
        """Create the view, or update its query, description and our label when they
        changed (a view already there is never dropped: its grants and others' labels stay);
        refused when it is not ours."""
        try:
            existing = self._client.get_table(desired.reference)
        except gexc.NotFound:
            self._client.create_table(desired, exists_ok=True)
            log.info("created view %s", desired.reference)
            return
        self._refuse_unless_ours(existing, "view")
        fields = [
            name
            for name in ("view_query", "description")
            if getattr(existing, name) != getattr(desired, name)
        ]
        if (existing.labels or {}).get(OWNER_KEY) != OWNER_LABELS[OWNER_KEY]:
            fields.append("labels")
        if fields:
            labels = with_owner_label(existing.labels)
            for name in fields:
                setattr(existing, name, labels if name == "labels" else getattr(desired, name))
            self._client.update_table(existing, fields)
            log.info("updated view %s: %s", desired.reference, ", ".join(fields))

    def _ensure_table(self, desired: bigquery.Table) -> None:
        try:
            existing = self._client.get_table(desired.reference)
        except gexc.NotFound:
            self._client.create_table(desired, exists_ok=True)  # a concurrent run: same table
            log.info("created table %s", desired.reference)
            return
        self._refuse_unless_ours(existing, "table")
        fields = _changed_fields(existing, desired)
        if not fields:
            return
        labels = {**(existing.labels or {}), **desired.labels}  # keep others' labels
        for name in fields:
            setattr(existing, name, labels if name == "labels" else getattr(desired, name))
        self._client.update_table(existing, fields)
        log.info("updated table %s: %s", desired.reference, ", ".join(fields))
