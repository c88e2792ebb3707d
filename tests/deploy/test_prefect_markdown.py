"""SPEC §13 in Prefect: the run summary artifact and the SLO notification are Markdown in which
a monitor name holding a link, an image or a tag stays text (no live link, no tag)."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from prefect.server.utilities.user_templates import render_user_template_sync

from betterstack_etl.report import SloBreach, event_of

NAME = (
    "[x](javascript:alert(1)) <img src=x onerror=alert(1)> <script>s</script> **b** | \x1b]0;T\x07"
)
AUTOMATION = Path(__file__).resolve().parents[2] / "deploy" / "slo-breached-automation.yaml"
LIVE = ("<a ", "<img", "<script", "<strong>", "<em>")


def _html(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


def _summary() -> dict[str, Any]:
    breach = {
        "monitor_id": "123",
        "name": NAME,
        "month": "2026-11-01",
        "availability_pct": 99.5,
        "slo_pct": 99.9,
        "budget_used_pct": 150.0,
        "budget_used_seconds": 3888.0,
    }
    return {
        "run_id": "r1",
        "destination": "local",
        "lake_root": "/lake/<img src=x onerror=alert(2)>",
        "window": ["2026-11-24", "2026-11-25"],
        "slo_breaches": [breach],
        "warnings": ["eai_gateway_monitors: 1 record(s) left out: record '[y](javascript:z)'"],
        "report": None,
        "tables": {
            "eai_gateway_incidents": {"error": f"ContractError: {NAME}", "partitions": []},
            "eai_gateway_monitors": {
                "error": None,
                "partitions": [
                    {
                        "data_particao": "2026-11-25",
                        "rows_before": 0,
                        "rows_offered": 3,
                        "rows_after": 3,
                    }
                ],
            },
        },
    }


def test_the_run_summary_artifact_shows_names_and_errors_as_text() -> None:
    from betterstack_etl.flow import summary_markdown

    html = _html(summary_markdown(_summary()))
    for live in LIVE[:3]:
        assert live not in html
    assert html.count("<strong>") == 3  # our own three labels; the name's **b** stays text
    assert "**b**" in html
    assert "\x1b" not in html
    assert "[x](javascript:alert(1)) &lt;img src=x onerror=alert(1)&gt;" in html
    assert "\\x1b]0;T\\x07" in html
    assert "[y](javascript:z)" in html  # the warnings too
    assert html.count("<tr>") == 3  # header + two tables: no row broken by a '|' in a name


def test_the_slo_notification_shows_the_name_as_text() -> None:
    text = AUTOMATION.read_text().replace("NOTIFICATION_BLOCK_ID", str(uuid.uuid4()))
    action = yaml.safe_load(text)["actions"][0]
    breach = SloBreach("123", NAME, date(2026, 11, 1), 99.5, 99.9, 3888.0, 2592.0, 150.0)
    event = event_of(breach)
    assert event["payload"]["name"] == NAME  # the data itself, kept exact
    assert "\x1b" not in event["resource"]["prefect.resource.name"]
    for field in ("subject", "body"):
        rendered = render_user_template_sync(action[field], {"event": event})
        html = _html(rendered)
        assert "[x](javascript:alert(1)) &lt;img src=x onerror=alert(1)&gt;" in html
        for live in LIVE:  # the name is there, as text
            assert live not in html
        assert "\x1b" not in rendered
