"""SlaOptions: the two knobs of the views, their defaults, and the guard against a value that
was never checked (the settings check what users write: tests/settings)."""

from __future__ import annotations

import subprocess
import sys

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


def test_the_options_bring_no_arrow_nor_the_views_sql() -> None:
    """The settings read ``SlaOptions`` before a run's first request: importing it (and the
    alert rules beside it) must not bring pyarrow, numpy, DuckDB or sqlglot (issue 24). In
    a fresh interpreter: this session has long imported them all."""
    probe = (
        "import sys\n"
        "from betterstack_etl.sla import SlaOptions, DEFAULT_TIME_ZONE\n"
        "from betterstack_etl.sla.alerts import DEFAULT_RULES\n"
        "SlaOptions(DEFAULT_TIME_ZONE, 99.9)\n"
        "heavy = {'pyarrow', 'numpy', 'duckdb', 'sqlglot'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"


def test_a_view_name_is_still_served_by_the_package() -> None:
    from betterstack_etl import sla
    from betterstack_etl.sla import views

    assert sla.view_selects is views.view_selects
    assert sla.SLO_STATUS is views.SLO_STATUS
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = sla.nothing  # type: ignore[attr-defined]
