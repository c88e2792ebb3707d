"""BETTERSTACK_REPORT_TIMEZONE / BETTERSTACK_SLO: defaults, overrides, one clear error each."""

from __future__ import annotations

import pytest

from betterstack_etl.errors import ConfigError
from betterstack_etl.sla import SlaOptions, sla_options_from_env


def test_defaults_are_the_analysts_calendar_and_three_nines() -> None:
    assert sla_options_from_env({}) == SlaOptions("America/Sao_Paulo", 99.9)


def test_variables_then_explicit_arguments_win() -> None:
    env = {"BETTERSTACK_REPORT_TIMEZONE": "Europe/Lisbon", "BETTERSTACK_SLO": " 99.5% "}
    assert sla_options_from_env(env) == SlaOptions("Europe/Lisbon", 99.5)
    assert sla_options_from_env(env, time_zone="UTC", slo_pct=99.99) == SlaOptions("UTC", 99.99)
    assert sla_options_from_env(env, slo_pct="98") == SlaOptions("Europe/Lisbon", 98.0)


@pytest.mark.parametrize(
    ("env", "match"),
    [
        (
            {"BETTERSTACK_REPORT_TIMEZONE": "Mars/Olympus"},
            "BETTERSTACK_REPORT_TIMEZONE='Mars/Olympus' is not a known",
        ),
        ({"BETTERSTACK_REPORT_TIMEZONE": "UTC'; DROP"}, "BETTERSTACK_REPORT_TIMEZONE"),
        ({"BETTERSTACK_SLO": "high"}, "BETTERSTACK_SLO='high' is not a number"),
        ({"BETTERSTACK_SLO": "100"}, "BETTERSTACK_SLO=100.0 is outside 0-100"),
        ({"BETTERSTACK_SLO": "0"}, "outside 0-100"),
        ({"BETTERSTACK_SLO": "nan"}, "outside 0-100"),
    ],
)
def test_bad_values_name_the_variable_and_the_fix(env: dict[str, str], match: str) -> None:
    with pytest.raises(ConfigError, match=match) as caught:
        sla_options_from_env(env)
    assert caught.value.hint
    assert "\n" not in str(caught.value)


def test_bad_explicit_values_name_the_argument() -> None:
    with pytest.raises(ConfigError, match="slo_pct="):
        sla_options_from_env({}, slo_pct=150)
    with pytest.raises(ConfigError, match="time_zone="):
        sla_options_from_env({}, time_zone="Nowhere/City")
    with pytest.raises(ConfigError):
        SlaOptions(slo_pct=-1)
