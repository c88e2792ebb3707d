"""The report's SLO parts and the fixes found by reading it as a manager would (issue 20):
the covered period, the months' trend, each declared SLO with budget and burn rate, a month
the lake barely touches, a past month's question, one monitor in English, the daily ticks,
budget bars beyond 200 % and latency with one region timing out."""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest

from betterstack_etl.report import DuckDbSource, ReportOptions, render_report
from betterstack_etl.report.charts import bar_lengths, log_scale_max, percent_ticks
from betterstack_etl.settings import run_params
from betterstack_etl.simulator import SimConfig, World

from . import fixture_lake as F
from . import sim_lake as S
from .conftest import rows, section, text


def _render(root: Path, now: object = F.NOW, slos: tuple[Any, ...] = (), **cli: str) -> str:
    options = replace(ReportOptions.from_cli(now=now, **cli), slos=slos)  # type: ignore[arg-type]
    with DuckDbSource.open(root) as source:
        return render_report(source, options)


def test_a_past_month_is_asked_in_the_past(lake: Path) -> None:
    pt = text(_render(lake, month="2026-10"))
    assert "Estivemos dentro do SLA em outubro de 2026?" in pt
    assert "neste mês" not in pt
    assert "Were we within SLA in October 2026?" in text(_render(lake, month="2026-10", lang="en"))
    assert "Estamos dentro do SLA neste mês?" in text(_render(lake))  # the current month


def test_one_monitor_is_not_all_1_monitors(lake: Path) -> None:
    words = text(_render(lake, lang="en", monitor_id="100"))
    assert "Yes: the monitor is within the 99.900% SLO in November 2026 (so far)." in words
    assert "all 1 monitors" not in words


def test_a_month_the_lake_barely_touches_is_no_verdict(tmp_path: Path) -> None:
    root = F.build(tmp_path / "partial")
    con = duckdb.connect(str(root / "betterstack.duckdb"))
    con.execute(
        "UPDATE eai_gateway_availability_monthly SET coverage_pct = 0.4 WHERE monitor_id = '100'"
    )
    con.close()
    html = _render(root, lang="en")
    assert rows(html, "monitor")["100"][-2:] == ["0.4%", "partial coverage"]
    assert "Partial coverage: 1." in text(html)
    assert "Yes:" not in text(html)


def test_percent_ticks_are_round_and_labelled_exactly() -> None:
    for bottom, top in ((90.0, 100.0), (89.3, 100.0), (97.2, 100.0), (99.5, 100.0), (0.0, 100.0)):
        ticks, digits = percent_ticks(bottom, top)
        steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
        assert len(steps) == 1, (bottom, ticks)
        step = steps.pop()
        assert round(step / 10 ** math.floor(math.log10(step) + 1e-9), 6) in (1, 2, 5)
        labels = [f"{t:.{digits}f}" for t in ticks]
        assert [float(label) for label in labels] == pytest.approx(ticks)  # no 92.5 shown as 92
        assert len(set(labels)) == len(labels)
    assert percent_ticks(90.0, 100.0) == ([90.0, 92.0, 94.0, 96.0, 98.0, 100.0], 0)


def test_budget_bars_keep_their_length_beyond_200_pct() -> None:
    lengths = bar_lengths([258.0, 212.0, 40.0, float("inf")])
    assert lengths[:3] == [258.0, 212.0, 40.0]
    assert lengths[3] > 258.0


def test_one_region_timing_out_puts_latency_on_a_log_scale() -> None:
    from datetime import UTC, datetime

    hour = datetime(2026, 11, 24, 12, tzinfo=UTC)
    normal = [{"region": r, "hour": hour, "p50_response_time": 0.2, "p95_response_time": 0.3,
               "p99_response_time": 0.4} for r in ("us", "eu", "as")]  # fmt: skip
    assert log_scale_max(normal) is None
    timeout = {"region": "au", "hour": hour, "p50_response_time": 30.0,
               "p95_response_time": 30.0, "p99_response_time": 30.0}  # fmt: skip
    assert log_scale_max([*normal, timeout]) == 30000.0


SLO_FILE = """
apiVersion: openslo/v1
kind: SLO
metadata: {{name: first-up}}
spec:
  service: portal
  indicator:
    metadata: {{name: first-up}}
    spec:
      thresholdMetric:
        metricSource:
          type: BetterStack
          spec: {{indicator: availability, monitor_ids: ["{first}"]}}
  timeWindow: [{{duration: 1M, isRolling: false}}]
  budgetingMethod: Timeslices
  objectives: [{{target: 0.995}}]
---
apiVersion: openslo/v1
kind: SLO
metadata: {{name: first-fast}}
spec:
  indicator:
    metadata: {{name: first-fast}}
    spec:
      thresholdMetric:
        metricSource:
          type: BetterStack
          spec: {{indicator: latency, monitor_ids: ["{first}"], threshold_seconds: 0.5}}
  timeWindow: [{{duration: 28d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{target: 0.9}}]
"""


def test_each_monitor_shows_its_covered_period_trend_and_slos(
    simulated_lake: Path, tmp_path: Path
) -> None:
    first = World(SimConfig(seed=5, monitors=3)).monitor_ids()[0]
    slo_file = tmp_path / "slo.yaml"
    slo_file.write_text(SLO_FILE.format(first=first))
    slos = run_params({"BETTERSTACK_SLO_FILE": str(slo_file), "MONITOR_ID": "all"}).sla.slos
    html = _render(simulated_lake, now=S.NOW, slos=slos)
    mine = section(html, first)
    assert "Dados desde 1 de nov. de 2026; cobertura do mês: 100,0\u00a0%." in text(mine)
    trend = rows(mine, "month")
    assert list(trend) == ["2026-10-01", "2026-11-01"]
    # 1 Nov 00:00-03:00 UTC is October in São Paulo: 3 covered hours, never "within"
    assert trend["2026-10-01"][-2:] == ["0,4 %", "cobertura parcial"]
    slo_rows = rows(mine, "slo")
    assert list(slo_rows) == ["first-up", "first-fast"]
    _name, indicator, objective, _sli, _left, burns, status = slo_rows["first-fast"]
    assert (indicator, objective) == ("latência ≤ 500 ms", "90,00\u00a0%")
    assert len(burns.split(" / ")) == 4
    assert status in ("ok", "em risco", "violado", "sem dados")
    others = [m for m in re.findall(r'data-monitor="([^"]+)"', html) if m != first]
    assert others
    assert all(list(rows(section(html, m), "slo")) == ["default"] for m in set(others))
    past = _render(simulated_lake, now=S.NOW, slos=slos, month="2026-10")
    assert 'data-slo="' not in past
