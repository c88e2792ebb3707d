"""Fixtures of the ZetaSQL tests: one analyzer server for the whole session.

The server comes from the npm package ``scripts/setup.sh`` installs (``.tools/zetasql``). When
it is missing the tests are skipped with the reason and the fix, unless
``BETTERSTACK_REQUIRE_ZETASQL=1`` (set by ``.ci/run``): then they fail, so CI cannot pass
without Google's analyzer having checked the SQL.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from .analyzer import BigQueryAnalyzer
from .service import REQUIRE_ENV, ZetaSqlMissing, ZetaSqlServer, find_package

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="session")
def zetasql_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZetaSqlServer]:
    """ZetaSQL's LocalService on a free loopback port (stopped at the end of the session)."""
    try:
        package = find_package()
    except ZetaSqlMissing as exc:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{exc} ({REQUIRE_ENV}=1: ZetaSQL is required here)", pytrace=False)
        pytest.skip(str(exc))
    with ZetaSqlServer.start(package, tmp_path_factory.mktemp("zetasql")) as server:
        yield server


@pytest.fixture(scope="session")
def bigquery_analyzer(zetasql_server: ZetaSqlServer) -> BigQueryAnalyzer:
    """ZetaSQL in BigQuery's language mode (``analyzer.BigQueryAnalyzer``)."""
    return BigQueryAnalyzer(zetasql_server)
