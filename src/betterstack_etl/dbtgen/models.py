# ruff: noqa: S608  (SQL text built from declared names only)
"""The models of the dbt package, from the one SQL definition (see ``betterstack_etl.dbtgen``):
each with its BigQuery and DuckDB SQL, config, Portuguese description and grain."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from betterstack_etl.dbtgen import docs_pt
from betterstack_etl.sla import VIEWS, Dialect, SlaOptions, view_selects
from betterstack_etl.sla import _sql as sla_sql
from betterstack_etl.sla.views import _now_sql, _to_duckdb
from betterstack_etl.tables import PARTITION_COLUMN, TABLES, WRITTEN, TableSpec, table_by_name

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "DBT_DIR",
    "NOW_MACRO",
    "OWNER_LABEL",
    "SOURCE",
    "Model",
    "columns_pt",
    "compile_bigquery",
    "models",
    "now_forms",
    "source_tables",
]

DBT_DIR: Final = Path(__file__).resolve().parents[3] / "dbt"  # the repository's dbt/
SOURCE: Final = "betterstack_etl"  # the source's name in sources.yml
OWNER_LABEL: Final = {"managed-by": "betterstack-etl-dbt"}  # see gcp.ownership
_SENTINEL: Final = datetime(1999, 12, 31, 23, 59, 58, 999000, tzinfo=UTC)
NOW_MACRO: Final = "{{ betterstack_now() }}"
_KPI_MODEL: Final = "raw_eai_gateway_uptime_kpi"  # the analysts' model this one replaces
_GRAINS: Final[dict[str, tuple[str, ...]]] = {
    sla_sql.DAILY: ("monitor_id", "day"),
    sla_sql.MONTHLY: ("monitor_id", "month"),
    sla_sql.KPI: ("monitor_id", "mes"),
    sla_sql.RECONCILIATION: ("monitor_id", "date"),
    sla_sql.HOURLY: ("monitor_id", "region", "hour"),
}


@dataclass(frozen=True, slots=True)
class Model:
    """One model: its name, the relation it builds (alias), where its file goes, both SQL
    flavours (refs as ``{{ ref(...) }}``), its config and its schema.yml entry."""

    name: str
    alias: str
    folder: str
    bigquery: str
    duckdb: str
    config: dict[str, Any]
    description: str
    columns: dict[str, str]
    grain: tuple[str, ...]
    origin: str
    extra_tests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"models/{self.folder}/{self.name}.sql"


def _model_name(table: str) -> str:
    return f"raw_{table}"


def _sla_model_name(view: str) -> str:
    return _KPI_MODEL if view == sla_sql.KPI else view


def source_tables() -> list[TableSpec]:
    """The raw tables: the four the pipeline loads and whatever else the views read."""
    names = [s.name for s in TABLES]
    names += sorted(n for n in sla_sql.SOURCES if n not in names)
    declared = {s.name: s for s in (*TABLES, *WRITTEN)}  # coverage is written by the run
    return [declared[n] for n in names]


def _bigquery_type(spec: TableSpec, name: str) -> str:
    from betterstack_etl.gcp.bigquery import bigquery_schema

    found = {f.name: f for f in bigquery_schema(spec.schema)}[name]
    kind = {"FLOAT": "FLOAT64", "INTEGER": "INT64", "BOOLEAN": "BOOL"}.get(
        found.field_type, found.field_type
    )
    return f"ARRAY<{kind}>" if found.mode == "REPEATED" else kind


def _typed_select(spec: TableSpec, source: str) -> str:
    """Every declared column cast to its declared type, and the partition date."""
    lines = [
        f"  CAST(`{name}` AS {_bigquery_type(spec, name)}) AS `{name}`"
        for name in spec.schema.names
        if name != PARTITION_COLUMN
    ]
    lines.append(f"  CAST(`{PARTITION_COLUMN}` AS DATE) AS `{PARTITION_COLUMN}`")
    return "SELECT\n" + ",\n".join(lines) + f"\nFROM {source}"


def _drop_in_incidents(source: str) -> str:
    """The typed incidents plus the analysts' columns of raw_eai_gateway_incidents."""
    typed = _typed_select(table_by_name(sla_sql.INCIDENTS), "typed_source")
    return f"""WITH typed AS (
{typed.replace("typed_source", source)}
)
SELECT
  incident_id AS id,
  typed.*,
  SAFE_CAST(REGEXP_EXTRACT(response_options, r'"response_code"\\s*:\\s*"?([0-9]+)')
    AS INT64) AS response_code,
  FORMAT_DATE('%Y', {PARTITION_COLUMN}) AS ano_particao,
  FORMAT_DATE('%m', {PARTITION_COLUMN}) AS mes_particao
FROM typed"""


def columns_pt(spec: TableSpec) -> dict[str, str]:
    described = docs_pt.COLUMNS.get(spec.name, {})
    wanted = [*spec.schema.names, PARTITION_COLUMN]
    missing = [c for c in wanted if c not in described]
    if missing or spec.name not in docs_pt.TABLES:
        raise ValueError(
            f"{spec.name}: no Portuguese description for {missing or 'the table'} "
            "(add it in betterstack_etl/dbtgen/docs_pt.py)"
        )
    return {c: described[c] for c in dict.fromkeys(wanted)}


def _typed_models() -> list[Model]:
    made = []
    source_ref = "__source__"
    for spec in source_tables():
        name = _model_name(spec.name)
        columns = columns_pt(spec)
        if spec.name == sla_sql.INCIDENTS:
            select = _drop_in_incidents(source_ref)
            columns = {"id": docs_pt.DROP_IN_COLUMNS["id"], **columns}
            columns |= {k: v for k, v in docs_pt.DROP_IN_COLUMNS.items() if k != "id"}
        else:
            select = _typed_select(spec, source_ref)
        jinja = f"{{{{ source('{SOURCE}', '{spec.name}') }}}}"
        key = spec.key if spec.partition_by != "_extracted_at" else (*spec.key, PARTITION_COLUMN)
        config: dict[str, Any] = {
            "alias": spec.name,
            "materialized": "table",
            "partition_by": {"field": PARTITION_COLUMN, "data_type": "date", "granularity": "day"},
            "cluster_by": list(key[:4]),
            "labels": OWNER_LABEL,
        }
        made.append(
            Model(
                name=name,
                alias=spec.name,
                folder="raw",
                bigquery=select.replace(source_ref, jinja),
                duckdb=_to_duckdb(select).replace(source_ref, jinja),
                config=config,
                description=docs_pt.TABLES[spec.name],
                columns=columns,
                grain=tuple(key),
                origin="tables.py (esquemas) e dbtgen/__init__.py",
                extra_tests=(
                    [{"unique": {"name": f"{name}__id__unique"}}]
                    if spec.name == sla_sql.INCIDENTS
                    else []
                ),
            )
        )
    return made


def now_forms() -> dict[str, tuple[str, str]]:
    """Each engine's SQL for the views' "now": (current moment, a fixed moment with ``{at}``
    where the var's text goes), from the same rendering as the views'."""
    fixed = _now_sql(_SENTINEL)
    literal = fixed.split("'")[1]
    current = _now_sql(None)
    duck_fixed = _to_duckdb(f"SELECT {fixed}").removeprefix("SELECT ")
    duck_current = _to_duckdb(f"SELECT {current}").removeprefix("SELECT ")
    return {
        "bigquery": (current, fixed.replace(literal, "{at}")),
        "duckdb": (duck_current, duck_fixed.replace(literal, "{at}")),
    }


def _sentinel_forms() -> dict[str, str]:
    forms = now_forms()
    literal = _now_sql(_SENTINEL).split("'")[1]
    return {engine: fixed.replace("{at}", literal) for engine, (_, fixed) in forms.items()}


def _sla_models(options: SlaOptions) -> list[Model]:
    views = {spec.name for spec in VIEWS}

    def ref(name: str) -> str:
        model = _sla_model_name(name) if name in views else _model_name(name)
        return f"{{{{ ref('{model}') }}}}"

    sentinel = _sentinel_forms()
    engines: tuple[Dialect, ...] = ("bigquery", "duckdb")
    flavours = {
        engine: view_selects(engine, table_ref=ref, options=options, now=_SENTINEL)
        for engine in engines
    }
    made = []
    for (spec, bq), (_, duck) in zip(flavours["bigquery"], flavours["duckdb"], strict=True):
        texts = {"bigquery": bq, "duckdb": duck}
        for engine, text in texts.items():
            texts[engine] = text.replace(sentinel[engine], NOW_MACRO)
            if "1999-12-31" in texts[engine]:
                raise ValueError(f"{spec.name} ({engine}): 'now' left unreplaced")
        name = _sla_model_name(spec.name)
        made.append(
            Model(
                name=name,
                alias=spec.name,
                folder="sla",
                bigquery=texts["bigquery"],
                duckdb=texts["duckdb"],
                config={"alias": spec.name, "materialized": "view", "labels": OWNER_LABEL},
                description=spec.description,
                columns=dict(spec.columns),
                grain=_GRAINS.get(spec.name, ()),
                origin="sla/_sql.py",
            )
        )
    return made


def models(options: SlaOptions | None = None) -> list[Model]:
    """Every model: the typed raw tables, then the SLA views in dependency order."""
    return _typed_models() + _sla_models(options or SlaOptions())


def compile_bigquery(
    *,
    project: str = "rj-iplanrio",
    dataset: str = "brutos_betterstack",
    source_dataset: str | None = None,
    table_prefix: str = "etl_",
    options: SlaOptions | None = None,
    now: Callable[[], str] | None = None,
) -> dict[str, str]:
    """Every model's BigQuery SELECT as dbt would compile it for the city hall's project:
    refs → ``project.dataset.<alias>``, sources → ``project.<source_dataset>.<prefix><table>``
    (default ``<dataset>_staging``), the "now" macro → ``CURRENT_TIMESTAMP()`` (or ``now()``)."""
    staging = source_dataset or f"{dataset}_staging"
    chosen = models(options)
    aliases = {m.name: m.alias for m in chosen}
    current = now_forms()["bigquery"][0]

    def by_ref(match: re.Match[str]) -> str:
        return f"`{project}.{dataset}.{aliases[match.group(1)]}`"

    def by_source(match: re.Match[str]) -> str:
        return f"`{project}.{staging}.{table_prefix}{match.group(1)}`"

    compiled = {}
    for model in chosen:
        text = re.sub(r"\{\{ ref\('([^']+)'\) \}\}", by_ref, model.bigquery)
        text = re.sub(r"\{\{ source\('[^']+', '([^']+)'\) \}\}", by_source, text)
        compiled[model.name] = text.replace(NOW_MACRO, now() if now else current)
    return compiled
