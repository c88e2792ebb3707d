"""``status`` (alias ``runs``), ``tables``, ``describe``: the pipeline's state and what landed,
read from the ledger and the views (local lake or BigQuery), without writing SQL."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from betterstack_etl import clock
from betterstack_etl.cli.common import (
    BillingProjectId,
    DatasetId,
    Destination,
    LakeRoot,
    fail,
    literal,
    load,
    out,
    user_errors,
)
from betterstack_etl.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from betterstack_etl.report import ViewSource

__all__ = ["describe", "query", "status", "tables"]


@contextmanager
def _source(overrides: dict[str, Any]) -> Iterator[ViewSource]:
    from betterstack_etl.run.destinations import view_source

    params = load(**overrides).run_params(monitors_default="all")  # no monitor needed to read
    source = view_source(params)
    try:
        yield source
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


def status(
    lake_root: LakeRoot = None,
    destination: Destination = None,
    dataset_id: DatasetId = None,
    billing_project_id: BillingProjectId = None,
) -> None:
    """The state of the pipeline, from the run ledger eai_gateway_runs: the last run, and per
    table its last status, rows, and how long ago it last loaded without error."""
    from betterstack_etl.ops.status import since, table_states

    overrides = {
        "lake_root": lake_root,
        "destination": destination,
        "dataset_id": dataset_id,
        "billing_project_id": billing_project_id,
    }
    with user_errors(), _source(overrides) as source:
        states = table_states(source)
    if not states:
        out.print("no run in the ledger yet: run the pipeline (`run`, or `demo` to try it)")
        return
    now = clock.utcnow()
    last = max(states, key=lambda s: s.started_at)
    failed = [s.table for s in states if s.run_id == last.run_id and s.status != "ok"]
    title = f"last run {last.run_id} started {since(last.started_at, now)}: " + (
        f"{len(failed)} table(s) failed" if failed else "ok"
    )
    from rich.table import Table  # here: `run` needs no table

    table = Table(title=literal(title))
    for column in ("table", "last status", "inserted", "updated", "partitions", "last success"):
        table.add_column(column, justify="right" if column in ("inserted", "updated") else "left")
    for s in states:
        mark = Text("ok", "green") if s.status == "ok" else Text("failed", "bold red")
        table.add_row(
            s.table,
            mark,
            str(s.rows_inserted),
            str(s.rows_updated),
            str(s.partitions),
            since(s.last_ok, now),
        )
    out.print(table)
    for s in states:
        if s.status != "ok" and s.error:
            out.print(Text.assemble((f"{s.table}: ", "red"), literal(s.error)), soft_wrap=True)


def tables(
    lake_root: LakeRoot = None,
    destination: Destination = None,
    dataset_id: DatasetId = None,
    billing_project_id: BillingProjectId = None,
) -> None:
    """What landed: rows, partitions and the newest partition of every table."""
    from betterstack_etl.ops.status import landed

    overrides = {
        "lake_root": lake_root,
        "destination": destination,
        "dataset_id": dataset_id,
        "billing_project_id": billing_project_id,
    }
    with user_errors(), _source(overrides) as source:
        found = landed(source)
    from rich.table import Table  # here: `run` needs no table

    table = Table(title="tables (describe TABLE for its columns)")
    table.add_column("table")
    for column in ("rows", "partitions"):
        table.add_column(column, justify="right")
    table.add_column("newest partition")
    for t in found:
        table.add_row(t.table, str(t.rows), str(t.partitions), str(t.newest or "–"))
    out.print(table)


def describe(
    table: Annotated[str, typer.Argument(help="A table, e.g. eai_gateway_incidents or incidents.")],
    lake_root: LakeRoot = None,
    destination: Destination = None,
    dataset_id: DatasetId = None,
    billing_project_id: BillingProjectId = None,
) -> None:
    """One table: rows, partitions, the newest partition, its columns and their types."""
    from betterstack_etl.ops.status import describe as describe_table

    overrides = {
        "lake_root": lake_root,
        "destination": destination,
        "dataset_id": dataset_id,
        "billing_project_id": billing_project_id,
    }
    with user_errors(), _source(overrides) as source:
        t = describe_table(source, table)
    title = f"{t.table}: {t.rows} row(s) in {t.partitions} partition(s), newest {t.newest or '–'}"
    from rich.table import Table  # here: `run` needs no table

    view = Table("column", "type", title=literal(title))
    for name, kind in t.columns:
        view.add_row(literal(name), literal(kind))
    out.print(view)


def query(
    sql: Annotated[str, typer.Argument(help="SQL over the tables (DuckDB dialect).")],
    lake_root: LakeRoot = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    limit: Annotated[int, typer.Option(help="Rows shown at most (table format).")] = 200,
) -> None:
    """SQL over the local lake through DuckDB. Read-only: only statements that read run
    (SELECT, WITH, DESCRIBE, SHOW, EXPLAIN), and no file outside the lake can be read."""
    from betterstack_etl.lake import open_duckdb
    from betterstack_etl.lake.duckerrors import explain_duckdb_error, first_line
    from betterstack_etl.lake.readonly import run_read_only

    if fmt not in ("table", "csv", "json"):
        raise fail(ConfigError(f"unknown format {fmt!r}", hint="use table, csv or json"))
    with user_errors():
        loaded = load(lake_root=lake_root)
        if loaded.settings.destination != "local":
            raise ConfigError(
                "query reads a local lake, and the destination is bigquery",
                hint="query the views in BigQuery, or unset BETTERSTACK_DESTINATION and pass "
                "--lake-root <a local lake folder>",
            )
        root = Path(loaded.settings.lake_root)
        con = open_duckdb(root, read_only=True)
        try:
            result = run_read_only(con, sql, root)
            columns = [d[0] for d in result.description or []]
            records = result.fetchall()
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - DuckDB raises many error classes
            explained = explain_duckdb_error(exc, root, sql=sql, con=con)
            if explained is not None:
                raise fail(explained) from None
            first = first_line(exc)
            raise fail(ConfigError(f"query failed: {first}", hint="check the SQL")) from None
        finally:
            con.close()
    if fmt == "json":
        out.print_json(
            json.dumps([dict(zip(columns, r, strict=True)) for r in records], default=str)
        )
    elif fmt == "csv":
        import csv

        from betterstack_etl.literal import visible

        writer = csv.writer(sys.stdout)
        if sys.stdout.isatty():  # a terminal: no escape sequence from the data reaches it
            columns = [visible(c) for c in columns]
            records = [tuple(visible(v) if isinstance(v, str) else v for v in r) for r in records]
        writer.writerow(columns)
        writer.writerows(records)
    else:
        from betterstack_etl.cli.display import cell

        shown = records[:limit]
        title = f"{len(records)} row(s)"
        if len(shown) < len(records):
            title = f"first {len(shown)} of {len(records)} row(s) (--limit {limit})"
        from rich.table import Table  # here: `run` needs no table

        table = Table(title=title)
        for i, column in enumerate(columns):
            numeric = any(isinstance(r[i], (int, float, Decimal)) for r in shown)
            # headers fold onto a second line rather than losing their end to "…"
            table.add_column(
                literal(column), overflow="fold", justify="right" if numeric else "left"
            )
        for record in shown:
            table.add_row(*(cell(v, rounded=True) for v in record))
        out.print(table)
