"""Benchmark 8 runs the report on the synthetic lake of benchmark 6 and prints its figures in
the summary line (``report_500_seconds=``, the size); small here, figures never asserted."""

from __future__ import annotations

import re

from benchmarks.report import run_report


def test_the_report_benchmark_renders_and_summarises() -> None:
    result = run_report(monitors=12, days=3)
    assert result.monitors == 12
    assert result.bytes > 12 * 1000  # every monitor is in the file
    assert re.fullmatch(
        r"report_12_seconds=\d+\.\d\d report_12_mb=\d+\.\d\d report_12_load_average=\d+\.\d\d",
        result.summary(),
    )
    assert [f.measure for f in result.figures()] == [
        "read the views", "write the HTML", "total", "file size",
    ]  # fmt: skip
