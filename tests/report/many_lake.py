"""A fixture lake of many monitors (the views stood in by tables, as in ``fixture_lake``), each
in a state chosen by its number, so the worst-first order is known without the code under test:

- ``i % 6 == 0`` breached: 3000 + 100·i s down (worse the higher ``i``)
- ``i % 6 == 1`` at risk: 1500 s down each (a tie: natural order of the names)
- ``i % 6 == 2`` partial coverage (30 %), nothing down
- ``i % 6 == 3`` no data (nothing of the month observed)
- else within: ``(i % 4) · 100`` s down when ``i % 6 == 4``, none when ``i % 6 == 5``

Names are ``Service <i>``: sorted as text they would read 0, 1, 10, 11…; ids are unrelated to
the order (``m`` and a permutation of ``i``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from . import fixture_lake as F

MONTH = F.MONTH
NOW = F.NOW
TZ = F.TZ


def monitor_id(i: int) -> str:
    return f"m{(i * 7919) % 10007:05d}"


def name(i: int) -> str:
    return f"Service {i}"


def downtime(i: int) -> float | None:
    """Seconds down in November; None: no data."""
    kind = i % 6
    if kind == 0:
        return 3000.0 + 100 * i
    if kind == 1:
        return 1500.0
    if kind == 3:
        return None
    if kind == 4:
        return float((i % 4) * 100)
    return 0.0


def expected_order(n: int) -> list[str]:
    """The ids worst first, from the rules above (plain integers, no name sorting)."""
    breached = sorted((i for i in range(n) if i % 6 == 0), reverse=True)
    at_risk = [i for i in range(n) if i % 6 == 1]
    partial = [i for i in range(n) if i % 6 == 2]
    no_data = [i for i in range(n) if i % 6 == 3]
    within = sorted(
        (i for i in range(n) if i % 6 in (4, 5)), key=lambda i: (-(i % 4) * (i % 6 == 4), i)
    )
    return [monitor_id(i) for i in breached + at_risk + partial + no_data + within]


def build(root: Path, n: int, *, names: dict[int, str] | None = None) -> Path:
    """Write ``root/betterstack.duckdb`` with ``n`` monitors; ``names`` overrides some names."""
    root.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(root / "betterstack.duckdb"))
    con.execute(F.DDL)
    F._coverage_columns(con)
    monthly, daily, incidents, recon, monitors = [], [], [], [], []
    for i in reversed(range(n)):  # stored in no useful order
        ident, down = monitor_id(i), downtime(i)
        observed = 0.0 if down is None else F.OBSERVED
        pct = None if down is None else 100 * (1 - down / F.OBSERVED)
        coverage = 30.0 if i % 6 == 2 else 100.0
        monthly.append((ident, MONTH, TZ, observed, down or 0.0, 1 if down else 0, pct,
                        down or None, 60.0 if down else None, down or None, 99.9, F.BUDGET,
                        F.BUDGET - (down or 0.0), observed * coverage / 100, coverage))  # fmt: skip
        monthly.append((ident, date(2026, 10, 1), TZ, 2678400.0, 600.0, 1, 99.98, 600.0, 60.0,
                        600.0, 99.9, 2678.4, 2078.4, 2678400.0, 100.0))  # fmt: skip
        for offset in range(25):
            day = MONTH + timedelta(days=offset)
            day_down = (down or 0.0) if offset == 9 else 0.0
            day_pct = None if down is None else 100 * (1 - day_down / 86400)
            daily.append((ident, day, TZ, 86400.0, day_down, 1 if day_down else 0, day_pct))
        if down:
            started = datetime(2026, 11, 10, 14, 0, tzinfo=UTC)
            incidents.append((f"i-{i}", ident, started, started + timedelta(seconds=down),
                              f"Status 50{i % 10}", None))  # fmt: skip
            recon.append((ident, date(2026, 11, 10), True, 99.0, 0, 0, down, 1, -down, False))
        monitors.append((ident, (names or {}).get(i, name(i)), 60, NOW - timedelta(hours=1)))
    con.executemany(
        "INSERT INTO eai_gateway_availability_monthly (monitor_id, month, time_zone, "
        "observed_seconds, downtime_seconds, incidents, availability_pct, "
        "longest_incident_seconds, mtta_seconds, mttr_seconds, slo_pct, error_budget_seconds, "
        "error_budget_remaining_seconds, covered_seconds, coverage_pct) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        monthly,
    )
    con.executemany(
        "INSERT INTO eai_gateway_availability_daily VALUES (?, ?, ?, ?, ?, ?, ?)", daily
    )
    con.executemany("INSERT INTO eai_gateway_incidents VALUES (?, ?, ?, ?, ?, ?)", incidents)
    con.executemany(
        "INSERT INTO eai_gateway_sla_reconciliation VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", recon
    )
    con.executemany("INSERT INTO eai_gateway_monitors VALUES (?, ?, ?, ?)", monitors)
    # the first day fetched: October 1st (the partial ones: November 18th)
    con.execute("CREATE TABLE eai_gateway_coverage (table_name VARCHAR, monitor_id VARCHAR, "
                "date DATE)")  # fmt: skip
    con.executemany(
        "INSERT INTO eai_gateway_coverage VALUES ('eai_gateway_incidents', ?, ?)",
        [(monitor_id(i), date(2026, 11, 18) if i % 6 == 2 else date(2026, 10, 1))
         for i in range(n)],
    )  # fmt: skip
    con.close()
    return root
