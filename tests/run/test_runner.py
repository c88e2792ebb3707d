"""``InProcess``, the embedded default's step runner: task-level retries only for what a retry
can fix, each retry said in one short line (issue 19 item 16: three 600-character lines)."""

from __future__ import annotations

import logging

import pytest

from betterstack_etl.errors import DiskFullError, StorageError, TransientError
from betterstack_etl.run.runner import InProcess


def test_a_retried_error_is_said_in_one_short_line_per_retry(
    caplog: pytest.LogCaptureFixture,
) -> None:
    long = "x" * 600
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise TransientError(f"GET /api/v2/monitors failed: {long}", endpoint="/x")
        return "done"

    waits: list[float] = []
    with caplog.at_level(logging.WARNING), InProcess(3, 60.0, waits.append) as runner:
        assert runner.call(flaky) == "done"
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    for line in lines:
        assert "\n" not in line
        assert len(line) < 300, len(line)
        assert "retry" in line
    assert waits == [60.0, 60.0]


def test_an_error_no_retry_can_fix_is_raised_on_the_first_attempt() -> None:
    attempts: list[int] = []

    def full() -> None:
        attempts.append(1)
        raise DiskFullError("no space left on the disk holding /lake", path="/lake", hint="free")

    with InProcess(3, 0.0, lambda _: None) as runner, pytest.raises(DiskFullError):
        runner.call(full)
    assert len(attempts) == 1

    def caused_by_a_full_disk() -> None:
        attempts.append(1)
        try:
            raise OSError(28, "No space left on device")
        except OSError as exc:
            raise StorageError("could not write /lake/x") from exc

    attempts.clear()
    with InProcess(3, 0.0, lambda _: None) as runner, pytest.raises(StorageError):
        runner.call(caused_by_a_full_disk)
    assert len(attempts) == 1
