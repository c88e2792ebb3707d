"""How a bounded view reads the raw tables (issue 24): only the partitions of its period, and of
the incidents that started before it only those that may still overlap it.

``bounded_ref(first, last, reaching)`` is the ``ref`` of ``_sql``: each raw table filtered on
``data_particao`` (the hive partition column: DuckDB opens only those files, BigQuery bills only
those partitions), through a placeholder that ``views`` fills with the engine's ``window_ref``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Final

from betterstack_etl.sla import _sql

__all__ = [
    "PLACEHOLDER",
    "WINDOW",
    "WINDOWS",
    "Reaching",
    "bounded_ref",
    "day_sql",
    "placeholder",
    "ranges",
    "window_placeholder",
]

PLACEHOLDER: Final = "__sla_ref__"
WINDOW: Final = "__sla_win__"  # + name __ first __ last (date ordinals, 0: open)
WINDOWS: Final = re.compile(rf"{WINDOW}(\w+?)__(\d+)__(\d+)\b")
# Which incidents partitions before a UTC date ``since`` may hold an incident still open or
# resolved at or after ``since`` (``lake.reach.reaching``); None: unknown, read them all.
Reaching = Callable[[date], Sequence[date] | None]

# How many UTC days before a period a bounded query reads of each raw table (partitions are UTC
# dates, periods are dates of the report's zone: one day either side covers any zone). The
# monitors' daily history reaches a week back: its last row before the period says what was
# paused and which maintenance window held when the period began.
_MARGIN_DAYS: Final = {_sql.MONITORS: 7}


def placeholder(name: str) -> str:
    return f"{PLACEHOLDER}{name}"


def window_placeholder(name: str, first: date | None, last: date) -> str:
    """A raw table read over its partitions ``first``..``last`` only (``view_selects`` gives it
    to the engine's ``window_ref``, or names the whole table: the WHERE bounds it anyway)."""
    return f"{WINDOW}{name}__{0 if first is None else first.toordinal()}__{last.toordinal()}"


def day_sql(value: date) -> str:
    return f"DATE '{value.isoformat()}'"


def ranges(days: Sequence[date]) -> list[tuple[date, date]]:
    """``days`` as runs of consecutive dates (first, last), in order."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _older(name: str, since: date, reaching: Reaching | None) -> str:
    """The incidents that started before ``since`` and still overlap it: every older partition
    asked for them (``reaching`` unknown), or only the partitions ``reaching`` names, by a
    literal list BigQuery prunes on and DuckDB opens alone (one branch per run of days)."""
    still = f"TIMESTAMP '{since.isoformat()} 00:00:00+00'"
    overlap = f"(resolved_at IS NULL OR resolved_at >= {still})"
    days = None if reaching is None else reaching(since)
    if days is None:
        older = window_placeholder(name, None, since - timedelta(days=1))
        return f"SELECT * FROM {older} WHERE data_particao < {day_sql(since)} AND {overlap}"  # noqa: S608
    days = [d for d in days if d < since]
    if not days:
        return ""
    branches = []
    for first, last in ranges(days):
        listed = ", ".join(day_sql(d) for d in days if first <= d <= last)
        table = window_placeholder(name, first, last)
        branches.append(
            f"SELECT * FROM {table} WHERE data_particao IN ({listed}) AND {overlap}"  # noqa: S608
        )
    return "\n  UNION ALL ".join(branches)


def bounded_ref(first: date, last: date, reaching: Reaching | None = None) -> Callable[[str], str]:
    """``ref`` reading only the partitions of ``first``..``last`` (UTC dates, plus each table's
    margin) of the raw tables.

    Incidents are partitioned by the day they started: the ones that started before and still
    overlap the period (open, or resolved in it) are read by a second branch over the older
    partitions that asks for them only (a long outage must not vanish from the month it
    spans): the partitions ``reaching`` names, or all of them when it is None or says None."""

    asked: dict[date, Sequence[date] | None] = {}

    def once(since: date) -> Sequence[date] | None:  # the lake's summaries read once
        if since not in asked:
            asked[since] = None if reaching is None else reaching(since)
        return asked[since]

    def ref(name: str) -> str:
        if name not in _sql.SOURCES:
            return placeholder(name)
        since = first - timedelta(days=1 + _MARGIN_DAYS.get(name, 0))
        until = last + timedelta(days=1)
        window = f"data_particao BETWEEN {day_sql(since)} AND {day_sql(until)}"
        table = window_placeholder(name, since, until)
        if name != _sql.INCIDENTS:
            return f"(SELECT * FROM {table} WHERE {window})"  # noqa: S608
        older = _older(name, since, None if reaching is None else once)
        if not older:
            return f"(SELECT * FROM {table} WHERE {window})"  # noqa: S608
        return f"(SELECT * FROM {table} WHERE {window}\n  UNION ALL {older})"  # noqa: S608

    return ref
