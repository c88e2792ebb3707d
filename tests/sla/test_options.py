"""SlaOptions: the two knobs of the views, their defaults, and the guard against a value that
was never checked (the settings check what users write: tests/settings)."""

from __future__ import annotations

import pytest

from betterstack_etl.sla import SlaOptions, is_time_zone


def test_defaults_are_the_analysts_calendar_and_three_nines() -> None:
    assert SlaOptions() == SlaOptions("America/Sao_Paulo", 99.9)


@pytest.mark.parametrize(
    ("name", "usable"),
    [
        ("America/Sao_Paulo", True),
        ("UTC", True),
        ("Mars/Olympus", False),
        ("UTC'; DROP", False),
        (" UTC", False),
        ("", False),
        ("..\\etc", False),
    ],
)
def test_a_time_zone_is_usable_only_when_known_and_quote_free(name: str, usable: bool) -> None:
    assert is_time_zone(name) is usable


@pytest.mark.parametrize(
    ("zone", "slo"), [("Nowhere/City", 99.9), ("UTC", 0.0), ("UTC", 100.0), ("UTC", float("nan"))]
)
def test_an_unchecked_bad_value_is_a_programming_error(zone: str, slo: float) -> None:
    with pytest.raises(ValueError, match=r"time zone|SLO"):
        SlaOptions(zone, slo)
