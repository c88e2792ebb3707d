"""A fixture lake: the views of SPEC §8.2 stood in by tables of exactly their columns, plus the
monitors and incidents tables, in a DuckDB file; the figures the report must print are written
here by hand, from these rows, not by the code under test."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # 09:00 in São Paulo
TZ = "America/Sao_Paulo"
MONTH = date(2026, 11, 1)
MONTH_SECONDS = 30 * 86400  # November, São Paulo has no DST since 2019
BUDGET = MONTH_SECONDS * 0.001  # 2592 s at 99.9 %
# 2026-11-01 00:00 in São Paulo = 03:00 UTC, until now
OBSERVED = (NOW - datetime(2026, 11, 1, 3, tzinfo=UTC)).total_seconds()  # 2,106,000 s

# id → (downtime in November, incidents)
MONTHLY = {"100": (0, 0), "200": (1800, 1), "300": (7200, 2)}

DDL = """
CREATE TABLE eai_gateway_availability_daily (monitor_id VARCHAR, day DATE, time_zone VARCHAR,
  observed_seconds DOUBLE, downtime_seconds DOUBLE, incidents BIGINT, availability_pct DOUBLE);
CREATE TABLE eai_gateway_availability_monthly (monitor_id VARCHAR, month DATE, time_zone VARCHAR,
  observed_seconds DOUBLE, downtime_seconds DOUBLE, incidents BIGINT, availability_pct DOUBLE,
  longest_incident_seconds DOUBLE, mtta_seconds DOUBLE, mttr_seconds DOUBLE, slo_pct DOUBLE,
  error_budget_seconds DOUBLE, error_budget_remaining_seconds DOUBLE);
CREATE TABLE eai_gateway_sla_reconciliation (monitor_id VARCHAR, date DATE, is_complete BOOLEAN,
  api_availability DOUBLE, api_total_downtime BIGINT, api_number_of_incidents BIGINT,
  computed_downtime_seconds DOUBLE, computed_incidents BIGINT, downtime_diff_seconds DOUBLE,
  matches BOOLEAN);
CREATE TABLE eai_gateway_response_times_hourly (monitor_id VARCHAR, region VARCHAR,
  hour TIMESTAMPTZ, samples BIGINT, expected_samples BIGINT, avg_response_time DOUBLE,
  p50_response_time DOUBLE, p95_response_time DOUBLE, p99_response_time DOUBLE,
  max_response_time DOUBLE);
CREATE TABLE eai_gateway_monitors (monitor_id VARCHAR, pronounceable_name VARCHAR,
  check_frequency BIGINT, _extracted_at TIMESTAMPTZ);
CREATE TABLE eai_gateway_incidents (incident_id VARCHAR, monitor_id VARCHAR,
  started_at TIMESTAMPTZ, resolved_at TIMESTAMPTZ, cause VARCHAR);
"""

INCIDENTS = [
    # monitor 200: 30 min on 2026-11-10 (UTC)
    ("i-1", "200", datetime(2026, 11, 10, 14, 0, tzinfo=UTC), datetime(2026, 11, 10, 14, 30, tzinfo=UTC), "Status 503"),
    # monitor 300: 1 h 30 min, then 30 min still open at now
    ("i-2", "300", datetime(2026, 11, 12, 6, 0, tzinfo=UTC), datetime(2026, 11, 12, 7, 30, tzinfo=UTC), "Connection refused"),
    ("i-3", "300", datetime(2026, 11, 25, 11, 30, tzinfo=UTC), None, "Timeout (no headers received)"),
    # an expiry warning: not downtime, not shown
    ("i-4", "300", datetime(2026, 11, 20, 0, 0, tzinfo=UTC), datetime(2026, 11, 23, 0, 0, tzinfo=UTC), "SSL certificate expires soon"),
    # October: outside the period
    ("i-5", "200", datetime(2026, 10, 3, 0, 0, tzinfo=UTC), datetime(2026, 10, 3, 5, 0, tzinfo=UTC), "Status 500"),
]  # fmt: skip


def build(root: Path, *, names: bool = True, hourly: bool = True) -> Path:
    """Write ``root/betterstack.duckdb``; return ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(root / "betterstack.duckdb"))
    con.execute(DDL)
    for monitor, (down, count) in MONTHLY.items():
        pct = 100 * (1 - down / OBSERVED)
        con.execute(
            "INSERT INTO eai_gateway_availability_monthly VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 99.9, ?, ?)",
            [monitor, MONTH, TZ, OBSERVED, down, count, pct, 5400.0 if monitor == "300" else (down or None),
             60.0 if count else None, 1800.0 if count else None, BUDGET, BUDGET - down],
        )  # fmt: skip
        # October, complete: only there to be filtered out
        con.execute(
            "INSERT INTO eai_gateway_availability_monthly VALUES (?, DATE '2026-10-01', ?, 2678400, 18000, 1, 99.3, 18000, 60, 18000, 99.9, 2678.4, -15321.6)",
            [monitor, TZ],
        )
        for offset in range(25):
            day = MONTH + timedelta(days=offset)
            downtime = {("200", 10): 1800, ("300", 12): 5400, ("300", 25): 1800}.get(
                (monitor, day.day), 0
            )
            observed = 86400 if day.day < 25 else 9 * 3600
            con.execute(
                "INSERT INTO eai_gateway_availability_daily VALUES (?, ?, ?, ?, ?, ?, ?)",
                [monitor, day, TZ, observed, downtime, 1 if downtime else 0, 100 * (1 - downtime / observed)],
            )  # fmt: skip
    recon = [
        # monitor 300, 2026-11-12: the API saw 1 h, the incidents say 1 h 30 min: a mismatch
        ("300", date(2026, 11, 12), True, 95.8333, 3600, 1, 5400.0, 1, -1800.0, False),
        ("300", date(2026, 11, 13), True, 100.0, 0, 0, 0.0, 0, 0.0, True),
        # monitor 200 agrees (within 60 s)
        ("200", date(2026, 11, 10), True, 97.9, 1830, 1, 1800.0, 1, 30.0, True),
        # October: outside
        ("200", date(2026, 10, 3), True, 79.2, 18000, 1, 16000.0, 1, 2000.0, False),
    ]
    con.executemany(
        "INSERT INTO eai_gateway_sla_reconciliation VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", recon
    )
    if hourly:
        first = datetime(2026, 11, 24, 12, tzinfo=UTC)
        for region in ("us", "eu"):
            for h in range(24):
                hour = first + timedelta(hours=h)
                if region == "eu" and hour.hour in (2, 3, 4):
                    continue  # three hours missing: 2026-11-25 02:00-05:00 UTC
                samples = 10 if (region == "us" and hour.hour == 20) else 60
                base = 0.100 if region == "us" else 0.200
                con.execute(
                    "INSERT INTO eai_gateway_response_times_hourly VALUES (?, ?, ?, ?, 60, ?, ?, ?, ?, ?)",
                    ["200", region, hour, samples, base, base, base * 2, base * 3, base * 4],
                )
    if names:
        con.executemany(
            "INSERT INTO eai_gateway_monitors VALUES (?, ?, 60, ?)",
            [
                ("100", "Portal da prefeitura", NOW - timedelta(days=1)),
                ("200", "Mapa antigo", NOW - timedelta(days=2)),
                ("200", "Mapa da cidade", NOW - timedelta(hours=1)),  # latest name wins
                ("300", None, NOW - timedelta(hours=1)),  # no name: the id is shown
            ],
        )
    con.executemany("INSERT INTO eai_gateway_incidents VALUES (?, ?, ?, ?, ?)", INCIDENTS)
    _coverage_columns(con)
    con.close()
    return root


def _coverage_columns(con: duckdb.DuckDBPyConnection) -> None:
    """The columns SPEC §4's coverage added (every fixture month fully covered) and the
    incidents' status (none Unconfirmed)."""
    con.execute("""
      ALTER TABLE eai_gateway_availability_monthly ADD COLUMN covered_seconds DOUBLE;
      ALTER TABLE eai_gateway_availability_monthly ADD COLUMN coverage_pct DOUBLE;
      UPDATE eai_gateway_availability_monthly SET covered_seconds = observed_seconds,
        coverage_pct = 100;
      ALTER TABLE eai_gateway_incidents ADD COLUMN status VARCHAR;
    """)


def build_empty(root: Path) -> Path:
    """Every view and table there, no row in any."""
    root.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(root / "betterstack.duckdb"))
    con.execute(DDL)
    _coverage_columns(con)
    con.close()
    return root
