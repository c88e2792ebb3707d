"""Progress of long runs: done/total, rate and ETA per table."""

from __future__ import annotations

import logging

import pytest

from betterstack_etl.extract.progress import LogProgress, TableProgress


def test_log_progress_reports_done_total_rate_and_eta(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="betterstack_etl.extract.progress")
    reporter = LogProgress(interval=0.0)
    reporter.planned("eai_gateway_daily_sla", 10)
    reporter.done("eai_gateway_daily_sla", 4)
    reporter.finished("eai_gateway_daily_sla")
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("eai_gateway_daily_sla: 4/10 requests, ")
    assert "ETA" in lines[0]
    assert lines[-1].endswith("(finished)")
    assert reporter.snapshot()["eai_gateway_daily_sla"].done == 4


def test_eta_is_the_remaining_work_at_the_observed_rate() -> None:
    state = TableProgress(total=100, done=25, started=0.0)
    assert state.rate(5.0) == 5.0
    assert state.eta(5.0) == 15.0
    assert TableProgress(total=3, done=3, started=0.0).eta(1.0) is None
