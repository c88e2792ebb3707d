"""A hand-made scenario covering every rule of SPEC §8.2 (São Paulo calendar, now fixed).

Monitor ``m-a`` (created long ago; two listing rows, the newer one wins):
- SLA rows from 2026-10-30 UTC (its first day in the lake: 2026-10-29 21:00 in São Paulo), so
  2026-10-29 and 2026-10-30 are quiet days (100 %);
- ``a1`` 2026-10-31 23:00 → 11-01 04:00 UTC: across midnight UTC, and across midnight of the
  1st in São Paulo (20:00 → 01:00), so October gets 4 h and November 1 h;
- ``a2``/``a3`` overlap on 2026-11-02 (12:00-13:00 and 12:30-14:00 UTC): 2 h, not 2 h 30;
- ``a4`` an SSL expiry warning all day 2026-11-02: not downtime;
- ``a5`` open since 14:30 UTC on 2026-11-03, and ``a6`` resolved only after ``NOW``: both run
  until ``NOW`` (15:00 UTC, 12:00 in São Paulo: today in progress);
- SLA rows agree with those incidents except 2026-11-01 UTC, where the API says 120 s more;
  today's provisional row is compared as of 14:55, when the API answered it.
Monitor ``m-b`` created 2026-11-02 10:00 UTC (mid-period): one incident, no SLA rows.
Coverage: ``m-a`` fetched 2026-10-30 .. 11-03 UTC (today up to ``NOW``), so its first São Paulo
day holds 3 covered hours; ``m-b`` 11-02 and 11-03.
Monitor ``m-c`` (created 2026-10-01) has what the views keep apart:
- coverage 10-31, 11-02 and 11-03 UTC: 11-01 was never fetched, so ``c1`` that day is not
  downtime and the day's availability is null;
- a maintenance window 01:00-03:00 Brasilia (04:00-06:00 UTC) on Saturdays and Mondays
  (10-31, 11-02), then, from the 11-03 listing, 22:00-02:00 UTC every day;
- paused from 11-02 05:30 UTC until the 11-03 01:00 listing shows it unpaused;
- ``c2`` 11-02 03:00-07:00: 1 h down, 1 h 30 in maintenance, the rest paused;
- ``c3`` Unconfirmed (not downtime), ``c4`` Validating and open (downtime until ``NOW``).
A heartbeat incident (no monitor) is ignored. Response times: ``m-a`` us/eu in one hour, and
an unknown monitor (no check frequency).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from .oracle import Cov, Inc, Maintenance, Mon, Sla
from .rows import Point

NOW = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


INCIDENTS = [
    Inc("a1", "m-a", t("2026-10-31 23:00"), t("2026-11-01 04:00"), t("2026-10-31 23:10")),
    Inc("a2", "m-a", t("2026-11-02 12:00"), t("2026-11-02 13:00")),
    Inc("a3", "m-a", t("2026-11-02 12:30"), t("2026-11-02 14:00"), t("2026-11-02 12:35:30.250")),
    Inc(
        "a4",
        "m-a",
        t("2026-11-02 00:00"),
        t("2026-11-02 23:00"),
        cause="SSL certificate expires soon",
    ),
    Inc("a5", "m-a", t("2026-11-03 14:30"), None, t("2026-11-03 14:40")),
    Inc("a6", "m-a", t("2026-11-03 14:50"), t("2026-11-03 15:30"), t("2026-11-03 15:10")),
    Inc("b1", "m-b", t("2026-11-02 20:00"), t("2026-11-02 20:30:00.500")),
    Inc("h1", None, t("2026-11-02 05:00"), t("2026-11-02 09:00")),
    Inc("c1", "m-c", t("2026-11-01 10:00"), t("2026-11-01 11:00")),
    Inc("c2", "m-c", t("2026-11-02 03:00"), t("2026-11-02 07:00")),
    Inc("c3", "m-c", t("2026-11-03 14:40"), t("2026-11-03 14:45"), status="Unconfirmed"),
    Inc("c4", "m-c", t("2026-11-03 14:50"), None, status="Validating"),
]
_SAT_MON = Maintenance("01:00:00", "03:00:00", ("sat", "mon"), "Brasilia")
MONITORS = [
    Mon("m-a", "old name", t("2025-01-01 00:00"), 30, t("2026-11-02 14:00")),
    Mon("m-a", "EAí gateway", t("2025-01-01 00:00"), 60, t("2026-11-03 14:00")),
    Mon("m-b", "Portal", t("2026-11-02 10:00"), 180, t("2026-11-03 14:00")),
    Mon("m-c", "Intranet", t("2026-10-01 00:00"), 60, t("2026-11-01 13:00"),
        maintenance=_SAT_MON, group="42"),
    Mon("m-c", "Intranet", t("2026-10-01 00:00"), 60, t("2026-11-02 14:00"),
        paused_at=t("2026-11-02 05:30"), maintenance=_SAT_MON, group="42"),
    Mon("m-c", "Intranet", t("2026-10-01 00:00"), 60, t("2026-11-03 01:00"),
        maintenance=Maintenance("22:00:00", "02:00:00", (), "UTC"), group="42"),
]  # fmt: skip
COVERAGE = [
    *[Cov("m-a", date(2026, 10, 30 + n) if n < 2 else date(2026, 11, n - 1)) for n in range(4)],
    Cov("m-a", date(2026, 11, 3), NOW),
    Cov("m-b", date(2026, 11, 2)),
    Cov("m-b", date(2026, 11, 3), NOW),
    Cov("m-c", date(2026, 10, 31)),
    Cov("m-c", date(2026, 11, 2)),
    Cov("m-c", date(2026, 11, 3), NOW),
    Cov("m-c", date(2026, 11, 1), table="eai_gateway_daily_sla"),  # not the incidents: no cover
]
SLAS = [
    Sla("m-a", date(2026, 10, 30), 0, 0),
    Sla("m-a", date(2026, 10, 31), 3600, 1, 95.83),
    Sla("m-a", date(2026, 11, 1), 14400 + 120, 1, 83.19),
    Sla("m-a", date(2026, 11, 2), 7200, 2, 91.67),
    # provisional row of today, answered at 14:55: a5 for 25 min (a6 inside it)
    Sla(
        "m-a",
        date(2026, 11, 3),
        1500,
        2,
        97.1,
        is_complete=False,
        extracted_at=t("2026-11-03 14:55"),
    ),
    # m-c's provisional row at 14:58: c4 for 8 min; the API does not count Unconfirmed c3
    Sla(
        "m-c",
        date(2026, 11, 3),
        480,
        1,
        99.4,
        is_complete=False,
        extracted_at=t("2026-11-03 14:58"),
    ),
]
_HOUR = t("2026-11-03 10:00")
POINTS: list[Point] = [
    *[("m-a", "us", _HOUR.replace(minute=m), v) for m, v in enumerate([0.1, 0.4, 0.2, 1.0, 0.3])],
    ("m-a", "us", t("2026-11-03 11:00"), 0.7),
    ("m-a", "eu", _HOUR.replace(minute=59, second=59, microsecond=999_000), 0.25),
    ("m-zz", "as", _HOUR, 0.5),
]
