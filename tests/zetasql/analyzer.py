"""BigQuery SQL checked by ZetaSQL (the analyzer inside BigQuery) and run on its reference
evaluator, against a catalog of the tables' declared schemas.

- ``raw_catalog(project, dataset)``: the raw tables as BigQuery declares them (the columns
  ``bigquery_schema`` gives each ``TableSpec``, the way ``publish`` creates them, plus the hive
  ``data_particao DATE``).
- ``BigQueryAnalyzer.output_columns(sql, catalog)``: ZetaSQL's analysis of one query in
  BigQuery's language mode; its output columns as ``(name, BigQuery type)``, or
  ``AnalysisError`` with the analyzer's message.
- ``BigQueryAnalyzer.analyze_in_order(statements, catalog)``: queries that build on one another
  (views, or dbt models compiled for BigQuery), each analyzed with the ones before it in the
  catalog under their relation name, as BigQuery stores a view's schema. **The entry point
  for compiled dbt models**: pass ``[(relation name, compiled SQL), ...]`` in dependency order.
- ``BigQueryAnalyzer.evaluate(sql, catalog, contents)``: the rows ZetaSQL's reference
  implementation computes, as an Arrow table (``contents``: a table's rows by relation name).

A relation is named as BigQuery spells it, ``project.dataset.table``; the analyzer accepts it
written ```project.dataset.table```, ```project`.`dataset`.`table``` (dbt's way) or
``dataset.table``; the evaluator only the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa

from betterstack_etl.gcp.bigquery import bigquery_schema
from betterstack_etl.tables import PARTITION_COLUMN, TABLES, WRITTEN

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from .service import ZetaSqlServer

__all__ = [
    "BIGQUERY_FEATURES",
    "AnalysisError",
    "BigQueryAnalyzer",
    "Catalog",
    "Column",
    "arrow_type",
    "raw_catalog",
]

Column = tuple[str, str]  # (name, BigQuery type: INT64, FLOAT64, STRING, ARRAY<STRING>, ...)

# The language features BigQuery has: those Google's own ZetaSQL toolkit for BigQuery
# (GoogleCloudPlatform/zetasql-toolkit, BigQueryLanguageOptions) enables, plus those it misses
# and BigQuery documents (_ALSO); with product mode EXTERNAL (FLOAT64, not DOUBLE), default name
# resolution and QUALIFY a reserved keyword. Each feature added lets more SQL pass: add one only
# with BigQuery's documentation of it.
_ALSO: Final = (
    "FEATURE_V_1_1_WITH_ON_SUBQUERY",  # WITH inside a subquery (the report's inlined views)
    "FEATURE_V_1_1_FOR_SYSTEM_TIME_AS_OF",  # time travel: FROM t FOR SYSTEM_TIME AS OF ...
)
BIGQUERY_FEATURES: Final = (
    *_ALSO,
    "FEATURE_ALLOW_MISSING_PATH_EXPRESSION_IN_ALTER_DDL",
    "FEATURE_ALTER_COLUMN_SET_DATA_TYPE",
    "FEATURE_ALTER_TABLE_RENAME_COLUMN",
    "FEATURE_ANALYTIC_FUNCTIONS",
    "FEATURE_ANONYMIZATION",
    "FEATURE_BIGNUMERIC_TYPE",
    "FEATURE_CBRT_FUNCTIONS",
    "FEATURE_CREATE_EXTERNAL_TABLE_WITH_CONNECTION",
    "FEATURE_CREATE_EXTERNAL_TABLE_WITH_PARTITION_COLUMNS",
    "FEATURE_CREATE_EXTERNAL_TABLE_WITH_TABLE_ELEMENT_LIST",
    "FEATURE_CREATE_MATERIALIZED_VIEW_CLUSTER_BY",
    "FEATURE_CREATE_MATERIALIZED_VIEW_PARTITION_BY",
    "FEATURE_CREATE_SNAPSHOT_TABLE",
    "FEATURE_CREATE_TABLE_AS_SELECT_COLUMN_LIST",
    "FEATURE_CREATE_TABLE_CLONE",
    "FEATURE_CREATE_TABLE_CLUSTER_BY",
    "FEATURE_CREATE_TABLE_COPY",
    "FEATURE_CREATE_TABLE_FIELD_ANNOTATIONS",
    "FEATURE_CREATE_TABLE_FUNCTION",
    "FEATURE_CREATE_TABLE_LIKE",
    "FEATURE_CREATE_TABLE_NOT_NULL",
    "FEATURE_CREATE_TABLE_PARTITION_BY",
    "FEATURE_CREATE_VIEW_WITH_COLUMN_LIST",
    "FEATURE_DML_UPDATE_WITH_JOIN",
    "FEATURE_ENCRYPTION",
    "FEATURE_FOREIGN_KEYS",
    "FEATURE_GEOGRAPHY",
    "FEATURE_GROUP_BY_ROLLUP",
    "FEATURE_INTERVAL_TYPE",
    "FEATURE_INVERSE_TRIG_FUNCTIONS",
    "FEATURE_JSON_ARRAY_FUNCTIONS",
    "FEATURE_JSON_TYPE",
    "FEATURE_JSON_VALUE_EXTRACTION_FUNCTIONS",
    "FEATURE_NAMED_ARGUMENTS",
    "FEATURE_NUMERIC_TYPE",
    "FEATURE_PARAMETERIZED_TYPES",
    "FEATURE_PARAMETERS_IN_GRANTEE_LIST",
    "FEATURE_ROUND_WITH_ROUNDING_MODE",
    "FEATURE_TABLESAMPLE",
    "FEATURE_TABLE_VALUED_FUNCTIONS",
    "FEATURE_TEMPLATE_FUNCTIONS",
    "FEATURE_TIMESTAMP_NANOS",
    "FEATURE_TIME_BUCKET_FUNCTIONS",
    "FEATURE_UNENFORCED_PRIMARY_KEYS",
    "FEATURE_V_1_1_HAVING_IN_AGGREGATE",
    "FEATURE_V_1_1_LIMIT_IN_AGGREGATE",
    "FEATURE_V_1_1_NULL_HANDLING_MODIFIER_IN_AGGREGATE",
    "FEATURE_V_1_1_NULL_HANDLING_MODIFIER_IN_ANALYTIC",
    "FEATURE_V_1_1_ORDER_BY_IN_AGGREGATE",
    "FEATURE_V_1_1_SELECT_STAR_EXCEPT_REPLACE",
    "FEATURE_V_1_2_CIVIL_TIME",
    "FEATURE_V_1_2_SAFE_FUNCTION_CALL",
    "FEATURE_V_1_2_WEEK_WITH_WEEKDAY",
    "FEATURE_V_1_3_ADDITIONAL_STRING_FUNCTIONS",
    "FEATURE_V_1_3_ALLOW_DASHES_IN_TABLE_NAME",
    "FEATURE_V_1_3_ALLOW_REGEXP_EXTRACT_OPTIONALS",
    "FEATURE_V_1_3_ANNOTATION_FRAMEWORK",
    "FEATURE_V_1_3_CASE_STMT",
    "FEATURE_V_1_3_COLLATION_SUPPORT",
    "FEATURE_V_1_3_COLUMN_DEFAULT_VALUE",
    "FEATURE_V_1_3_CONCAT_MIXED_TYPES",
    "FEATURE_V_1_3_DATE_ARITHMETICS",
    "FEATURE_V_1_3_DATE_TIME_CONSTRUCTORS",
    "FEATURE_V_1_3_DECIMAL_ALIAS",
    "FEATURE_V_1_3_EXTENDED_DATE_TIME_SIGNATURES",
    "FEATURE_V_1_3_EXTENDED_GEOGRAPHY_PARSERS",
    "FEATURE_V_1_3_FORMAT_IN_CAST",
    "FEATURE_V_1_3_FOR_IN",
    "FEATURE_V_1_3_IS_DISTINCT",
    "FEATURE_V_1_3_LIKE_ANY_SOME_ALL",
    "FEATURE_V_1_3_NULLS_FIRST_LAST_IN_ORDER_BY",
    "FEATURE_V_1_3_OMIT_INSERT_COLUMN_LIST",
    "FEATURE_V_1_3_PIVOT",
    "FEATURE_V_1_3_QUALIFY",
    "FEATURE_V_1_3_REMOTE_FUNCTION",
    "FEATURE_V_1_3_REPEAT",
    "FEATURE_V_1_3_SCRIPT_LABEL",
    "FEATURE_V_1_3_UNNEST_AND_FLATTEN_ARRAYS",
    "FEATURE_V_1_3_UNPIVOT",
    "FEATURE_V_1_3_WITH_GROUP_ROWS",
    "FEATURE_V_1_3_WITH_RECURSIVE",
)
_RESERVED: Final = ("QUALIFY",)
_STATEMENTS: Final = ("RESOLVED_QUERY_STMT",)  # we send queries (and view bodies) only
_TIME_ZONE: Final = "UTC"  # BigQuery's default time zone

# BigQuery type name → ZetaSQL TypeKind, and back
_KINDS: Final = {
    "INT64": "TYPE_INT64",
    "FLOAT64": "TYPE_DOUBLE",
    "NUMERIC": "TYPE_NUMERIC",
    "BIGNUMERIC": "TYPE_BIGNUMERIC",
    "BOOL": "TYPE_BOOL",
    "STRING": "TYPE_STRING",
    "BYTES": "TYPE_BYTES",
    "DATE": "TYPE_DATE",
    "DATETIME": "TYPE_DATETIME",
    "TIME": "TYPE_TIME",
    "TIMESTAMP": "TYPE_TIMESTAMP",
    "JSON": "TYPE_JSON",
    "INTERVAL": "TYPE_INTERVAL",
    "GEOGRAPHY": "TYPE_GEOGRAPHY",
}
_NAMES: Final = {kind: name for name, kind in _KINDS.items()}
_ARROW: Final = {
    "INT64": pa.int64(),
    "FLOAT64": pa.float64(),
    "BOOL": pa.bool_(),
    "STRING": pa.string(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"),  # as google-cloud-bigquery's to_arrow gives it
}
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = datetime.resolution


class AnalysisError(Exception):
    """ZetaSQL rejected a statement: ``message`` is the analyzer's own text."""

    def __init__(self, label: str, message: str) -> None:
        super().__init__(f"{label}: {message}")
        self.label = label
        self.message = message


@dataclass(frozen=True)
class Catalog:
    """Relations by full name (``project.dataset.table``) → their columns."""

    tables: dict[str, tuple[Column, ...]] = field(default_factory=dict)

    def with_table(self, name: str, columns: Iterable[Column]) -> Catalog:
        return Catalog({**self.tables, name: tuple(columns)})


def _declared_type(schema_field: Any) -> str:
    scalar = schema_field.field_type
    return f"ARRAY<{scalar}>" if schema_field.mode == "REPEATED" else scalar


def raw_catalog(project: str, dataset: str) -> Catalog:
    """The raw tables (the run ledger too) in ``project.dataset``, typed as BigQuery declares
    them: ``bigquery_schema`` of each ``TableSpec`` (what ``publish`` creates) plus the hive
    partition column ``data_particao DATE``."""
    catalog = Catalog()
    for spec in (*TABLES, *WRITTEN):
        columns = [(f.name, _declared_type(f)) for f in bigquery_schema(spec.schema)]
        columns.append((PARTITION_COLUMN, "DATE"))
        catalog = catalog.with_table(f"{project}.{dataset}.{spec.name}", columns)
    return catalog


class BigQueryAnalyzer:
    """Analyze and evaluate BigQuery queries with a running ZetaSQL server."""

    def __init__(self, server: ZetaSqlServer) -> None:
        self.server = server
        m = server.messages
        missing = [f for f in BIGQUERY_FEATURES if f not in m.enum_names("zetasql.LanguageFeature")]
        if missing:
            raise RuntimeError(f"this ZetaSQL does not know the features {missing}")
        self.language = server.new(
            "zetasql.LanguageOptionsProto",
            name_resolution_mode=m.enum("zetasql.NameResolutionMode", "NAME_RESOLUTION_DEFAULT"),
            product_mode=m.enum("zetasql.ProductMode", "PRODUCT_EXTERNAL"),
            enabled_language_features=[
                m.enum("zetasql.LanguageFeature", f) for f in BIGQUERY_FEATURES
            ],
            supported_statement_kinds=[m.enum("zetasql.ResolvedNodeKind", k) for k in _STATEMENTS],
            reserved_keywords=list(_RESERVED),
        )

    # -- requests ----------------------------------------------------------------------------

    def _options(self) -> Any:
        return self.server.new(
            "zetasql.AnalyzerOptionsProto",
            language_options=self.language,
            default_timezone=_TIME_ZONE,
            error_message_mode=self.server.messages.enum(
                "zetasql.ErrorMessageMode", "ERROR_MESSAGE_ONE_LINE"
            ),
        )

    def type_proto(self, text: str) -> Any:
        """``INT64``, ``ARRAY<STRING>``, … as a ZetaSQL TypeProto."""
        m = self.server.messages
        if text.startswith("ARRAY<") and text.endswith(">"):
            element = self.type_proto(text[len("ARRAY<") : -1])
            return self.server.new(
                "zetasql.TypeProto",
                type_kind=m.enum("zetasql.TypeKind", "TYPE_ARRAY"),
                array_type=self.server.new("zetasql.ArrayTypeProto", element_type=element),
            )
        return self.server.new(
            "zetasql.TypeProto", type_kind=m.enum("zetasql.TypeKind", _KINDS[text])
        )

    def type_text(self, proto: Any) -> str:
        """A ZetaSQL TypeProto as BigQuery names the type."""
        kind = self.server.messages.pool.FindEnumTypeByName("zetasql.TypeKind")
        name = kind.values_by_number[proto.type_kind].name
        if name == "TYPE_ARRAY":
            return f"ARRAY<{self.type_text(proto.array_type.element_type)}>"
        if name == "TYPE_STRUCT":
            fields = ", ".join(
                f"{f.field_name} {self.type_text(f.field_type)}" for f in proto.struct_type.field
            )
            return f"STRUCT<{fields}>"
        return _NAMES.get(name, name)

    def _simple_table(
        self, full_name: str, name_in_catalog: str, columns: Sequence[Column], serial: int
    ) -> Any:
        # named by its full name wherever it sits (the analyzer's messages name it so); the
        # evaluator gives rows to the copy at the root only (see ``evaluate``)
        return self.server.new(
            "zetasql.SimpleTableProto",
            name=full_name,
            name_in_catalog=name_in_catalog,
            serialization_id=serial,
            column=[
                self.server.new("zetasql.SimpleColumnProto", name=c, type=self.type_proto(t))
                for c, t in columns
            ],
        )

    def catalog_proto(self, catalog: Catalog) -> Any:
        """A SimpleCatalog with BigQuery's builtin functions and each relation under its full
        name, both as one identifier (```p.d.t```) and as a path (```p`.`d`.`t```, and
        ``d.t`` with the project implied, as BigQuery accepts)."""
        new = self.server.new
        root = new(
            "zetasql.SimpleCatalogProto",
            name="bigquery",
            builtin_function_options=new(
                "zetasql.ZetaSQLBuiltinFunctionOptionsProto", language_options=self.language
            ),
        )
        children: dict[tuple[str, ...], Any] = {(): root}

        def child(path: tuple[str, ...]) -> Any:
            if path not in children:
                parent = child(path[:-1])
                children[path] = parent.catalog.add(name=path[-1])
            return children[path]

        serial = 0
        for full_name, columns in catalog.tables.items():
            parts = tuple(full_name.split("."))
            places = {((), full_name), (parts[:-1], parts[-1]), (parts[1:-1], parts[-1])}
            for where, name in sorted(places):
                serial += 1
                table = self._simple_table(full_name, name, columns, serial)
                child(where).table.append(table)
        return root

    # -- analysis ----------------------------------------------------------------------------

    def analyze(self, sql: str, catalog: Catalog, *, label: str = "query") -> Any:
        """ZetaSQL's resolved statement of ``sql`` (a proto); ``AnalysisError`` if rejected."""
        import grpc

        request = self.server.new(
            "zetasql.local_service.AnalyzeRequest",
            options=self._options(),
            simple_catalog=self.catalog_proto(catalog),
            sql_statement=sql,
        )
        try:
            return self.server.call("Analyze", request).resolved_statement
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.INVALID_ARGUMENT:
                raise
            raise AnalysisError(label, exc.details() or "") from None

    def output_columns(self, sql: str, catalog: Catalog, *, label: str = "query") -> list[Column]:
        """The query's output columns as ``(name, BigQuery type)``, in order."""
        statement = self.analyze(sql, catalog, label=label)
        if statement.WhichOneof("node") != "resolved_query_stmt_node":
            raise AnalysisError(label, f"not a query: {statement.WhichOneof('node')}")
        return [
            (out.name, self.type_text(out.column.type))
            for out in statement.resolved_query_stmt_node.output_column_list
        ]

    def analyze_in_order(
        self, statements: Sequence[tuple[str, str]], catalog: Catalog
    ) -> tuple[dict[str, list[Column]], Catalog]:
        """Each ``(relation name, query)`` analyzed in order with those before it in the
        catalog (named ``relation name``, typed as ZetaSQL infers). Returns each relation's
        columns and the catalog with all of them; ``AnalysisError`` names the first refused."""
        columns: dict[str, list[Column]] = {}
        for name, sql in statements:
            columns[name] = self.output_columns(sql, catalog, label=name)
            catalog = catalog.with_table(name, columns[name])
        return columns, catalog

    # -- evaluation --------------------------------------------------------------------------

    def value(self, type_text: str, value: Any) -> Any:
        """A Python value (as Arrow's ``to_pylist`` gives it) as a ZetaSQL ValueProto."""
        new = self.server.new
        if value is None:
            return new("zetasql.ValueProto")
        if type_text.startswith("ARRAY<"):
            element = type_text[len("ARRAY<") : -1]
            items = [self.value(element, v) for v in value]
            return new(
                "zetasql.ValueProto", array_value=new("zetasql.ValueProto.Array", element=items)
            )
        if type_text == "INT64":
            return new("zetasql.ValueProto", int64_value=int(value))
        if type_text == "FLOAT64":
            return new("zetasql.ValueProto", double_value=float(value))
        if type_text == "BOOL":
            return new("zetasql.ValueProto", bool_value=bool(value))
        if type_text == "STRING":
            return new("zetasql.ValueProto", string_value=str(value))
        if type_text == "DATE":
            return new("zetasql.ValueProto", date_value=(value - date(1970, 1, 1)).days)
        if type_text == "TIMESTAMP":
            micros = (value - _EPOCH) // _MICROSECOND
            stamp = new(
                "google.protobuf.Timestamp",
                seconds=micros // 1_000_000,
                nanos=(micros % 1_000_000) * 1000,
            )
            return new("zetasql.ValueProto", timestamp_value=stamp)
        raise TypeError(f"no ZetaSQL value for {type_text} {value!r}")

    def python(self, type_text: str, proto: Any) -> Any:
        """A ZetaSQL ValueProto of ``type_text`` as a Python value (None for NULL)."""
        which = proto.WhichOneof("value")
        if which is None:
            return None
        if which == "array_value":
            element = type_text[len("ARRAY<") : -1]
            return [self.python(element, v) for v in proto.array_value.element]
        if which == "date_value":
            return date.fromordinal(date(1970, 1, 1).toordinal() + proto.date_value)
        if which == "timestamp_value":
            stamp = proto.timestamp_value
            return _EPOCH + (stamp.seconds * 1_000_000 + stamp.nanos // 1000) * _MICROSECOND
        if which in ("int64_value", "double_value", "bool_value", "string_value"):
            return getattr(proto, which)
        raise TypeError(f"no Python value for a ZetaSQL {which} ({type_text})")

    def evaluate(
        self, sql: str, catalog: Catalog, contents: Mapping[str, pa.Table], *, label: str = "query"
    ) -> pa.Table:
        """The rows of ``sql`` by ZetaSQL's reference implementation, over ``contents`` (a
        relation's rows by full name; relations without rows are empty). The SQL must name
        relations as one identifier, ```project.dataset.table``` (as all of ours do): the
        evaluator does not find the rows of a path spelled ```p`.`d`.`t```."""
        import grpc

        simple = self.catalog_proto(catalog)
        request = self.server.new(
            "zetasql.local_service.EvaluateQueryRequest",
            sql=sql,
            options=self._options(),
            simple_catalog=simple,
        )
        for name, columns in catalog.tables.items():
            rows = (
                contents[name].select([c for c, _ in columns]).to_pylist()
                if name in contents
                else []
            )
            data = request.table_content[name].table_data
            for row in rows:
                data.row.add(cell=[self.value(t, row[c]) for c, t in columns])
        try:
            answer = self.server.call("EvaluateQuery", request)
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.INVALID_ARGUMENT:
                raise
            raise AnalysisError(label, exc.details() or "") from None
        output = [(c.name, self.type_text(c.type)) for c in answer.prepared.columns]
        values: list[list[Any]] = [[] for _ in output]
        for row in answer.content.table_data.row:
            for i, (_, kind) in enumerate(output):
                values[i].append(self.python(kind, row.cell[i]))
        return pa.table(
            {name: pa.array(values[i], arrow_type(kind)) for i, (name, kind) in enumerate(output)}
        )


def arrow_type(type_text: str) -> pa.DataType:
    if type_text.startswith("ARRAY<"):
        return pa.list_(arrow_type(type_text[len("ARRAY<") : -1]))
    if type_text not in _ARROW:
        raise TypeError(f"no Arrow type for BigQuery {type_text}")
    return _ARROW[type_text]
