"""What a Prefect flow run adds: the run's name from its parameters, and our log lines sent to
the flow run's logs without changing what the process's own console shows. (That the lines
reach a real server's flow run logs: tests/deploy/test_kubernetes_job.py.)"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from betterstack_etl.run.flowrun import LOGGER, flow_run_logs, run_name

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


@pytest.mark.parametrize(
    ("parameters", "scheduled", "expected"),
    [
        (
            {"from_date": "2026-01-01", "to_date": "2026-01-31"},
            None,
            "betterstack 2026-01-01..2026-01-31",
        ),
        ({"from_date": "2026-01-01"}, None, "betterstack 2026-01-01..today"),
        ({"to_date": "2026-01-31"}, None, "betterstack …..2026-01-31"),
        (
            {"from_date": None, "to_date": None},
            datetime(2026, 7, 25, 14, 0, tzinfo=UTC),
            "betterstack hourly 2026-07-25 14:00 UTC",
        ),
        ({}, None, "betterstack hourly"),
    ],
)
def test_a_run_is_named_by_its_window_or_its_hour(
    parameters: dict[str, str | None], scheduled: datetime | None, expected: str
) -> None:
    assert run_name(parameters, scheduled) == expected


def keep(see: Callable[[logging.LogRecord], None]) -> Callable[[logging.LogRecord], bool]:
    """A logging filter that sees each record and lets it through."""

    def filter_(record: logging.LogRecord) -> bool:
        see(record)
        return True

    return filter_


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def console() -> Iterator[Capture]:
    """A handler on the root logger (what the process shows), ours at WARNING as by default."""
    capture, root, ours = Capture(), logging.getLogger(), logging.getLogger(LOGGER)
    saved = ours.level
    ours.setLevel(logging.NOTSET)  # effective: the root's
    root.addHandler(capture)
    old_root = root.level
    root.setLevel(logging.WARNING)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(old_root)
        ours.setLevel(saved)


def test_lines_go_to_the_run_and_the_console_shows_what_it_showed(
    prefect_harness: None, console: Capture
) -> None:
    from prefect.logging.handlers import APILogHandler

    logger = logging.getLogger(f"{LOGGER}.run.steps")
    ours = logging.getLogger(LOGGER)
    before = (ours.level, ours.propagate, list(ours.handlers))
    sent: list[logging.LogRecord] = []
    run_id = str(uuid.uuid4())
    with flow_run_logs(run_id):
        (api,) = [h for h in ours.handlers if isinstance(h, APILogHandler)]
        api.addFilter(keep(sent.append))
        logger.info("eai_gateway_incidents 2026-07-25: 0 rows before, 3 offered, 3 after")
        logger.warning("1 monitor(s) below the SLO; 1 event(s) emitted")
    assert [r.getMessage() for r in sent] == [
        "eai_gateway_incidents 2026-07-25: 0 rows before, 3 offered, 3 after",
        "1 monitor(s) below the SLO; 1 event(s) emitted",
    ]
    assert {r.levelno for r in sent} == {logging.INFO, logging.WARNING}
    assert all(r.flow_run_id == run_id for r in sent)  # type: ignore[attr-defined]
    # The console: the warning as before, the info line not (the process had it at WARNING).
    assert [r.levelno for r in console.records] == [logging.WARNING]
    assert (ours.level, ours.propagate, list(ours.handlers)) == before
    logger.info("after the run")
    assert len(sent) == 2


def test_the_token_is_masked_and_api_text_literal_in_what_is_sent(
    prefect_harness: None, console: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.logging.handlers import APILogHandler

    monkeypatch.setenv("BETTERSTACK_TOKEN", "tok-1234567890abcdef")
    sent: list[str] = []
    with flow_run_logs(str(uuid.uuid4())):
        (api,) = [h for h in logging.getLogger(LOGGER).handlers if isinstance(h, APILogHandler)]
        api.addFilter(keep(lambda record: sent.append(record.getMessage())))
        logging.getLogger(LOGGER).warning("GET https://x/?t=%s failed", "tok-1234567890abcdef")
        logging.getLogger(LOGGER).warning("monitor %s below the SLO", "evil\x1b[2Jname")
    assert len(sent) == 2
    assert "tok-1234567890abcdef" not in sent[0]
    assert "\x1b" not in sent[1]  # API text is sent literally (SPEC §13): an escape, not a code
    assert "evil" in sent[1]


def test_nothing_changes_outside_a_flow_run(console: Capture) -> None:
    ours = logging.getLogger(LOGGER)
    before = (ours.level, ours.propagate, list(ours.handlers))
    with flow_run_logs():
        assert (ours.level, ours.propagate, list(ours.handlers)) == before


def test_the_flow_has_a_time_limit_and_names_its_runs() -> None:
    from betterstack_etl.constants import FLOW_TIMEOUT_SECONDS
    from betterstack_etl.flow import rj_iplanrio__betterstack_api
    from betterstack_etl.run.flowrun import flow_run_name

    assert rj_iplanrio__betterstack_api.timeout_seconds == FLOW_TIMEOUT_SECONDS == 4 * 3600
    assert rj_iplanrio__betterstack_api.flow_run_name is flow_run_name
