"""``Faults.throttle_all``: every answer a 429 with the same ``Retry-After`` until cleared."""

from __future__ import annotations

import httpx
import pytest

from betterstack_etl.errors import ConfigError
from betterstack_etl.simulator import Simulator


def test_throttle_all_answers_429_with_retry_after_until_cleared(
    simulator: Simulator, http: httpx.Client
) -> None:
    simulator.faults.fail_next(1)  # queued faults go first
    simulator.faults.throttle_all(retry_after=60)
    answers = [http.get("/api/v2/monitors") for _ in range(4)]
    assert [a.status_code for a in answers] == [503, 429, 429, 429]
    assert {a.headers["Retry-After"] for a in answers[1:]} == {"60"}
    assert simulator.faults.pending == 0
    simulator.faults.clear()
    assert http.get("/api/v2/monitors").status_code == 200


def test_throttle_all_refuses_a_negative_wait(simulator: Simulator) -> None:
    with pytest.raises(ConfigError):
        simulator.faults.throttle_all(-1)
