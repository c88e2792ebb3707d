"""The automation the README tells users to create is one Prefect accepts, and it matches the
events the flow emits on SLO state changes (SPEC §11)."""

from __future__ import annotations

import uuid
from pathlib import Path

import yaml
from prefect.events.schemas.automations import AutomationCore, EventTrigger

from betterstack_etl.sla.alerts import EVENTS, Transition, event_of

FILE = Path(__file__).resolve().parents[2] / "deploy" / "slo-breached-automation.yaml"


def test_the_slo_automation_is_valid_and_fires_on_our_events() -> None:
    text = FILE.read_text().replace("NOTIFICATION_BLOCK_ID", str(uuid.uuid4()))
    automation = AutomationCore.model_validate(yaml.safe_load(text))
    trigger = automation.trigger
    assert isinstance(trigger, EventTrigger)
    assert set(trigger.expect) == set(EVENTS.values())
    row = {"monitor_name": "Portal", "indicator": "availability", "target": 0.995, "alert": "page"}
    for previous, state in (("ok", "burning"), ("burning", "breached"), ("breached", "ok")):
        event = event_of(Transition("gateway", "123", previous, state, row))  # type: ignore[arg-type]
        assert event["event"] in trigger.expect
        assert event["resource"]["prefect.resource.id"] == "betterstack.monitor.123"
        for label in trigger.for_each:
            assert label in event["resource"]
    # a name from the API is shown escaped: no live link in the notification (SPEC §13)
    hostile = {**row, "monitor_name": "[x](javascript:alert(1)) <img onerror=y>"}
    event = event_of(Transition("gateway", "123", "ok", "burning", hostile))  # type: ignore[arg-type]
    assert "](" not in event["payload"]["markdown"]["name"]
    assert "{{ event.payload.markdown.name }}" in text
    assert automation.actions[0].type == "send-notification"
