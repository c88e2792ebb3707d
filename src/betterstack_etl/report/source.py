"""Where the report reads the views of SPEC §8: a tiny protocol and its two engines.

A ``ViewSource`` runs one SQL ``SELECT`` and returns an Arrow table; ``ref(name)`` is how that
engine names a view or table in SQL. The report's queries use only SQL both engines accept
(``DATE '…'``/``TIMESTAMP '…'`` literals, ``IN``, comparisons), so one text serves both.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, Protocol, runtime_checkable

from betterstack_etl.errors import ConfigError, DamagedFileError, StorageError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    from google.cloud import bigquery

__all__ = ["BigQuerySource", "DuckDbSource", "ViewSource"]


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


class DuckDbSource:
    """The local lake: a read-only connection to ``<lake_root>/betterstack.duckdb``."""

    dialect: Final = "duckdb"

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._con = connection
        # the report's TIMESTAMP literals are UTC, as in BigQuery
        self._con.execute("SET TimeZone = 'UTC'")

    @classmethod
    def open(cls, lake_root: Path | str) -> DuckDbSource:
        from betterstack_etl.lake import open_duckdb

        root = Path(lake_root).expanduser()
        if not root.is_dir():
            raise ConfigError(
                f"the lake root {root} is not a folder",
                hint="pass --lake-root with the folder the pipeline writes (BETTERSTACK_LAKE_ROOT)",
            )
        return cls(open_duckdb(root, read_only=True))

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> DuckDbSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ref(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def exists(self, name: str) -> bool:
        found = self._con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()
        return bool(found and found[0])

    def query(self, sql: str) -> pa.Table:
        import duckdb

        from betterstack_etl.lake.duck import damaged_file_in

        try:
            return self._con.execute(sql).to_arrow_table()
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
