"""Where the report reads the views of SPEC §8: a tiny protocol and its two engines.

A ``ViewSource`` runs one SQL ``SELECT`` and returns an Arrow table; ``ref(name)`` is how that
engine names a view or table in SQL. The report's queries use only SQL both engines accept
(``DATE '…'``/``TIMESTAMP '…'`` literals, ``IN``, comparisons), so one text serves both.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, Protocol, runtime_checkable

from betterstack_etl.errors import ConfigError, DamagedFileError, StorageError

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date

    import duckdb
    import pyarrow as pa
    from google.cloud import bigquery

__all__ = ["BigQuerySource", "DuckDbSource", "ViewSource", "reach_reader", "window_reader"]

log = logging.getLogger("betterstack_etl.report.source")


@runtime_checkable
class ViewSource(Protocol):
    """Run SQL over the lake's views (SPEC §8.2) and tables; answer Arrow."""

    @property
    def dialect(self) -> Literal["duckdb", "bigquery"]:
        """The engine's SQL dialect."""
        ...

    def ref(self, name: str) -> str:
        """``name`` (a view or table) as this engine's SQL spells it."""
        ...

    def exists(self, name: str) -> bool:
        """Whether the view or table ``name`` is there to read."""
        ...

    def query(self, sql: str) -> pa.Table:
        """Run one ``SELECT``; the result as an Arrow table."""
        ...


def _default_duckdb_mib() -> int:
    """80 % of the machine's memory, in MiB, as DuckDB's default limit is."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX
        return 8 * 1024
    return max(1, total * 8 // 10 // 1024**2)


class DuckDbSource:
    """The local lake: a read-only connection to ``<lake_root>/betterstack.duckdb``."""

    dialect: Final = "duckdb"

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        *,
        memory_mib: int | None = None,
        threads: int | None = None,
        root: Path | None = None,
    ) -> None:
        """``memory_mib``: DuckDB's memory limit, queries spill to disk beyond it; a query
        that cannot (DuckDB says out of memory) runs again with 4× the limit, then with
        DuckDB's default (80 % of the memory). ``threads``: DuckDB's threads (each holds
        buffers of its own). Both hold for the whole DuckDB database of this process while
        the connection is open. ``root``: the lake's folder, where ``window_ref`` lists a
        period's partitions."""
        self._con = connection
        self._root = root
        # the report's TIMESTAMP literals are UTC, as in BigQuery
        self._con.execute("SET TimeZone = 'UTC'")
        self._raises: list[int] = []  # the limits to try next, when a query does not fit
        if memory_mib is not None:
            self._raises = [4 * memory_mib, max(4 * memory_mib, _default_duckdb_mib())]
            self._con.execute(f"SET memory_limit = '{int(memory_mib)}MiB'")
        if threads is not None:
            self._con.execute(f"SET threads = {int(threads)}")

    @classmethod
    def open(
        cls, lake_root: Path | str, *, memory_mib: int | None = None, threads: int | None = None
    ) -> DuckDbSource:
        from betterstack_etl.lake import open_duckdb

        root = Path(lake_root).expanduser()
        if not root.is_dir():
            raise ConfigError(
                f"the lake root {root} is not a folder",
                hint="pass --lake-root with the folder the pipeline writes (BETTERSTACK_LAKE_ROOT)",
            )
        connection = open_duckdb(root, read_only=True)
        return cls(connection, memory_mib=memory_mib, threads=threads, root=root.absolute())

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> DuckDbSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ref(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def window_ref(self, name: str, first: date | None, last: date | None) -> str:
        """The raw table ``name`` over its partitions ``first``..``last`` only: those folders'
        files (``lake.bounded``), so DuckDB does not bind against the whole history."""
        from betterstack_etl import tables
        from betterstack_etl.lake.bounded import bounded_sql

        specs = [v for v in vars(tables).values() if isinstance(v, tables.TableSpec)]
        spec = next((s for s in specs if s.name == name), None)
        if self._root is None or spec is None:
            return self.ref(name)
        return bounded_sql(spec, self._root, first, last)

    def reaching(self, since: date) -> list[date] | None:
        """The incidents partitions before ``since`` that may hold an incident still open or
        resolved since (``lake.reach``: the summaries under ``_state/``); None when a summary
        is missing or unreadable (then every older partition is read)."""
        import duckdb

        from betterstack_etl.lake.duck import glob_escape
        from betterstack_etl.lake.openindex import STATE_DIR, index_name
        from betterstack_etl.lake.reach import reach_name, reaching
        from betterstack_etl.tables import INCIDENTS

        if self._root is None:
            return None
        state = self._root / STATE_DIR
        paths = [state / reach_name(INCIDENTS), state / index_name(INCIDENTS)]
        if not all(path.is_file() for path in paths):
            return None
        try:
            quoted = ["'" + glob_escape(str(path)).replace("'", "''") + "'" for path in paths]
            tables = [
                self._con.execute(f"SELECT * FROM read_parquet({q})").to_arrow_table()  # noqa: S608
                for q in quoted
            ]
        except duckdb.Error as exc:
            log.warning("the lake's partition summaries are unreadable (%s): reading all", exc)
            return None
        return reaching(INCIDENTS, tables[0], tables[1], since)

    def exists(self, name: str) -> bool:
        # no bound parameter: binding one makes DuckDB import pandas (0.24 s) to check its type
        names = self._con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        return any(row[0] == name for row in names)

    def query(self, sql: str) -> pa.Table:
        import duckdb

        from betterstack_etl.lake.duck import damaged_file_in

        try:
            while True:
                try:
                    return self._con.execute(sql).to_arrow_table()
                except duckdb.OutOfMemoryException as exc:
                    if not self._raises:
                        raise
                    mib = self._raises.pop(0)
                    first = str(exc).split("\n")[0]
                    log.warning("a view query needs more memory (%s): now %d MiB", first, mib)
                    # (DuckDB's RESET would leave the lower limit in force)
                    self._con.execute(f"SET memory_limit = '{mib}MiB'")
        except duckdb.Error as exc:
            damaged = damaged_file_in(exc)
            if damaged is not None:  # no retry reads it: `repair` moves it aside
                raise DamagedFileError(
                    f"the lake could not answer the report's query: {damaged} cannot be read",
                    path=damaged,
                ) from exc
            raise StorageError(
                f"the lake could not answer the report's query: {exc}".split("\n")[0],
                hint="run the pipeline once more so it re-creates the views, then retry",
            ) from exc


class BigQuerySource:
    """Production: the views in ``project.dataset`` through a google-cloud-bigquery client."""

    dialect: Final = "bigquery"

    def __init__(self, client: bigquery.Client, *, project: str, dataset: str) -> None:
        self._client = client
        self._project = project
        self._dataset = dataset

    @classmethod
    def from_env(cls, *, project: str, dataset: str, location: str = "US") -> BigQuerySource:
        from betterstack_etl.gcp.credentials import GcpConfig, bigquery_client

        config = GcpConfig.from_env(billing_project_id=project)
        return cls(bigquery_client(config, location=location), project=project, dataset=dataset)

    def ref(self, name: str) -> str:
        return f"`{self._project}.{self._dataset}.{name}`"

    def exists(self, name: str) -> bool:
        from google.api_core import exceptions as gexc

        try:
            self._client.get_table(f"{self._project}.{self._dataset}.{name}")
        except gexc.NotFound:
            return False
        return True

    def query(self, sql: str) -> pa.Table:
        from google.api_core import exceptions as gexc

        try:
            return self._client.query(sql).to_arrow(create_bqstorage_client=False)
        except gexc.GoogleAPIError as exc:
            raise StorageError(
                f"BigQuery could not answer the report's query: {exc}".split("\n")[0],
                hint=f"check that the views exist in {self._project}.{self._dataset} "
                "(a pipeline run publishes them) and that you may read them",
            ) from exc


def window_reader(
    source: ViewSource,
) -> Callable[[str, date | None, date | None], str] | None:
    """How ``source`` reads some partitions of a raw table only (``view_selects``'
    ``window_ref``): DuckDB's lake lists them; BigQuery prunes by the predicate (None)."""
    return source.window_ref if isinstance(source, DuckDbSource) else None


def reach_reader(source: ViewSource) -> Callable[[date], list[date] | None] | None:
    """Which older incidents partitions a period's query must read (``view_selects``'
    ``reaching``): DuckDB's lake keeps the summaries; elsewhere unknown (None: all of them)."""
    return source.reaching if isinstance(source, DuckDbSource) else None
