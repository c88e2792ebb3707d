"""Routing and the endpoints: a request in, an answer out (no sockets here).

Choices where Better Stack is silent (betterstack-api.md §10):

- Unknown routes answer 404 whatever the token (as observed on the live API); known routes
  check the Bearer token first. Methods other than GET/HEAD on a known route answer 405.
- ``per_page`` above the maximum is clamped to it (250; incidents 50); a missing, non-numeric or
  non-positive ``per_page``/``page`` falls back to the default / page 1. A page past the last
  answers 200 with empty ``data``.
- Lists: monitors in id order; incidents newest first (``started_at`` desc, then id desc).
- Incidents ``from``/``to`` filter on the UTC date of ``started_at``, both inclusive; a date that
  is not ``YYYY-MM-DD`` answers 400 with the SLA's data-range text; ``to < from`` is empty.
  ``resolved``/``acknowledged`` take true/false in any case (other values: no filter).
  ``monitor_id`` keeps a monitor's incidents, ``heartbeat_id`` a heartbeat's (both: none).
- Pagination links: see ``render.pagination`` (bare by default, as the live API).
- ``GET /api/v2/monitor-groups`` lists the groups (default 50 a page, max 250).
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Final, TypeVar

from betterstack_etl.simulator import render
from betterstack_etl.simulator.series import ResponseTimes
from betterstack_etl.simulator.sla import compute_sla, sla_window
from betterstack_etl.simulator.timeutil import ms_to_date, parse_iso_date, to_ms

if TYPE_CHECKING:
    from collections.abc import Callable

    from betterstack_etl.simulator.clock import Clock
    from betterstack_etl.simulator.world import Incident, Monitor, World

__all__ = [
    "AUTH_ERROR",
    "NOT_FOUND_ERROR",
    "RANGE_ERROR",
    "Answer",
    "Api",
    "Request",
    "error_answer",
    "match_route",
]

AUTH_ERROR: Final = (
    "Invalid Team API token. How to find your Team API token: https://betterstack.com/docs/"
    "uptime/api/getting-started-with-better-uptime-api#obtaining-a-better-uptime-api-token"
)
NOT_FOUND_ERROR: Final = "Resource with provided ID was not found"
RANGE_ERROR: Final = (
    "The data range is invalid. The date format could not be parsed, the start time is in the"
    " future, or the end time is after the start time."
)
JSON_TYPE: Final = "application/json; charset=utf-8"
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: list[tuple[str, str]]
    authorization: str | None
    base_url: str  # scheme://host[:port] the client used


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = JSON_TYPE


def _json_answer(status: int, document: object) -> Answer:
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Answer(status, body)


def error_answer(status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> Answer:
    answer = _json_answer(status, {"errors": message})
    return Answer(answer.status, answer.body, headers)


_ROUTES: Final = (
    ("/api/v2/monitors", re.compile(r"/api/v2/monitors")),
    ("/api/v2/monitor-groups", re.compile(r"/api/v2/monitor-groups")),
    ("/api/v2/monitors/{id}", re.compile(r"/api/v2/monitors/([^/]+)")),
    (
        "/api/v2/monitors/{id}/response-times",
        re.compile(r"/api/v2/monitors/([^/]+)/response-times"),
    ),
    ("/api/v2/monitors/{id}/sla", re.compile(r"/api/v2/monitors/([^/]+)/sla")),
    ("/api/v3/incidents", re.compile(r"/api/v3/incidents")),
    ("/api/v3/incidents/{id}", re.compile(r"/api/v3/incidents/([^/]+)")),
    ("/api/v2/incidents", re.compile(r"/api/v2/incidents")),
    ("/api/v2/incidents/{id}", re.compile(r"/api/v2/incidents/([^/]+)")),
)
UNKNOWN_ENDPOINT: Final = "unknown"


def match_route(path: str) -> tuple[str, str | None]:
    """``(route template, id or None)``; the template is ``unknown`` for other paths."""
    for template, pattern in _ROUTES:
        found = pattern.fullmatch(path)
        if found:
            return template, (found.group(1) if found.groups() else None)
    return UNKNOWN_ENDPOINT, None


def _param(query: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in query if k == name), None)


def _int_param(query: list[tuple[str, str]], name: str, default: int) -> int:
    text = _param(query, name)
    if text is None or not text.isdigit() or int(text) < 1:
        return default
    return int(text)


def _bool_param(query: list[tuple[str, str]], name: str) -> bool | None:
    text = (_param(query, name) or "").lower()
    return {"true": True, "false": False}.get(text)


class Api:
    """The endpoints over one world, read at ``clock.now()`` for every request."""

    def __init__(self, world: World, token: str, clock: Clock) -> None:
        self.world = world
        self._token = token.encode("utf-8")
        self._clock = clock
        self._series = ResponseTimes(world)
        self._handlers: dict[str, Callable[[Request, str | None, int], Answer]] = {
            "/api/v2/monitors": self._monitors,
            "/api/v2/monitor-groups": self._groups,
            "/api/v2/monitors/{id}": self._monitor,
            "/api/v2/monitors/{id}/response-times": self._response_times,
            "/api/v2/monitors/{id}/sla": self._sla,
            "/api/v3/incidents": self._incidents_v3,
            "/api/v3/incidents/{id}": self._incident_v3,
            "/api/v2/incidents": self._incidents_v2,
            "/api/v2/incidents/{id}": self._incident_v2,
        }

    def handle(self, request: Request) -> Answer:
        template, ident = match_route(request.path)
        handler = self._handlers.get(template)
        if handler is None:
            return error_answer(404, NOT_FOUND_ERROR)
        if not self._authorized(request.authorization):
            return error_answer(401, AUTH_ERROR)
        if request.method not in ("GET", "HEAD"):
            return error_answer(405, f"The simulator does not serve {request.method} requests")
        return handler(request, ident, to_ms(self._clock.now()))

    def _authorized(self, header: str | None) -> bool:
        if not header:
            return False
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(credential.strip().encode("utf-8"), self._token)

    # -- monitors -------------------------------------------------------------------------
    def _monitors(self, request: Request, _: str | None, now_ms: int) -> Answer:
        query = request.query
        url, name = _param(query, "url"), _param(query, "pronounceable_name")
        chosen = [
            self._monitor_resource(m, now_ms)
            for m in self.world.monitors()
            if (url is None or m.url == url) and (name is None or m.name == name)
        ]
        return self._page(request, chosen, default=50, maximum=250)

    def _monitor(self, _: Request, ident: str | None, now_ms: int) -> Answer:
        monitor = self.world.monitor(ident or "")
        if monitor is None:
            return error_answer(404, NOT_FOUND_ERROR)
        return _json_answer(200, {"data": self._monitor_resource(monitor, now_ms)})

    def _monitor_resource(self, monitor: Monitor, now_ms: int) -> render.Json:
        status = self.world.status(monitor, now_ms)
        return render.monitor_resource(
            monitor, now_ms, status, self.world.paused_since(monitor, now_ms)
        )

    def _groups(self, request: Request, _: str | None, now_ms: int) -> Answer:
        groups = [render.group_resource(g) for g in self.world.groups()]
        return self._page(request, groups, default=50, maximum=250)

    def _response_times(self, _: Request, ident: str | None, now_ms: int) -> Answer:
        monitor = self.world.monitor(ident or "")
        if monitor is None:
            return error_answer(404, NOT_FOUND_ERROR)
        series = self._series.last_24h(monitor, now_ms)
        return Answer(200, render.response_times_body(monitor, series))

    def _sla(self, request: Request, ident: str | None, now_ms: int) -> Answer:
        monitor = self.world.monitor(ident or "")
        if monitor is None:
            return error_answer(404, NOT_FOUND_ERROR)
        query = request.query
        window = sla_window(monitor, _param(query, "from"), _param(query, "to"), now_ms)
        if window is None:
            return error_answer(400, RANGE_ERROR)
        sla = compute_sla(self.world, monitor, window[0], window[1], now_ms)
        return _json_answer(200, render.sla_document(monitor, sla))

    # -- incidents ------------------------------------------------------------------------
    def _incidents_v3(self, request: Request, _: str | None, now_ms: int) -> Answer:
        return self._incident_list(request, now_ms, version=3)

    def _incidents_v2(self, request: Request, _: str | None, now_ms: int) -> Answer:
        return self._incident_list(request, now_ms, version=2)

    def _incident_v3(self, _: Request, ident: str | None, now_ms: int) -> Answer:
        incident = self._visible_incident(ident, now_ms)
        if incident is None:
            return error_answer(404, NOT_FOUND_ERROR)
        return _json_answer(200, {"data": render.incident_resource(incident, now_ms)})

    def _incident_v2(self, _: Request, ident: str | None, now_ms: int) -> Answer:
        incident = self._visible_incident(ident, now_ms)
        if incident is None:
            return error_answer(404, NOT_FOUND_ERROR)
        source = incident.monitor
        included = (
            {"id": source.id, "type": "heartbeat", "attributes": {"name": source.name}}
            if source.heartbeat
            else self._monitor_resource(source, now_ms)
        )
        data = render.incident_resource(incident, now_ms, version=2)
        return _json_answer(200, {"data": data, "included": included})

    def _visible_incident(self, ident: str | None, now_ms: int) -> Incident | None:
        incident = self.world.incident(ident or "")
        if incident is None or incident.started_ms > now_ms:
            return None
        return incident

    def _incident_list(self, request: Request, now_ms: int, *, version: int) -> Answer:
        query = request.query
        bounds = _date_bounds(_param(query, "from"), _param(query, "to"))
        if bounds is None:
            return error_answer(400, RANGE_ERROR)
        found = self._find_incidents(query, bounds, now_ms)
        found.sort(key=lambda i: (i.started_ms, int(i.id)), reverse=True)
        return self._page(
            request,
            found,
            default=10,
            maximum=50,
            render_item=lambda i: render.incident_resource(i, now_ms, version=version),
        )

    def _find_incidents(
        self,
        query: list[tuple[str, str]],
        bounds: tuple[date | None, date | None],
        now_ms: int,
    ) -> list[Incident]:
        monitor_id, heartbeat_id = _param(query, "monitor_id"), _param(query, "heartbeat_id")
        monitors = self.world.monitors() + self.world.heartbeats()
        if monitor_id is not None:
            monitors = tuple(m for m in self.world.monitors() if m.id == monitor_id.strip())
        if heartbeat_id is not None:
            wanted = heartbeat_id.strip()
            monitors = tuple(m for m in monitors if m.heartbeat and m.id == wanted)
        resolved, acked = _bool_param(query, "resolved"), _bool_param(query, "acknowledged")
        first, last = bounds[0] or date.min, bounds[1] or ms_to_date(now_ms)
        found: list[Incident] = []
        for monitor in monitors:
            for incident in self.world.incidents(monitor, first, last, now_ms):
                is_resolved = incident.resolved_ms <= now_ms
                ack = incident.acknowledged_ms
                is_acked = ack is not None and ack <= now_ms
                if resolved is not None and is_resolved != resolved:
                    continue
                if acked is not None and is_acked != acked:
                    continue
                found.append(incident)
        return found

    def _page(
        self,
        request: Request,
        items: list[_T],
        *,
        default: int,
        maximum: int,
        render_item: Callable[[_T], object] | None = None,
    ) -> Answer:
        per_page = min(_int_param(request.query, "per_page", default), maximum)
        page = _int_param(request.query, "page", 1)
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        data = [render_item(i) for i in chunk] if render_item is not None else chunk
        base = request.base_url + request.path
        style = self.world.config.link_style
        links = render.pagination(base, request.query, page, last, style)
        return _json_answer(200, {"data": data, "pagination": links})


def _date_bounds(
    from_text: str | None, to_text: str | None
) -> tuple[date | None, date | None] | None:
    first = parse_iso_date(from_text) if from_text is not None else None
    last = parse_iso_date(to_text) if to_text is not None else None
    if (from_text is not None and first is None) or (to_text is not None and last is None):
        return None
    return first, last
