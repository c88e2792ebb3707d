"""The report on the production side: the views read from BigQuery (bqemulator) give the same
report as DuckDB over the same rows, and ``--out gs://…`` uploads it (storage emulator)."""

from __future__ import annotations

import importlib.util
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from google.cloud import bigquery, storage

from betterstack_etl.gcp.bigquery import bigquery_schema
from betterstack_etl.report import (
    BigQuerySource,
    DuckDbSource,
    ReportOptions,
    render_report,
    slo_breaches,
    write_report,
)

from .conftest import PROJECT, copy_lake_to_bigquery

_spec = importlib.util.spec_from_file_location(
    "report_fixture_lake", Path(__file__).parents[1] / "report" / "fixture_lake.py"
)
assert _spec is not None
assert _spec.loader is not None
F: Any = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(F)

_sim_spec = importlib.util.spec_from_file_location(
    "report_sim_lake", Path(__file__).parents[1] / "report" / "sim_lake.py"
)
assert _sim_spec is not None
assert _sim_spec.loader is not None
S: Any = importlib.util.module_from_spec(_sim_spec)
_sim_spec.loader.exec_module(S)


@pytest.mark.slow
def test_bigquery_source_gives_the_same_report_as_duckdb(
    bq_client: bigquery.Client, dataset_id: str, tmp_path: Path
) -> None:
    lake = F.build(tmp_path / "lake")
    copy_lake_to_bigquery(lake, bq_client, dataset_id)
    options = ReportOptions.from_cli(now=F.NOW, lang="pt-BR")
    with DuckDbSource.open(lake) as local:
        expected = render_report(local, options)
        local_breaches = slo_breaches(local, month=F.MONTH, options=options)
    remote = BigQuerySource(bq_client, project=PROJECT, dataset=dataset_id)
    assert remote.exists("eai_gateway_availability_monthly")
    assert not remote.exists("eai_gateway_nothing")
    assert render_report(remote, options) == expected
    assert slo_breaches(remote, month=F.MONTH, options=options) == local_breaches
    assert [b.monitor_id for b in local_breaches] == ["300"]


def test_report_uploaded_to_gcs(gcs_client: storage.Client, bucket: str) -> None:
    html = "<!DOCTYPE html><html><body>relatório</body></html>"
    where = write_report(html, f"gs://{bucket}/reports/2026-11.html", client=gcs_client)
    assert where == f"gs://{bucket}/reports/2026-11.html"
    blob = gcs_client.bucket(bucket).get_blob("reports/2026-11.html")
    assert blob is not None
    assert blob.content_type.startswith("text/html")
    assert blob.download_as_bytes().decode("utf-8") == html


def test_upload_to_a_missing_bucket_is_a_config_error(gcs_client: storage.Client) -> None:
    from betterstack_etl.errors import ConfigError

    with pytest.raises(ConfigError, match="the bucket no-such-bucket-x does not exist"):
        write_report("x", "gs://no-such-bucket-x/r.html", client=gcs_client)
    with pytest.raises(ConfigError, match="names no object"):
        write_report("x", "gs://bucket-only", client=gcs_client)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


@pytest.mark.slow
def test_bigquery_computes_the_views_from_the_raw_tables_like_duckdb(
    bq_client: bigquery.Client, dataset_id: str, tmp_path: Path
) -> None:
    """A lake with the raw tables: both engines compute the SLA views (``view_selects``) with
    the report's options and clock, and print the same report."""
    from betterstack_etl.tables import (
        COVERAGE,
        DAILY_SLA,
        INCIDENTS,
        MONITORS,
        PARTITION_COLUMN,
        RESPONSE_TIMES,
    )

    lake = S.build(tmp_path / "lake")
    bq_client.create_dataset(f"{PROJECT}.{dataset_id}")
    with DuckDbSource.open(lake) as local:
        # the raw tables and what the lake has fetched (the SLA views count covered time only)
        for spec in (INCIDENTS, DAILY_SLA, RESPONSE_TIMES, MONITORS, COVERAGE):
            table = local.query(f"SELECT * FROM {spec.name}")
            created = bq_client.create_table(bigquery.Table(
                f"{PROJECT}.{dataset_id}.{spec.name}", schema=[*bigquery_schema(spec.schema), bigquery.SchemaField(PARTITION_COLUMN, "DATE")]))  # fmt: skip
            rows = [{k: _json_value(v) for k, v in r.items()} for r in table.to_pylist()]
            assert bq_client.insert_rows_json(created, rows) == []
        options = ReportOptions.from_cli(now=S.NOW, month="2026-11", lang="en")
        expected = render_report(local, options)
    remote = BigQuerySource(bq_client, project=PROJECT, dataset=dataset_id)
    html = render_report(remote, options)
    for attribute in ("monitor", "incident", "date", "region"):
        assert _rows(html, attribute) == _rows(expected, attribute), attribute
    assert _rows(expected, "monitor")  # there is something to compare


def _rows(html: str, attribute: str) -> list[str]:
    return re.findall(rf'<tr data-{attribute}="[^"]+">.*?</tr>', html, re.S)
