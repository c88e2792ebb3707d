"""JSON:API documents the simulator serves, built from the world as seen at ``now``.

Shapes follow betterstack-api.md §4: string ids, ``YYYY-MM-DDTHH:MM:SS.mmmZ`` timestamps,
capitalised incident ``status``, ``response_options`` as a JSON *string*, v3 ``metadata`` as
arrays of ``{type, value}`` (v2: flat strings), ``relationships.monitor.data`` (a heartbeat
incident: ``relationships.heartbeat.data``, null ``url``, ``http_method``, ``regions``).
Pagination links are absolute; ``bare`` ones carry only ``page`` (and ``per_page`` when the
request sent it), as the live API's do (betterstack-api.md §3); ``echo`` ones keep the query.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

from betterstack_etl.simulator.timeutil import DAY_MS, iso_ms
from betterstack_etl.simulator.traits import MAINTENANCE_TIMEZONE, Maintenance
from betterstack_etl.simulator.world import TEAM_NAME

if TYPE_CHECKING:
    from betterstack_etl.simulator.config import LinkStyle
    from betterstack_etl.simulator.series import Point
    from betterstack_etl.simulator.sla import Sla
    from betterstack_etl.simulator.world import Group, Incident, Monitor

__all__ = [
    "Json",
    "group_resource",
    "incident_resource",
    "incident_status",
    "monitor_resource",
    "pagination",
    "response_times_body",
    "sla_document",
]

Json = dict[str, Any]
_WEEK_ORDER: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _last_check_ms(monitor: Monitor, now_ms: int) -> int | None:
    now_s = now_ms // 1000
    step, offset = monitor.check_frequency, monitor.region_offsets[0]
    last_s = now_s - (now_s - offset) % step
    return last_s * 1000 if last_s * 1000 >= monitor.created_ms else None


def _maintenance(window: Maintenance | None) -> Json:
    if window is None:
        return {"maintenance_from": None, "maintenance_to": None, "maintenance_days": []}
    return {
        "maintenance_from": Maintenance.clock(window.start_minute),
        "maintenance_to": Maintenance.clock(window.end_minute % (24 * 60)),
        "maintenance_days": sorted(window.days, key=_WEEK_ORDER.index),
    }


def monitor_resource(
    monitor: Monitor, now_ms: int, status: str, paused_since: int | None = None
) -> Json:
    """The monitor as listed at ``now_ms``: its ``status``, and ``paused_at`` while paused."""
    last_check = _last_check_ms(monitor, now_ms if paused_since is None else paused_since - 1)
    window = _maintenance(monitor.maintenance)
    attributes: Json = {
        "url": monitor.url,
        "pronounceable_name": monitor.name,
        "monitor_type": monitor.monitor_type,
        "monitor_group_id": monitor.group_id,
        "last_checked_at": iso_ms(last_check) if last_check is not None else None,
        "status": status,
        "policy_id": None,
        "expiration_policy_id": None,
        "team_name": TEAM_NAME,
        "required_keyword": None,
        "verify_ssl": True,
        "check_frequency": monitor.check_frequency,
        "call": False,
        "sms": False,
        "email": True,
        "push": True,
        "team_wait": None,
        "http_method": "get",
        "request_timeout": monitor.request_timeout,
        "recovery_period": monitor.recovery_period,
        "request_headers": [],
        "request_body": "",
        "paused_at": iso_ms(paused_since) if paused_since is not None else None,
        "created_at": iso_ms(monitor.created_ms),
        "updated_at": iso_ms(monitor.created_ms + DAY_MS),
        "ssl_expiration": 14,
        "domain_expiration": None,
        "regions": list(monitor.regions),
        "maintenance_from": window["maintenance_from"],
        "maintenance_to": window["maintenance_to"],
        "maintenance_timezone": MAINTENANCE_TIMEZONE,
        "maintenance_days": window["maintenance_days"],
        "port": None,
        "confirmation_period": monitor.confirmation_period,
        "expected_status_codes": [],
    }
    return {"id": monitor.id, "type": "monitor", "attributes": attributes}


def group_resource(group: Group) -> Json:
    attributes = {
        "name": group.name,
        "sort_index": group.index,
        "paused": False,
        "team_name": TEAM_NAME,
        "created_at": iso_ms(group.created_ms),
        "updated_at": iso_ms(group.created_ms + DAY_MS),
    }
    return {"id": str(group.id), "type": "monitor_group", "attributes": attributes}


def incident_status(incident: Incident, now_ms: int) -> str:
    """Resolved; Validating (up again, recovery period running); Unconfirmed (inside the
    confirmation period); Acknowledged; Started."""
    if incident.resolved_ms <= now_ms:
        return "Resolved"
    if incident.validating(now_ms):
        return "Validating"
    if incident.unconfirmed(now_ms):
        return "Unconfirmed"
    if incident.acknowledged_ms is not None and incident.acknowledged_ms <= now_ms:
        return "Acknowledged"
    return "Started"


def _metadata(incident: Incident, version: int) -> Json:
    if incident.response_code is None:
        return {}
    if version == 2:
        return {"Response code": incident.response_code}
    return {"Response code": [{"type": "String", "value": incident.response_code}]}


def _response_options(incident: Incident) -> str | None:
    if incident.monitor.heartbeat:
        return None
    if incident.response_code is not None:
        return "{}"
    return json.dumps({"timeout": incident.monitor.request_timeout, "follow_redirects": True})


def incident_resource(incident: Incident, now_ms: int, *, version: int = 3) -> Json:
    """One incident as v3 (or v2: flat metadata) serves it, as visible at ``now_ms``."""
    ack_ms = incident.acknowledged_ms
    acked = ack_ms is not None and ack_ms <= now_ms
    resolved = incident.resolved_ms <= now_ms
    monitor = incident.monitor
    attributes: Json = {
        "name": monitor.name,
        "url": monitor.url,
        "http_method": "get" if monitor.url is not None else None,
        "cause": incident.cause,
        "incident_group_id": None,
        "started_at": iso_ms(incident.started_ms),
        "acknowledged_at": iso_ms(ack_ms) if ack_ms is not None and acked else None,
        "acknowledged_by": incident.acknowledged_by if acked else None,
        "resolved_at": iso_ms(incident.resolved_ms) if resolved else None,
        "resolved_by": incident.resolved_by if resolved else None,
        "status": incident_status(incident, now_ms),
        "team_name": TEAM_NAME,
        "response_content": incident.response_content,
        "response_options": _response_options(incident),
        "regions": list(incident.regions) if incident.regions is not None else None,
        "response_url": None,
        "screenshot_url": None,
        "origin_url": None,
        "escalation_policy_id": None,
        "call": False,
        "sms": False,
        "email": True,
        "push": True,
        "metadata": _metadata(incident, version),
    }
    kind = "heartbeat" if monitor.heartbeat else "monitor"
    return {
        "id": incident.id,
        "type": "incident",
        "attributes": attributes,
        "relationships": {kind: {"data": {"id": monitor.id, "type": kind}}},
    }


def response_times_body(monitor: Monitor, series: list[tuple[str, list[Point]]]) -> bytes:
    """The response-times document, spliced from the pre-encoded points (it can be MBs)."""
    regions = ",".join(
        f'{{"region":{json.dumps(region)},"response_times":[{",".join(points)}]}}'
        for region, points in series
    )
    head = f'{{"id":{json.dumps(monitor.id)},"type":"monitor_response_times"'
    return f'{{"data":{head},"attributes":{{"regions":[{regions}]}}}}}}'.encode()


def sla_document(monitor: Monitor, sla: Sla) -> Json:
    attributes = {
        "availability": sla.availability,
        "total_downtime": sla.total_downtime,
        "number_of_incidents": sla.number_of_incidents,
        "longest_incident": sla.longest_incident,
        "average_incident": sla.average_incident,
    }
    return {"data": {"id": monitor.id, "type": "monitor_sla", "attributes": attributes}}


def pagination(
    base: str, query: list[tuple[str, str]], page: int, last: int, style: LinkStyle = "echo"
) -> dict[str, str | None]:
    """Absolute links with ``page`` last, after every other query parameter (``echo``) or
    after ``per_page`` alone, when it was sent (``bare``: the live API drops the filters)."""
    kept = [(k, v) for k, v in query if k != "page" and (style == "echo" or k == "per_page")]

    def link(number: int) -> str:
        return f"{base}?{urlencode([*kept, ('page', str(number))])}"

    return {
        "first": link(1),
        "last": link(last),
        "prev": link(min(page - 1, last)) if page > 1 else None,
        "next": link(page + 1) if page < last else None,
    }
