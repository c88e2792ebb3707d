"""Settings: environment parsing, overrides, windows, and their error messages."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from betterstack_etl.errors import ConfigError
from betterstack_etl.settings import RunParams, parse_monitor_ids, read_token
from betterstack_etl.tables import DAILY_SLA, INCIDENTS, TABLES

BASE = {"BETTERSTACK_TOKEN": "tok-abcdef123", "MONITOR_ID": "123"}
NOW = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)


def test_defaults_follow_the_spec() -> None:
    s = RunParams.from_env(BASE)
    assert s.monitors == ("123",)
    assert s.base_url == "https://uptime.betterstack.com"
    assert s.destination == "local"
    assert s.lake_root == "./lake"
    assert s.billing_project_id == "rj-iplanrio"
    assert s.dataset_id == "brutos_betterstack"
    assert s.tables == TABLES
    assert (s.task_retries, s.task_retry_delay) == (3, 60.0)
    assert s.window(NOW).days() == [date(2026, 11, 24), date(2026, 11, 25)]


def test_the_token_never_shows_in_reprs_or_errors() -> None:
    s = RunParams.from_env(BASE)
    assert "tok-abcdef123" not in repr(s)
    token = read_token(BASE)
    assert "tok-abcdef123" not in str(token)
    assert f"{token}" == "***"
    assert token.reveal() == "tok-abcdef123"


def test_run_params_hold_no_secret_at_all() -> None:
    s = RunParams.from_env(BASE)
    assert all("tok-abcdef123" not in repr(getattr(s, f)) for f in s.__slots__)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("123", ("123",)), (" 1, 2 ,2,3 ", ("1", "2", "3")), ("ALL", "all"), ("all", "all")],
)
def test_monitor_ids_accept_one_a_list_or_all(value: str, expected: object) -> None:
    assert parse_monitor_ids(value) == expected


@pytest.mark.parametrize("value", ["", "abc", "12;DROP", "1,../2", "١٢"])
def test_bad_monitor_ids_are_refused_with_a_hint(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_monitor_ids(value)
    assert "MONITOR_ID" in str(info.value)
    assert info.value.hint


def test_missing_token_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="BETTERSTACK_TOKEN is not set"):
        read_token({"MONITOR_ID": "1"})


def test_missing_monitor_id_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="MONITOR_ID is not set"):
        RunParams.from_env({"BETTERSTACK_TOKEN": "x"})


@pytest.mark.parametrize("bad", ["2026-13-01", "26-01-01", "2026/01/01", "yesterday", "2026-02-30"])
def test_malformed_dates_are_refused_naming_the_format(bad: str) -> None:
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        RunParams.from_env(BASE, from_date=bad)


def test_backfill_window_is_inclusive_and_read_from_env_or_overrides() -> None:
    env = {**BASE, "BETTERSTACK_FROM_DATE": "2026-10-01", "BETTERSTACK_TO_DATE": "2026-10-03"}
    s = RunParams.from_env(env)
    assert s.window(NOW).days() == [date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)]
    s2 = RunParams.from_env(env, to_date="2026-10-01")
    assert s2.window(NOW).days() == [date(2026, 10, 1)]


def test_reversed_window_is_refused() -> None:
    with pytest.raises(ConfigError, match="before from_date"):
        RunParams.from_env(BASE, from_date="2026-10-05", to_date="2026-10-01")


def test_future_days_are_dropped_and_a_future_start_refused() -> None:
    s = RunParams.from_env(BASE, from_date="2026-11-24", to_date="2026-12-31")
    assert s.window(NOW).days() == [date(2026, 11, 24), date(2026, 11, 25)]
    with pytest.raises(ConfigError, match="in the future"):
        RunParams.from_env(BASE, from_date="2026-12-01").window(NOW)


def test_only_from_date_reads_through_today() -> None:
    s = RunParams.from_env(BASE, from_date="2026-11-20")
    assert s.window(NOW).end == date(2026, 11, 25)


def test_destination_and_lake_root_must_agree() -> None:
    with pytest.raises(ConfigError, match="gs://bucket/prefix"):
        RunParams.from_env({**BASE, "BETTERSTACK_DESTINATION": "bigquery"})
    with pytest.raises(ConfigError, match="destination is local"):
        RunParams.from_env({**BASE, "BETTERSTACK_LAKE_ROOT": "gs://b/p"})
    with pytest.raises(ConfigError, match="not a destination"):
        RunParams.from_env({**BASE, "BETTERSTACK_DESTINATION": "s3"})
    s = RunParams.from_env(
        {**BASE, "BETTERSTACK_DESTINATION": "BigQuery", "BETTERSTACK_LAKE_ROOT": "gs://b/p"}
    )
    assert s.destination == "bigquery"


def test_tables_can_be_chosen_by_short_or_full_name() -> None:
    s = RunParams.from_env(BASE, tables="incidents,eai_gateway_daily_sla,incidents")
    assert s.tables == (INCIDENTS, DAILY_SLA)
    with pytest.raises(ConfigError, match="unknown table"):
        RunParams.from_env(BASE, tables="uptime")


@pytest.mark.parametrize(
    ("var", "value"),
    [("BETTERSTACK_RATE", "fast"), ("BETTERSTACK_RATE", "0"), ("BETTERSTACK_TASK_RETRIES", "-1")],
)
def test_numeric_settings_are_validated(var: str, value: str) -> None:
    with pytest.raises(ConfigError, match=var):
        RunParams.from_env({**BASE, var: value})


def test_bad_base_url_is_refused() -> None:
    with pytest.raises(ConfigError, match="BETTERSTACK_BASE_URL"):
        RunParams.from_env({**BASE, "BETTERSTACK_BASE_URL": "uptime.betterstack.com"})
