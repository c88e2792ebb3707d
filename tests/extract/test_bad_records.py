"""SPEC §13: one bad record never blocks the others. A record that breaks the contract (an id
that is not digits, a field of the wrong type) is left out with a warning naming it, counted;
the rest of its table lands; an open row stored earlier with such an id never sticks a run."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pyarrow as pa
import pytest

from betterstack_etl.api import BetterStackClient, RetryPolicy
from betterstack_etl.errors import ContractError
from betterstack_etl.extract.fetch import (
    Extracted,
    ExtractRequest,
    Selection,
    extractor,
    resolve_monitors,
)
from betterstack_etl.extract.progress import LogProgress
from betterstack_etl.extract.transform import incident_rows, skipping_bad_records
from betterstack_etl.secret import Secret
from betterstack_etl.settings import Window
from betterstack_etl.tables import DAILY_SLA, INCIDENTS, MONITORS, RESPONSE_TIMES, TableSpec

BASE = "https://uptime.example.test"
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
HOSTILE_ID = "12ab\x1b]0;TITLE\x07"
WINDOW = Window(date(2026, 11, 24), date(2026, 11, 25))


class Api:
    """Answers by path (404 for any other); records the paths it was asked."""

    def __init__(self, routes: dict[str, Callable[[httpx.Request], Any]]) -> None:
        self.routes = routes
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if request.url.path not in self.routes:
            return httpx.Response(404, json={"errors": "Resource not found"})
        return httpx.Response(200, content=json.dumps(self.routes[request.url.path](request)))

    def client(self) -> BetterStackClient:
        return BetterStackClient(
            httpx.Client(transport=httpx.MockTransport(self)),
            Secret("tok-123456"),
            base_url=BASE,
            retry=RetryPolicy(max_attempts=1),
            clock=lambda: NOW,
        )


def _monitor(monitor_id: object, **attributes: Any) -> dict[str, Any]:
    attributes.setdefault("created_at", "2025-01-01T00:00:00.000Z")
    return {"id": monitor_id, "type": "monitor", "attributes": attributes}


def _listing(*monitors: dict[str, Any]) -> Callable[[httpx.Request], Any]:
    return lambda request: {"data": list(monitors), "pagination": {"next": None}}


def _incident(incident_id: str, monitor_id: str = "1", resolved: str | None = None) -> Any:
    return {
        "id": incident_id,
        "type": "incident",
        "attributes": {"started_at": "2026-11-24T10:00:00.000Z", "resolved_at": resolved},
        "relationships": {"monitor": {"data": {"id": monitor_id, "type": "monitor"}}},
    }


def _points(request: httpx.Request) -> Any:
    point = {"at": "2026-11-25T11:00:00.000Z", "response_time": 0.25}
    return {"data": {"attributes": {"regions": [{"region": "us", "response_times": [point]}]}}}


def _extract(
    spec: TableSpec,
    api: Api,
    selection: Selection,
    sink: Callable[[pa.Table], None],
    open_keys: tuple[str, ...] = (),
) -> Extracted:
    request = ExtractRequest(
        spec=spec,
        client=api.client(),
        selection=selection,
        window=WINDOW,
        sink=sink,
        run_id="r",
        workers=2,
        progress=LogProgress(),
        open_keys=open_keys,
    )
    return extractor(spec)(request)


def test_a_listed_monitor_whose_id_is_not_digits_is_left_out_and_the_others_load(
    caplog: pytest.LogCaptureFixture,
) -> None:
    routes = {
        "/api/v2/monitors": _listing(_monitor("1"), _monitor(HOSTILE_ID), _monitor(3)),
        "/api/v2/monitors/1/response-times": _points,
        "/api/v2/monitors/3/response-times": _points,
    }
    api = Api(routes)
    with caplog.at_level(logging.WARNING, logger="betterstack_etl"):
        selection = resolve_monitors(api.client(), "all")
    assert selection.ids == ("1", "3")
    assert selection.visible == 3  # the account's size still plans the incidents walk
    assert len(selection.refused) == 1
    assert "12ab\\x1b]0;TITLE\\x07" in selection.refused[0]  # named, shown literally
    assert "not digits" in selection.refused[0]
    logged = caplog.text
    assert "12ab\\x1b]0;TITLE\\x07" in logged
    assert "\x1b" not in logged
    assert "\x07" not in logged
    assert "MONITOR_ID" not in logged + selection.refused[0]  # no hint about a setting

    tables: list[pa.Table] = []
    got = _extract(RESPONSE_TIMES, api, selection, tables.append)
    assert sorted(pa.concat_tables(tables).column("monitor_id").unique().to_pylist()) == ["1", "3"]
    assert got.refused == []
    monitors: list[pa.Table] = []
    listed = _extract(MONITORS, api, selection, monitors.append)
    assert monitors[0].column("monitor_id").to_pylist() == ["1", "3"]
    assert listed.refused == list(selection.refused)  # counted once, on the monitors table


def test_a_bad_monitor_outside_the_wanted_ids_is_not_the_runs_concern() -> None:
    api = Api({"/api/v2/monitors": _listing(_monitor("1"), _monitor(HOSTILE_ID))})
    selection = resolve_monitors(api.client(), ("1",))
    assert (selection.ids, selection.refused) == (("1",), ())


def test_a_wanted_monitor_that_breaks_the_contract_is_named_not_called_unknown() -> None:
    bad = _monitor("5", check_frequency="often")
    api = Api({"/api/v2/monitors": _listing(_monitor("1"), bad)})
    selection = resolve_monitors(api.client(), ("1", "5"))
    assert selection.ids == ("1",)
    assert "'5'" in selection.refused[0]
    assert "check_frequency" in selection.refused[0]
    with pytest.raises(ContractError, match="every monitor of the run breaks the API contract"):
        resolve_monitors(api.client(), ("5",))


def test_incidents_breaking_the_contract_are_left_out_of_their_page() -> None:
    page = [
        _incident("7"),
        _incident("x9"),
        _incident("8"),
        _incident("10", monitor_id="[/bold]"),
        {"id": "11", "type": "incident", "attributes": {"started_at": 5}},
    ]
    api = Api({"/api/v3/incidents": lambda request: {"data": page, "pagination": {"next": None}}})
    tables: list[pa.Table] = []
    got = _extract(INCIDENTS, api, Selection(("1",), 1, everything=True), tables.append)
    assert sorted(pa.concat_tables(tables).column("incident_id").to_pylist()) == ["7", "8"]
    assert got.rows == 2
    assert len(got.refused) == 3
    assert any("'x9'" in m for m in got.refused)
    assert any("'10'" in m and "monitor id" in m for m in got.refused)
    assert any("'11'" in m and "started_at" in m for m in got.refused)


def test_an_open_row_stored_with_a_bad_id_never_blocks_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def resolved(request: httpx.Request) -> Any:
        return {"data": _incident("8", resolved="2026-11-24T11:00:00.000Z")}

    api = Api(
        {
            "/api/v3/incidents": lambda request: {"data": [], "pagination": {"next": None}},
            "/api/v3/incidents/8": resolved,
        }
    )
    tables: list[pa.Table] = []
    with caplog.at_level(logging.WARNING, logger="betterstack_etl"):
        got = _extract(
            INCIDENTS,
            api,
            Selection(("1",), 1, everything=True),
            tables.append,
            open_keys=(HOSTILE_ID, "8"),
        )
    rows = pa.concat_tables(tables).to_pylist()
    assert [(r["incident_id"], r["resolved_at"] is not None) for r in rows] == [("8", True)]
    assert not any("12ab" in p for p in api.paths)  # never asked for: it could not be
    assert len(got.refused) == 1
    assert "12ab\\x1b]0;TITLE\\x07" in got.refused[0]
    assert "12ab\\x1b]0;TITLE\\x07" in caplog.text
    assert "\x1b" not in caplog.text


def test_one_broken_answer_of_a_fan_out_leaves_the_other_monitors_whole() -> None:
    def broken(request: httpx.Request) -> Any:
        return {"data": {"attributes": {"regions": "everywhere"}}}

    def sla(request: httpx.Request) -> Any:
        return {"data": {"attributes": {"availability": 100.0}}}

    api = Api(
        {
            "/api/v2/monitors/1/response-times": _points,
            "/api/v2/monitors/2/response-times": broken,
            "/api/v2/monitors/1/sla": sla,
            "/api/v2/monitors/2/sla": lambda request: {
                "data": {"attributes": {"availability": "x"}}
            },
        }
    )
    selection = Selection(("1", "2"), 2, everything=True)
    tables: list[pa.Table] = []
    got = _extract(RESPONSE_TIMES, api, selection, tables.append)
    assert pa.concat_tables(tables).column("monitor_id").unique().to_pylist() == ["1"]
    assert len(got.refused) == 1
    assert "monitor 2" in got.refused[0]
    days: list[pa.Table] = []
    got = _extract(DAILY_SLA, api, selection, days.append)
    assert set(pa.concat_tables(days).column("monitor_id").to_pylist()) == {"1"}
    assert len(got.refused) == 2  # monitor 2, both days of the window


def test_a_clean_page_is_converted_whole_and_a_bad_one_record_by_record() -> None:
    calls: list[int] = []

    def counting(resources: Any, *, extracted_at: datetime, run_id: str) -> pa.Table:
        calls.append(len(resources))
        return incident_rows(resources, extracted_at=extracted_at, run_id=run_id)

    clean = [_incident("1"), _incident("2")]
    checked = skipping_bad_records(counting, clean, extracted_at=NOW, run_id="r")
    assert (checked.rows.num_rows, checked.refused, calls) == (2, [], [2])
    calls.clear()
    checked = skipping_bad_records(
        counting, [*clean, _incident("3a")], extracted_at=NOW, run_id="r"
    )
    assert checked.rows.column("incident_id").to_pylist() == ["1", "2"]
    assert [m for _, m in checked.refused] == [
        "record '3a': unexpected answer from /api/v3/incidents: the incident id '3a' is not digits"
    ]
    assert calls == [3, 1, 2, 1, 1]  # the page, then its halves: [1] and [2, 3a], then [2], [3a]
