"""``betterstack-etl config``: the settings in effect and where each came from (an option,
the environment, the ``.env`` file, the default), like ``meltano config list``. Secrets are
masked: their value is never printed, logged or written."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from betterstack_etl.cli.common import (
    BaseUrl,
    BillingProjectId,
    DatasetId,
    Destination,
    FromDate,
    LakeRoot,
    Monitors,
    Tables,
    ToDate,
    err,
    out,
    user_errors,
)

if TYPE_CHECKING:
    from betterstack_etl.settings import Overview

__all__ = ["config"]


def config(
    from_date: FromDate = None,
    to_date: ToDate = None,
    monitor_id: Monitors = None,
    tables: Tables = None,
    destination: Destination = None,
    lake_root: LakeRoot = None,
    dataset_id: DatasetId = None,
    billing_project_id: BillingProjectId = None,
    base_url: BaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print them as JSON.")] = False,
) -> None:
    """Show the settings in effect and where each came from (secrets masked); exit 1 when one
    is refused. The options are run's: see what a run with them would use."""
    from betterstack_etl.settings import inspect_settings

    with user_errors():
        overview = inspect_settings(
            origin="option",
            from_date=from_date,
            to_date=to_date,
            monitor_id=monitor_id,
            tables=tables,
            destination=destination,
            lake_root=lake_root,
            dataset_id=dataset_id,
            billing_project_id=billing_project_id,
            base_url=base_url,
        )
    if as_json:
        out.print_json(json.dumps(overview.to_dict()))
    else:
        _show(overview)
    if not overview.ok:
        raise typer.Exit(code=1)


def _show(overview: Overview) -> None:
    where = overview.env_file
    title = f"settings in effect (.env: {where})" if where else "settings in effect (no .env)"
    from rich.table import Table  # here: `run` needs no table

    table = Table(title=title, title_justify="left")
    table.add_column("setting", no_wrap=True)  # a variable name is never cut
    table.add_column("value", overflow="fold")
    table.add_column("from", overflow="fold")
    for row in overview.rows:
        value = escape(row.value) if row.value is not None else "–"
        if row.value is None and row.default_text:
            value = f"[dim]({escape(row.default_text)})[/]"
        if row.problem is not None:
            value = f"[bold red]{value}[/]"
        origin = f"option {row.option}" if row.origin == "option" and row.option else row.origin
        table.add_row(row.variable, value, origin)
    out.print(table)
    for note in overview.notes:
        err.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)
    problems = [r.problem for r in overview.rows if r.problem] + list(overview.problems)
    for problem in problems:
        err.print(f"[bold red]error:[/] {escape(problem)}", highlight=False, soft_wrap=True)
