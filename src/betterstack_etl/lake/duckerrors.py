"""What a DuckDB error on the lake means, in the user's terms: one line naming the problem and
the fix, instead of DuckDB's own words and "check the SQL".

- a damaged Parquet file of the lake (named relative to the lake root, whole): ``repair``;
- views over a folder that is not this lake (a moved or copied lake): ``repair`` there, or
  ``--lake-root`` naming where the lake is now;
- a reserved word used unquoted as a column name (``SELECT at FROM …``): quote it, ``"at"``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Final

import duckdb

from betterstack_etl.errors import ConfigError, StorageError

if TYPE_CHECKING:
    from betterstack_etl.errors import BetterStackEtlError

__all__ = ["explain_duckdb_error", "first_line", "open_error", "quoting_hint"]

_QUOTED_PATH: Final = re.compile(r"""['"]((?:/|[A-Za-z]:[\\/])[^'"]+)['"]""")
_REPAIR: Final = (
    "run `betterstack-etl repair --lake-root {root}` (it moves the file aside, kept under "
    "_quarantine/, and fetches its days again), or run the pipeline again for those days"
)


def first_line(exc: BaseException) -> str:
    return next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)


def _under(path: Path, root: Path) -> Path | None:
    try:
        return path.resolve().relative_to(root.resolve())
    except ValueError:
        return None


def quoting_hint(sql: str, con: duckdb.DuckDBPyConnection) -> str | None:
    """For a syntax error: the lake's column names the SQL writes unquoted although DuckDB
    reserves them (``at``), with the fix (quote them)."""
    try:
        reserved = {
            str(r[0]).lower()
            for r in con.execute(
                "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category <> 'unreserved'"
            ).fetchall()
        }
        columns = {
            str(r[0]).lower()
            for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE NOT internal"
            ).fetchall()
        }
        tokens = duckdb.tokenize(sql)
    except duckdb.Error:
        return None
    clashes: list[str] = []
    for i, (start, kind) in enumerate(tokens):
        if kind != duckdb.token_type.keyword:
            continue
        end = tokens[i + 1][0] if i + 1 < len(tokens) else len(sql)
        word = sql[start:end].strip()
        if word.lower() in reserved & columns and word not in clashes:
            clashes.append(word)
    if not clashes:
        return None
    quoted = ", ".join(f'"{w}"' for w in clashes)
    names = ", ".join(clashes)
    example = f'SELECT "{clashes[0]}" FROM …'  # noqa: S608 - a hint shown, never run
    return (
        f"`{names}` is a reserved word in DuckDB SQL: as a column name, quote it ({quoted}), "
        f"e.g. {example}"
    )


def explain_duckdb_error(
    exc: BaseException,
    root: Path | str,
    *,
    sql: str | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> BetterStackEtlError | None:
    """The user-facing error for ``exc`` raised reading the lake at ``root``, or None when it
    is not one of the cases above (the caller keeps its own message)."""
    root = Path(root).expanduser().absolute()
    text = str(exc)
    first = first_line(exc)
    for match in _QUOTED_PATH.finditer(text):
        path = Path(match.group(1))
        inside = _under(path, root)
        if inside is None:
            if "No files found" in text or "does not exist" in text or "IO Error" in text:
                return StorageError(
                    f"the lake's views read {path}, which is not the lake at {root} "
                    "(was the lake moved or copied?)",
                    hint=f"run `betterstack-etl repair --lake-root {root}` to rebuild the views "
                    "here, or pass --lake-root with the folder the lake is in now",
                )
            continue
        if "No files found" in text:
            return StorageError(
                f"no file of the lake matches {inside.as_posix()} (under {root}): {first}",
                hint=f"run `betterstack-etl repair --lake-root {root}` to rebuild the views, "
                "or run the pipeline to load that table",
            )
        said = first.replace(match.group(1), inside.as_posix())
        return StorageError(
            f"the lake file {inside.as_posix()} (under {root}) is damaged: {said}",
            hint=_REPAIR.format(root=root),
        )
    if sql is not None and con is not None and isinstance(exc, duckdb.ParserException):
        hint = quoting_hint(sql, con)
        if hint:
            return ConfigError(f"query failed: {first}", hint=hint)
    return None


def open_error(path: Path, exc: duckdb.Error, root: Path | None = None) -> BetterStackEtlError:
    """Opening the lake's DuckDB file at ``path`` failed: a damaged file or a moved lake said
    as such; otherwise the file itself, with ``repair`` to rebuild it."""
    explained = explain_duckdb_error(exc, root or path.parent)
    if explained is not None:
        return explained
    return StorageError(
        f"cannot open the DuckDB database {path}: {first_line(exc)}",
        hint="run `betterstack-etl repair` (it rebuilds the file, which only holds views) or "
        "the pipeline again; close other connections to it in this process first",
    )
