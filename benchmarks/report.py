"""Benchmark 8: the HTML report (``betterstack-etl report``) for 500 monitors.

The lake of benchmark 6 (``benchmarks.views.build_lake``: 500 monitors × 90 days of incidents,
daily SLA and coverage, the last day's response times from two regions), its DuckDB file with
the SLA views, then the report of the current month as the command writes it: read the views
(``load_report``), write the HTML (``render_html``). Best of ``repeats``; the size of the file,
and per monitor. Figures are printed, never asserted (tests/report/test_report_scale.py checks
the shape: bytes per monitor do not grow with a chart per monitor).

    python -m benchmarks.report [--monitors 500] [--days 90] [--repeats 1]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.common import Figure
from benchmarks.results import print_and_save
from benchmarks.views import NOW, build_lake
from betterstack_etl.lake.duck import publish_duckdb_views
from betterstack_etl.report import DuckDbSource, ReportOptions
from betterstack_etl.report.data import load_report
from betterstack_etl.report.render import render_html
from betterstack_etl.tables import COVERAGE, DAILY_SLA, INCIDENTS, MONITORS, RESPONSE_TIMES

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["ReportResult", "run_report"]


@dataclass(frozen=True, slots=True)
class ReportResult:
    monitors: int
    days: int
    load_seconds: float  # reading the views
    render_seconds: float  # writing the HTML (charts included)
    bytes: int
    load_average: float  # the 1-minute load when the run ended (2 shared cores)

    @property
    def seconds(self) -> float:
        return self.load_seconds + self.render_seconds

    @property
    def bytes_per_monitor(self) -> float:
        return self.bytes / max(1, self.monitors)

    def figures(self) -> list[Figure]:
        name = f"8 report {self.monitors} monitors"
        return [
            Figure(name, "read the views", f"{self.load_seconds:.2f} s", "load_report"),
            Figure(name, "write the HTML", f"{self.render_seconds:.2f} s", "render_html"),
            Figure(name, "total", f"{self.seconds:.2f} s", f"load average {self.load_average:.2f}"),
            Figure(
                name,
                "file size",
                f"{self.bytes / 1e6:.2f} MB",
                f"{self.bytes_per_monitor / 1000:.1f} kB per monitor",
            ),
        ]

    def summary(self) -> str:
        n = self.monitors
        return (
            f"report_{n}_seconds={self.seconds:.2f} report_{n}_mb={self.bytes / 1e6:.2f} "
            f"report_{n}_load_average={self.load_average:.2f}"
        )


def run_report(monitors: int = 500, days: int = 90, repeats: int = 1) -> ReportResult:
    with tempfile.TemporaryDirectory(prefix="bench-report-") as folder:
        root = Path(folder)
        build_lake(root, monitors, days)
        publish_duckdb_views(root, [RESPONSE_TIMES, INCIDENTS, DAILY_SLA, MONITORS, COVERAGE])
        options = ReportOptions.from_cli(now=NOW, lang="pt-BR")
        best = (float("inf"), float("inf"), 0)
        for _ in range(max(1, repeats)):
            started = time.perf_counter()
            with DuckDbSource.open(root) as source:
                data = load_report(source, options)
            loaded = time.perf_counter()
            html = render_html(data)
            ended = time.perf_counter()
            if ended - started < best[0] + best[1]:
                best = (loaded - started, ended - loaded, len(html.encode()))
    return ReportResult(monitors, days, best[0], best[1], best[2], os.getloadavg()[0])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report", description=__doc__)
    parser.add_argument("--monitors", type=int, default=500)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    result = run_report(args.monitors, args.days, args.repeats)
    print_and_save("report", result.figures(), result.summary(), argv, width=20)


if __name__ == "__main__":
    main()
