"""Pure transforms: API JSON → typed Arrow rows (no server)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import orjson
import pyarrow as pa
import pytest

from betterstack_etl.errors import ContractError
from betterstack_etl.extract.transform import (
    incident_rows,
    monitor_rows,
    response_time_rows,
    skipping_bad_records,
    sla_row,
)
from betterstack_etl.tables import DAILY_SLA, INCIDENTS, RESPONSE_TIMES

AT = datetime(2026, 11, 25, 12, 0, 5, tzinfo=UTC)

RESPONSE_TIMES_DOC = {
    "id": "270985",
    "type": "monitor_response_times",
    "attributes": {
        "regions": [
            {
                "region": "us",
                "response_times": [
                    {
                        "at": "2025-04-03T11:00:57.000Z",
                        "response_time": 0.47273,
                        "name_lookup_time": 0.00002,
                        "connection_time": 0.14187,
                        "tls_handshake_time": 0.19929,
                        "data_transfer_time": 0.13154,
                    },
                    {
                        "at": "2025-04-03T23:59:59.999Z",
                        "response_time": 0.41211,
                        "name_lookup_time": None,
                        "connection_time": 0.13058,
                        "tls_handshake_time": 0.17109,
                        "data_transfer_time": 0.11042,
                    },
                ],
            },
            {
                "region": "eu",
                "response_times": [
                    {
                        "at": "2025-04-04T00:00:00.000Z",
                        "response_time": 1,
                        "name_lookup_time": 0.00002,
                        "connection_time": 0.2,
                        "tls_handshake_time": 0.25,
                        "data_transfer_time": 0.15,
                    }
                ],
            },
            {"region": "as", "response_times": []},
        ]
    },
}

INCIDENT_OPEN = {
    "id": 25,  # a number: must come back as the string "25"
    "type": "incident",
    "attributes": {
        "name": "Example homepage",
        "url": "https://example.com/",
        "http_method": "get",
        "cause": "Status 503",
        "incident_group_id": 77,
        "started_at": "2025-04-03T09:37:56.662Z",
        "acknowledged_at": None,
        "acknowledged_by": None,
        "resolved_at": None,
        "resolved_by": None,
        "status": "Started",
        "team_name": "Test team",
        "response_content": "<html>Service Unavailable</html>",
        "response_options": "{}",
        "regions": ["us", "eu"],
        "response_url": None,
        "screenshot_url": None,
        "origin_url": None,
        "escalation_policy_id": None,
        "call": False,
        "sms": False,
        "email": True,
        "push": True,
        "metadata": {"Response code": [{"type": "String", "value": "503"}]},
        "brand_new_attribute": {"kept": True},
    },
    "relationships": {"monitor": {"data": {"id": 2, "type": "monitor"}}},
}

INCIDENT_RESOLVED_HEARTBEAT = {
    "id": "23",
    "type": "incident",
    "attributes": {
        "name": "Nightly job",
        "url": None,
        "http_method": None,
        "cause": "Missed heartbeat",
        "incident_group_id": None,
        "started_at": "2025-04-02T13:30:45.583Z",
        "acknowledged_at": "2025-04-02T13:32:14.121Z",
        "acknowledged_by": "John Smith",
        "resolved_at": "2025-04-02T14:21:17.137Z",
        "resolved_by": "john@example.com",
        "status": "Resolved",
        "team_name": "Test team",
        "response_content": None,
        "response_options": {"object": "instead of a string"},
        "regions": None,
        "response_url": None,
        "screenshot_url": None,
        "origin_url": None,
        "escalation_policy_id": "9",
        "call": False,
        "sms": False,
        "email": True,
        "push": True,
        "metadata": {},
    },
    "relationships": {"heartbeat": {"data": {"id": "31", "type": "heartbeat"}}},
}


def test_response_times_are_typed_rows_per_region_and_point() -> None:
    table = response_time_rows(
        RESPONSE_TIMES_DOC, monitor_id="270985", extracted_at=AT, run_id="r1"
    )
    assert table.schema == RESPONSE_TIMES.schema
    rows = table.to_pylist()
    assert [(r["region"], r["at"].isoformat()) for r in rows] == [
        ("us", "2025-04-03T11:00:57+00:00"),
        ("us", "2025-04-03T23:59:59.999000+00:00"),
        ("eu", "2025-04-04T00:00:00+00:00"),
    ]
    assert rows[0]["response_time"] == pytest.approx(0.47273)
    assert rows[1]["name_lookup_time"] is None
    assert rows[2]["response_time"] == 1.0
    assert {r["monitor_id"] for r in rows} == {"270985"}
    assert {r["_run_id"] for r in rows} == {"r1"}
    assert {r["_extracted_at"] for r in rows} == {AT}


def test_response_time_points_without_a_response_time_are_left_out() -> None:
    doc = {
        "attributes": {
            "regions": [
                {
                    "region": "us",
                    "response_times": [
                        {"at": "2025-04-03T11:00:57.000Z", "response_time": None},
                        {"at": "2025-04-03T11:01:27.000Z", "response_time": 0.5},
                    ],
                }
            ]
        }
    }
    table = response_time_rows(doc, monitor_id="1", extracted_at=AT, run_id="r")
    assert table.column("response_time").to_pylist() == [0.5]


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ({"attributes": {"regions": "us"}}, "regions is not a list"),
        ({"no": "attributes"}, "no attributes"),
        ({"attributes": {"regions": [{"response_times": []}]}}, "no region code"),
        (
            {
                "attributes": {
                    "regions": [
                        {
                            "region": "us",
                            "response_times": [{"at": "yesterday", "response_time": 0.1}],
                        }
                    ]
                }
            },
            "'yesterday'",
        ),
        (
            {
                "attributes": {
                    "regions": [
                        {
                            "region": "us",
                            "response_times": [
                                {"at": "2025-04-03T11:00:57.000Z", "response_time": "fast"}
                            ],
                        }
                    ]
                }
            },
            "not a number",
        ),
    ],
)
def test_response_times_that_break_the_contract_raise_naming_the_problem(
    doc: dict, needle: str
) -> None:
    with pytest.raises(ContractError, match="response-times") as info:
        response_time_rows(doc, monitor_id="9", extracted_at=AT, run_id="r")
    assert needle in str(info.value)


def test_incidents_keep_every_column_typed_and_the_raw_record() -> None:
    table = incident_rows([INCIDENT_OPEN, INCIDENT_RESOLVED_HEARTBEAT], extracted_at=AT, run_id="r")
    assert table.schema == INCIDENTS.schema
    open_, resolved = table.to_pylist()
    assert open_["incident_id"] == "25"
    assert open_["monitor_id"] == "2"
    assert open_["heartbeat_id"] is None
    assert open_["incident_group_id"] == "77"
    assert open_["status"] == "Started"
    assert open_["resolved_at"] is None
    assert open_["duration_seconds"] is None
    assert open_["regions"] == ["us", "eu"]
    assert open_["response_options"] == "{}"
    assert json.loads(open_["metadata"]) == {"Response code": [{"type": "String", "value": "503"}]}
    assert json.loads(open_["raw"])["attributes"]["brand_new_attribute"] == {"kept": True}
    assert open_["started_at"] == datetime(2025, 4, 3, 9, 37, 56, 662000, tzinfo=UTC)

    assert resolved["monitor_id"] is None
    assert resolved["heartbeat_id"] == "31"
    assert resolved["regions"] is None
    assert resolved["duration_seconds"] == 3031  # 13:30:45.583 → 14:21:17.137
    assert resolved["resolved_by"] == "john@example.com"
    assert json.loads(resolved["response_options"]) == {"object": "instead of a string"}
    assert resolved["escalation_policy_id"] == "9"


def test_incident_without_started_at_is_a_contract_error() -> None:
    broken = {"id": "1", "attributes": {"name": "x"}}
    with pytest.raises(ContractError, match="incident 1 has no started_at"):
        incident_rows([broken], extracted_at=AT, run_id="r")


def test_empty_page_gives_an_empty_typed_table() -> None:
    table = incident_rows([], extracted_at=AT, run_id="r")
    assert table.num_rows == 0
    assert table.schema == INCIDENTS.schema


def test_sla_row_is_provisional_until_the_utc_day_ends() -> None:
    data = {
        "id": "5",
        "type": "monitor_sla",
        "attributes": {
            "availability": 99.98,
            "total_downtime": 600,
            "number_of_incidents": 3,
            "longest_incident": 300,
            "average_incident": 200,
        },
    }
    today = sla_row(data, monitor_id="5", day=date(2026, 11, 25), extracted_at=AT, run_id="r")
    yesterday = sla_row(data, monitor_id="5", day=date(2026, 11, 24), extracted_at=AT, run_id="r")
    assert today.schema == DAILY_SLA.schema
    row = today.to_pylist()[0]
    assert row["date"] == date(2026, 11, 25)
    assert row["availability"] == pytest.approx(99.98)
    assert (row["total_downtime"], row["number_of_incidents"]) == (600, 3)
    assert (row["longest_incident"], row["average_incident"]) == (300, 200)
    assert row["is_complete"] is False
    assert yesterday.column("is_complete").to_pylist() == [True]
    midnight = datetime(2026, 11, 25, tzinfo=UTC)
    exactly = sla_row(
        data, monitor_id="5", day=date(2026, 11, 24), extracted_at=midnight, run_id="r"
    )
    assert exactly.column("is_complete").to_pylist() == [True]


def test_sla_with_a_non_numeric_figure_is_a_contract_error() -> None:
    data = {"attributes": {"availability": "99%", "total_downtime": 0}}
    with pytest.raises(ContractError, match="availability"):
        sla_row(data, monitor_id="5", day=date(2026, 11, 25), extracted_at=AT, run_id="r")


def test_timestamps_with_offsets_are_converted_to_utc() -> None:
    doc = {
        "attributes": {
            "regions": [
                {
                    "region": "us",
                    "response_times": [
                        {"at": "2025-04-03T11:00:57.000+02:00", "response_time": 0.1}
                    ],
                }
            ]
        }
    }
    table = response_time_rows(doc, monitor_id="1", extracted_at=AT, run_id="r")
    assert table.column("at").type == pa.timestamp("ms", tz="UTC")
    assert table.column("at")[0].as_py() == datetime(2025, 4, 3, 9, 0, 57, tzinfo=UTC)


def test_sla_row_keeps_the_whole_api_record_as_raw() -> None:
    data = {
        "id": "5",
        "type": "monitor_sla",
        "attributes": {"availability": 99.5, "downtime_duration": 432, "new_field": [1, "é"]},
    }
    row = sla_row(data, monitor_id="5", day=date(2026, 11, 24), extracted_at=AT, run_id="r")
    assert json.loads(row.column("raw")[0].as_py()) == data  # nothing the API adds is lost
    assert row.column("total_downtime").to_pylist() == [None]


def _nested(levels: int) -> object:
    """``levels`` nested arrays, as orjson reads them from an answer (it accepts 1,024)."""
    return orjson.loads("[" * levels + '"bottom"' + "]" * levels)


def test_a_record_nested_1000_levels_is_left_out_by_name_and_the_rest_lands() -> None:
    deep = {
        "id": "66",
        "attributes": {"started_at": "2026-11-24T11:00:00.000Z", "metadata": _nested(1000)},
    }
    good = {"id": "7", "attributes": {"started_at": "2026-11-24T10:00:00.000Z"}}
    with pytest.raises(ContractError, match="incident '66' is nested more than 64 levels"):
        incident_rows([deep], extracted_at=AT, run_id="r")  # not a bare RecursionError
    checked = skipping_bad_records(incident_rows, [deep, good], extracted_at=AT, run_id="r")
    assert checked.rows.column("incident_id").to_pylist() == ["7"]
    ((record, why),) = checked.refused
    assert record is deep
    assert "nested more than 64 levels" in why
    assert "\n" not in why


def test_a_deep_monitor_is_left_out_of_the_listing_rows() -> None:
    deep = {"id": "9", "attributes": {"pronounceable_name": "x", "extra": _nested(1000)}}
    good = {"id": "8", "attributes": {"pronounceable_name": "y"}}
    checked = skipping_bad_records(monitor_rows, [deep, good], extracted_at=AT, run_id="r")
    assert checked.rows.column("monitor_id").to_pylist() == ["8"]
    assert [why for _, why in checked.refused] == [
        "record '9': unexpected answer from /api/v2/monitors: monitor '9' is nested more than 64 "
        "levels deep, which no Better Stack record is"
    ]


def test_a_deep_sla_answer_fails_in_one_line_naming_it() -> None:
    data = {"id": "5", "attributes": {"availability": 99.0, "extra": _nested(990)}}
    with pytest.raises(ContractError) as caught:
        sla_row(data, monitor_id="5", day=date(2026, 11, 24), extracted_at=AT, run_id="r")
    message = str(caught.value)
    assert "SLA summary '5'" in message
    assert "nested more than 64 levels" in message
    assert "\n" not in message
