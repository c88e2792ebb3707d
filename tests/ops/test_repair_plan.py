"""What ``repair`` reads again for what it found: damaged files only, as far back as each
table's declaration says the API still serves (response times: the last 24 h)."""

from __future__ import annotations

from datetime import date

from betterstack_etl.lake.base import LakeProblem
from betterstack_etl.ops.repair import plan_refetch
from betterstack_etl.tables import INCIDENTS, RESPONSE_TIMES

TODAY = date(2026, 11, 26)


def _problem(kind: str, table: str, day: str) -> LakeProblem:
    return LakeProblem(kind, table, f"/lake/{table}/data_particao={day}/p001.parquet", "x")  # type: ignore[arg-type]


def test_damaged_days_are_refetched_where_served_and_named_where_lost() -> None:
    found = [
        _problem("damaged", RESPONSE_TIMES.name, "2026-11-25"),  # yesterday: served again
        _problem("damaged", RESPONSE_TIMES.name, "2026-11-20"),  # older than 24 h: lost
        _problem("damaged", INCIDENTS.name, "2026-01-03"),  # incidents: any past day
        _problem("stray", INCIDENTS.name, "2026-11-01"),  # a stray copy holds nothing to fetch
    ]
    refetch = plan_refetch(found, TODAY)
    assert refetch.tables == (RESPONSE_TIMES, INCIDENTS)
    assert (refetch.start, refetch.end) == (date(2026, 1, 3), date(2026, 11, 25))
    assert refetch.lost == ((RESPONSE_TIMES.name, date(2026, 11, 20)),)


def test_nothing_damaged_nothing_to_read() -> None:
    refetch = plan_refetch([_problem("bad_folder", INCIDENTS.name, "garbage")], TODAY)
    assert (refetch.tables, refetch.start, refetch.end, refetch.lost) == ((), None, None, ())
