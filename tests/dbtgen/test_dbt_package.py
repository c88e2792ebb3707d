"""The dbt package in dbt/ (SPEC §12): generated from the one SQL definition (a drift fails
here), and built by dbt-core + dbt-duckdb over a simulator lake, its tests included, with the
same rows as the DuckDB views the pipeline publishes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from betterstack_etl import dbtgen
from betterstack_etl.dbtgen.__main__ import main as dbtgen_main
from betterstack_etl.sla import VIEWS, SlaOptions, view_selects

from ..report.sim_lake import NOW, build

DBT = Path(sys.executable).with_name("dbt")
SCHEMA = "main_brutos_betterstack"  # dbt-duckdb: <target schema>_<+schema>
NOW_VAR = "2026-11-20 15:00:00.000+00"  # sim_lake.NOW, as betterstack_now reads it


def test_the_committed_package_is_what_the_definition_generates() -> None:
    assert dbtgen.drifted() == [], "run: python -m betterstack_etl.dbtgen"


def test_a_drifted_or_left_over_model_is_named(tmp_path: Path, capsys: Any) -> None:
    copy = tmp_path / "dbt"
    shutil.copytree(dbtgen.DBT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    kpi = copy / "models/sla/raw_eai_gateway_uptime_kpi.sql"
    kpi.write_text(kpi.read_text().replace("ROUND(", "TRUNC(", 1))
    stale = copy / "models/sla/eai_gateway_gone.sql"
    stale.write_text("-- Gerado por `python -m betterstack_etl.dbtgen` ...\nSELECT 1\n")
    assert dbtgen.drifted(copy) == [
        "models/sla/eai_gateway_gone.sql",
        "models/sla/raw_eai_gateway_uptime_kpi.sql",
    ]
    assert dbtgen_main(["--check", "--dir", str(copy)]) == 1
    assert "raw_eai_gateway_uptime_kpi.sql" in capsys.readouterr().err
    assert dbtgen_main(["--dir", str(copy)]) == 0
    assert dbtgen.drifted(copy) == []
    assert not stale.exists()


def test_every_view_of_the_definition_is_a_model_and_every_column_is_described() -> None:
    chosen = dbtgen.models()
    assert [m.alias for m in chosen if m.folder == "sla"] == [v.name for v in VIEWS]
    for model in chosen:
        assert all(text.strip() for text in model.columns.values()), model.name
    files = dbtgen.render()
    sla = yaml.safe_load(files["models/sla/_betterstack_sla_models.yml"])["models"]
    for entry, view in zip(sla, VIEWS, strict=True):
        assert [c["name"] for c in entry["columns"]] == list(view.columns)


def test_the_drop_in_models_keep_their_names_and_columns() -> None:
    by_name = {m.name: m for m in dbtgen.models()}
    incidents = by_name["raw_eai_gateway_incidents"]
    assert incidents.alias == "eai_gateway_incidents"
    their = [
        "id",
        "name",
        "status",
        "cause",
        "url",
        "team_name",
        "started_at",
        "resolved_at",
        "acknowledged_at",
        "response_code",
        "monitor_id",
        "ano_particao",
        "mes_particao",
        "data_particao",
    ]  # fmt: skip  (their schema.yml, queries-rj-iplanrio)
    assert set(their) <= set(incidents.columns)
    kpi = by_name["raw_eai_gateway_uptime_kpi"]
    assert kpi.alias == "eai_gateway_uptime_kpi"
    assert {"mes", "total_downtime_minutes", "total_minutes_in_month",
            "disponibilidade_percentual", "monitor_id"} <= set(kpi.columns)  # fmt: skip


def test_compiled_for_bigquery_the_sla_models_are_the_published_views() -> None:
    """Compiled for the city hall's project, each SLA model is the very SELECT publish sends
    as a BigQuery view (over tables of the same names): one definition, two deliveries."""
    compiled = dbtgen.compile_bigquery(project="rj-iplanrio", dataset="brutos_betterstack")

    def ref(name: str) -> str:
        return f"`rj-iplanrio.brutos_betterstack.{name}`"

    views = view_selects("bigquery", table_ref=ref, options=SlaOptions())
    for spec, select in views:
        model = "raw_eai_gateway_uptime_kpi" if spec.name == "eai_gateway_uptime_kpi" else spec.name
        assert compiled[model] == select
    incidents = compiled["raw_eai_gateway_incidents"]
    assert "FROM `rj-iplanrio.brutos_betterstack_staging.etl_eai_gateway_incidents`" in incidents
    assert not any("{{" in text or "{%" in text for text in compiled.values())


# -- dbt build over a simulator lake -----------------------------------------------------


def _dbt(project: Path, lake: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BETTERSTACK_LAKE_DUCKDB": str(lake / "betterstack.duckdb"),
        "BETTERSTACK_DBT_DUCKDB": str(out),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    variables = (
        "{betterstack_source_database: lake, betterstack_source_schema: main, "
        f'betterstack_table_prefix: "", betterstack_now: "{NOW_VAR}"}}'
    )
    command = [str(DBT), "--no-use-colors", *args, "--project-dir", str(project), "--profiles-dir", str(project),
               "--target", "duckdb", "--vars", variables]  # fmt: skip
    return subprocess.run(
        command, env=env, cwd=project, capture_output=True, text=True, timeout=600, check=False
    )


def _rows(conn: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[Any, ...]]:
    return sorted(conn.execute(f"SELECT * FROM {relation}").fetchall(), key=repr)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The simulator lake (its DuckDB views frozen at NOW), the package, and dbt's database
    after ``dbt build`` (models and tests)."""
    work = tmp_path_factory.mktemp("dbt")
    lake = build(work / "lake")
    project = work / "package"
    shutil.copytree(dbtgen.DBT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    out = work / "dbt.duckdb"
    done = _dbt(project, lake, out, "build")
    assert done.returncode == 0, done.stdout[-4000:]
    assert "ERROR=0" in done.stdout
    assert "WARN=0" in done.stdout
    return lake, project, out


@pytest.mark.slow
def test_dbt_build_gives_the_rows_of_the_duckdb_views(built: tuple[Path, Path, Path]) -> None:
    lake, _, out = built
    conn = duckdb.connect(str(out), read_only=True)
    conn.execute(f"ATTACH '{lake / 'betterstack.duckdb'}' AS lake (READ_ONLY)")
    try:
        for view in VIEWS:
            ours = _rows(conn, f'"lake"."main"."{view.name}"')
            theirs = _rows(conn, f'"{SCHEMA}"."{view.name}"')
            assert ours, view.name
            assert theirs == ours, view.name
            columns = [r[0] for r in conn.execute(f'DESCRIBE "{SCHEMA}"."{view.name}"').fetchall()]
            assert columns == list(view.columns), view.name  # every column described
        # the typed tables hold the raw rows; the drop-in adds the analysts' columns
        for table in (
            "eai_gateway_response_times",
            "eai_gateway_daily_sla",
            "eai_gateway_monitors",
        ):
            assert _rows(conn, f'"{SCHEMA}"."{table}"') == _rows(conn, f'"lake"."main"."{table}"')
        raw = conn.execute(
            'SELECT incident_id, data_particao FROM "lake"."main"."eai_gateway_incidents"'
        ).fetchall()
        drop_in = conn.execute(
            f"SELECT id, incident_id, ano_particao, mes_particao, data_particao "
            f'FROM "{SCHEMA}"."eai_gateway_incidents"'
        ).fetchall()
        assert sorted((i, d) for i, _, _, _, d in drop_in) == sorted(raw)
        for incident, same, year, month, day in drop_in:
            assert (same, year, month) == (incident, f"{day:%Y}", f"{day:%m}")
        comment = conn.execute(
            "SELECT comment FROM duckdb_columns() WHERE schema_name = ? AND table_name = "
            "'eai_gateway_uptime_kpi' AND column_name = 'mes'",
            [SCHEMA],
        ).fetchone()
        assert comment is not None
        assert comment[0].startswith("Mês no formato")
    finally:
        conn.close()
    assert NOW.isoformat().startswith(NOW_VAR[:10])


@pytest.mark.slow
def test_the_packages_tests_fail_on_bad_rows(built: tuple[Path, Path, Path]) -> None:
    """A negative control: an availability outside 0-100 and a duplicated key break dbt test."""
    lake, project, out = built
    conn = duckdb.connect(str(out))
    try:
        conn.execute(f'UPDATE "{SCHEMA}"."eai_gateway_daily_sla" SET availability = 150 '
                     "WHERE rowid = (SELECT min(rowid) FROM "
                     f'"{SCHEMA}"."eai_gateway_daily_sla")')  # fmt: skip
        conn.execute(f'INSERT INTO "{SCHEMA}"."eai_gateway_monitors" '
                     f'SELECT * FROM "{SCHEMA}"."eai_gateway_monitors" LIMIT 1')  # fmt: skip
    finally:
        conn.close()
    done = _dbt(project, lake, out, "test", "--select", "raw_eai_gateway_daily_sla",
                "raw_eai_gateway_monitors")  # fmt: skip
    assert done.returncode != 0
    assert "FAIL 1 accepted_range_raw_eai_gateway_daily_sla__availability" in done.stdout
    assert "FAIL 1 unique_key_raw_eai_gateway_monitors_monitor_id__data_particao" in done.stdout
    assert "ERROR=2" in done.stdout  # those two, and no other
