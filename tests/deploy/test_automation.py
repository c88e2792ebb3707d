"""The automation the README tells users to create is one Prefect accepts, and it matches the
events the flow emits (SPEC §9)."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import yaml
from prefect.events.schemas.automations import AutomationCore, EventTrigger

from betterstack_etl.report import SloBreach, event_of

FILE = Path(__file__).resolve().parents[2] / "deploy" / "slo-breached-automation.yaml"


def test_the_slo_automation_is_valid_and_fires_on_our_event() -> None:
    text = FILE.read_text().replace("NOTIFICATION_BLOCK_ID", str(uuid.uuid4()))
    automation = AutomationCore.model_validate(yaml.safe_load(text))
    trigger = automation.trigger
    assert isinstance(trigger, EventTrigger)
    breach = SloBreach("123", "Portal", date(2026, 11, 1), 99.5, 99.9, 3000.0, 2592.0, 115.7)
    event = event_of(breach)
    assert event["event"] in trigger.expect
    assert event["resource"]["prefect.resource.id"].startswith("betterstack.monitor.")
    assert automation.actions[0].type == "send-notification"
