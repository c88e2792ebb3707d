"""``betterstack-etl query`` reads the lake, and nothing else (SPEC §3).

Two locks, each enough for what it covers:

1. DuckDB classifies every statement before anything runs (``extract_statements``): only
   statements that read pass (SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE, a PRAGMA that
   returns rows, and EXPLAIN of one of those). ``COPY … TO``, ``INSTALL``, ``LOAD``,
   ``ATTACH``, ``SET``, ``CALL``, ``CREATE``, ``INSERT`` and the rest are refused, one line each.
2. The connection may touch no file outside the lake's folder (``enable_external_access``
   off, the lake listed in ``allowed_directories``), and that setting is locked: a
   ``read_text('/etc/passwd')``, a ``glob('/home/*')`` or an ``https://`` read is refused by
   DuckDB itself, whatever the statement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import duckdb

from betterstack_etl.errors import ConfigError
from betterstack_etl.lake.duck import glob_escape
from betterstack_etl.lake.duckerrors import quoting_hint

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

__all__ = ["READING", "confine_to", "reading_statements", "run_read_only"]

READING: Final = frozenset({duckdb.StatementType.SELECT})
_HINT: Final = (
    "query only reads the lake: use SELECT (or WITH, DESCRIBE, SHOW, EXPLAIN); "
    "to load data, use `betterstack-etl run`"
)
_EXPLAIN_OPTIONS: Final = frozenset({"analyze", "analyse"})


def _kind(statement: duckdb.Statement) -> str:
    return str(statement.type.name).replace("_", " ")


def _explained(statement: duckdb.Statement) -> str | None:
    """The statement an EXPLAIN explains (its text), after ``ANALYZE`` and ``(options)``."""
    text = statement.query
    tokens = duckdb.tokenize(text)
    index = 1  # the EXPLAIN keyword itself
    if index < len(tokens):
        start = tokens[index][0]
        word = text[start : tokens[index + 1][0] if index + 1 < len(tokens) else None]
        if word.strip().lower() in _EXPLAIN_OPTIONS:
            index += 1
    if index < len(tokens) and text[tokens[index][0]] == "(":
        depth = 0
        while index < len(tokens):
            char = text[tokens[index][0]]
            depth += char == "("
            depth -= char == ")"
            index += 1
            if depth == 0:
                break
    return text[tokens[index][0] :] if index < len(tokens) else None


def _refusal(statement: duckdb.Statement, con: duckdb.DuckDBPyConnection) -> str | None:
    """Why ``statement`` may not run (None when it only reads)."""
    if statement.type in READING:
        return None
    if statement.type == duckdb.StatementType.EXPLAIN:
        inner = _explained(statement)
        try:
            parts = con.extract_statements(inner) if inner else []
        except duckdb.Error:
            parts = []
        if not parts:
            return "an EXPLAIN of something that is not a statement"
        for part in parts:
            if part.type not in READING:
                return f"EXPLAIN of {_kind(part)}"
        return None
    return _kind(statement)


def reading_statements(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Raise ``ConfigError`` (one line) unless every statement of ``sql`` only reads."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        hint = quoting_hint(sql, con) or "check the SQL"  # an unquoted `at`: quote it
        raise ConfigError(f"query failed: {first}", hint=hint) from None
    if not statements:
        raise ConfigError("query failed: no SQL statement given", hint="give a SELECT")
    for statement in statements:
        why = _refusal(statement, con)
        if why is not None:
            raise ConfigError(f"query refused: {why} does not only read", hint=_HINT)


def confine_to(con: duckdb.DuckDBPyConnection, folders: Iterable[Path]) -> None:
    """No file outside ``folders`` for this connection, for good (the setting is locked)."""
    allowed: list[str] = []
    for folder in folders:
        for form in (folder.expanduser().absolute(), folder.expanduser().resolve()):
            text = str(form).rstrip("/") + "/"
            # the views' patterns name the folder with its glob characters escaped
            for name in (text, glob_escape(text)):
                if name not in allowed:
                    allowed.append(name)
    # a list literal, not a bound parameter: binding one makes DuckDB import pandas (0.24 s)
    listed = ", ".join("'" + name.replace("'", "''") + "'" for name in allowed)
    con.execute(f"SET allowed_directories = [{listed}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def run_read_only(
    con: duckdb.DuckDBPyConnection, sql: str, lake_root: Path
) -> duckdb.DuckDBPyConnection:
    """``sql`` run on ``con`` (the lake's read-only connection) when it only reads, with no
    file outside ``lake_root`` reachable; ``ConfigError`` naming the refusal otherwise."""
    confine_to(con, [lake_root])
    reading_statements(con, sql)
    try:
        return con.execute(sql)
    except duckdb.PermissionException as exc:
        first = str(exc).splitlines()[0]
        raise ConfigError(
            f"query refused: {first}",
            hint="query reads only the files of the lake (its tables and views)",
        ) from None
