"""Extraction planning without a server: a routed mock transport stands in for the API."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pyarrow as pa
import pytest

from betterstack_etl.api import BetterStackClient, RetryPolicy
from betterstack_etl.errors import ConfigError, NotFoundError
from betterstack_etl.extract.fetch import (
    Extracted,
    ExtractRequest,
    Selection,
    bounded_map,
    extractor,
    resolve_monitors,
)
from betterstack_etl.extract.progress import LogProgress
from betterstack_etl.secret import Secret
from betterstack_etl.settings import Window
from betterstack_etl.tables import DAILY_SLA, INCIDENTS, MONITORS, RESPONSE_TIMES, TableSpec

BASE = "https://uptime.example.test"
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def _incident(incident_id: str, started: str, resolved: str | None) -> dict[str, Any]:
    return {
        "id": incident_id,
        "type": "incident",
        "attributes": {
            "started_at": started,
            "resolved_at": resolved,
            "status": "Resolved" if resolved else "Started",
        },
        "relationships": {"monitor": {"data": {"id": "1", "type": "monitor"}}},
    }


class Api:
    """Answers by path; records the requests it saw."""

    def __init__(self, routes: dict[str, Callable[[httpx.Request], Any]]) -> None:
        self.routes = routes
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        body = self.routes[request.url.path](request)
        return httpx.Response(200, content=json.dumps(body).encode())

    def client(self) -> BetterStackClient:
        http = httpx.Client(transport=httpx.MockTransport(self))
        return BetterStackClient(
            http,
            Secret("tok-123456"),
            base_url=BASE,
            retry=RetryPolicy(max_attempts=1),
            clock=lambda: NOW,
        )


def _extract(
    spec: TableSpec,
    client: BetterStackClient,
    selection: Selection,
    window: Window,
    sink: Callable[[pa.Table], None],
    *,
    workers: int = 1,
    open_keys: tuple[str, ...] = (),
    progress: LogProgress | None = None,
) -> Extracted:
    """Run the table's declared extraction, as the pipeline core does."""
    return extractor(spec)(
        ExtractRequest(
            spec=spec,
            client=client,
            selection=selection,
            window=window,
            sink=sink,
            run_id="r",
            workers=workers,
            progress=progress or LogProgress(),
            open_keys=open_keys,
        )
    )


def _monitors(request: httpx.Request) -> dict[str, Any]:
    return {
        "data": [
            {"id": 1, "type": "monitor", "attributes": {}},
            {"id": "2", "type": "monitor", "attributes": {}},
        ],
        "pagination": {"next": None},
    }


def test_all_resolves_to_every_visible_monitor_as_strings() -> None:
    selection = resolve_monitors(Api({"/api/v2/monitors": _monitors}).client(), "all")
    assert selection.ids == ("1", "2")
    assert selection.everything
    assert selection.walk_account


@pytest.mark.parametrize(
    ("ids", "visible", "account"), [(("1",), 2, True), (("1",), 3, False), (("1", "2"), 4, True)]
)
def test_one_account_walk_once_the_run_covers_half_the_account(
    ids: tuple[str, ...], visible: int, account: bool
) -> None:
    assert Selection(ids, visible).walk_account is account


def test_an_account_walk_for_some_monitors_keeps_only_theirs() -> None:
    def listing(request: httpx.Request) -> dict[str, Any]:
        assert "monitor_id" not in request.url.params
        other = _incident("11", "2026-11-24T10:00:00.000Z", None)
        other["relationships"]["monitor"]["data"]["id"] = "2"
        return {
            "data": [_incident("10", "2026-11-24T10:00:00.000Z", None), other],
            "pagination": {"next": None},
        }

    api = Api({"/api/v3/incidents": listing})
    tables: list[pa.Table] = []
    _extract(
        INCIDENTS,
        api.client(),
        Selection(("1",), 2),  # half the account: one account-wide walk, filtered
        Window(date(2026, 11, 24), date(2026, 11, 25)),
        tables.append,
    )
    assert pa.concat_tables(tables).column("incident_id").to_pylist() == ["10"]
    assert len(api.seen) == 1


def test_a_list_of_monitors_is_checked_against_the_account() -> None:
    selection = resolve_monitors(Api({"/api/v2/monitors": _monitors}).client(), ("2",))
    assert (selection.ids, selection.visible, selection.everything) == (("2",), 2, False)


def test_an_unknown_monitor_is_left_out_naming_it_and_the_others_load(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 25 item 5: one id gone at Better Stack (deleted) no longer blocks the others."""
    selection = resolve_monitors(Api({"/api/v2/monitors": _monitors}).client(), ("1", "3"))
    assert (selection.ids, selection.missing) == (("1",), ("3",))
    assert ["MONITOR_ID 3 not found" in r.getMessage() for r in caplog.records] == [True]


def test_no_known_monitor_at_all_fails_before_any_load_naming_them() -> None:
    with pytest.raises(ConfigError, match="monitor\\(s\\) 3, 4 not found"):
        resolve_monitors(Api({"/api/v2/monitors": _monitors}).client(), ("3", "4"))


def test_thousands_of_unknown_ids_are_one_short_line(caplog: pytest.LogCaptureFixture) -> None:
    """Issue 25 item 11: 9,997 unknown ids made an 80 kB "one line"; a few are named, the
    rest counted."""
    unknown = tuple(str(n) for n in range(100_000, 109_997))
    selection = resolve_monitors(Api({"/api/v2/monitors": _monitors}).client(), ("1", *unknown))
    assert selection.missing == unknown
    (line,) = [r.getMessage() for r in caplog.records]
    assert "100000, 100001, 100002, 100003, 100004 and 9,992 more" in line
    assert len(line) < 300
    with pytest.raises(ConfigError) as info:
        resolve_monitors(Api({"/api/v2/monitors": _monitors}).client(), unknown)
    assert "and 9,992 more" in str(info.value)
    assert len(str(info.value)) < 300


def test_sla_is_one_request_per_monitor_and_day_with_that_day_as_from_and_to() -> None:
    def sla(request: httpx.Request) -> dict[str, Any]:
        return {
            "data": {
                "id": "1",
                "type": "monitor_sla",
                "attributes": {
                    "availability": 100.0,
                    "total_downtime": 0,
                    "number_of_incidents": 0,
                    "longest_incident": 0,
                    "average_incident": 0,
                },
            }
        }

    api = Api({"/api/v2/monitors/1/sla": sla, "/api/v2/monitors/2/sla": sla})
    tables: list[pa.Table] = []
    progress = LogProgress()
    got = _extract(
        DAILY_SLA,
        api.client(),
        Selection(("1", "2"), 5),
        Window(date(2026, 11, 1), date(2026, 11, 3)),
        tables.append,
        workers=3,
        progress=progress,
    )
    asked = sorted((r.url.path, r.url.params["from"], r.url.params["to"]) for r in api.seen)
    assert len(asked) == 6
    assert all(f == t for _, f, t in asked)
    assert {f for _, f, _ in asked} == {"2026-11-01", "2026-11-02", "2026-11-03"}
    assert got.rows == 6
    assert sum(t.num_rows for t in tables) == 6
    done = progress.snapshot()["eai_gateway_daily_sla"]
    assert (done.total, done.done) == (6, 6)  # the run's own reporter, passed in


def test_incidents_walk_each_monitor_and_reread_only_what_the_walk_did_not_return() -> None:
    def listing(request: httpx.Request) -> dict[str, Any]:
        assert request.url.params["per_page"] == "50"
        assert request.url.params["from"] == "2026-11-24"
        assert request.url.params["to"] == "2026-11-25"
        return {
            "data": [_incident("10", "2026-11-24T10:00:00.000Z", None)],
            "pagination": {"next": None},
        }

    def one(incident_id: str) -> Callable[[httpx.Request], Any]:
        return lambda request: {
            "data": _incident(incident_id, "2026-11-01T10:00:00.000Z", "2026-11-24T11:00:00.000Z")
        }

    api = Api({"/api/v3/incidents": listing, "/api/v3/incidents/7": one("7")})
    tables: list[pa.Table] = []
    got = _extract(
        INCIDENTS,
        api.client(),
        Selection(("1",), 3),  # a third of the account: one walk per monitor
        Window(date(2026, 11, 24), date(2026, 11, 25)),
        tables.append,
        workers=2,
        open_keys=("7", "10"),
    )
    paths = [r.url.path for r in api.seen]
    assert paths == ["/api/v3/incidents", "/api/v3/incidents/7"]  # 10 came with the walk
    rows = pa.concat_tables(tables).to_pylist()
    assert {r["incident_id"]: r["duration_seconds"] for r in rows} == {
        "10": None,
        "7": 23 * 86400 + 3600,
    }
    assert got.answers == 2


def test_an_open_incident_deleted_upstream_is_skipped_not_fatal() -> None:
    def gone(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"errors": "Resource with provided ID was not found"})

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v3/incidents/8":
            return gone(request)
        return httpx.Response(200, json={"data": [], "pagination": {"next": None}})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = BetterStackClient(
        http,
        Secret("tok-123456"),
        base_url=BASE,
        retry=RetryPolicy(max_attempts=1),
        clock=lambda: NOW,
    )
    got = _extract(
        INCIDENTS,
        client,
        Selection(("1",), 1, everything=True),
        Window(date(2026, 11, 24), date(2026, 11, 25)),
        lambda t: None,
        open_keys=("8",),
    )
    assert got.skipped == ["8"]


def test_the_monitors_table_comes_from_the_listing_with_no_extra_request() -> None:
    def listing(request: httpx.Request) -> dict[str, Any]:
        attrs = {"pronounceable_name": "Portal", "check_frequency": 30, "regions": ["us"]}
        return {
            "data": [
                {"id": 1, "type": "monitor", "attributes": attrs},
                {"id": "2", "type": "monitor", "attributes": {**attrs, "paused_at": None}},
            ],
            "pagination": {"next": None},
        }

    api = Api({"/api/v2/monitors": listing})
    selection = resolve_monitors(api.client(), ("2",))
    tables: list[pa.Table] = []
    got = _extract(
        MONITORS,
        api.client(),
        selection,
        Window(date(2026, 11, 24), date(2026, 11, 25)),
        tables.append,
    )
    assert len(api.seen) == 1  # the listing resolve_monitors made, nothing more
    rows = pa.concat_tables(tables).to_pylist()
    assert [(r["monitor_id"], r["pronounceable_name"], r["check_frequency"]) for r in rows] == [
        ("2", "Portal", 30)
    ]
    assert rows[0]["_extracted_at"] == NOW
    assert got.rows == 1


def test_bounded_map_keeps_at_most_twice_the_workers_pending_and_returns_everything() -> None:
    submitted = 0
    running = 0
    peak = 0
    lock = threading.Lock()

    def items() -> Any:
        nonlocal submitted
        for i in range(40):
            submitted += 1
            yield i

    def work(i: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.001)
        with lock:
            running -= 1
        return i * 2

    results = []
    for value in bounded_map(work, items(), workers=3):
        results.append(value)
        assert submitted - len(results) <= 6  # never more than 2 × workers queued
    assert sorted(results) == [i * 2 for i in range(40)]
    assert peak <= 3


def test_bounded_map_raises_the_first_failure() -> None:
    def work(i: int) -> int:
        if i == 5:
            raise ValueError("boom at 5")
        return i

    with pytest.raises(ValueError, match="boom at 5"):
        list(bounded_map(work, range(20), workers=2))


@pytest.mark.parametrize("monitor_there", [True, False])
def test_a_404_skips_a_monitor_only_when_the_monitor_itself_is_gone(monitor_there: bool) -> None:
    """Issue 25 item 5: a monitor deleted during the run is skipped (its own resource answers
    404 too); a 404 for a monitor that is still there fails the table as before."""
    missing = {"errors": "Resource with provided ID was not found"}

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/v2/monitors/1" and monitor_there:
            return httpx.Response(200, json={"data": {"id": "1", "type": "monitor"}})
        if path == "/api/v2/monitors/2/response-times":
            return httpx.Response(200, json={"data": {"id": "2", "attributes": {"regions": []}}})
        return httpx.Response(404, json=missing)

    http = httpx.Client(transport=httpx.MockTransport(answer))
    client = BetterStackClient(
        http, Secret("tok-123456"), base_url=BASE, retry=RetryPolicy(max_attempts=1)
    )
    window = Window(date(2026, 11, 24), date(2026, 11, 25))
    selection = Selection(("1", "2"), 2)
    if monitor_there:
        with pytest.raises(NotFoundError):
            _extract(RESPONSE_TIMES, client, selection, window, lambda _: None)
    else:
        got = _extract(RESPONSE_TIMES, client, selection, window, lambda _: None)
        assert got.gone == ["1"]
        assert got.answers == 1  # monitor 2 landed
