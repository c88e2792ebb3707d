"""Quality gates before a table is merged (SPEC §10), vectorised with ``pyarrow.compute``.

``check_rows(spec, rows, partition)`` evaluates the table's declared rules (``spec.rules``, see
``rules.py``) plus two that hold for every table: no null key column (``null_key``) and every
row in the partition it is offered to (``wrong_partition``: the UTC date of
``spec.partition_by``). Hard rules give :class:`Violation` s — ``report.raise_for_hard()``
turns them into a :class:`~betterstack_etl.errors.GateError` (the table stops, nothing of it is
written); soft rules are counted in ``report.warnings`` for the run's summary.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from betterstack_etl import clock
from betterstack_etl.errors import GateError
from betterstack_etl.lake.partitions import partition_dates

if TYPE_CHECKING:
    from betterstack_etl.rules import Rule
    from betterstack_etl.tables import TableSpec

__all__ = ["SAMPLE_KEYS", "GateReport", "Violation", "check_rows"]

SAMPLE_KEYS: Final = 3  # keys quoted per violation
FUTURE_SKEW: Final = timedelta(minutes=5)  # clocks differ; a few minutes ahead is not odd


@dataclass(frozen=True, slots=True)
class Violation:
    """``count`` rows break hard rule ``rule``; ``sample_keys`` name a few of them."""

    rule: str
    count: int
    sample_keys: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class GateReport:
    """What ``check_rows`` found in one table's rows (for one partition, or all)."""

    table: str
    rows: int
    hard: list[Violation] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.hard

    def plus(self, other: GateReport) -> GateReport:
        """This report and ``other`` (another file or partition of the same table), summed:
        counts added per rule, a few sample keys kept."""
        hard: dict[str, Violation] = {v.rule: v for v in self.hard}
        for v in other.hard:
            mine = hard.get(v.rule)
            hard[v.rule] = (
                v
                if mine is None
                else Violation(
                    v.rule,
                    mine.count + v.count,
                    (*mine.sample_keys, *v.sample_keys)[:SAMPLE_KEYS],
                    v.description,
                )
            )
        warnings = dict(self.warnings)
        for name, count in other.warnings.items():
            warnings[name] = warnings.get(name, 0) + count
        return GateReport(self.table, self.rows + other.rows, list(hard.values()), warnings)

    def raise_for_hard(self) -> None:
        """GateError naming each hard rule broken, its count and a few keys (one line)."""
        if self.ok:
            return
        parts = [
            f"{v.count} {'row' if v.count == 1 else 'rows'} break {v.rule} ({v.description}), "
            f"e.g. {'; '.join(v.sample_keys)}"
            for v in self.hard
        ]
        first = self.hard[0]
        raise GateError(
            f"{self.table}: {' and '.join(parts)} — nothing of this table was written",
            table=self.table,
            rule=first.rule,
            count=first.count,
            sample_keys=first.sample_keys,
            hint="the API sent rows that cannot be right; the next run re-reads them — if it "
            "persists, report these keys to Better Stack support",
        )


def _false_if_null(mask: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.fill_null(mask, False)


def _non_negative_bad(column: pa.ChunkedArray) -> pa.ChunkedArray:
    negative = pc.less(column, 0)
    if pa.types.is_floating(column.type):
        negative = pc.or_(negative, pc.invert(pc.is_finite(column)))
    return _false_if_null(negative)


def _now_scalar(column: pa.ChunkedArray, now: datetime) -> pa.Scalar:
    if pa.types.is_timestamp(column.type):
        limit = pa.scalar(now + FUTURE_SKEW, type=pa.timestamp("us", tz="UTC"))
        return limit.cast(column.type, safe=False)  # truncate µs to the column's unit
    return pa.scalar(now.astimezone(UTC).date(), type=pa.date32())


def _rule_mask(rule: Rule, rows: pa.Table, now: datetime) -> pa.ChunkedArray:
    """True where a row breaks ``rule`` (nulls never break a declared rule, but for
    ``not_all_null``, broken by a row of nulls)."""
    if rule.check == "not_all_null":
        given = [pc.is_valid(rows.column(name)) for name in rule.columns]
        return pc.invert(functools.reduce(pc.or_, given))
    masks: list[pa.ChunkedArray] = []
    for name in rule.columns:
        column = rows.column(name)
        if rule.check == "non_negative":
            masks.append(_non_negative_bad(column))
        elif rule.check == "between":
            outside = pc.or_(pc.less(column, rule.low), pc.greater(column, rule.high))
            if pa.types.is_floating(column.type):
                outside = pc.or_(outside, pc.is_nan(column))
            masks.append(_false_if_null(outside))
        elif rule.check == "not_before":
            reference = rows.column(rule.reference or name)
            masks.append(_false_if_null(pc.less(column, reference)))
        elif rule.check == "at_most":
            masks.append(_false_if_null(pc.greater(column, rule.high)))
        elif rule.check == "one_of":
            known = pc.is_in(column, value_set=pa.array(rule.values, type=column.type))
            masks.append(pc.and_(pc.invert(known), pc.is_valid(column)))
        else:  # not_in_future
            masks.append(_false_if_null(pc.greater(column, _now_scalar(column, now))))
    mask = masks[0]
    for other in masks[1:]:
        mask = pc.or_(mask, other)
    return mask


def _format_key(spec: TableSpec, row: dict[str, Any]) -> str:
    def show(value: Any) -> str:
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return str(value)

    return ", ".join(f"{name}={show(row[name])}" for name in spec.key)


def _violation(spec: TableSpec, rows: pa.Table, mask: Any, rule: str, what: str) -> Violation:
    count = int(pc.sum(mask).as_py() or 0)
    if count == 0:
        return Violation(rule, 0, (), what)
    sample = rows.select(list(spec.key)).filter(mask).slice(0, SAMPLE_KEYS).to_pylist()
    return Violation(rule, count, tuple(_format_key(spec, r) for r in sample), what)


def check_rows(
    spec: TableSpec, rows: pa.Table, partition: date | None, *, now: datetime | None = None
) -> GateReport:
    """The hard violations and soft warnings of ``rows`` (of ``spec``'s schema), offered to
    ``partition`` (None: skip the partition rule); ``now`` (UTC) for future timestamps."""
    moment = now or clock.utcnow()
    found: list[Violation] = []
    if rows.num_rows:
        null_key = pc.is_null(rows.column(spec.key[0]))
        for name in spec.key[1:]:
            null_key = pc.or_(null_key, pc.is_null(rows.column(name)))
        found.append(_violation(spec, rows, null_key, "null_key", "a key column is null"))
        if partition is not None:
            days = partition_dates(spec, rows)
            target = pa.scalar(partition, type=pa.date32())
            wrong = pc.fill_null(pc.not_equal(days, target), True)
            what = f"UTC date of {spec.partition_by} is not {partition}"
            found.append(_violation(spec, rows, wrong, "wrong_partition", what))
    warnings: dict[str, int] = {}
    for rule in spec.rules if rows.num_rows else ():
        violation = _violation(spec, rows, _rule_mask(rule, rows, moment), rule.name, "")
        if not violation.count:
            continue
        if rule.hard:
            found.append(
                Violation(rule.name, violation.count, violation.sample_keys, rule.description)
            )
        else:
            warnings[rule.name] = warnings.get(rule.name, 0) + violation.count
    hard = [v for v in found if v.count]
    return GateReport(table=spec.name, rows=rows.num_rows, hard=hard, warnings=warnings)
