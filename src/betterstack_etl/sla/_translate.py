"""The views' BigQuery SELECTs in DuckDB's dialect: translated by sqlglot once, then kept.

A run asks for the views three times (to publish them, to check the SLOs, to evaluate the
alerts) and every run asks again, always with the same text (only the moment ``now`` differs,
and it is left out of the text: ``NOW`` stands for it). A translation depends only on the
text, on sqlglot's version and on this module's code, so it is kept in memory and in a file
named by a hash of the three, under the user's cache folder
(``$XDG_CACHE_HOME/betterstack-etl/duckdb-sql``, else ``~/.cache/…``). sqlglot (0.06 s to
import, 0.1–0.2 s to translate the views) is imported only when a text is new. A cache that
cannot be read or written (a read-only home) only costs the translation.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from sqlglot import exp

__all__ = ["NOW", "duckdb_now", "to_duckdb", "translated"]

NOW: Final = "__sla_now__"  # stands for the views' moment in the text that is translated
_SUFFIX: Final = ".sql"


def _duckdb_zone_dates(node: exp.Expression) -> exp.Expression:
    """``DATE(ts, zone)`` → ``CAST(ts AT TIME ZONE zone AS DATE)``: sqlglot's own rendering
    casts a TIMESTAMPTZ to TIMESTAMP first, which DuckDB does in the *session* time zone."""
    from sqlglot import exp

    if isinstance(node, exp.Date) and node.args.get("zone") is not None:
        zone = node.args["zone"].copy()
        shifted = exp.AtTimeZone(this=node.this.copy(), zone=zone)
        return exp.Cast(this=shifted, to=exp.DataType.build("DATE"))
    return node


def to_duckdb(select: str) -> str:
    """``select`` (BigQuery) in DuckDB's dialect, translated now (no cache)."""
    import sqlglot

    tree = sqlglot.parse_one(select, read="bigquery")
    tree = tree.transform(_duckdb_zone_dates)
    return tree.sql(dialect="duckdb")


def duckdb_now(literal: str | None) -> str:
    """What ``NOW`` becomes in DuckDB: sqlglot's rendering of BigQuery's ``TIMESTAMP '…'``
    (``literal`` is the quoted text) or of ``CURRENT_TIMESTAMP()`` (``None``)."""
    return "CURRENT_TIMESTAMP" if literal is None else f"CAST({literal} AS TIMESTAMPTZ)"


@cache
def _code_key() -> str:
    """What besides the text decides a translation: sqlglot's version and this module."""
    try:
        version = metadata.version("sqlglot")
    except metadata.PackageNotFoundError:
        version = "?"
    try:
        code = Path(__file__).read_bytes()
    except OSError:
        code = b""
    return f"{version}\n{hashlib.sha256(code).hexdigest()}"


def _folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "betterstack-etl" / "duckdb-sql"


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _write(path: Path, text: str) -> None:
    """Atomically (a reader sees the whole text or no file); any failure is only a miss."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=_SUFFIX)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError:
        return


@cache
def translated(select: str) -> str:
    """``to_duckdb(select)``, from memory or the cache folder when this text was seen."""
    key = hashlib.sha256(f"{_code_key()}\n{select}".encode()).hexdigest()
    path = _folder() / f"{key}{_SUFFIX}"
    found = _read(path)
    if found:
        return found
    text = to_duckdb(select)
    _write(path, text)
    return text
