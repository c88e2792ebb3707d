"""Where the settings come from: options / flow parameters over the environment over the .env
file over the defaults; a misspelled override, an unknown name in .env; the knob each message
names. Expected values are written out by hand."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from betterstack_etl.errors import ConfigError
from betterstack_etl.settings import (
    load_settings,
    parse_as,
    read_token,
    run_params,
    secret_values,
)

BASE = {"MONITOR_ID": "1"}


def _env_file(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "settings.env"
    path.write_text(text)
    return {**BASE, "BETTERSTACK_ENV_FILE": str(path)}


# -- a misspelled override is an error ---------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message", "hint"),
    [
        ({"lake_roott": "/tmp/x"}, "'lake_roott' is not a setting", "did you mean lake_root?"),
        ({"monitors": "999"}, "'monitors' is not a setting", "did you mean monitor_id?"),
        ({"from_dat": "2026-01-01"}, "'from_dat' is not a setting", "did you mean from_date?"),
    ],
)
def test_a_misspelled_override_is_an_error(
    overrides: dict[str, str], message: str, hint: str
) -> None:
    with pytest.raises(ConfigError) as info:
        run_params(BASE, **overrides)
    assert info.value.message == message
    assert info.value.hint is not None
    assert info.value.hint.startswith(hint)


def test_the_seeds_names_are_the_settings_names() -> None:
    """``RunParams.from_env(monitor_id='999', lake_roott=…)`` used to fall back to the
    environment without a word; now the name is the flow parameter's, and a typo stops."""
    params = run_params({"MONITOR_ID": "1"}, monitor_id="999")
    assert params.monitors == ("999",)
    with pytest.raises(ConfigError, match="'lake_roott' is not a setting"):
        run_params({"MONITOR_ID": "1"}, monitor_id="999", lake_roott="/tmp/x")


# -- precedence: option > environment > .env > default ---------------------------------------


def test_each_layer_wins_over_the_ones_below(tmp_path: Path) -> None:
    env = _env_file(
        tmp_path,
        "BETTERSTACK_RATE=5\nBETTERSTACK_TIMEOUT=12\nexport BETTERSTACK_SLO='98.5%'\n"
        "BETTERSTACK_DATASET_ID=from_dotenv\n",
    )
    env |= {"BETTERSTACK_TIMEOUT": "20", "BETTERSTACK_DATASET_ID": "from_env"}
    loaded = load_settings(env, origin="option", dataset_id="from_option")
    s = loaded.settings
    assert (s.rate, s.timeout, s.slo, s.dataset_id, s.max_in_flight) == (
        5.0, 20.0, 98.5, "from_option", 4)  # fmt: skip
    assert loaded.origins["rate"] == ".env"
    assert loaded.origins["timeout"] == "env"
    assert loaded.origins["slo"] == ".env"
    assert loaded.origins["dataset_id"] == "option"
    assert loaded.origins["max_in_flight"] == "default"
    assert loaded.origins["monitor_id"] == "env"


def test_an_empty_variable_counts_as_unset_and_the_env_file_fills_in(tmp_path: Path) -> None:
    env = _env_file(tmp_path, "BETTERSTACK_RATE=5\n") | {"BETTERSTACK_RATE": ""}
    assert load_settings(env).settings.rate == 5.0


def test_the_dot_env_of_the_working_directory_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("MONITOR_ID=42\nBETTERSTACK_TOKEN=tok-from-dotenv\n")
    monkeypatch.chdir(tmp_path)
    loaded = load_settings({})
    assert loaded.run_params().monitors == ("42",)
    assert loaded.token().reveal() == "tok-from-dotenv"
    assert loaded.layers.env_file == tmp_path / ".env"
    assert load_settings({"MONITOR_ID": "7"}).run_params().monitors == ("7",)


def test_no_dot_env_is_fine_and_a_named_one_must_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings(BASE).layers.env_file is None
    missing = tmp_path / "nope.env"
    with pytest.raises(ConfigError) as info:
        load_settings({**BASE, "BETTERSTACK_ENV_FILE": str(missing)})
    assert info.value.message == f"BETTERSTACK_ENV_FILE={str(missing)!r} is not a file"


def test_an_unknown_setting_in_the_env_file_is_a_typo(tmp_path: Path) -> None:
    env = _env_file(tmp_path, "BETTERSTACK_RATE=5\nBETTERSTACK_SL0=99\nPREFECT_API_URL=x\n")
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    assert info.value.message == f"BETTERSTACK_SL0 in {tmp_path / 'settings.env'} is not a setting"
    assert info.value.hint is not None
    assert info.value.hint.startswith("did you mean BETTERSTACK_SLO?")


def test_an_unknown_variable_of_the_environment_is_named_not_fatal() -> None:
    loaded = load_settings({**BASE, "BETTERSTACK_SL0": "99", "BETTERSTACK_REQUIRE_ZETASQL": "1"})
    assert loaded.layers.unknown == ("BETTERSTACK_SL0",)
    assert loaded.layers.notes()[0].startswith(
        "BETTERSTACK_SL0 is not a setting; ignored — did you mean BETTERSTACK_SLO?"
    )


def test_a_refused_value_in_the_env_file_says_where_it_is(tmp_path: Path) -> None:
    env = _env_file(tmp_path, "BETTERSTACK_SLO=100.5\n")
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    where = tmp_path / "settings.env"
    assert str(info.value) == (
        f"BETTERSTACK_SLO='100.5' (in {where}) is outside 0-100 — set BETTERSTACK_SLO to a "
        "percentage strictly between 0 and 100, e.g. 99.9"
    )


# -- the knob a message names -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("option", "--from-date '20261101' is not a date — write --from-date as YYYY-MM-DD, "
         "e.g. 2026-01-31"),
        ("parameter", "from_date='20261101' is not a date — write from_date as YYYY-MM-DD, "
         "e.g. 2026-01-31"),
    ],
)  # fmt: skip
def test_a_refusal_names_the_knob_the_user_touched(origin: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(BASE, origin=origin, from_date="20261101")  # type: ignore[arg-type]
    assert str(info.value) == expected


def test_two_settings_that_disagree_are_both_named() -> None:
    env = {**BASE, "BETTERSTACK_DESTINATION": "bigquery"}
    with pytest.raises(ConfigError) as info:
        load_settings(env, origin="option", lake_root="./here")
    assert str(info.value) == (
        "--lake-root './here' is not a GCS location — with "
        "BETTERSTACK_DESTINATION='bigquery' set --lake-root to gs://bucket/prefix"
    )


def test_several_refusals_are_counted_in_one_line() -> None:
    env = {**BASE, "BETTERSTACK_RATE": "0", "BETTERSTACK_SLO": "abc", "BETTERSTACK_TIMEOUT": "0"}
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    text = str(info.value)
    assert text.startswith("BETTERSTACK_RATE='0' is not a number in (0, 100]")
    assert text.endswith("2 more setting(s) refused: `betterstack-etl config` shows each")
    assert "\n" not in text


def test_a_future_first_day_is_named_by_its_knob() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    loaded = load_settings(BASE, origin="option", from_date="2026-12-01")
    with pytest.raises(ConfigError) as info:
        loaded.window(now)
    assert str(info.value) == (
        "--from-date '2026-12-01' is in the future (today is 2026-11-25 UTC) — backfills read "
        "past days; leave --from-date unset for the default window"
    )


def test_a_commands_own_option_of_the_same_kind_reads_the_same() -> None:
    with pytest.raises(ConfigError) as info:
        parse_as("from_date", "20261101", label="--from-date")
    assert str(info.value) == (
        "--from-date '20261101' is not a date — write --from-date as YYYY-MM-DD, e.g. 2026-01-31"
    )
    assert parse_as("slo", "99.9%", label="--slo") == 99.9


# -- secrets ----------------------------------------------------------------------------------


def test_the_token_from_the_env_file_is_scrubbed_like_the_environments(tmp_path: Path) -> None:
    env = _env_file(tmp_path, "BETTERSTACK_TOKEN=tok-in-dotenv-777\n")
    assert read_token(env).reveal() == "tok-in-dotenv-777"
    assert secret_values(env) == ["tok-in-dotenv-777"]
    both = env | {"BETTERSTACK_TOKEN": "tok-in-env-888"}
    assert secret_values(both) == ["tok-in-env-888", "tok-in-dotenv-777"]
    assert read_token(both).reveal() == "tok-in-env-888"


def test_the_token_never_shows_in_settings_or_their_errors() -> None:
    loaded = load_settings({**BASE, "BETTERSTACK_TOKEN": "tok-visible-999"})
    assert "tok-visible-999" not in repr(loaded.settings)
    assert "tok-visible-999" not in repr(loaded)
    with pytest.raises(ConfigError) as info:
        load_settings({**BASE, "BETTERSTACK_TOKEN": "tok-visible 999"})
    assert "tok-visible" not in str(info.value)


def test_the_default_env_file_is_the_developer_null_in_tests() -> None:
    """The autouse fixture (tests/conftest.py): no test reads a developer's own ./.env."""
    assert os.environ["BETTERSTACK_ENV_FILE"] == os.devnull
