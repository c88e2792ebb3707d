"""Every statement the project sends to BigQuery, collected by running the project's own code
against stand-ins for ``google.cloud.bigquery.Client`` (nothing is copied from the code):

- ``published_views``: the views ``BigQueryPublisher.publish`` creates (``view_query``), in its
  order; a view added to ``sla.VIEWS`` is picked up here with no change.
- ``ZetaSqlBigQuery``: a client for ``report.source.BigQuerySource`` whose ``get_table`` answers
  from a ZetaSQL catalog and whose ``query`` runs on ZetaSQL's reference evaluator (or, without
  rows, only analyzes and answers no row), recording every SQL text. With it, the report
  (``load_report``) and the SLO check of each run (``slo_breaches``, as ``check_slo`` calls it)
  run unchanged and their queries are collected (``read_everything``).
- ``every_statement``: all of them, each with the catalog it runs against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa
from google.api_core import exceptions as gexc

from betterstack_etl.gcp.bigquery import BigQueryPublisher
from betterstack_etl.report import BigQuerySource, ReportOptions, slo_breaches
from betterstack_etl.report.data import load_report
from betterstack_etl.sla import SlaOptions, bigquery_views
from betterstack_etl.tables import TABLES, WRITTEN

from . import lake
from .analyzer import AnalysisError, BigQueryAnalyzer, Catalog, arrow_type, raw_catalog

if TYPE_CHECKING:
    from collections.abc import Mapping

    from google.cloud import bigquery

__all__ = [
    "DATASET",
    "OPTIONS",
    "PROJECT",
    "PublishRecorder",
    "ZetaSqlBigQuery",
    "every_statement",
    "published_views",
    "read_everything",
    "ref",
    "relation_name",
    "reports",
    "scenario_catalogs",
]

PROJECT: Final = "rj-iplanrio"
DATASET: Final = "brutos_betterstack"
LAKE_ROOT: Final = "gs://rj-iplanrio-betterstack/lake"
OPTIONS: Final = SlaOptions()  # the report's defaults too: São Paulo, 99.9 %


def ref(name: str) -> str:
    """A table or view of the dataset by its BigQuery name."""
    return f"{PROJECT}.{DATASET}.{name}"


def relation_name(table: bigquery.Table) -> str:
    return f"{table.project}.{table.dataset_id}.{table.table_id}"


@dataclass
class PublishRecorder:
    """A client for ``BigQueryPublisher`` on an empty project: every object is missing, and
    each one ``publish`` creates is recorded."""

    created: list[bigquery.Table] = field(default_factory=list)

    def get_dataset(self, ref: Any) -> Any:
        raise gexc.NotFound(f"Not found: Dataset {ref}")

    def create_dataset(self, dataset: Any, exists_ok: bool = False) -> Any:
        return dataset

    def get_table(self, ref: Any) -> Any:
        raise gexc.NotFound(f"Not found: Table {ref}")

    def create_table(self, table: bigquery.Table, exists_ok: bool = False) -> bigquery.Table:
        self.created.append(table)
        return table

    def update_table(self, table: bigquery.Table, fields: Any) -> bigquery.Table:
        raise AssertionError(f"publish updated {table} on an empty project")


def published_views(
    options: SlaOptions, *, project: str = PROJECT, dataset: str = DATASET
) -> list[tuple[str, str]]:
    """``(relation name, view query)`` of every view ``publish`` creates, in its order (each
    view after the ones it reads)."""
    client = PublishRecorder()
    publisher = BigQueryPublisher(
        client,  # type: ignore[arg-type]
        project=project,
        dataset=dataset,
        lake_root=LAKE_ROOT,
        sla=options,
    )
    publisher.publish((*TABLES, *WRITTEN))  # what a run publishes
    views = [(relation_name(t), t.view_query) for t in client.created if t.view_query]
    assert views, "publish created no view: the SLA views are not published any more?"
    return views


class ZetaSqlBigQuery:
    """Stands in for ``bigquery.Client`` where ``BigQuerySource`` uses it.

    ``catalog``: the relations that exist (``get_table``); ``contents``: their rows by relation
    name for the reference evaluator, or ``None`` to analyze only (every query then answers no
    row, typed). ``queries``: every SQL text sent, in order."""

    def __init__(
        self,
        analyzer: BigQueryAnalyzer,
        catalog: Catalog,
        contents: Mapping[str, pa.Table] | None = None,
    ) -> None:
        self.analyzer = analyzer
        self.catalog = catalog
        self.contents = contents
        self.queries: list[str] = []

    def get_table(self, ref: Any) -> Any:
        name = str(ref)
        if name not in self.catalog.tables:
            raise gexc.NotFound(f"Not found: Table {name}")
        return SimpleNamespace(reference=name)

    def query(self, sql: str) -> _Job:
        self.queries.append(sql)
        return _Job(self, sql, f"query {len(self.queries)}")


class _Job:
    def __init__(self, client: ZetaSqlBigQuery, sql: str, label: str) -> None:
        self._client = client
        self._sql = sql
        self._label = label

    def to_arrow(self, create_bqstorage_client: bool = True) -> pa.Table:
        client = self._client
        try:
            if client.contents is not None:
                return client.analyzer.evaluate(
                    self._sql, client.catalog, client.contents, label=self._label
                )
            columns = client.analyzer.output_columns(self._sql, client.catalog, label=self._label)
        except AnalysisError as exc:
            # as google-cloud-bigquery raises a refused query
            raise gexc.BadRequest(f"{exc.message}\n{self._sql}") from exc
        return pa.table({name: pa.array([], arrow_type(kind)) for name, kind in columns})


# -- the report and the SLO check over the scenario --------------------------------------------


def reports() -> list[ReportOptions]:
    """The reports read: the scenario's month, and days across the month boundary with two
    monitors named (so the monitor check's queries are sent too)."""
    common: dict[str, Any] = {
        "now": lake.scenario().NOW,
        "time_zone": OPTIONS.time_zone,
        "slo_pct": OPTIONS.slo_pct,
    }
    return [
        ReportOptions(start=date(2026, 11, 1), end=date(2026, 11, 30), **common),
        ReportOptions(
            start=date(2026, 10, 25), end=date(2026, 11, 3), monitor_ids=("m-a", "m-b"), **common
        ),
    ]


def read_everything(source: Any) -> list[Any]:
    """What the project reads from a view source: the reports (``load_report``), and the SLO
    check of a run (``slo_breaches`` with the run's monitors, or all)."""
    now = lake.scenario().NOW
    results: list[Any] = [load_report(source, options) for options in reports()]
    for ids in ((), ("m-a", "m-b")):
        month = date(2026, 11, 1)
        results.append(slo_breaches(source, month=month, options=OPTIONS, monitor_ids=ids, now=now))
    return results


def scenario_catalogs(
    analyzer: BigQueryAnalyzer,
) -> tuple[Catalog, dict[str, pa.Table], Catalog, dict[str, pa.Table]]:
    """The scenario as BigQuery would hold it: raw tables + views (the views' rows computed by
    the reference evaluator, views frozen at the scenario's now), and a dataset holding the
    views only; each catalog with its rows."""
    catalog = raw_catalog(PROJECT, DATASET)
    contents = {ref(n): t for n, t in lake.raw_tables().items()}
    views_only, view_rows = Catalog(), {}
    for view in bigquery_views(PROJECT, DATASET, options=OPTIONS, now=lake.scenario().NOW):
        name = ref(view.table_id)
        columns = analyzer.output_columns(view.view_query, catalog, label=name)
        rows = analyzer.evaluate(view.view_query, catalog, contents, label=name)
        catalog = catalog.with_table(name, columns)
        contents[name] = rows
        views_only = views_only.with_table(name, columns)
        view_rows[name] = rows
    return catalog, contents, views_only, view_rows


def every_statement(analyzer: BigQueryAnalyzer) -> list[tuple[str, str, Catalog]]:
    """``(label, SQL, catalog)`` of every statement the project sends to BigQuery: the
    published views (as ``publish`` sends them, with ``CURRENT_TIMESTAMP()``), and the report's
    and the SLO check's queries on a dataset with and without the raw tables."""
    found: list[tuple[str, str, Catalog]] = []
    catalog = raw_catalog(PROJECT, DATASET)
    for name, sql in published_views(OPTIONS):
        found.append((f"view {name}", sql, catalog))
        catalog = catalog.with_table(name, analyzer.output_columns(sql, catalog, label=name))
    lake_catalog, lake_rows, views_only, view_rows = scenario_catalogs(analyzer)
    for layout, where, rows in (
        ("lake", lake_catalog, lake_rows),
        ("views", views_only, view_rows),
    ):
        client = ZetaSqlBigQuery(analyzer, where, rows)
        read_everything(BigQuerySource(client, project=PROJECT, dataset=DATASET))  # type: ignore[arg-type]
        for i, sql in enumerate(dict.fromkeys(client.queries), 1):
            found.append((f"{layout} query {i}", sql, where))
    return found
