# ruff: noqa: S608  (SQL text built from declared names only)
"""The dbt package in ``dbt/`` (SPEC §12), generated from the one SQL definition.

The SLA models are the SLA views: their SELECTs come from ``betterstack_etl.sla.view_selects``
(written once in BigQuery SQL, transpiled to DuckDB by the same code that makes the DuckDB
views), for *every* view the definition publishes, so a new view becomes a model by itself.
The typed models of the raw tables are written once in BigQuery SQL here, from the tables'
declared schemas (``betterstack_etl.tables``), and transpiled the same way. Each model file
holds both flavours, the one for the target's engine picked by ``target.type``: BigQuery in
production, DuckDB (dbt-duckdb) in the test suite.

    python -m betterstack_etl.dbtgen            # (re)write the generated files under dbt/
    python -m betterstack_etl.dbtgen --check    # exit 1 and name the files that drifted

What is generated (``render``): the models, the two ``schema.yml`` files (every column
described in Portuguese, with ``unique``/``not_null``/range tests), ``sources.yml`` over our raw
tables and the ``betterstack_now`` macro. ``dbt_project.yml``, ``profiles.yml`` and the generic
tests under ``dbt/macros/tests/`` are written by hand.

``compile_bigquery`` renders the BigQuery flavour of every model with the refs and sources
resolved to fully qualified tables, without dbt (``dbt compile --target bigquery`` needs the
BigQuery adapter and a connection): what ZetaSQL's analyzer can check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml

from betterstack_etl.dbtgen import docs_pt
from betterstack_etl.sla import VIEWS, Dialect, SlaOptions, view_selects
from betterstack_etl.sla import _sql as sla_sql
from betterstack_etl.sla.views import _now_sql, _to_duckdb
from betterstack_etl.tables import PARTITION_COLUMN, TABLES, TableSpec, table_by_name

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "DBT_DIR",
    "OWNER_LABEL",
    "Model",
    "compile_bigquery",
    "drifted",
    "models",
    "render",
    "write",
]

DBT_DIR: Final = Path(__file__).resolve().parents[3] / "dbt"  # the repository's dbt/
SOURCE: Final = "betterstack_etl"  # the source's name in sources.yml
OWNER_LABEL: Final = {"managed-by": "betterstack-etl-dbt"}  # see gcp.ownership
HEADER: Final = (
    "-- Gerado por `python -m betterstack_etl.dbtgen` a partir da definição única em\n"
    "-- src/betterstack_etl/{origin}; não edite à mão (um teste falha quando diverge).\n"
)
# A moment no real run has: the views' "now" is rendered with it, then replaced by the macro.
_SENTINEL: Final = datetime(1999, 12, 31, 23, 59, 58, 999000, tzinfo=UTC)
_NOW_MACRO: Final = "{{ betterstack_now() }}"
_BIGQUERY_ONLY: Final = frozenset({"partition_by", "cluster_by"})  # dbt-duckdb reads them else
_KPI_MODEL: Final = "raw_eai_gateway_uptime_kpi"  # the analysts' model this one replaces

# Tests by column name (any model that has the column): the range a value must stay in.
_RANGES: Final[dict[str, tuple[float | None, float | None]]] = {
    "availability": (0, 100),
    "availability_pct": (0, 100),
    "api_availability": (0, 100),
    "computed_availability_pct": (0, 100),
    "coverage_pct": (0, 100),
    "disponibilidade_percentual": (0, 100),
    "response_time": (0, None),
    "name_lookup_time": (0, None),
    "connection_time": (0, None),
    "tls_handshake_time": (0, None),
    "data_transfer_time": (0, None),
    "duration_seconds": (0, None),
    "total_downtime": (0, 86_400),
    "number_of_incidents": (0, None),
    "check_frequency": (0, None),
    "observed_seconds": (0, None),
    "covered_seconds": (0, None),
    "paused_seconds": (0, None),
    "maintenance_seconds": (0, None),
    "downtime_seconds": (0, None),
    "incidents": (0, None),
    "longest_incident_seconds": (0, None),
    "mtta_seconds": (0, None),
    "mttr_seconds": (0, None),
    "total_downtime_minutes": (0, None),
    "total_minutes_in_month": (40_000, 45_000),  # 28 to 31 days, ± an hour of DST
    "samples": (1, None),
    "avg_response_time": (0, None),
    "p50_response_time": (0, None),
    "p95_response_time": (0, None),
    "p99_response_time": (0, None),
    "max_response_time": (0, None),
    "slo_pct": (0, 100),
}
# The grain of each SLA view (unique together, never null); a view not listed gets the
# column tests only.
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


def _source_tables() -> list[TableSpec]:
    """The raw tables: the four the pipeline loads and whatever else the views read."""
    names = [s.name for s in TABLES]
    names += sorted(n for n in sla_sql.SOURCES if n not in names)
    return [table_by_name(n) for n in names]


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


def _columns_pt(spec: TableSpec) -> dict[str, str]:
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
    for spec in _source_tables():
        name = _model_name(spec.name)
        columns = _columns_pt(spec)
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


def _now_forms() -> dict[str, tuple[str, str]]:
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
    forms = _now_forms()
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
            texts[engine] = text.replace(sentinel[engine], _NOW_MACRO)
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


def _check_jinja_free(model: Model) -> None:
    for engine, text in (("bigquery", model.bigquery), ("duckdb", model.duckdb)):
        body = re.sub(r"\{\{ (ref|source)\([^)]*\) \}\}|\{\{ betterstack_now\(\) \}\}", "", text)
        if any(token in body for token in ("{{", "{%", "{#")):
            raise ValueError(f"{model.name} ({engine}): the SQL holds Jinja syntax")


def _config_jinja(config: Mapping[str, Any]) -> str:
    parts = [
        f"        {key}=({value!r} if target.type == 'bigquery' else none)"
        if key in _BIGQUERY_ONLY
        else f"        {key}={value!r}"
        for key, value in config.items()
    ]
    return "{{\n    config(\n" + ",\n".join(parts) + "\n    )\n}}\n"


def _model_file(model: Model) -> str:
    _check_jinja_free(model)
    return (
        HEADER.format(origin=model.origin)
        + _config_jinja(model.config)
        + "\n{% if target.type == 'duckdb' -%}\n"
        + model.duckdb
        + "\n{%- else -%}\n"
        + model.bigquery
        + "\n{%- endif %}\n"
    )


def _range_test(column: str) -> list[dict[str, Any]]:
    low, high = _RANGES[column]
    arguments: dict[str, Any] = {}
    if low is not None:
        arguments["min_value"] = low
    if high is not None:
        arguments["max_value"] = high
    return [{"accepted_range": {"arguments": arguments}}]


def _column_entry(model: Model, column: str, description: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": column, "description": description, "quote": True}
    tests: list[Any] = []
    if column in model.grain:
        tests.append("not_null")
    if model.grain == (column,):
        tests.append("unique")
    if column in _RANGES:
        tests += _range_test(column)
    tests += [t for t in model.extra_tests if column == "id"]
    if tests:
        entry["data_tests"] = tests
    return entry


def _schema_yml(chosen: list[Model]) -> str:
    entries = []
    for model in chosen:
        entry: dict[str, Any] = {"name": model.name, "description": model.description}
        if len(model.grain) > 1:
            entry["data_tests"] = [{"unique_key": {"arguments": {"columns": list(model.grain)}}}]
        entry["columns"] = [_column_entry(model, c, d) for c, d in model.columns.items()]
        entries.append(entry)
    return _yaml({"version": 2, "models": entries})


def _sources_yml() -> str:
    tables = []
    for spec in _source_tables():
        columns = _columns_pt(spec)
        tables.append(
            {
                "name": spec.name,
                "identifier": f"{{{{ var('betterstack_table_prefix', 'etl_') }}}}{spec.name}",
                "description": docs_pt.TABLES[spec.name] + " (tabela BigLake bruta)",
                "columns": [{"name": c, "description": d} for c, d in columns.items()],
            }
        )
    source = {
        "name": SOURCE,
        "description": "Tabelas BigLake brutas do betterstack-etl (camada Base dos Dados "
        "<dataset>_staging sobre gs://<bucket>/staging/<dataset>/etl_<tabela>/)",
        "database": "{{ var('betterstack_source_database', 'rj-iplanrio') }}",
        "schema": "{{ var('betterstack_source_schema', 'brutos_betterstack_staging') }}",
        "tables": tables,
    }
    return _yaml({"version": 2, "sources": [source]})


def _now_macro() -> str:
    forms = _now_forms()

    def branch(engine: str) -> str:
        current, fixed = forms[engine]
        return (
            f"    {{%- if at is none -%}}{current}"
            f"{{%- else -%}}{fixed.replace('{at}', '{{ at }}')}{{%- endif -%}}"
        )

    return (
        HEADER.format(origin="sla/views.py (_now_sql)")
        + '-- O "agora" das visões de SLA: CURRENT_TIMESTAMP, ou o momento fixo da var\n'
        + "-- betterstack_now ('AAAA-MM-DD HH:MM:SS.mmm+00', UTC) para recalcular como se fosse\n"
        + "-- aquele instante (os testes usam-na para comparar com as visões DuckDB).\n"
        + "{% macro betterstack_now() -%}\n"
        + "  {%- set at = var('betterstack_now', none) -%}\n"
        + "  {%- if target.type == 'duckdb' -%}\n"
        + branch("duckdb")
        + "\n  {%- else -%}\n"
        + branch("bigquery")
        + "\n  {%- endif -%}\n{%- endmacro %}\n"
    )


def _yaml(data: Any) -> str:
    text = str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))
    return "# Gerado por `python -m betterstack_etl.dbtgen`; não edite à mão.\n" + text


def render(options: SlaOptions | None = None) -> dict[str, str]:
    """Every generated file of ``dbt/``: relative path → content."""
    chosen = models(options)
    files = {m.path: _model_file(m) for m in chosen}
    files["models/raw/_betterstack_sources.yml"] = _sources_yml()
    files["models/raw/_betterstack_raw_models.yml"] = _schema_yml(
        [m for m in chosen if m.folder == "raw"]
    )
    files["models/sla/_betterstack_sla_models.yml"] = _schema_yml(
        [m for m in chosen if m.folder == "sla"]
    )
    files["macros/betterstack_now.sql"] = _now_macro()
    return files


def _generated(root: Path) -> set[str]:
    """Files under ``root`` that carry the generator's mark."""
    found = set()
    for path in [*root.glob("models/**/*"), *root.glob("macros/*.sql")]:
        if path.is_file() and "Gerado por `python -m betterstack_etl.dbtgen`" in path.read_text(
            encoding="utf-8"
        ):
            found.add(path.relative_to(root).as_posix())
    return found


def write(root: Path = DBT_DIR, options: SlaOptions | None = None) -> list[str]:
    """Write the generated files under ``root`` (and remove generated files no longer
    generated); the paths written or removed."""
    files = render(options)
    changed = []
    for stale in sorted(_generated(root) - set(files)):
        (root / stale).unlink()
        changed.append(stale)
    for relative, text in files.items():
        path = root / relative
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(relative)
    return changed


def drifted(root: Path = DBT_DIR, options: SlaOptions | None = None) -> list[str]:
    """The generated files under ``root`` that differ from the definition (or are missing, or
    are left over)."""
    files = render(options)
    wrong = [
        relative
        for relative, text in files.items()
        if not (root / relative).is_file() or (root / relative).read_text(encoding="utf-8") != text
    ]
    return sorted(wrong + sorted(_generated(root) - set(files)))


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
    current = _now_forms()["bigquery"][0]

    def by_ref(match: re.Match[str]) -> str:
        return f"`{project}.{dataset}.{aliases[match.group(1)]}`"

    def by_source(match: re.Match[str]) -> str:
        return f"`{project}.{staging}.{table_prefix}{match.group(1)}`"

    compiled = {}
    for model in chosen:
        text = re.sub(r"\{\{ ref\('([^']+)'\) \}\}", by_ref, model.bigquery)
        text = re.sub(r"\{\{ source\('[^']+', '([^']+)'\) \}\}", by_source, text)
        compiled[model.name] = text.replace(_NOW_MACRO, now() if now else current)
    return compiled
