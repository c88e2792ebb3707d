"""Pure transforms: JSON:API answers of Better Stack → Arrow tables with the declared schemas.

No I/O here. Each function takes the decoded JSON (``data`` of one answer, or the resources of
one page), the moment the API answered and the run id, and returns a table that matches its
``TableSpec.schema`` exactly. Anything that breaks the documented shape raises ``ContractError``
naming the endpoint, the record and the field, so a broken page never lands half-parsed.
``skipping_bad_records`` runs a page's transform so that a record breaking the contract (an id
that is not digits, a field of the wrong type) is left out and named, and the rest lands
(SPEC §13: one bad record never blocks the others).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from betterstack_etl.api import is_api_id
from betterstack_etl.errors import ContractError
from betterstack_etl.extract.nesting import check_depth
from betterstack_etl.tables import DAILY_SLA, INCIDENTS, MONITORS, RESPONSE_TIMES, TIMESTAMP

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "Checked",
    "PageTransform",
    "incident_rows",
    "monitor_rows",
    "parse_timestamps",
    "response_time_rows",
    "skipping_bad_records",
    "sla_row",
]

_POINT_FIELDS = (
    "response_time",
    "name_lookup_time",
    "connection_time",
    "tls_handshake_time",
    "data_transfer_time",
)

_INCIDENT_STRINGS = (
    "name",
    "url",
    "http_method",
    "cause",
    "acknowledged_by",
    "resolved_by",
    "status",
    "team_name",
    "response_content",
    "response_url",
    "screenshot_url",
    "origin_url",
)
_INCIDENT_IDS = ("incident_group_id", "escalation_policy_id")
_INCIDENT_BOOLS = ("call", "sms", "email", "push")
_INCIDENT_TIMES = ("started_at", "acknowledged_at", "resolved_at")


def _contract(endpoint: str, what: str) -> ContractError:
    return ContractError(
        f"unexpected answer from {endpoint}: {what}",
        endpoint=endpoint,
        hint="the API changed or a proxy mangled the page; the run keeps nothing from it",
    )


def parse_timestamps(values: Sequence[str | None], *, endpoint: str, field: str) -> pa.Array:
    """ISO-8601 strings with a zone (``2025-04-03T11:00:57.000Z``) → timestamp[ms, UTC]."""
    array = pa.array(values, pa.string())
    try:
        parsed = array.cast(pa.timestamp("us", tz="UTC"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        bad = next((v for v in values if v is not None and not _is_iso(v)), "?")
        raise _contract(endpoint, f"{field} is not an ISO-8601 UTC timestamp: {bad!r}") from exc
    return pc.cast(parsed, TIMESTAMP, safe=False)


def _is_iso(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _id(value: object) -> str | None:
    """Ids arrive as strings or numbers (betterstack-api.md §1): always a string here."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _bool(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _attributes(resource: Mapping[str, Any], endpoint: str) -> Mapping[str, Any]:
    attributes = resource.get("attributes")
    if not isinstance(attributes, dict):
        raise _contract(endpoint, f"record {resource.get('id')!r} has no attributes object")
    return attributes


_POINT = pa.struct([("at", pa.string()), *[(f, pa.float64()) for f in _POINT_FIELDS]])


def response_time_rows(
    data: Mapping[str, Any],
    *,
    monitor_id: str,
    extracted_at: datetime,
    run_id: str,
) -> pa.Table:
    """``data`` of ``/monitors/{id}/response-times`` → one row per (region, at).

    Each region's points are converted by Arrow in one call (typed, validated), not point by
    point in Python: a monitor checked every 30 s from 4 regions has 11,520 points a day.
    """
    endpoint = f"/api/v2/monitors/{monitor_id}/response-times"
    regions = _attributes(data, endpoint).get("regions")
    if regions is None:
        regions = []
    if not isinstance(regions, list):
        raise _contract(endpoint, "attributes.regions is not a list")
    chunks: list[pa.StructArray] = []
    region_chunks: list[pa.Array] = []
    for group in regions:
        if not isinstance(group, dict) or not isinstance(group.get("region"), str):
            raise _contract(endpoint, "a regions[] item has no region code")
        region = group["region"]
        points = group.get("response_times") or []
        if not isinstance(points, list):
            raise _contract(endpoint, f"regions[{region}].response_times is not a list")
        try:
            converted = pa.array(points, type=_POINT)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise _contract(endpoint, f"a {region} point is not a number/timestamp: {exc}") from exc
        if converted.null_count or converted.field("at").null_count:
            raise _contract(endpoint, f"a {region} point has no 'at' timestamp")
        chunks.append(converted)
        region_chunks.append(pa.repeat(pa.scalar(region, pa.string()), len(converted)))
    if not chunks:
        chunks, region_chunks = [pa.array([], _POINT)], [pa.array([], pa.string())]
    points_array = pa.concat_arrays(chunks)
    region_array = pa.concat_arrays(region_chunks)
    # Failed checks may carry no response time (undocumented, betterstack-api.md §10.2):
    # such points are not measurements and are left out rather than stored as 0.
    measured = pc.is_valid(points_array.field("response_time"))
    if not pc.all(measured).as_py():
        points_array = points_array.filter(measured)
        region_array = region_array.filter(measured)
    n = len(points_array)
    at_values = points_array.field("at")
    try:
        at = pc.cast(pc.cast(at_values, pa.timestamp("us", tz="UTC")), TIMESTAMP, safe=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        at = parse_timestamps(at_values.to_pylist(), endpoint=endpoint, field="at")
    columns: dict[str, pa.Array] = {
        "monitor_id": pa.repeat(pa.scalar(monitor_id, pa.string()), n),
        "region": region_array,
        "at": at,
        **{f: points_array.field(f) for f in _POINT_FIELDS},
    }
    return _with_lineage(columns, n, extracted_at, run_id, RESPONSE_TIMES.schema)


def _with_lineage(
    columns: dict[str, pa.Array],
    n: int,
    extracted_at: datetime,
    run_id: str,
    schema: pa.Schema,
) -> pa.Table:
    columns["_extracted_at"] = pa.repeat(pa.scalar(extracted_at, TIMESTAMP), n)
    columns["_run_id"] = pa.repeat(pa.scalar(run_id, pa.string()), n)
    return pa.Table.from_pydict(columns, schema=schema)


def _shown(value: object) -> str:
    """A value from the API quoted in a message: ``repr`` (control characters escaped), cut."""
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _api_id(value: str | None, endpoint: str, what: str) -> str | None:
    """``value`` when it is None or an id as the API makes them (digits), else ContractError."""
    if value is not None and not is_api_id(value):
        raise _contract(endpoint, f"{what} {_shown(value)} is not digits")
    return value


def _record(
    resource: Mapping[str, Any], endpoint: str, kind: str
) -> tuple[str, Mapping[str, Any], list[str] | None]:
    """A listed record's id (as a string of digits), its attributes and its ``regions`` list."""
    record_id = _id(resource.get("id"))
    if record_id is None:
        raise _contract(endpoint, f"a {kind} has no id")
    _api_id(record_id, endpoint, f"the {kind} id")
    attrs = _attributes(resource, endpoint)
    regions = attrs.get("regions")
    if regions is not None and not isinstance(regions, list):
        raise _contract(endpoint, f"{kind} {record_id}: regions is not a list")
    return record_id, attrs, None if regions is None else [str(r) for r in regions]


def _typed(
    rows: Mapping[str, list[Any]], schema: pa.Schema, times: Sequence[str], endpoint: str
) -> dict[str, pa.Array]:
    """Collected values → typed arrays (timestamps parsed) for each column present in ``rows``."""
    columns: dict[str, pa.Array] = {}
    for field in schema:
        if field.name in times:
            columns[field.name] = parse_timestamps(
                rows[field.name], endpoint=endpoint, field=field.name
            )
        elif field.name in rows:
            columns[field.name] = pa.array(rows[field.name], field.type)
    return columns


def _relationship_id(resource: Mapping[str, Any], name: str) -> str | None:
    related = (resource.get("relationships") or {}).get(name) or {}
    data = related.get("data") if isinstance(related, dict) else None
    return _id(data.get("id")) if isinstance(data, dict) else None


def incident_rows(
    resources: Sequence[Mapping[str, Any]],
    *,
    extracted_at: datetime,
    run_id: str,
    endpoint: str = "/api/v3/incidents",
) -> pa.Table:
    """Incident resources (one v3 page, or one ``/incidents/{id}``) → one row per incident."""
    computed = ("duration_seconds", "_extracted_at", "_run_id")
    rows: dict[str, list[Any]] = {n: [] for n in INCIDENTS.schema.names if n not in computed}
    for resource in resources:
        check_depth(resource, endpoint, "incident")
        incident_id, attrs, regions = _record(resource, endpoint, "incident")
        if not isinstance(attrs.get("started_at"), str):
            raise _contract(endpoint, f"incident {incident_id} has no started_at")
        rows["incident_id"].append(incident_id)
        for owner in ("monitor", "heartbeat"):
            owner_id = _relationship_id(resource, owner) or _id(attrs.get(f"{owner}_id"))
            what = f"incident {incident_id}: its {owner} id"
            rows[f"{owner}_id"].append(_api_id(owner_id, endpoint, what))
        for field in _INCIDENT_STRINGS:
            rows[field].append(_text(attrs.get(field)))
        for field in _INCIDENT_IDS:
            rows[field].append(_id(attrs.get(field)))
        for field in _INCIDENT_BOOLS:
            rows[field].append(_bool(attrs.get(field)))
        for field in _INCIDENT_TIMES:
            rows[field].append(attrs.get(field))
        rows["response_options"].append(_text(attrs.get("response_options")))
        rows["regions"].append(regions)
        metadata = attrs.get("metadata")
        rows["metadata"].append(None if metadata is None else _text(metadata))
        rows["raw"].append(json.dumps(resource, sort_keys=True, ensure_ascii=False))
    n = len(rows["incident_id"])
    columns = _typed(rows, INCIDENTS.schema, _INCIDENT_TIMES, endpoint)
    started = pc.cast(columns["started_at"], pa.int64())
    resolved = pc.cast(columns["resolved_at"], pa.int64())
    columns["duration_seconds"] = pc.divide(pc.subtract(resolved, started), 1000)
    return _with_lineage(columns, n, extracted_at, run_id, INCIDENTS.schema)


def _int(value: object, field: str, endpoint: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _contract(endpoint, f"{field}={value!r} is not a number")
    return round(value)


def sla_row(
    data: Mapping[str, Any],
    *,
    monitor_id: str,
    day: date,
    extracted_at: datetime,
    run_id: str,
) -> pa.Table:
    """``data`` of ``/monitors/{id}/sla?from=day&to=day`` → one row for (monitor, day).

    ``is_complete`` is true once the UTC day had ended when the API answered; until then the
    row is provisional and a later run replaces it.
    """
    endpoint = f"/api/v2/monitors/{monitor_id}/sla"
    check_depth(data, endpoint, "SLA summary")
    attrs = _attributes(data, endpoint)
    availability = attrs.get("availability")
    if availability is not None and (
        isinstance(availability, bool) or not isinstance(availability, int | float)
    ):
        raise _contract(endpoint, f"availability={availability!r} is not a number")
    day_end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    columns: dict[str, pa.Array] = {
        "monitor_id": pa.array([monitor_id], pa.string()),
        "date": pa.array([day], pa.date32()),
        "availability": pa.array(
            [None if availability is None else float(availability)], pa.float64()
        ),
        **{
            f: pa.array([_int(attrs.get(f), f, endpoint)], pa.int64())
            for f in (
                "total_downtime",
                "number_of_incidents",
                "longest_incident",
                "average_incident",
            )
        },
        "is_complete": pa.array([extracted_at >= day_end], pa.bool_()),
        "raw": pa.array([json.dumps(data, sort_keys=True, ensure_ascii=False)], pa.string()),
    }
    return _with_lineage(columns, 1, extracted_at, run_id, DAILY_SLA.schema)


_MONITOR_STRINGS = ("pronounceable_name", "url", "monitor_type", "status")
_MONITOR_TIMES = ("paused_at", "created_at", "updated_at")


def monitor_rows(
    resources: Sequence[Mapping[str, Any]],
    *,
    extracted_at: datetime,
    run_id: str,
    endpoint: str = "/api/v2/monitors",
) -> pa.Table:
    """Monitor resources (the listing every run makes) → one row per monitor."""
    lineage = ("_extracted_at", "_run_id")
    rows: dict[str, list[Any]] = {n: [] for n in MONITORS.schema.names if n not in lineage}
    for resource in resources:
        check_depth(resource, endpoint, "monitor")
        monitor_id, attrs, regions = _record(resource, endpoint, "monitor")
        rows["monitor_id"].append(monitor_id)
        for field in _MONITOR_STRINGS:
            rows[field].append(_text(attrs.get(field)))
        for field in _MONITOR_TIMES:
            value = attrs.get(field)
            rows[field].append(value if isinstance(value, str) else None)
        rows["check_frequency"].append(
            _int(attrs.get("check_frequency"), "check_frequency", endpoint)
        )
        rows["regions"].append(regions)
        rows["raw"].append(json.dumps(resource, sort_keys=True, ensure_ascii=False))
    n = len(rows["monitor_id"])
    columns = _typed(rows, MONITORS.schema, _MONITOR_TIMES, endpoint)
    return _with_lineage(columns, n, extracted_at, run_id, MONITORS.schema)


class PageTransform(Protocol):
    def __call__(
        self, resources: Sequence[Mapping[str, Any]], *, extracted_at: datetime, run_id: str
    ) -> pa.Table: ...


class Checked(NamedTuple):
    """A page's rows without the records that break the contract, the records kept, and the
    records left out, each with a message naming it and what it breaks."""

    rows: pa.Table
    kept: list[Mapping[str, Any]]
    refused: list[tuple[Mapping[str, Any], str]]


def skipping_bad_records(
    transform: PageTransform,
    resources: Sequence[Mapping[str, Any]],
    *,
    extracted_at: datetime,
    run_id: str,
) -> Checked:
    """``transform`` over a page's ``resources``, leaving out each record that breaks the
    contract (SPEC §13). The whole page is converted in one call; only when that fails is it
    halved, and each half tried again, down to the records that fail alone: a clean page costs
    nothing more, one bad record among n costs about two conversions of the page."""
    tables: list[pa.Table] = []
    kept: list[Mapping[str, Any]] = []
    refused: list[tuple[Mapping[str, Any], str]] = []
    pending: list[Sequence[Mapping[str, Any]]] = [resources]
    while pending:
        part = pending.pop()
        try:
            tables.append(transform(part, extracted_at=extracted_at, run_id=run_id))
            kept.extend(part)
        except ContractError as exc:
            if len(part) == 1:
                refused.append((part[0], f"record {_shown(part[0].get('id'))}: {exc.message}"))
            else:  # the second half is pushed first: the first is tried first, order kept
                half = len(part) // 2
                pending += [part[half:], part[:half]]
    if len(tables) == 1:
        return Checked(tables[0], kept, refused)
    rows = (
        pa.concat_tables(tables)
        if tables
        else transform([], extracted_at=extracted_at, run_id=run_id)
    )
    return Checked(rows, kept, refused)
