"""The views' DuckDB text is translated once per text, then read back: a run asks for the
views three times (publish, SLO check, alerts) and every run asks again (issue 24)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
import sqlglot

from betterstack_etl.sla import SlaOptions, view_selects
from betterstack_etl.sla import _translate as translate

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

NOWS = (
    None,
    datetime(2026, 11, 25, 12, tzinfo=UTC),
    datetime(2026, 3, 1, 3, 4, 5, 678_901, tzinfo=UTC),
)


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder and an empty in-memory cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    translate.translated.cache_clear()
    yield tmp_path / "cache"
    translate.translated.cache_clear()


def _bare(name: str) -> str:
    return name


@pytest.mark.parametrize("now", NOWS)
@pytest.mark.parametrize("zone", ["America/Sao_Paulo", "UTC"])
def test_the_kept_translation_is_the_translation_of_the_whole_text(
    now: datetime | None, zone: str, cache_home: Path
) -> None:
    """Translating the text with the moment left out, then putting the moment in, gives what
    sqlglot gives for the BigQuery text with the moment in it, character for character."""
    options = SlaOptions(time_zone=zone, slo_pct=99.5)
    bigquery = view_selects("bigquery", table_ref=_bare, options=options, now=now)
    whole = [translate.to_duckdb(source) for _, source in bigquery]
    for _ in range(2):  # the first call translates, the second reads the cache folder
        duckdb = view_selects("duckdb", table_ref=_bare, options=options, now=now)
        assert [spec.name for spec, _ in duckdb] == [spec.name for spec, _ in bigquery]
        assert [text for _, text in duckdb] == whole
        translate.translated.cache_clear()


def test_unchanged_views_are_not_translated_again(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    parse_one = sqlglot.parse_one

    def counting(sql: str, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("read") == "bigquery":  # a view's text (sqlglot parses types itself)
            calls.append(sql)
        return parse_one(sql, *args, **kwargs)

    monkeypatch.setattr(sqlglot, "parse_one", counting)
    options = SlaOptions()
    first = view_selects("duckdb", table_ref=_bare, options=options, now=NOWS[1])
    assert len(calls) == len(first)  # one translation per view
    view_selects("duckdb", table_ref=_bare, options=options, now=NOWS[2])  # another moment
    view_selects("duckdb", table_ref=_bare, options=options)
    assert len(calls) == len(first)  # nothing new: the text does not hold the moment

    translate.translated.cache_clear()  # a new process: only the folder remains
    again = view_selects("duckdb", table_ref=_bare, options=options, now=NOWS[1])
    assert again == first
    assert len(calls) == len(first)
    assert len(list(cache_home.rglob("*.sql"))) == len(first)

    view_selects("duckdb", table_ref=_bare, options=SlaOptions(slo_pct=99.0), now=NOWS[1])
    assert len(calls) > len(first)  # another SLO is another text: translated


def test_a_new_process_with_a_warm_cache_does_not_import_sqlglot(cache_home: Path) -> None:
    script = (
        "import sys\n"
        "from betterstack_etl.sla import SlaOptions, view_selects\n"
        "view_selects('duckdb', table_ref=str, options=SlaOptions())\n"
        "print('sqlglot' in sys.modules)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert run() == "True"  # cold: translated
    assert run() == "False"  # warm: read back


def test_an_unwritable_cache_only_costs_the_translation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    translate.translated.cache_clear()
    try:
        made = view_selects("duckdb", table_ref=_bare, options=SlaOptions(), now=NOWS[1])
    finally:
        translate.translated.cache_clear()
    bigquery = view_selects("bigquery", table_ref=_bare, options=SlaOptions(), now=NOWS[1])
    assert [text for _, text in made] == [translate.to_duckdb(s) for _, s in bigquery]
