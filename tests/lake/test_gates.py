"""Quality gates (SPEC §10): hard rules stop a table, soft ones are counted, all vectorised."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from betterstack_etl.errors import GateError, is_retryable
from betterstack_etl.lake.gates import GateReport, Violation, check_rows
from betterstack_etl.tables import DAILY_SLA, INCIDENTS, MONITORS, RESPONSE_TIMES, TableSpec

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DAY = date(2026, 11, 24)
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
LINEAGE = {"_extracted_at": NOW, "_run_id": "run-1"}


def _table(spec: TableSpec, rows: list[dict[str, Any]]) -> pa.Table:
    fields = [f.with_nullable(True) for f in spec.schema]  # fixtures may hold nulls on purpose
    full = [{name: row.get(name) for name in spec.schema.names} for row in rows]
    return pa.Table.from_pylist(full, schema=pa.schema(fields))


def _point(i: int, **over: Any) -> dict[str, Any]:
    row = {"monitor_id": "1", "region": "us", "at": T0 + timedelta(seconds=30 * i)}
    row |= {"response_time": 0.4, "connection_time": 0.1, **LINEAGE}
    return row | over


def _incident(i: str, **over: Any) -> dict[str, Any]:
    row = {"incident_id": i, "monitor_id": "1", "started_at": T0, "raw": "{}", **LINEAGE}
    row |= {"resolved_at": T0 + timedelta(minutes=5), "duration_seconds": 300}
    return row | over


def _sla(monitor: str, **over: Any) -> dict[str, Any]:
    row = {"monitor_id": monitor, "date": DAY, "availability": 99.5, "total_downtime": 432}
    row |= {"number_of_incidents": 1, "is_complete": True, **LINEAGE}
    return row | over


def test_clean_rows_pass_every_table() -> None:
    assert check_rows(RESPONSE_TIMES, _table(RESPONSE_TIMES, [_point(0)]), DAY, now=NOW).ok
    assert check_rows(INCIDENTS, _table(INCIDENTS, [_incident("5")]), DAY, now=NOW).ok
    assert check_rows(DAILY_SLA, _table(DAILY_SLA, [_sla("1")]), DAY, now=NOW).ok
    empty = check_rows(DAILY_SLA, _table(DAILY_SLA, []), DAY, now=NOW)
    assert empty.ok
    assert empty.warnings == {}


def test_every_declared_table_has_rules_as_data() -> None:
    for spec in (RESPONSE_TIMES, INCIDENTS, DAILY_SLA, MONITORS):
        assert spec.rules
        for rule in spec.rules:
            assert set(rule.columns) <= set(spec.schema.names), rule


def test_null_keys_are_counted_with_sample_keys() -> None:
    rows = [_point(0), _point(1, region=None), _point(2, monitor_id=None)]
    report = check_rows(RESPONSE_TIMES, _table(RESPONSE_TIMES, rows), DAY, now=NOW)
    assert [v.rule for v in report.hard] == ["null_key"]
    (violation,) = report.hard
    assert violation.count == 2
    assert len(violation.sample_keys) == 2
    assert any("region=None" in key for key in violation.sample_keys)


def test_a_row_in_the_wrong_partition_is_a_hard_violation() -> None:
    rows = [_point(0), _point(1, at=T0 + timedelta(days=1)), _point(2, at=T0 - timedelta(hours=11))]
    report = check_rows(RESPONSE_TIMES, _table(RESPONSE_TIMES, rows), DAY, now=NOW)
    (violation,) = report.hard
    assert (violation.rule, violation.count) == ("wrong_partition", 2)
    assert check_rows(RESPONSE_TIMES, _table(RESPONSE_TIMES, rows), None, now=NOW).ok


def test_the_partition_of_a_timestamp_is_its_utc_day() -> None:
    late = datetime(2026, 11, 24, 23, 59, 59, 999000, tzinfo=UTC)
    row = _incident("1", started_at=late, resolved_at=None, duration_seconds=None)
    report = check_rows(INCIDENTS, _table(INCIDENTS, [row]), DAY, now=NOW)
    assert report.ok
    report = check_rows(DAILY_SLA, _table(DAILY_SLA, [_sla("1")]), DAY + timedelta(days=1), now=NOW)
    assert [v.rule for v in report.hard] == ["wrong_partition"]


@pytest.mark.parametrize("bad", [-0.1, math.inf, math.nan, -math.inf])
def test_negative_or_non_finite_durations_are_hard(bad: float) -> None:
    rows = [_point(0), _point(1, connection_time=bad)]
    report = check_rows(RESPONSE_TIMES, _table(RESPONSE_TIMES, rows), DAY, now=NOW)
    (violation,) = report.hard
    assert (violation.rule, violation.count) == ("negative_or_non_finite", 1)
    assert "at=2026-11-24T10:00:30" in violation.sample_keys[0]


def test_incident_rules_resolved_before_started_and_negative_duration() -> None:
    rows = [
        _incident("1"),
        _incident("2", resolved_at=T0 - timedelta(seconds=1)),
        _incident("3", resolved_at=T0 - timedelta(hours=1), duration_seconds=-3600),
        _incident("4", resolved_at=None, duration_seconds=None),  # open: fine
    ]
    report = check_rows(INCIDENTS, _table(INCIDENTS, rows), DAY, now=NOW)
    by_rule = {v.rule: v for v in report.hard}
    assert by_rule["resolved_before_started"].count == 2
    assert by_rule["resolved_before_started"].sample_keys == ("incident_id=2", "incident_id=3")
    assert by_rule["negative_or_non_finite"].count == 1


def test_availability_outside_0_to_100_is_hard() -> None:
    rows = [_sla("1"), _sla("2", availability=100.5), _sla("3", availability=-1.0), _sla("4")]
    rows.append(_sla("5", availability=math.nan))
    rows.append(_sla("6", availability=None))  # unknown: not a violation
    report = check_rows(DAILY_SLA, _table(DAILY_SLA, rows), DAY, now=NOW)
    (violation,) = report.hard
    assert (violation.rule, violation.count) == ("availability_out_of_range", 3)
    assert violation.sample_keys[0] == "monitor_id=2, date=2026-11-24"


def test_soft_oddities_are_warnings_not_violations() -> None:
    incidents = [
        _incident("1", acknowledged_at=T0 - timedelta(minutes=1)),
        _incident(
            "2", started_at=NOW + timedelta(hours=1), resolved_at=None, duration_seconds=None
        ),
    ]
    report = check_rows(INCIDENTS, _table(INCIDENTS, incidents), None, now=NOW)
    assert report.ok
    assert report.warnings == {"acknowledged_before_started": 1, "future_timestamp": 1}
    points = [_point(0, response_time=181.0), _point(1)]
    report = check_rows(RESPONSE_TIMES, _table(RESPONSE_TIMES, points), DAY, now=NOW)
    assert report.ok
    assert report.warnings == {"response_time_above_timeout": 1}


def test_a_small_clock_skew_is_not_a_future_timestamp() -> None:
    rows = [_point(0, at=NOW + timedelta(seconds=30))]
    report = check_rows(RESPONSE_TIMES, _table(RESPONSE_TIMES, rows), None, now=NOW)
    assert report.warnings == {}


def test_raise_for_hard_names_table_rule_count_and_keys_in_one_line() -> None:
    rows = [_incident(str(i), resolved_at=T0 - timedelta(seconds=1)) for i in range(10)]
    report = check_rows(INCIDENTS, _table(INCIDENTS, rows), DAY, now=NOW)
    with pytest.raises(GateError) as info:
        report.raise_for_hard()
    err = info.value
    text = str(err)
    assert "eai_gateway_incidents" in text
    assert "resolved_before_started" in text
    assert "10 rows" in text
    assert "incident_id=0" in text
    assert "incident_id=9" not in text  # a few keys, not all
    assert "\n" not in text
    assert (err.table, err.rule, err.count) == (
        "eai_gateway_incidents",
        "resolved_before_started",
        10,
    )
    assert not is_retryable(err)


def test_a_clean_report_does_not_raise() -> None:
    report = GateReport(table="t", rows=0, hard=[], warnings={"x": 1})
    report.raise_for_hard()
    assert report.ok


def test_violation_is_a_small_value() -> None:
    v = Violation("null_key", 2, ("a", "b"), "a key column is null")
    assert v.count == 2


def test_an_sla_row_with_no_known_figure_at_all_is_hard() -> None:
    # an /sla answer with none of the documented fields lands as a row of nulls: not a summary
    nulls = {f: None for f in ("availability", "total_downtime", "number_of_incidents")}
    rows = [_sla("1", **nulls), _sla("2", **(nulls | {"total_downtime": 0})), _sla("3")]
    report = check_rows(DAILY_SLA, _table(DAILY_SLA, rows), DAY, now=NOW)
    (violation,) = report.hard
    assert (violation.rule, violation.count) == ("no_known_figure", 1)
    assert violation.sample_keys == ("monitor_id=1, date=2026-11-24",)
    with pytest.raises(GateError, match="none of availability, total_downtime"):
        report.raise_for_hard()
