"""Quality rules, declared as data on each table (SPEC §10); ``gates.py`` evaluates them.

A rule names the columns it looks at and what they must satisfy. A **hard** rule stops the
table (nothing of it is written); a soft one is counted as a warning in the run's summary. Two
hard rules hold for every table and are not declared: no null key column, and every row in the
partition it is offered to (``null_key``, ``wrong_partition``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "RESPONSE_TIME_BOUND",
    "Rule",
    "RuleCheck",
    "at_most",
    "between",
    "non_negative",
    "not_all_null",
    "not_before",
    "not_in_future",
    "one_of",
]

RuleCheck = Literal[
    "non_negative", "between", "not_before", "at_most", "not_in_future", "one_of", "not_all_null"
]

# No Better Stack check waits longer than this for an answer (seconds): a response time above
# it is odd (a unit change, a clock jump), not impossible, so it is a warning.
RESPONSE_TIME_BOUND: Final = 180.0


@dataclass(frozen=True, slots=True)
class Rule:
    """One declared rule.

    - ``non_negative``: each of ``columns`` is finite and ≥ 0 (nulls pass);
    - ``between``: ``columns`` within [``low``, ``high``] (nulls pass, NaN fails);
    - ``not_before``: ``columns`` are not earlier than ``reference`` (either null: passes);
    - ``at_most``: ``columns`` ≤ ``high``;
    - ``not_in_future``: ``columns`` not after the check's ``now`` (plus a small skew);
    - ``one_of``: ``columns`` hold one of ``values`` (nulls pass);
    - ``not_all_null``: at least one of ``columns`` holds a value (a row of nulls fails).
    """

    name: str
    check: RuleCheck
    columns: tuple[str, ...]
    description: str
    hard: bool = True
    reference: str | None = None
    low: float | None = None
    high: float | None = None
    values: tuple[str, ...] = ()


def non_negative(*columns: str, name: str = "negative_or_non_finite") -> Rule:
    return Rule(name, "non_negative", columns, f"{', '.join(columns)} negative or not finite")


def between(column: str, low: float, high: float, *, name: str) -> Rule:
    return Rule(
        name, "between", (column,), f"{column} outside {low:g}–{high:g}", low=low, high=high
    )


def not_before(column: str, reference: str, *, name: str, hard: bool = True) -> Rule:
    return Rule(
        name, "not_before", (column,), f"{column} before {reference}", hard, reference=reference
    )


def at_most(column: str, high: float, *, name: str, hard: bool = False) -> Rule:
    return Rule(name, "at_most", (column,), f"{column} above {high:g}", hard, high=high)


def not_in_future(*columns: str, name: str = "future_timestamp", hard: bool = False) -> Rule:
    return Rule(name, "not_in_future", columns, f"{', '.join(columns)} in the future", hard)


def one_of(column: str, *values: str, name: str) -> Rule:
    return Rule(
        name, "one_of", (column,), f"{column} not one of {', '.join(values)}", values=values
    )


def not_all_null(*columns: str, name: str) -> Rule:
    return Rule(name, "not_all_null", columns, f"none of {', '.join(columns)} is given")
