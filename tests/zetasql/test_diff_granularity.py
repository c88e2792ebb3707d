"""sqlglot's ``TIMESTAMP_DIFF`` / ``DATE_DIFF`` granularity trap, and the guard against it.

BigQuery's ``TIMESTAMP_DIFF(a, b, MINUTE)`` is the number of *whole minutes elapsed* from ``b``
to ``a`` (the difference truncated); sqlglot translates it to DuckDB's ``date_diff('MINUTE', b,
a)``, which counts the *minute boundaries crossed*. 30 s across a minute boundary: 0 in BigQuery,
1 in DuckDB. Our SQL is written once in BigQuery's dialect and runs on DuckDB through sqlglot,
so it may only use a difference at a granularity where the two agree on our values:

- ``TIMESTAMP_DIFF`` in MICROSECOND or MILLISECOND: our timestamps are whole milliseconds
  (``tables.TIMESTAMP`` is ``timestamp[ms]``; ``sla.views`` renders a frozen ``now`` in ms);
- ``TIMESTAMP_DIFF`` in SECOND between two ``TIMESTAMP(<DATE>, zone)`` (midnights: whole seconds);
- ``DATE_DIFF`` of two DATEs in DAY.

``test_the_trap`` shows both engines' answers where they disagree (the guard's reason), and
``test_the_allowed_granularities_agree`` where they agree; ``test_no_statement_uses_a_trap``
walks ZetaSQL's resolved tree of every statement the project sends to BigQuery and fails on any
other difference function or granularity (``DATETIME_DIFF``, ``TIME_DIFF``, ``MINUTE``, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import duckdb
import pyarrow as pa
import pytest
import sqlglot
from google.protobuf.message import Message

from betterstack_etl.tables import TABLES, TIMESTAMP

from .analyzer import Catalog
from .statements import every_statement

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .analyzer import BigQueryAnalyzer

pytestmark = [pytest.mark.zetasql, pytest.mark.slow]  # starts ZetaSQL's server


def _ts(text: str) -> str:
    return f"TIMESTAMP '2026-11-03 {text}+00'"


# (BigQuery expression, whole units elapsed = BigQuery's answer, boundaries crossed = DuckDB's)
TRAPS: Final = [
    (f"TIMESTAMP_DIFF({_ts('10:01:10')}, {_ts('10:00:40')}, MINUTE)", 0, 1),  # 30 s
    (f"TIMESTAMP_DIFF({_ts('11:00:10')}, {_ts('10:59:50')}, HOUR)", 0, 1),  # 20 s
    (f"TIMESTAMP_DIFF({_ts('11:00:10')}, {_ts('09:59:50')}, HOUR)", 1, 2),  # 1 h 20 s
    (
        "TIMESTAMP_DIFF(TIMESTAMP '2026-11-04 00:10:00+00', TIMESTAMP '2026-11-03 23:50:00+00', DAY)",
        0,
        1,
    ),
    (f"TIMESTAMP_DIFF({_ts('10:00:01.100')}, {_ts('10:00:00.900')}, SECOND)", 0, 1),  # 200 ms
]

AGREE: Final = [
    f"TIMESTAMP_DIFF({_ts('10:00:01.100')}, {_ts('10:00:00.900')}, MILLISECOND)",  # 200
    f"TIMESTAMP_DIFF({_ts('10:00:00.900')}, {_ts('10:00:01.100')}, MILLISECOND)",  # -200
    f"TIMESTAMP_DIFF({_ts('12:34:56.789')}, {_ts('01:02:03.004')}, MILLISECOND)",
    f"TIMESTAMP_DIFF({_ts('10:00:01.100')}, {_ts('10:00:00.900')}, MICROSECOND)",
    "TIMESTAMP_DIFF(TIMESTAMP(DATE '2026-12-01', 'America/Sao_Paulo'), "
    "TIMESTAMP(DATE '2026-11-01', 'America/Sao_Paulo'), SECOND)",  # a month: 2,592,000
    "TIMESTAMP_DIFF(TIMESTAMP(DATE '2026-03-09', 'America/New_York'), "
    "TIMESTAMP(DATE '2026-03-08', 'America/New_York'), SECOND)",  # a DST day: 82,800
    "DATE_DIFF(DATE '2026-11-01', DATE '2026-10-31', DAY)",
    "DATE_DIFF(DATE '2026-10-31', DATE '2026-11-03', DAY)",
]

_DIFFS: Final = {"timestamp_diff", "date_diff", "datetime_diff", "time_diff"}
_ALLOWED: Final = {
    ("timestamp_diff", "MICROSECOND"),
    ("timestamp_diff", "MILLISECOND"),
    ("date_diff", "DAY"),
}
_PARTS: Final = {  # the date parts each function takes (used to name ZetaSQL's enum values)
    "TIMESTAMP_DIFF": ("MICROSECOND", "MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY"),
    "DATE_DIFF": ("DAY", "WEEK", "ISOWEEK", "MONTH", "QUARTER", "YEAR", "ISOYEAR"),
}


def _zetasql(analyzer: BigQueryAnalyzer, expression: str) -> Any:
    return analyzer.evaluate(f"SELECT {expression} AS d", Catalog(), {}).column("d")[0].as_py()


def _duckdb(expression: str) -> Any:
    """What DuckDB answers for sqlglot's translation (the way our views reach DuckDB)."""
    translated = sqlglot.transpile(f"SELECT {expression} AS d", read="bigquery", write="duckdb")[0]
    conn = duckdb.connect()
    conn.execute("SET TimeZone = 'UTC'")
    row = conn.execute(translated).fetchone()
    assert row is not None
    return row[0]


@pytest.mark.parametrize(("expression", "elapsed", "crossed"), TRAPS)
def test_the_trap(
    bigquery_analyzer: BigQueryAnalyzer, expression: str, elapsed: int, crossed: int
) -> None:
    """The two engines disagree here: BigQuery counts whole units elapsed, DuckDB (through
    sqlglot) the boundaries crossed."""
    assert _zetasql(bigquery_analyzer, expression) == elapsed
    assert _duckdb(expression) == crossed


@pytest.mark.parametrize("expression", AGREE)
def test_the_allowed_granularities_agree(
    bigquery_analyzer: BigQueryAnalyzer, expression: str
) -> None:
    assert _zetasql(bigquery_analyzer, expression) == _duckdb(expression)


def test_our_timestamps_are_whole_milliseconds() -> None:
    """Why MILLISECOND is safe: every TIMESTAMP column we store is ``timestamp[ms]``."""
    assert pa.timestamp("ms", tz="UTC") == TIMESTAMP
    for spec in TABLES:
        for field in spec.schema:
            if pa.types.is_timestamp(field.type):
                assert field.type == TIMESTAMP, f"{spec.name}.{field.name}: {field.type}"


def _part_names(analyzer: BigQueryAnalyzer) -> dict[int, str]:
    """ZetaSQL's number of each date part, asked of ZetaSQL itself: number → name."""
    names = {}
    for function, parts in _PARTS.items():
        value = "CURRENT_TIMESTAMP()" if function == "TIMESTAMP_DIFF" else "CURRENT_DATE()"
        for part in parts:
            tree = analyzer.analyze(f"SELECT {function}({value}, {value}, {part})", Catalog())
            (call,) = [c for c in _calls(tree) if _function(c) == function.lower()]
            names[_part(call)] = part
    return names


def _calls(message: Message) -> Iterator[Any]:
    """Every function call in a resolved tree (a depth-first walk over its protos)."""
    for descriptor, value in message.ListFields():
        if descriptor.message_type is None:
            continue
        for item in [value] if isinstance(value, Message) else value:
            if item.DESCRIPTOR.full_name == "zetasql.ResolvedFunctionCallProto":
                yield item
            yield from _calls(item)


def _function(call: Any) -> str:
    return str(call.parent.function.name).split(":")[-1].lower()


def _part(call: Any) -> int:
    literal = call.parent.argument_list[2].resolved_literal_node
    return int(literal.value.value.enum_value)


def _expression_type(analyzer: BigQueryAnalyzer, expression: Any) -> str:
    """The BigQuery type of a resolved expression (``AnyResolvedExprProto``)."""
    node = expression
    while node.DESCRIPTOR.full_name != "zetasql.ResolvedExprProto":
        inner = node.WhichOneof("node") if "node" in node.DESCRIPTOR.oneofs_by_name else None
        node = getattr(node, inner) if inner else node.parent
    return analyzer.type_text(node.type)


def _is_midnight(analyzer: BigQueryAnalyzer, argument: Any) -> bool:
    """``TIMESTAMP(<DATE>, zone)``: the first instant of a day, a whole second."""
    if argument.WhichOneof("node") != "resolved_function_call_base_node":
        return False
    call = argument.resolved_function_call_base_node.resolved_function_call_node
    arguments = call.parent.argument_list
    return (
        _function(call) == "timestamp"
        and len(arguments) > 0
        and _expression_type(analyzer, arguments[0]) == "DATE"
    )


def traps_in(analyzer: BigQueryAnalyzer, tree: Any, names: dict[int, str]) -> list[str]:
    """The differences in a resolved tree at a granularity where the engines may disagree."""
    found = []
    for call in _calls(tree):
        function = _function(call)
        if function not in _DIFFS:
            continue
        part = names.get(_part(call), f"part #{_part(call)}")
        if (function, part) in _ALLOWED:
            continue
        arguments = call.parent.argument_list
        if (function, part) == ("timestamp_diff", "SECOND") and all(
            _is_midnight(analyzer, a) for a in arguments[:2]
        ):
            continue
        found.append(f"{function.upper()}(…, {part})")
    return found


def test_the_guard_catches_a_trap(bigquery_analyzer: BigQueryAnalyzer) -> None:
    """The guard's own negative control: it flags the analysts' minute arithmetic, a SECOND
    between instants that are not midnights, and DATETIME_DIFF; it lets ours through."""
    names = _part_names(bigquery_analyzer)
    now = "CURRENT_TIMESTAMP()"
    cases = {
        f"TIMESTAMP_DIFF({now}, {now}, MINUTE)": ["TIMESTAMP_DIFF(…, MINUTE)"],
        f"TIMESTAMP_DIFF({now}, TIMESTAMP(CURRENT_DATE(), 'UTC'), SECOND)": [
            "TIMESTAMP_DIFF(…, SECOND)"
        ],
        "DATETIME_DIFF(CURRENT_DATETIME(), CURRENT_DATETIME(), SECOND)": [
            "DATETIME_DIFF(…, SECOND)"
        ],
        "DATE_DIFF(CURRENT_DATE(), CURRENT_DATE(), MONTH)": ["DATE_DIFF(…, MONTH)"],
        f"TIMESTAMP_DIFF({now}, {now}, MILLISECOND)": [],
        "TIMESTAMP_DIFF(TIMESTAMP(CURRENT_DATE(), 'UTC'), TIMESTAMP(DATE '2026-01-01', 'UTC'), "
        "SECOND)": [],
    }
    for expression, expected in cases.items():
        tree = bigquery_analyzer.analyze(f"SELECT {expression}", Catalog())
        assert traps_in(bigquery_analyzer, tree, names) == expected, expression


def test_no_statement_uses_a_trap(bigquery_analyzer: BigQueryAnalyzer) -> None:
    """Every statement the project sends to BigQuery (views, report and SLO queries)."""
    names = _part_names(bigquery_analyzer)
    statements = every_statement(bigquery_analyzer)
    seen = 0
    for label, sql, catalog in statements:
        tree = bigquery_analyzer.analyze(sql, catalog, label=label)
        seen += sum(1 for c in _calls(tree) if _function(c) in _DIFFS)
        assert not traps_in(bigquery_analyzer, tree, names), (label, sql)
    assert seen > 0, "no difference function found at all: is the walk still finding calls?"
