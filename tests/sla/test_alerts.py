"""The alert state machine of sla.alerts (SPEC §11): states from status rows, transitions only
on change, kept in the lake; the burn-rate rules' setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from betterstack_etl.errors import ConfigError
from betterstack_etl.lake.local import LocalLake
from betterstack_etl.sla.alerts import (
    DEFAULT_RULES,
    BurnRule,
    burn_rules_from_env,
    last_states,
    record_transitions,
    transitions,
)

T0 = datetime(2026, 11, 3, 15, tzinfo=UTC)


def row(status: str, alert: str | None = None) -> dict[str, object]:
    return {"slo_name": "gw", "monitor_id": "m-a", "status": status, "alert": alert}


def test_a_state_is_announced_once_and_its_end_once(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    seen = []
    statuses = [row("ok"), row("at_risk", "page"), row("at_risk", "page"), row("no_data"),
                row("breached", "page"), row("breached"), row("ok"), row("ok")]  # fmt: skip
    for hour, status in enumerate(statuses):
        found = transitions([status], last_states(lake))
        record_transitions(lake, found, at=T0 + timedelta(hours=hour), run_id=str(hour))
        seen += [(hour, t.previous, t.state, t.event) for t in found]
    assert seen == [
        (1, "ok", "burning", "betterstack.slo.burning"),
        (4, "burning", "breached", "betterstack.slo.breached"),
        (6, "breached", "ok", "betterstack.slo.recovered"),
    ]
    assert last_states(lake) == {("gw", "m-a"): "ok"}


def test_burn_rate_rules_are_declared_with_defaults() -> None:
    assert burn_rules_from_env({}) == DEFAULT_RULES
    assert burn_rules_from_env(
        {"BETTERSTACK_BURN_RATE_RULES": "page:1h/6h>10, ticket:6h/3d>2"}
    ) == (
        BurnRule("page", "1h", "6h", 10.0),
        BurnRule("ticket", "6h", "3d", 2.0),
    )
    for bad in ("page:6h/1h>10", "alarm:1h/6h>1", "page:1h/6h"):
        with pytest.raises(ConfigError, match="BETTERSTACK_BURN_RATE_RULES"):
            burn_rules_from_env({"BETTERSTACK_BURN_RATE_RULES": bad})
