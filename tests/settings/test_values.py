"""Each kind of setting: what is accepted, what is refused, and how the refusal reads."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from betterstack_etl.errors import ConfigError
from betterstack_etl.settings import read_token, run_params
from betterstack_etl.settings.values import parse_monitor_ids
from betterstack_etl.tables import DAILY_SLA, INCIDENTS, TABLES

BASE = {"BETTERSTACK_TOKEN": "tok-abcdef123", "MONITOR_ID": "123"}
NOW = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)


def test_defaults_follow_the_spec() -> None:
    s = run_params(BASE)
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
    s = run_params(BASE)
    assert "tok-abcdef123" not in repr(s)
    token = read_token(BASE)
    assert "tok-abcdef123" not in str(token)
    assert f"{token}" == "***"
    assert token.reveal() == "tok-abcdef123"


def test_run_params_hold_no_secret_at_all() -> None:
    s = run_params(BASE)
    assert all("tok-abcdef123" not in repr(getattr(s, f)) for f in s.__slots__)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("123", ("123",)), (" 1, 2 ,2,3 ", ("1", "2", "3")), ("ALL", "all"), ("all", "all")],
)
def test_monitor_ids_accept_one_a_list_or_all(value: str, expected: object) -> None:
    assert parse_monitor_ids(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "MONITOR_ID is not set"),
        ("abc", "MONITOR_ID contains 'abc', which is not a monitor id"),
        ("12;DROP", "MONITOR_ID contains '12;DROP', which is not a monitor id"),
        ("1,../2", "MONITOR_ID contains '../2', which is not a monitor id"),
        ("١٢", "MONITOR_ID contains '١٢', which is not a monitor id"),
        (" , ", "MONITOR_ID is empty"),
    ],
)
def test_bad_monitor_ids_are_refused_with_a_hint(value: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        run_params({**BASE, "MONITOR_ID": value})
    assert info.value.message == message
    assert info.value.hint


def test_missing_token_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="BETTERSTACK_TOKEN is not set"):
        read_token({"MONITOR_ID": "1"})


def test_missing_monitor_id_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="MONITOR_ID is not set"):
        run_params({"BETTERSTACK_TOKEN": "x"})


@pytest.mark.parametrize(
    "bad", ["2026-13-01", "26-01-01", "2026/01/01", "yesterday", "2026-02-30", "20261101"]
)
def test_malformed_dates_are_refused_naming_the_format(bad: str) -> None:
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        run_params(BASE, from_date=bad)


def test_backfill_window_is_inclusive_and_read_from_env_or_overrides() -> None:
    env = {**BASE, "BETTERSTACK_FROM_DATE": "2026-10-01", "BETTERSTACK_TO_DATE": "2026-10-03"}
    s = run_params(env)
    assert s.window(NOW).days() == [date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)]
    s2 = run_params(env, to_date="2026-10-01")
    assert s2.window(NOW).days() == [date(2026, 10, 1)]


def test_reversed_window_is_refused() -> None:
    with pytest.raises(ConfigError, match="before from_date"):
        run_params(BASE, from_date="2026-10-05", to_date="2026-10-01")


def test_future_days_are_dropped_and_a_future_start_refused() -> None:
    s = run_params(BASE, from_date="2026-11-24", to_date="2026-12-31")
    assert s.window(NOW).days() == [date(2026, 11, 24), date(2026, 11, 25)]
    with pytest.raises(ConfigError, match="in the future"):
        run_params(BASE, from_date="2026-12-01").window(NOW)


def test_only_from_date_reads_through_today() -> None:
    s = run_params(BASE, from_date="2026-11-20")
    assert s.window(NOW).end == date(2026, 11, 25)


def test_destination_and_lake_root_must_agree() -> None:
    with pytest.raises(ConfigError, match="gs://bucket/prefix"):
        run_params({**BASE, "BETTERSTACK_DESTINATION": "bigquery"})
    with pytest.raises(ConfigError, match="destination is local"):
        run_params({**BASE, "BETTERSTACK_LAKE_ROOT": "gs://b/p"})
    with pytest.raises(ConfigError, match="not a destination"):
        run_params({**BASE, "BETTERSTACK_DESTINATION": "s3"})
    s = run_params(
        {**BASE, "BETTERSTACK_DESTINATION": "BigQuery", "BETTERSTACK_LAKE_ROOT": "gs://b/p"}
    )
    assert s.destination == "bigquery"


def test_tables_can_be_chosen_by_short_or_full_name() -> None:
    s = run_params(BASE, tables="incidents,eai_gateway_daily_sla,incidents")
    assert s.tables == (INCIDENTS, DAILY_SLA)
    with pytest.raises(ConfigError, match="unknown table"):
        run_params(BASE, tables="uptime")


@pytest.mark.parametrize(
    ("var", "value"),
    [("BETTERSTACK_RATE", "fast"), ("BETTERSTACK_RATE", "0"), ("BETTERSTACK_TASK_RETRIES", "-1")],
)
def test_numeric_settings_are_validated(var: str, value: str) -> None:
    with pytest.raises(ConfigError, match=var):
        run_params({**BASE, var: value})


def test_bad_base_url_is_refused() -> None:
    with pytest.raises(ConfigError, match="BETTERSTACK_BASE_URL"):
        run_params({**BASE, "BETTERSTACK_BASE_URL": "uptime.betterstack.com"})


# -- refused before any request (SPEC §10): base URL, numeric ranges, token, dates ----------


@pytest.mark.parametrize(
    "url",
    [
        "http://user:hunter2-pass@127.0.0.1:8080",
        "https://user:hunter2-pass@uptime.betterstack.com",
        "https://hunter2-pass@uptime.betterstack.com",
    ],
)
def test_base_url_with_credentials_is_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        run_params({**BASE, "BETTERSTACK_BASE_URL": url})
    text = str(info.value)
    assert "BETTERSTACK_BASE_URL" in text
    assert "credentials" in text
    assert "hunter2-pass" not in text
    assert "\n" not in text


@pytest.mark.parametrize(
    "url",
    [
        "https://uptime.betterstack.com/api/v2",
        "https://uptime.betterstack.com/api/v2/",
        "https://uptime.betterstack.com/?x=1",
        "https://uptime.betterstack.com#frag",
    ],
)
def test_base_url_with_a_path_query_or_fragment_is_refused_host_only(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        run_params({**BASE, "BETTERSTACK_BASE_URL": url})
    assert "BETTERSTACK_BASE_URL" in str(info.value)
    assert "host only, e.g. https://uptime.betterstack.com" in str(info.value)


@pytest.mark.parametrize(
    "url", ["http://uptime.betterstack.com", "http://10.0.0.5:8080", "http://127.example.com"]
)
def test_plain_http_is_refused_unless_loopback(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        run_params({**BASE, "BETTERSTACK_BASE_URL": url})
    assert "BETTERSTACK_BASE_URL" in str(info.value)
    assert "https://" in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080",
        "http://127.3.4.5:1",
        "http://localhost:9000/",
        "http://[::1]:8080",
        "https://uptime.betterstack.com/",
        "https://uptime.example.test:8443",
    ],
)
def test_good_base_urls_are_accepted_without_trailing_slash(url: str) -> None:
    assert run_params({**BASE, "BETTERSTACK_BASE_URL": url}).base_url == url.rstrip("/")


@pytest.mark.parametrize("url", ["https://", "https://host:99999", "https://ho st", "ftp://x"])
def test_malformed_base_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="BETTERSTACK_BASE_URL"):
        run_params({**BASE, "BETTERSTACK_BASE_URL": url})


@pytest.mark.parametrize(
    ("var", "value", "needle"),
    [
        ("BETTERSTACK_TASK_RETRIES", "1e9", "0–10"),
        ("BETTERSTACK_TASK_RETRIES", "11", "0–10"),
        ("BETTERSTACK_TASK_RETRIES", "2.5", "whole number"),
        ("BETTERSTACK_TASK_RETRY_DELAY", "3601", "0–3600"),
        ("BETTERSTACK_TASK_RETRY_DELAY", "nan", "0–3600"),
        ("BETTERSTACK_RATE", "inf", "(0, 100]"),
        ("BETTERSTACK_RATE", "101", "(0, 100]"),
        ("BETTERSTACK_RATE", "-1", "(0, 100]"),
        ("BETTERSTACK_MAX_IN_FLIGHT", "2.7", "whole number"),
        ("BETTERSTACK_MAX_IN_FLIGHT", "0", "1–32"),
        ("BETTERSTACK_MAX_IN_FLIGHT", "33", "1–32"),
        ("BETTERSTACK_TIMEOUT", "1e9", "1–300"),
        ("BETTERSTACK_TIMEOUT", "0.5", "1–300"),
        ("BETTERSTACK_TIMEOUT", "-inf", "1–300"),
        ("BETTERSTACK_RETRY_BASE_DELAY", "61", "0–60"),
        ("BETTERSTACK_RETRY_BASE_DELAY", "NaN", "0–60"),
    ],
)
def test_numeric_settings_out_of_range_are_refused_naming_the_range(
    var: str, value: str, needle: str
) -> None:
    with pytest.raises(ConfigError) as info:
        run_params({**BASE, var: value})
    text = str(info.value)
    assert var in text
    assert needle in text
    assert "\n" not in text


@pytest.mark.parametrize(
    ("var", "value", "attr", "expected"),
    [
        ("BETTERSTACK_TASK_RETRIES", "0", "task_retries", 0),
        ("BETTERSTACK_TASK_RETRIES", "10", "task_retries", 10),
        ("BETTERSTACK_TASK_RETRIES", "3.0", "task_retries", 3),
        ("BETTERSTACK_TASK_RETRY_DELAY", "0", "task_retry_delay", 0.0),
        ("BETTERSTACK_RATE", "100", "rate", 100.0),
        ("BETTERSTACK_RATE", "0.5", "rate", 0.5),
        ("BETTERSTACK_MAX_IN_FLIGHT", " 32 ", "max_in_flight", 32),
        ("BETTERSTACK_TIMEOUT", "300", "timeout", 300.0),
        ("BETTERSTACK_RETRY_BASE_DELAY", "0.01", "retry_base_delay", 0.01),
    ],
)
def test_numeric_settings_in_range_are_accepted(
    var: str, value: str, attr: str, expected: float
) -> None:
    value_read = getattr(run_params({**BASE, var: value}), attr)
    assert value_read == expected
    assert type(value_read) is type(expected)


@pytest.mark.parametrize(
    ("token", "what"),
    [
        ("tok-abc\ndef", "a newline"),
        ("tok-abc\r\ndef", "a newline"),
        ("tok-abc def", "whitespace"),
        ("tok-abc\tdef", "whitespace"),
        ("tok-abc\x00def", "a control character"),
        ("tok-abcé", "a non-ASCII character"),
    ],
)
def test_a_token_with_newlines_spaces_or_control_characters_is_refused(
    token: str, what: str
) -> None:
    with pytest.raises(ConfigError) as info:
        read_token({**BASE, "BETTERSTACK_TOKEN": token})
    text = str(info.value)
    assert f"BETTERSTACK_TOKEN contains {what}" in text
    assert "copy it again without it" in text
    assert "tok-abc" not in text
    assert "\n" not in text


def test_surrounding_whitespace_of_the_token_is_ignored() -> None:
    assert read_token({**BASE, "BETTERSTACK_TOKEN": " tok-abc\n"}).reveal() == "tok-abc"


@pytest.mark.parametrize(
    ("key", "value"),
    [("from_date", "1990-01-01"), ("from_date", "2014-12-31"), ("to_date", "2000-06-01")],
)
def test_dates_absurdly_far_back_are_refused(key: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        run_params(BASE, **{key: value})
    assert key in str(info.value)
    assert "2015-01-01" in str(info.value)


def test_the_earliest_accepted_date() -> None:
    s = run_params(BASE, from_date="2015-01-01", to_date="2015-01-02")
    assert s.window(NOW).days() == [date(2015, 1, 1), date(2015, 1, 2)]


def test_a_local_lake_root_that_is_a_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "lake"
    file.write_text("x")
    for root in (file, file / "sub"):
        with pytest.raises(ConfigError) as info:
            run_params({**BASE, "BETTERSTACK_LAKE_ROOT": str(root)})
        assert "BETTERSTACK_LAKE_ROOT" in str(info.value)
        assert "not a folder" in str(info.value)


def test_a_missing_local_lake_root_is_accepted_and_not_created(tmp_path: Path) -> None:
    root = tmp_path / "a" / "b"
    assert run_params({**BASE, "BETTERSTACK_LAKE_ROOT": str(root)}).lake_root == str(root)
    assert not (tmp_path / "a").exists()
