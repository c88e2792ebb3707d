"""The shared request budget: pace computed on a fake clock, in-flight limit, penalties."""

from __future__ import annotations

import threading
import time

import pytest

from betterstack_etl.api import Pacer
from betterstack_etl.errors import ConfigError


class FakeTime:
    """A monotonic clock that only moves when someone sleeps (thread-safe)."""

    def __init__(self) -> None:
        self.now = 0.0
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += max(0.0, seconds)


def _pacer(t: FakeTime, **kwargs: float) -> Pacer:
    return Pacer(clock=t.clock, sleep=t.sleep, **kwargs)  # type: ignore[arg-type]


def _starts(pacer: Pacer, t: FakeTime, n: int) -> list[float]:
    starts = []
    for _ in range(n):
        with pacer.slot():
            starts.append(t.now)
    return starts


def test_starts_are_paced_ahead_at_the_rate() -> None:
    t = FakeTime()
    starts = _starts(_pacer(t, rate=8.0), t, 9)
    assert starts == pytest.approx([i / 8 for i in range(9)])


def test_a_slow_caller_is_not_delayed_further() -> None:
    t = FakeTime()
    pacer = _pacer(t, rate=2.0)
    _starts(pacer, t, 1)
    t.sleep(3.0)  # the caller worked for a while: the next start is due already
    assert _starts(pacer, t, 1) == [3.0]


def test_penalize_pauses_then_halves_then_recovers() -> None:
    t = FakeTime()
    pacer = _pacer(t, rate=8.0, recovery=60.0)
    _starts(pacer, t, 1)
    pacer.penalize(5.0)
    assert pacer.current_rate() == pytest.approx(4.0)
    a, b = _starts(pacer, t, 2)
    assert a == pytest.approx(5.0)
    assert b - a == pytest.approx(1 / 4, rel=0.01)
    t.sleep(60.0)
    c, d = _starts(pacer, t, 2)
    assert d - c == pytest.approx(1 / 8)
    assert pacer.penalties == 1


def test_rate_recovers_linearly_after_the_pause() -> None:
    t = FakeTime()
    pacer = _pacer(t, rate=8.0, recovery=60.0)
    pacer.penalize(10.0)
    t.sleep(10.0 + 30.0)  # halfway through recovery
    assert pacer.current_rate() == pytest.approx(6.0)


def test_penalties_are_bounded() -> None:
    t = FakeTime()
    pacer = _pacer(t, rate=8.0, max_pause=30.0)
    for _ in range(20):
        pacer.penalize(1000.0)
    assert pacer.current_rate() == pytest.approx(1.0)  # floor: rate / 8
    (start,) = _starts(pacer, t, 1)
    assert start == pytest.approx(30.0)


def test_penalize_pauses_every_thread() -> None:
    t = FakeTime()
    pacer = _pacer(t, rate=100.0, max_in_flight=4)
    pacer.penalize(10.0)
    starts: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        with pacer.slot(), lock:
            starts.append(t.clock())

    threads = [threading.Thread(target=work) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=10)
    assert len(starts) == 6
    assert min(starts) >= 10.0
    # the clock only moves by the pacer's sleeps: the pause, then 5 gaps at the halved rate
    assert t.now == pytest.approx(10.0 + 5 / 50, rel=1e-3)


def test_max_in_flight_is_respected_under_threads() -> None:
    pacer = Pacer(rate=1e6, max_in_flight=2)
    gate = threading.Event()
    entered: list[int] = []
    peak = [0]
    lock = threading.Lock()

    def work(i: int) -> None:
        with pacer.slot():
            with lock:
                entered.append(i)
                peak[0] = max(peak[0], pacer.in_flight)
            gate.wait(timeout=10)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for th in threads:
        th.start()
    for _ in range(1000):  # bounded wait for the first two to get in
        if len(entered) >= 2:
            break
        time.sleep(0.001)
    time.sleep(0.05)  # give a broken limit the chance to let a third one in
    assert len(entered) == 2
    gate.set()
    for th in threads:
        th.join(timeout=10)
    assert len(entered) == 6
    assert peak[0] == 2
    assert pacer.in_flight == 0


def test_slot_is_released_when_the_request_fails() -> None:
    pacer = Pacer(rate=1e6, max_in_flight=1)
    with pytest.raises(RuntimeError), pacer.slot():
        raise RuntimeError("boom")
    assert pacer.in_flight == 0
    with pacer.slot():  # would block forever if the slot had leaked
        assert pacer.in_flight == 1


@pytest.mark.parametrize("kwargs", [{"rate": 0.0}, {"rate": float("inf")}, {"max_in_flight": 0}])
def test_bad_settings_are_config_errors(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        Pacer(**kwargs)  # type: ignore[arg-type]
