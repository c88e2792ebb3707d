"""``python -m benchmarks``: run the benchmarks, print a table and one summary.

Progress goes to stderr; the table and, as the very last line, the ``summary:`` line go to
stdout. Options shrink the run for a quick look (``--days 5 --merge-rows 100000,1000000``).
``python -m benchmarks merge [--merge-rows …]`` runs only the lake's merges (benchmarks 4 and
4b: response times, and the hourly incidents merge into a long history); ``python -m
benchmarks cli`` only the command line (benchmark 7: start-up, run vs floor, query).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from benchmarks.backfill import run_backfill, run_sequential, speedup, warm_up
from benchmarks.cli import run_cli
from benchmarks.common import BenchConfig, Figure, request_bars, start_simulator
from benchmarks.hourly import run_hourly
from benchmarks.incidents import run_incidents_merge
from benchmarks.merge import measure_merge
from benchmarks.periods import run_periods
from benchmarks.report import run_report
from benchmarks.results import save
from benchmarks.transform import run_transform
from benchmarks.views import run_views

if TYPE_CHECKING:
    from collections.abc import Sequence

    from benchmarks.backfill import BackfillResult, SequentialResult
    from benchmarks.cli import CliResult
    from benchmarks.hourly import HourlyResult
    from benchmarks.merge import MergeResult
    from benchmarks.periods import PeriodResult
    from benchmarks.report import ReportResult
    from benchmarks.transform import TransformResult
    from benchmarks.views import ViewsResult


def parse_args(argv: Sequence[str] | None = None) -> BenchConfig:
    defaults = BenchConfig()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--monitors", type=int, default=defaults.monitors)
    parser.add_argument("--days", type=int, default=defaults.days, help="backfill days")
    parser.add_argument("--rate", type=float, default=defaults.rate, help="requests/s budget")
    parser.add_argument("--max-in-flight", type=int, default=defaults.max_in_flight)
    parser.add_argument(
        "--latency", type=float, default=defaults.latency, help="simulator seconds per request"
    )
    parser.add_argument(
        "--merge-rows",
        default=",".join(str(n) for n in defaults.merge_rows),
        help="comma-separated row counts for the merge benchmark (first / last → growth)",
    )
    parser.add_argument(
        "--no-warm-up",
        action="store_true",
        help="measure the backfill cold (first pages pay one-off start-up costs)",
    )
    args = parser.parse_args(argv)
    return BenchConfig(
        monitors=args.monitors,
        days=args.days,
        rate=args.rate,
        max_in_flight=args.max_in_flight,
        latency=args.latency,
        merge_rows=tuple(int(n) for n in str(args.merge_rows).split(",") if n.strip()),
        warm_up=not args.no_warm_up,
    )


def results_table(config: BenchConfig, figures: list[Figure]) -> Table:
    table = Table(
        title=f"betterstack-etl benchmarks — simulator at {config.rate:g} req/s, "
        f"{config.latency * 1000:g} ms per request, max {config.max_in_flight} in flight"
    )
    for column in ("benchmark", "measure", "value", "note"):
        table.add_column(column, justify="right" if column == "value" else "left")
    last = ""
    for figure in figures:
        name = figure.benchmark if figure.benchmark != last else ""
        last = figure.benchmark
        table.add_row(name, figure.measure, figure.value, figure.note)
    return table


def summary_line(
    ours: BackfillResult,
    sequential: SequentialResult,
    hourly: HourlyResult,
    merges: list[MergeResult],
    transform: TransformResult,
    views: ViewsResult,
    cli: CliResult,
    periods: PeriodResult,
    report: ReportResult,
) -> str:
    growth = merges[-1].arrow_peak_bytes / max(1, merges[0].arrow_peak_bytes)
    ratio = "n/a" if transform.speedup is None else f"{transform.speedup:.2f}"
    return (
        f"summary: efficiency={ours.efficiency:.3f} speedup={speedup(sequential, ours):.2f} "
        f"throttled={ours.throttled} requests_per_monitor_hourly={hourly.per_monitor:.2f} "
        f"merge_rows_per_s={merges[-1].rows_per_second:.0f} memory_growth={growth:.2f} "
        f"transform_speedup={ratio} "
        f"views_{views.monitors}x{views.days}_seconds={views.total_seconds:.2f} "
        f"slo_check_{periods.days[-1]}_vs_{periods.days[0]}={periods.slo_check_ratio:.2f} "
        f"hourly_cli_vs_floor={cli.vs_floor:.2f} "
        f"startup_seconds={cli.startup_seconds:.2f} shutdown_seconds={cli.shutdown_seconds:.2f} "
        f"query_seconds={cli.query_seconds:.2f} {report.summary()}"
    )


def merges_only(config: BenchConfig, err: Console) -> None:
    """Benchmarks 4 and 4b only (``python -m benchmarks merge``)."""
    figures: list[Figure] = []
    merges: list[MergeResult] = []
    for rows in config.merge_rows:
        err.rule(f"4 merge {rows:,} response-time rows (fresh subprocess)")
        with err.status("merging…"):
            merges.append(measure_merge(rows))
        figures += merges[-1].figures()
    err.rule("4b hourly incidents merge into a year of history")
    with err.status("merging…"):
        incidents = run_incidents_merge()
    figures += incidents.figures()
    Console(width=140).print(results_table(config, figures))
    summary = (
        f"summary: merge_rows_per_s={merges[-1].rows_per_second:.0f} "
        f"incidents_hourly_ms={incidents.hourly_seconds * 1000:.0f} "
        f"incidents_hourly_cpu_ms={incidents.hourly_cpu_seconds * 1000:.0f} "
        f"incidents_first_ms={incidents.first_seconds * 1000:.0f} "
        f"incidents_first_cpu_ms={incidents.first_cpu_seconds * 1000:.0f}"
    )
    print(summary, flush=True)
    save("merge", figures, summary, command=" ".join(["python -m benchmarks", *sys.argv[1:]]))


def cli_only(config: BenchConfig, err: Console) -> None:
    """Benchmark 7 only (``python -m benchmarks cli``)."""
    err.rule("7 the command line: hourly run vs the API floor, a wrong token, demo")
    with err.status("running betterstack-etl…"):
        cli = run_cli()
    Console(width=140).print(results_table(config, cli.figures()))
    summary = (
        f"summary: hourly_cli_vs_floor={cli.vs_floor:.2f} "
        f"startup_seconds={cli.startup_seconds:.2f} shutdown_seconds={cli.shutdown_seconds:.2f} "
        f"query_seconds={cli.query_seconds:.2f}"
    )
    print(summary, flush=True)
    save("cli", cli.figures(), summary, command=" ".join(["python -m benchmarks", *sys.argv[1:]]))


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["cli"]:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        cli_only(parse_args(args[1:]), Console(stderr=True))
        return
    only_merges = bool(args) and args[0] == "merge"
    config = parse_args(args[1:] if only_merges else args)
    if only_merges:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        merges_only(config, Console(stderr=True))
        return
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    err = Console(stderr=True)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="bench-lake-") as folder:
        simulator = start_simulator(config)
        try:
            if config.warm_up:
                err.rule("warm-up (not measured)")
                warm_up(config, simulator, str(Path(folder) / "warm-up"), err)
            lake_root = str(Path(folder) / "lake")
            err.rule(f"1 backfill {config.monitors} monitors × {config.days} days (ours)")
            ours = run_backfill(config, simulator, lake_root, err)
            figures += ours.figures(config)
            err.rule("2 the same backfill, one request at a time")
            with request_bars(err) as bars:
                sequential = run_sequential(config, simulator, bars)
            figures += sequential.figures(ours)
            err.rule("3 hourly run on the backfilled lake")
            hourly = run_hourly(config, simulator, lake_root, err)
            figures += hourly.figures()
        finally:
            simulator.stop()
    merges: list[MergeResult] = []
    for rows in config.merge_rows:
        err.rule(f"4 merge {rows:,} response-time rows (fresh subprocess)")
        with err.status("merging…"):
            merges.append(measure_merge(rows))
        figures += merges[-1].figures()
    growth = merges[-1].arrow_peak_bytes / max(1, merges[0].arrow_peak_bytes)
    rss_growth = merges[-1].rss_peak_bytes / max(1, merges[0].rss_peak_bytes)
    figures.append(
        Figure(
            "4 merge",
            "memory growth",
            f"{growth:.2f}×",
            f"Arrow peak last/first size (RSS {rss_growth:.2f}×)",
        )
    )
    err.rule("5 transform: pandas astype(str) vs response_time_rows")
    with err.status("transforming…"):
        transform = run_transform(config)
    figures += transform.figures()
    err.rule("6 SLA views: 500 monitors × 90 days in DuckDB")
    with err.status("querying…"):
        views = run_views()
    figures += views.figures()
    err.rule("6b a month's queries: 500 monitors, 90 vs 365 days of history")
    with err.status("querying…"):
        periods = run_periods()
    figures += periods.figures()
    err.rule("7 the command line: hourly run vs the API floor, a wrong token, demo")
    with err.status("running betterstack-etl…"):
        cli = run_cli()
    figures += cli.figures()
    err.rule("8 the HTML report for 500 monitors")
    with err.status("reporting…"):
        report = run_report()
    figures += report.figures()
    out = Console(width=140)
    out.print(results_table(config, figures))
    summary = summary_line(ours, sequential, hourly, merges, transform, views, cli, periods, report)
    print(summary, flush=True)
    save("all", figures, summary, command=" ".join(["python -m benchmarks", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
