"""Clamping a backfill window to the days each monitor existed (SPEC §10)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from betterstack_etl.errors import ConfigError
from betterstack_etl.settings import Window
from betterstack_etl.windows import clamp_window_to_monitors

WINDOW = Window(date(2026, 1, 1), date(2026, 1, 31))


def test_days_before_a_monitor_existed_are_dropped_per_monitor() -> None:
    clamped = clamp_window_to_monitors(
        WINDOW,
        {
            "1": datetime(2025, 6, 1, tzinfo=UTC),  # before the window: untouched
            "2": datetime(2026, 1, 21, 23, 59, tzinfo=UTC),  # exists from Jan 21 (UTC)
            "3": None,  # unknown creation: the whole window
        },
    )
    assert clamped.per_monitor == {
        "1": WINDOW,
        "2": Window(date(2026, 1, 21), date(2026, 1, 31)),
        "3": WINDOW,
    }
    assert clamped.dropped_days == 20
    assert clamped.window == WINDOW
    assert clamped.skipped == ()


def test_creation_day_is_read_in_utc() -> None:
    sao_paulo = timezone(timedelta(hours=-3))
    created = datetime(2026, 1, 9, 22, 0, tzinfo=sao_paulo)  # 2026-01-10T01:00Z
    clamped = clamp_window_to_monitors(WINDOW, {"7": created})
    assert clamped.per_monitor["7"].start == date(2026, 1, 10)
    assert clamped.dropped_days == 9


def test_the_union_starts_at_the_earliest_monitor_and_late_monitors_are_skipped() -> None:
    clamped = clamp_window_to_monitors(
        WINDOW,
        {"1": datetime(2026, 1, 15, tzinfo=UTC), "2": datetime(2026, 3, 1, tzinfo=UTC)},
    )
    assert clamped.window == Window(date(2026, 1, 15), date(2026, 1, 31))
    assert set(clamped.per_monitor) == {"1"}
    assert clamped.skipped == ("2",)
    assert clamped.dropped_days == 14 + 31


def test_a_window_entirely_before_every_monitor_is_refused_naming_the_first_day() -> None:
    with pytest.raises(ConfigError) as info:
        clamp_window_to_monitors(
            WINDOW,
            {"1": datetime(2026, 2, 3, tzinfo=UTC), "2": datetime(2026, 2, 10, tzinfo=UTC)},
        )
    text = str(info.value)
    assert "from_date" in text
    assert "2026-02-03" in text
    assert "\n" not in text


def test_no_monitor_leaves_the_window_as_it_is() -> None:
    clamped = clamp_window_to_monitors(WINDOW, {})
    assert clamped.window == WINDOW
    assert clamped.per_monitor == {}
    assert clamped.dropped_days == 0


def test_a_naive_creation_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        clamp_window_to_monitors(WINDOW, {"1": datetime(2026, 1, 5)})
