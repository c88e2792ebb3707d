"""Row builders and a throwaway lake for the lake tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from betterstack_etl.lake import LocalLake
from betterstack_etl.tables import DAILY_SLA, INCIDENTS, RESPONSE_TIMES

T0 = datetime(2024, 3, 10, 0, 0, tzinfo=UTC)
DAY1 = date(2024, 3, 10)
DAY2 = date(2024, 3, 11)
DAY3 = date(2024, 3, 12)


def rt_rows(
    ats: Sequence[datetime],
    *,
    extracted: datetime = T0,
    run_id: str = "run-a",
    value: float = 0.1,
    monitor: str = "m1",
    region: str = "us",
) -> pa.Table:
    """Response-time rows, one per ``at``, all with the same extraction stamp and value."""
    n = len(ats)
    return pa.table(
        {
            "monitor_id": [monitor] * n,
            "region": [region] * n,
            "at": list(ats),
            "response_time": [value] * n,
            "name_lookup_time": [None] * n,
            "connection_time": [0.01] * n,
            "tls_handshake_time": [0.02] * n,
            "data_transfer_time": [0.03] * n,
            "_extracted_at": [extracted] * n,
            "_run_id": [run_id] * n,
        },
        schema=RESPONSE_TIMES.schema,
    )


def incident_rows(ids: Sequence[str], started: datetime, *, resolved: bool = True) -> pa.Table:
    records = []
    for incident_id in ids:
        record: dict[str, Any] = {name: None for name in INCIDENTS.schema.names}
        record.update(
            incident_id=incident_id,
            monitor_id="m1",
            name="api",
            started_at=started,
            resolved_at=started + timedelta(minutes=5) if resolved else None,
            regions=["us", "eu"],
            call=False,
            metadata=json.dumps({"k": "v"}),
            duration_seconds=300 if resolved else None,
            raw=json.dumps({"id": incident_id}),
            _extracted_at=T0,
            _run_id="run-a",
        )
        records.append(record)
    return pa.Table.from_pylist(records, schema=INCIDENTS.schema)


def sla_rows(days: Sequence[date], *, complete: bool = True) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "monitor_id": "m1",
                "date": day,
                "availability": 99.5,
                "total_downtime": 60,
                "number_of_incidents": 1,
                "longest_incident": 60,
                "average_incident": 60,
                "is_complete": complete,
                "_extracted_at": T0,
                "_run_id": "run-a",
            }
            for day in days
        ],
        schema=DAILY_SLA.schema,
    )


def hours(day: date, count: int, start: int = 0) -> list[datetime]:
    base = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return [base + timedelta(hours=start + i) for i in range(count)]


class Builders:
    """What the tests need to build rows (a fixture: test modules cannot import conftest)."""

    T0 = T0
    DAY1 = DAY1
    DAY2 = DAY2
    DAY3 = DAY3
    rt = staticmethod(rt_rows)
    incidents = staticmethod(incident_rows)
    sla = staticmethod(sla_rows)
    hours = staticmethod(hours)


@pytest.fixture
def b() -> type[Builders]:
    return Builders


@pytest.fixture
def lake_root(tmp_path: Path) -> Path:
    return tmp_path / "lake"


@pytest.fixture
def lake(lake_root: Path) -> LocalLake:
    return LocalLake(lake_root, lock_timeout=5.0)
