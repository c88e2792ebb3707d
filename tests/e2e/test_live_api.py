"""Conformance with the live API's ways (issue 19, SPEC §7, §13): what lands is exactly what
the API serves, whether its pagination links repeat the request's filters (``echo``) or drop
them (``bare``, as the live API does). Expected figures come from the simulator's model (its
world), never from the pipeline or the simulator's HTTP layer."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from betterstack_etl.simulator import Simulator
from betterstack_etl.simulator.series import ResponseTimes

pytestmark = pytest.mark.slow

Run = Callable[..., dict[str, Any]]
Query = Callable[[str], list[tuple[Any, ...]]]
LINK_STYLES = pytest.mark.parametrize(
    "simulator", [{"links": "bare"}, {"links": "echo"}], indirect=True, ids=["bare", "echo"]
)


def _now_ms(sim: Simulator) -> int:
    return int(sim.clock.now().timestamp() * 1000)


@LINK_STYLES
def test_a_one_monitor_backfill_lands_exactly_that_monitors_incidents(
    core_run: Run, pipeline_env: Simulator, query: Query
) -> None:
    """On bare links, following next verbatim landed four other monitors' incidents and made
    287 requests instead of 5: the walk must keep its filters on every page."""
    sim = pipeline_env
    monitor = sim.world.monitors()[1]
    end = sim.clock.now().date() - timedelta(days=1)
    start = end - timedelta(days=80)
    expected = {i.id for i in sim.world.incidents(monitor, start, end, _now_ms(sim))}
    assert len(expected) > 50  # more than one page of 50
    summary = core_run(
        monitor_id=monitor.id,
        from_date=start.isoformat(),
        to_date=end.isoformat(),
        tables=["incidents"],
    )
    landed = query("SELECT incident_id, monitor_id FROM eai_gateway_incidents")
    assert sorted(i for i, _ in landed) == sorted(expected)
    assert {m for _, m in landed} == {monitor.id}
    incidents = summary["tables"]["eai_gateway_incidents"]
    assert incidents["requests"] == -(-len(expected) // 50)  # each page of 50 read once


@LINK_STYLES
def test_an_hourly_run_lands_what_the_api_serves_with_its_awkward_ways(
    core_run: Run, pipeline_env: Simulator, query: Query
) -> None:
    sim = pipeline_env
    now_ms = _now_ms(sim)
    today = sim.clock.now().date()
    window = (today - timedelta(days=1), today)
    summary = core_run()
    assert all(t["error"] is None for t in summary["tables"].values())
    # incidents: every monitor's and every heartbeat's (no monitor_id), nothing else
    sources = [*sim.world.monitors(), *sim.world.heartbeats()]
    expected = {i.id for s in sources for i in sim.world.incidents(s, *window, now_ms)}
    landed = query("SELECT incident_id, monitor_id, heartbeat_id FROM eai_gateway_incidents")
    assert sorted(i for i, _, _ in landed) == sorted(expected)
    beats = {h.id for h in sim.world.heartbeats()}
    assert {(m is None, h in beats) for _, m, h in landed} <= {(False, False), (True, True)}
    # response times: every point served (an irregular grid, none in a pause)
    series = ResponseTimes(sim.world)
    points = sum(len(p) for m in sim.world.monitors() for _, p in series.last_24h(m, now_ms))
    assert query("SELECT count(*) FROM eai_gateway_response_times") == [(points,)]
    # monitors: url null, markup-like names, the raw record kept whole
    rows = query("SELECT monitor_id, url, pronounceable_name, raw FROM eai_gateway_monitors")
    assert len(rows) == len(sim.world.monitors())
    assert any(url is None for _, url, _, _ in rows)
    names = {m.id: m.name for m in sim.world.monitors()}
    assert {mid: name for mid, _, name, _ in rows} == names  # stored literally
    assert all(
        json.loads(raw)["attributes"]["pronounceable_name"] == names[m] for m, *_, raw in rows
    )
    # daily SLA: one row per monitor and day, each with its raw API record
    sla = query("SELECT monitor_id, date, raw FROM eai_gateway_daily_sla")
    assert {(m, d) for m, d, _ in sla} == {
        (m.id, day) for m in sim.world.monitors() for day in (window[0], window[1])
    }
    assert all(json.loads(raw)["type"] == "monitor_sla" for *_, raw in sla)


def test_an_sla_answer_with_no_known_figure_stops_the_table_and_writes_nothing(
    pipeline_env: Simulator, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    from betterstack_etl.errors import RunFailedError
    from betterstack_etl.run import runner
    from betterstack_etl.settings import load_settings
    from betterstack_etl.simulator import render

    def renamed(monitor: Any, sla: Any) -> dict[str, Any]:  # a future API, or a proxy's idea
        attributes = {"uptime_ratio": sla.availability, "downtime_duration": sla.total_downtime}
        return {"data": {"id": monitor.id, "type": "monitor_sla", "attributes": attributes}}

    monkeypatch.setattr(render, "sla_document", renamed)
    loaded = load_settings()
    with pytest.raises(RunFailedError) as info:
        runner.run(loaded.run_params(), loaded.token())
    assert set(info.value.failures) == {"eai_gateway_daily_sla"}
    why = info.value.failures["eai_gateway_daily_sla"]
    assert "no_known_figure" in why
    assert "nothing of this table was written" in why
    assert query("SELECT count(*) FROM eai_gateway_daily_sla") == [(0,)]
    assert query("SELECT count(*) FROM eai_gateway_incidents")[0][0] > 0  # the rest landed
