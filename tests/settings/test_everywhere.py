"""The same value is accepted or refused by every command and by the flow, with the same
message (issue 18): through a variable every command says the very same line; through an
option, each command that has it says that line naming the option; the flow names its
parameter. Every expected message is written out by hand."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from betterstack_etl.cli.app import app
from betterstack_etl.errors import ConfigError

RUNNER = CliRunner()
SLO_HINT = "set {0} to a percentage strictly between 0 and 100, e.g. 99.9"
DATE_HINT = "write {0} as YYYY-MM-DD, e.g. 2026-01-31"
DESTINATION_HINT = "use 'local' (Parquet + DuckDB on disk) or 'bigquery' (GCS + BigLake)"
RATE_HINT = "set BETTERSTACK_RATE within (0, 100], or unset it for the default"
TOKEN_LINE = (
    "{0} contains whitespace — copy it again without it (Better Stack → Uptime → API tokens)"
)
MONITOR_HINT = (
    "monitor ids are digits (see the URL of the monitor in Better Stack); separate several "
    "with commas, or use 'all'"
)


@pytest.fixture
def where(tmp_path: Path) -> Iterator[Path]:
    """An empty lake folder, and the working directory the commands run in."""
    lake = tmp_path / "lake"
    lake.mkdir()
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(cwd)


def _commands(tmp: Path) -> dict[str, list[str]]:
    """Every command that reads the settings, with what it needs besides them."""
    return {
        "run": ["run"],
        "check": ["check"],
        "repair": ["repair"],
        "report": ["report", "--out", str(tmp / "report.html")],
        "query": ["query", "SELECT 1"],
        "config": ["config"],
    }


def _invoke(args: list[str], env: dict[str, str]) -> tuple[int, list[str]]:
    """The command in this process, with only ``env`` for settings; its exit code and the
    non-empty lines of its stderr."""
    clean: dict[str, str | None] = {
        k: None for k in os.environ if k.startswith("BETTERSTACK_") or k == "MONITOR_ID"
    }
    clean |= {"BETTERSTACK_ENV_FILE": os.devnull, "COLUMNS": "300"}
    result = RUNNER.invoke(app, args, env={**clean, **env})
    return result.exit_code, [line for line in result.stderr.splitlines() if line.strip()]


def _flow(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, **params: Any) -> str:
    """The flow's function with ``params`` under ``env``: its refusal, or ``accepted`` when
    the settings pass (the run itself is stopped right there)."""
    from betterstack_etl import flow

    for k in list(os.environ):
        if k.startswith("BETTERSTACK_") or k == "MONITOR_ID":
            monkeypatch.delenv(k)
    monkeypatch.setenv("BETTERSTACK_ENV_FILE", os.devnull)
    for k, v in env.items():
        monkeypatch.setenv(k, v)

    class Accepted(Exception):
        pass

    def stop(*args: object, **kwargs: object) -> None:
        raise Accepted

    monkeypatch.setattr(flow, "run_session", stop)
    try:
        flow.rj_iplanrio__betterstack_api.fn(**params)
    except ConfigError as exc:
        return str(exc)
    except Accepted:
        return "accepted"
    raise AssertionError("the flow neither refused nor started")


# -- through a variable: every command and the flow, the very same line -----------------------

REFUSED_VARIABLES = [
    (
        "BETTERSTACK_SLO",
        "100.5",
        "BETTERSTACK_SLO='100.5' is outside 0-100 — " + SLO_HINT.format("BETTERSTACK_SLO"),
    ),
    (
        "BETTERSTACK_SLO",
        "high",
        "BETTERSTACK_SLO='high' is not a number — " + SLO_HINT.format("BETTERSTACK_SLO"),
    ),
    (
        "BETTERSTACK_FROM_DATE",
        "2026-13-01",
        "BETTERSTACK_FROM_DATE='2026-13-01' is not a date — "
        + DATE_HINT.format("BETTERSTACK_FROM_DATE"),
    ),
    (
        "BETTERSTACK_FROM_DATE",
        "20261101",
        "BETTERSTACK_FROM_DATE='20261101' is not a date — "
        + DATE_HINT.format("BETTERSTACK_FROM_DATE"),
    ),
    (
        "BETTERSTACK_DESTINATION",
        "s3",
        "BETTERSTACK_DESTINATION='s3' is not a destination — " + DESTINATION_HINT,
    ),
    ("BETTERSTACK_RATE", "101", "BETTERSTACK_RATE='101' is not a number in (0, 100] — " + RATE_HINT),
    ("BETTERSTACK_RATE", "0", "BETTERSTACK_RATE='0' is not a number in (0, 100] — " + RATE_HINT),
    ("BETTERSTACK_TOKEN", "tok-abc def", TOKEN_LINE.format("BETTERSTACK_TOKEN")),
    ("BETTERSTACK_TOKEN", "tok-abc\ndef", TOKEN_LINE.replace("whitespace", "a newline").format(
        "BETTERSTACK_TOKEN")),
]  # fmt: skip


@pytest.mark.parametrize(("variable", "value", "line"), REFUSED_VARIABLES)
def test_a_refused_variable_is_refused_alike_everywhere(
    where: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, line: str
) -> None:
    env = {"MONITOR_ID": "1", "BETTERSTACK_LAKE_ROOT": str(where / "lake"), variable: value}
    for name, args in _commands(where).items():
        code, errors = _invoke(args, env)
        assert code == 1, name
        assert f"error: {line}" in errors, (name, errors)
    assert _flow(env, monkeypatch) == line


ACCEPTED_VARIABLES = [
    ("BETTERSTACK_SLO", "99.9%", "99.9"),
    ("BETTERSTACK_SLO", " 99.5 ", "99.5"),
    ("BETTERSTACK_FROM_DATE", "2026-11-01", "2026-11-01"),
    ("BETTERSTACK_DESTINATION", "Local", "local"),
    ("BETTERSTACK_RATE", "100", "100"),
    ("BETTERSTACK_RATE", "0.5", "0.5"),
    ("BETTERSTACK_TOKEN", " tok-abc\n", "***"),
]


@pytest.mark.parametrize(("variable", "value", "shown"), ACCEPTED_VARIABLES)
def test_an_accepted_variable_is_accepted_alike_everywhere(
    where: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, shown: str
) -> None:
    # No token (or no monitor, for the token's case): run and check stop right after the
    # settings, before any request; the others fail, if at all, on the empty lake.
    env = {"BETTERSTACK_LAKE_ROOT": str(where / "lake"), variable: value}
    if variable != "BETTERSTACK_TOKEN":
        env["MONITOR_ID"] = "1"
    for name, args in _commands(where).items():
        _, errors = _invoke(args, env)
        assert not [e for e in errors if variable in e], (name, errors)
    code, _ = _invoke(["config", "--json"], env)
    assert code == 0
    result = RUNNER.invoke(app, ["config", "--json"], env={**env, "COLUMNS": "300"})
    rows = {r["variable"]: r for r in json.loads(result.stdout)["settings"]}
    assert (rows[variable]["value"], rows[variable]["origin"]) == (shown, "env")
    # the flow goes past its settings too: it stops at the token, or the monitors, still unset
    answer = _flow(env, monkeypatch).split(" — ")[0]
    missing = "MONITOR_ID" if variable == "BETTERSTACK_TOKEN" else "BETTERSTACK_TOKEN"
    assert answer == f"{missing} is not set"


# -- through an option: each command that has it, the same line naming the option -------------


def _lake_file(tmp: Path) -> Path:
    file = tmp / "lakefile"
    file.write_text("not a folder")
    return file


OPTION_CASES = [
    # option, value, the commands that have it, the flow's parameter, the line: {0} is the knob
    # with its value, {1} the knob
    ("--from-date", "20261101", ["run", "report", "config"], "from_date",
     "{0} is not a date — " + DATE_HINT.format("{1}")),
    ("--from-date", "2026-13-01", ["run", "report", "config"], "from_date",
     "{0} is not a date — " + DATE_HINT.format("{1}")),
    ("--destination", "s3", ["run", "check", "repair", "report", "config"], "destination",
     "{0} is not a destination — " + DESTINATION_HINT),
    ("--monitor-id", "12,abc", ["run", "check", "report", "config"], "monitor_id",
     "{1} contains 'abc', which is not a monitor id — " + MONITOR_HINT),
    ("--slo", "100.5", ["report"], None, "{0} is outside 0-100 — " + SLO_HINT.format("{1}")),
    ("--lake-root", "FILE", ["run", "check", "repair", "report", "query", "config", "demo"],
     "lake_root", "{0} is not a folder (FILE is a file) — point {1} at a folder the pipeline "
     "can write in"),
]  # fmt: skip


def _args(command: str, tmp: Path) -> list[str]:
    return {**_commands(tmp), "demo": ["demo"]}[command]


@pytest.mark.parametrize(("option", "value", "commands", "parameter", "line"), OPTION_CASES)
def test_a_refused_option_is_refused_alike_by_each_command_and_the_flow(
    where: Path,
    monkeypatch: pytest.MonkeyPatch,
    option: str,
    value: str,
    commands: list[str],
    parameter: str | None,
    line: str,
) -> None:
    if value == "FILE":
        value = str(_lake_file(where))
        line = line.replace("FILE", value)
    env = {"MONITOR_ID": "1", "BETTERSTACK_LAKE_ROOT": str(where / "lake")}
    expected = line.replace("{0}", f"{option} {value!r}").replace("{1}", option)
    for command in commands:
        code, errors = _invoke([*_args(command, where), option, value], env)
        assert code == 1, command
        assert f"error: {expected}" in errors, (command, errors)
    if parameter is not None:
        in_flow = line.replace("{0}", f"{parameter}={value!r}").replace("{1}", parameter)
        assert _flow(env, monkeypatch, **{parameter: value}) == in_flow


def test_a_token_with_whitespace_is_refused_alike_by_simulate() -> None:
    code, errors = _invoke(["simulate", "--port", "0", "--token", "tok-abc def"], {})
    assert code == 1
    assert errors == [f"error: {TOKEN_LINE.format('--token')}"]


def test_an_slo_with_a_percent_sign_is_accepted_by_report_too(where: Path) -> None:
    env = {"BETTERSTACK_LAKE_ROOT": str(where / "lake")}
    _, errors = _invoke([*_commands(where)["report"], "--slo", "99.9%"], env)
    assert not [e for e in errors if "--slo" in e], errors
    assert errors
    assert "no DuckDB database" in errors[-1]  # it went on to read the lake


def test_every_command_option_of_a_setting_is_the_declared_one() -> None:
    """The options are derived from the declaration: no command spells its own."""
    import typer.main

    from betterstack_etl.settings import FIELDS, knob

    declared = {knob(n).option: n for n in FIELDS if knob(n).option}
    command = typer.main.get_command(app)
    # report's days (in the report time zone) and monitor filter, demo's sandbox lake: their
    # own options, parsed alike (parse_as, the declaration), but no setting
    own = {("report", "--from-date"), ("report", "--to-date"), ("report", "--monitor-id")}
    own |= {("demo", "--lake-root")}
    seen = 0
    for name, sub in command.commands.items():  # type: ignore[attr-defined]
        for param in sub.params:
            for opt in param.opts:
                if opt in declared and (name, opt) not in own:
                    setting = declared[opt]
                    assert param.name in (setting, "timezone"), (name, opt, param.name)
                    assert f"[env var: {knob(setting).variable}" in (param.help or ""), (name, opt)
                    seen += 1
    assert seen >= 30  # run 9, config 9, check 6, report 6, repair 3, query 1
