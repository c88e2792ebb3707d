"""What the command line shows: a rich progress bar, the run summary, the landed tables."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from betterstack_etl.literal import visible

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

    from betterstack_etl.run.summary import RunPlan

__all__ = [
    "RichProgress",
    "cell",
    "literal",
    "partition_table",
    "plan_table",
    "show_lake",
    "show_summary",
    "summary_notes",
    "summary_table",
    "within_lake",
]


class RichProgress:
    """Progress bars per table (requests done/total, rate, ETA) for the CLI."""

    def __init__(self, console: Console) -> None:
        self._bars = Progress(
            TextColumn("{task.description:<28}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("requests"),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._ids: dict[str, TaskID] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        self._bars.start()

    def stop(self) -> None:
        self._bars.stop()

    def _task(self, table: str) -> TaskID:
        if table not in self._ids:
            self._ids[table] = self._bars.add_task(table, total=0, rate="")
        return self._ids[table]

    def planned(self, table: str, requests: int) -> None:
        with self._lock:
            task = self._task(table)
            total = (self._bars.tasks[self._index(task)].total or 0) + requests
            self._bars.update(task, total=total)

    def done(self, table: str, requests: int = 1) -> None:
        with self._lock:
            task = self._task(table)
            self._bars.advance(task, requests)
            speed = self._bars.tasks[self._index(task)].speed
            self._bars.update(task, rate=f"{speed:.1f}/s" if speed else "")

    def finished(self, table: str) -> None:
        with self._lock:
            task = self._task(table)
            current = self._bars.tasks[self._index(task)]
            self._bars.update(task, total=current.completed)

    def _index(self, task: TaskID) -> int:
        return next(i for i, t in enumerate(self._bars.tasks) if t.id == task)


def literal(value: object, style: str = "") -> Text:
    """``value`` as Rich ``Text``: never parsed as markup, control characters shown as
    escapes (SPEC §13); ``cli.common.literal`` for the lines this module does not print."""
    return Text(visible(value), style=style)


def _note(label: str, style: str, body: str) -> Text:
    return Text.assemble((label, style), ": ", literal(body))


def summary_notes(summary: dict[str, Any]) -> list[Text]:
    """The monitors below their SLO, then the run's warnings: one line each, said once (the
    run logs them at INFO, seen with -v). Names, causes and errors are data: shown literally."""
    from betterstack_etl.report.breaches import breach_text  # the report's modules: on demand

    notes = [
        _note(
            "SLO breached",
            "bold red",
            breach_text(b),
        )
        for b in summary.get("slo_breaches", [])
    ]
    return notes + [_note("warning", "yellow", w) for w in summary.get("warnings", [])]


def _title(summary: dict[str, Any]) -> Text:
    return literal(
        f"run {summary['run_id']} → {summary['destination']} {summary['lake_root']}  "
        f"(window {summary['window'][0]} … {summary['window'][1]})"
    )


def summary_table(summary: dict[str, Any]) -> Table:
    """One row per table: the partitions the run touched, rows inserted (new keys), updated
    (keys already there, replaced by the newer extraction) and unchanged (already there, not
    offered again); a failed table shows its error."""
    table = Table(title=_title(summary))
    table.add_column("table")
    table.add_column("partitions")
    for column in ("inserted", "updated", "unchanged", "rows now"):
        table.add_column(column, justify="right")
    for name, info in summary["tables"].items():
        if info["error"]:
            table.add_row(name, Text("FAILED", style="red"), literal(info["error"]))
            continue
        parts = info["partitions"]
        days = sorted(p["data_particao"] for p in parts)
        touched = (
            "–"
            if not days
            else days[0]
            if len(days) == 1
            else f"{len(days)}: {days[0]} … {days[-1]}"
        )
        table.add_row(
            name,
            touched,
            str(sum(p["rows_after"] - p["rows_before"] for p in parts)),
            str(sum(p["rows_offered"] - (p["rows_after"] - p["rows_before"]) for p in parts)),
            str(sum(p["rows_after"] - p["rows_offered"] for p in parts)),
            str(sum(p["rows_after"] for p in parts)),
        )
    return table


def partition_table(summary: dict[str, Any]) -> Table:
    """``run -v``: rows before, offered and after, per table and partition."""
    table = Table(title=Text("per partition"))
    for column in ("table", "data_particao", "rows before", "rows offered", "rows after"):
        table.add_column(column, justify="right" if column.startswith("rows") else "left")
    for name, info in summary["tables"].items():
        for p in info["partitions"]:
            table.add_row(
                name,
                p["data_particao"],
                str(p["rows_before"]),
                str(p["rows_offered"]),
                str(p["rows_after"]),
            )
    return table


def show_summary(console: Console, summary: dict[str, Any], *, detail: bool = False) -> None:
    """The run summary: a row per table (and a row per partition with ``detail``), then each
    SLO breach and warning once, on a line of its own (never wrapped inside a number)."""
    if detail:
        console.print(partition_table(summary))
    console.print(summary_table(summary))
    for note in summary_notes(summary):
        console.print(note, soft_wrap=True)


def plan_table(plan: RunPlan) -> Table:
    """``run --dry-run``: requests per table and the partitions each would merge into; under
    it, how long the requests take at the run's rate, and a warning when that is longer than
    the time between scheduled runs."""
    schedule = plan.schedule
    warning = schedule.warning()
    table = Table(
        title=literal(
            f"plan: {len(plan.monitors)} of {plan.visible} monitor(s), window "
            f"{plan.window.start} … {plan.window.end}; {plan.requests_made} request(s) made "
            f"(the listing), about {plan.requests} to come; nothing written"
        ),
        caption=_note("warning", "yellow", warning) if warning else literal(schedule.describe()),
        caption_justify="left",
    )
    for column in ("table", "requests", "partitions (data_particao)", "how"):
        table.add_column(column, justify="right" if column == "requests" else "left")
    for t in plan.tables:
        days = t.partitions
        shown = ", ".join(d.isoformat() for d in days[:3])
        if len(days) > 3:
            shown = f"{days[0]} … {days[-1]} ({len(days)})"
        requests = f"≥ {t.requests}" if t.at_least else str(t.requests)
        table.add_row(t.table, requests, shown, literal(t.note))
    return table


def cell(value: object, *, rounded: bool = False) -> Text:
    """A value read from the lake, as a table cell: ∅ for null, UTC times, the rest literal;
    ``rounded``: fractional numbers to 4 decimals, for reading (csv/json keep every digit)."""
    if rounded and isinstance(value, (float, Decimal)) and not isinstance(value, bool):
        return Text(f"{value:.4f}".rstrip("0").rstrip("."))
    if value is None:
        return Text("∅")
    if isinstance(value, datetime):
        return Text(value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"))
    return literal(value)


def show_lake(console: Console, lake_root: str, *, rows: int) -> None:
    """Rows per table, and a few rows of each, read back through DuckDB."""
    from betterstack_etl.lake import open_duckdb
    from betterstack_etl.tables import TABLES  # here: `query` (its `cell`) needs no pyarrow

    con = open_duckdb(Path(lake_root), read_only=True)
    try:
        counts = Table(title=literal(f"what landed in {lake_root}"))
        counts.add_column("table")
        counts.add_column("rows", justify="right")
        counts.add_column("partitions", justify="right")
        for spec in TABLES:
            n, parts = con.execute(
                f"SELECT count(*), count(DISTINCT data_particao) FROM {spec.name}"  # noqa: S608
            ).fetchone() or (0, 0)
            counts.add_row(spec.name, str(n), str(parts))
        console.print(counts)
        for spec in TABLES:
            # identifiers come from the table declarations, never from input
            columns = ", ".join(f'"{c}"' for c in spec.preview)
            order = f'"{spec.partition_by}" DESC'
            sql = f"SELECT {columns} FROM {spec.name} ORDER BY {order}"  # noqa: S608
            result = con.execute(f"{sql} LIMIT {int(rows)}")
            view = Table(title=spec.name)
            for d in result.description or []:
                view.add_column(literal(d[0]))
            for record in result.fetchall():
                view.add_row(*(cell(v) for v in record))
            console.print(view)
    finally:
        con.close()


def within_lake(lake_root: str) -> Callable[[str], str]:
    """Paths in ``text`` said relative to the lake root (given once, in the title)."""
    prefixes = {lake_root.rstrip("/") + "/"}
    if "://" not in lake_root:
        prefixes.add(str(Path(lake_root).expanduser().absolute()).rstrip("/") + "/")
        prefixes.add(str(Path(lake_root).expanduser().resolve()).rstrip("/") + "/")

    def short(text: str) -> str:
        for prefix in sorted(prefixes, key=len, reverse=True):
            text = text.replace(prefix, "")
        return text

    return short
