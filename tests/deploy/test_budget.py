"""The shared API budget (``betterstack_etl.api.budget``) against a real ``prefect server``.

Two runs in two processes, same token, each with the in-flight limit and pace of a whole run,
against a simulator whose token bucket equals the budget: with the Prefect global concurrency
limit they share the budget (combined rate at the budget, almost no 429); the control with
only the in-process Pacer shows what the shared limit prevents (each run takes the whole
budget: many 429).
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from betterstack_etl.api import Pacer
from betterstack_etl.api.budget import LIMIT_PREFIX, SharedBudget, limit_name, run_budget
from betterstack_etl.secret import Secret
from betterstack_etl.simulator import SimConfig, Simulator

if TYPE_CHECKING:
    from collections.abc import Iterator

    from conftest import PrefectServer  # tests/deploy/conftest.py

CHILD = Path(__file__).with_name("budget_child.py")
RATE = 10.0  # requests/second: the budget, and the simulator's token bucket
PER_RUN = 70  # requests of each of the two runs
CHILD_TIMEOUT = 180.0


def test_limit_name_is_a_hash_of_the_token_never_the_token() -> None:
    token = Secret("tok-" + secrets.token_hex(8))
    name = limit_name(token)
    assert name.startswith(LIMIT_PREFIX)
    assert len(name) == len(LIMIT_PREFIX) + 12
    assert token.reveal() not in name
    assert limit_name(Secret(token.reveal())) == name
    assert limit_name(Secret(token.reveal() + "x")) != name


def test_without_a_prefect_api_the_budget_is_the_in_process_pacer() -> None:
    with run_budget(3.0, 2, Secret("t"), use_prefect=False) as budget:
        assert type(budget) is Pacer
        assert (budget.base_rate, budget.max_in_flight) == (3.0, 2)


def test_an_unreachable_prefect_api_falls_back_to_local_pacing() -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with (
        temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}),
        run_budget(3.0, 2, Secret("t"), use_prefect=None) as budget,
    ):
        assert type(budget) is Pacer
        assert budget.base_rate == 3.0


@pytest.fixture
def api_env(prefect_server: PrefectServer) -> Iterator[PrefectServer]:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: prefect_server.api_url}):
        yield prefect_server


@pytest.mark.slow
def test_the_limit_is_created_once_then_read_so_operators_can_change_it(
    api_env: PrefectServer,
) -> None:
    token = Secret("tok-" + secrets.token_hex(8))
    name = limit_name(token)
    with run_budget(6.5, 3, token) as budget:
        assert isinstance(budget, SharedBudget)
        assert (budget.name, budget.base_rate, budget.max_in_flight) == (name, 6.5, 3)
        with budget.slot():
            assert budget.in_flight == 1
        assert budget.in_flight == 0
    with api_env.client() as api:
        found = api.get(f"/v2/concurrency_limits/{name}").json()
        assert (found["limit"], found["slot_decay_per_second"], found["active"]) == (6, 6.5, True)
        listing = api.post("/v2/concurrency_limits/filter", json={}).text
        assert token.reveal() not in listing
        # What `prefect gcl update <name> --slot-decay-per-second 2` does:
        patched = api.patch(f"/v2/concurrency_limits/{name}", json={"slot_decay_per_second": 2})
        assert patched.status_code == 204, patched.text
    with run_budget(6.5, 3, token) as budget:
        assert isinstance(budget, SharedBudget)
        assert budget.base_rate == 2.0, "the server's rate wins over the run's setting"


@pytest.fixture
def limited_simulator() -> Iterator[tuple[str, str, Simulator]]:
    token = "tok-" + secrets.token_hex(8)
    sim = Simulator(SimConfig(seed=7, monitors=3, token=token, rate_limit=RATE))
    try:
        yield sim.start(), token, sim
    finally:
        sim.stop()


def run_two(
    server: PrefectServer, base_url: str, token: str, mode: str, tmp_path: Path
) -> tuple[list[float], list[str]]:
    """Start two runs at once, wait for both; their request send times and budget kinds."""
    env = server.env(BETTERSTACK_TOKEN=token)
    procs = []
    for i in range(2):
        out = tmp_path / f"{mode}-{i}.json"
        log = (tmp_path / f"{mode}-{i}.log").open("wb")
        args = [sys.executable, str(CHILD), base_url, str(RATE), str(PER_RUN), str(out), mode]
        procs.append((subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT), out))
    sent: list[float] = []
    kinds: list[str] = []
    for proc, out in procs:
        code = proc.wait(timeout=CHILD_TIMEOUT)
        assert code == 0, (tmp_path / f"{out.stem}.log").read_text()[-3000:]
        found: dict[str, Any] = json.loads(out.read_text())
        sent += found["sent"]
        kinds.append(found["budget"])
    return sorted(sent), kinds


def allowed_429(requests: int) -> int:
    """ "Almost no 429": at most 2, or 2 % of the requests."""
    return max(2, requests // 50)


def overlap(sent: list[float]) -> float:
    return sent[-1] - sent[0]


@pytest.mark.slow
def test_two_concurrent_runs_share_one_budget(
    prefect_server: PrefectServer, limited_simulator: tuple[str, str, Simulator], tmp_path: Path
) -> None:
    base_url, token, sim = limited_simulator
    sent, kinds = run_two(prefect_server, base_url, token, "prefect", tmp_path)
    assert kinds == ["SharedBudget", "SharedBudget"]
    requests = sim.stats.requests
    assert len(sent) == requests >= 2 * PER_RUN
    rate = (len(sent) - 1) / overlap(sent)
    # At the budget: not above it (generous tolerance for timing), and not starved either.
    assert rate <= RATE * 1.25, f"combined {rate:.2f} req/s over a budget of {RATE}"
    assert rate >= RATE * 0.4, f"combined {rate:.2f} req/s: the shared budget starves the runs"
    assert sim.stats.throttled <= allowed_429(requests), f"{sim.stats.throttled} × 429"


@pytest.mark.slow
def test_control_without_the_shared_budget_two_runs_overrun_it(
    prefect_server: PrefectServer, limited_simulator: tuple[str, str, Simulator], tmp_path: Path
) -> None:
    """What the shared budget prevents: each run paces itself at the whole budget."""
    base_url, token, sim = limited_simulator
    _sent, kinds = run_two(prefect_server, base_url, token, "local", tmp_path)
    assert kinds == ["Pacer", "Pacer"]
    # The very bound the shared test passes under fails here (each Pacer halves its rate after
    # a 429, so the count stays modest, but it is never "almost none").
    throttled = sim.stats.throttled
    assert throttled > allowed_429(sim.stats.requests), f"{throttled} × 429 without a shared budget"
