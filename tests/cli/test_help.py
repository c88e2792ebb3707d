"""Every command's --help keeps its information: the variables it reads, no lost brackets, no
line broken where the text could have gone on (hard-wrapped docstrings), no value on flags."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from betterstack_etl.cli.app import app

# the environment variables each command reads, written out by hand from settings.py / app.py
USES = {
    "run": [
        "BETTERSTACK_TOKEN",
        "MONITOR_ID",
        "BETTERSTACK_FROM_DATE",
        "BETTERSTACK_TO_DATE",
        "BETTERSTACK_TABLES",
        "BETTERSTACK_DESTINATION",
        "BETTERSTACK_LAKE_ROOT",
        "BETTERSTACK_DATASET_ID",
        "BETTERSTACK_BILLING_PROJECT_ID",
        "BETTERSTACK_BASE_URL",
        "PREFECT_API_URL",
    ],
    "check": [
        "BETTERSTACK_TOKEN",
        "MONITOR_ID",
        "BETTERSTACK_DESTINATION",
        "BETTERSTACK_LAKE_ROOT",
        "PREFECT_API_URL",
    ],
    "repair": [
        "BETTERSTACK_TOKEN",
        "MONITOR_ID",
        "BETTERSTACK_LAKE_ROOT",
        "BETTERSTACK_DESTINATION",
    ],
    "query": ["BETTERSTACK_LAKE_ROOT"],
    "report": ["BETTERSTACK_LAKE_ROOT", "BETTERSTACK_SLO", "BETTERSTACK_DESTINATION"],
    "status": ["BETTERSTACK_LAKE_ROOT", "BETTERSTACK_DESTINATION", "BETTERSTACK_DATASET_ID"],
    "tables": ["BETTERSTACK_LAKE_ROOT", "BETTERSTACK_DESTINATION", "BETTERSTACK_DATASET_ID"],
    "describe": ["BETTERSTACK_LAKE_ROOT", "BETTERSTACK_DESTINATION", "BETTERSTACK_DATASET_ID"],
    "demo": [],
    "simulate": [],
}


def _help(command: list[str], columns: int) -> str:
    """The help as a terminal of ``columns`` shows it (the real command: CliRunner would force
    Click's width to 80 whatever COLUMNS says)."""
    env = {**os.environ, "COLUMNS": str(columns)}
    result = subprocess.run(
        [sys.executable, "-m", "betterstack_etl.cli.app", *command, "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_help_through_typer_runner_keeps_brackets() -> None:
    result = CliRunner().invoke(app, ["run", "--help"])
    assert result.exit_code == 0
    flat = " ".join(result.output.split())
    assert "[env var: MONITOR_ID]" in flat
    assert "default: all]" in flat


def _width(columns: int) -> int:
    """The help's width: the terminal, at most the app's max_content_width (120)."""
    return min(columns, 120)


@pytest.mark.parametrize("columns", [80, 200])
@pytest.mark.parametrize("command", sorted(USES))
def test_help_names_every_variable_and_wraps_only_where_needed(command: str, columns: int) -> None:
    text = _help([command], columns)
    flat = " ".join(text.split())
    for var in USES[command]:
        assert var in flat, f"{command} --help does not name {var}"
    assert "env var:" in flat or not USES[command]
    assert "[env " not in flat.replace("[env var:", "")  # one notation
    assert "(env " not in flat
    assert "<bool>" not in flat
    assert not re.search(r" \.(\s|$)", flat)  # a dropped "[...]" left "'all' ."
    if command == "run":
        assert "[default: all]" in flat.replace("; default: all]", "] [default: all]")
    width = _width(columns)
    section = ""
    lines = text.splitlines()
    for line, following in itertools.pairwise(lines):
        assert len(line) <= width, line
        if line and not line.startswith(" "):
            section = line  # "Usage: …", "Options:", "Commands:"
            continue
        body = following.strip()
        if not line.strip() or not body or section == "Commands:":
            continue
        if section in (
            "Options:",
            "Arguments:",
        ):  # an option's help goes on in its column, deeper in
            continues = following.startswith("    ") and not body.startswith("-")
        else:  # the description: paragraphs of lines indented by two
            continues = not section.startswith("Usage") or line.startswith("  ")
        if continues:
            word = body.split()[0]
            # Click wraps a little short of the width
            assert len(line.rstrip()) + 1 + len(word) > width - 4, (
                f"{command} --help at {columns} columns breaks the line before {word!r} "
                f"though it fits:\n{line}\n{following}"
            )


def test_top_level_help_offers_shell_completion() -> None:
    text = _help([], 200)
    assert "--install-completion" in text
