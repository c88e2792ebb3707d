"""The generated files of ``dbt/`` (see ``betterstack_etl.dbtgen``): the model files, the
``schema.yml`` and ``sources.yml`` files, the ``betterstack_now`` macro; writing them, and
naming those that drifted."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

import yaml

from betterstack_etl.dbtgen import docs_pt
from betterstack_etl.dbtgen.models import (
    DBT_DIR,
    SOURCE,
    Model,
    columns_pt,
    models,
    now_forms,
    source_tables,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from betterstack_etl.sla import SlaOptions

__all__ = ["drifted", "render", "write"]

HEADER: Final = (
    "-- Gerado por `python -m betterstack_etl.dbtgen` a partir da definição única em\n"
    "-- src/betterstack_etl/{origin}; não edite à mão (um teste falha quando diverge).\n"
)
# A moment no real run has: the views' "now" is rendered with it, then replaced by the macro.
_BIGQUERY_ONLY: Final = frozenset({"partition_by", "cluster_by"})  # dbt-duckdb reads them else

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
    for spec in source_tables():
        columns = columns_pt(spec)
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
    forms = now_forms()

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
