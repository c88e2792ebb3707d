"""What is said about the settings stays true: the README's table is the declaration's, every
variable named anywhere is declared, the flow's parameters are the declared ones."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from betterstack_etl.settings import FIELDS, knob, markdown_table
from betterstack_etl.settings.declaration import NOT_SETTINGS
from betterstack_etl.tables import TABLES

ROOT = Path(__file__).resolve().parents[2]
BEGIN = "<!-- settings table: generated from the declaration, do not edit by hand -->\n"
END = "\n<!-- end of settings table -->"
VARIABLE = re.compile(r"\b(?:BETTERSTACK_[A-Z0-9_]*[A-Z0-9]|MONITOR_ID)\b")


def test_the_readme_table_is_the_declarations() -> None:
    readme = (ROOT / "README.md").read_text()
    assert BEGIN in readme
    assert END in readme
    table = readme.split(BEGIN, 1)[1].split(END, 1)[0]
    assert table == markdown_table(), (
        "the README's settings table is stale: paste the output of "
        "`.venv/bin/python -c 'from betterstack_etl.settings import markdown_table as t; "
        "print(t())'` between its markers"
    )


def test_the_table_has_one_row_per_setting_with_its_range() -> None:
    rows = markdown_table().splitlines()[2:]
    assert [r.split(" | ")[0].strip("| `") for r in rows] == [knob(n).variable for n in FIELDS]
    rate = next(r for r in rows if r.startswith("| `BETTERSTACK_RATE`"))
    assert "(a number in (0, 100])" in rate
    assert rate.endswith("| `8` |")
    token = next(r for r in rows if r.startswith("| `BETTERSTACK_TOKEN`"))
    assert "**secret**" in token
    assert token.endswith("| required (run, check) |")


def test_every_variable_named_in_the_code_and_docs_is_declared() -> None:
    declared = {knob(n).variable for n in FIELDS} | set(NOT_SETTINGS)
    places = [
        *(ROOT / "src").rglob("*.py"),
        *(ROOT / "docs").glob("*.md"),
        ROOT / "README.md",
        ROOT / "prefect.yaml",
        ROOT / "Dockerfile",
        ROOT / "CONTRIBUTING.md",
        ROOT / "Makefile",
        ROOT / ".ci" / "run",
    ]
    named = {
        (str(p.relative_to(ROOT)), name)
        for p in places
        if p.exists()
        for name in VARIABLE.findall(p.read_text(errors="replace"))
    }
    assert len(named) > 50  # the guard reads something
    assert sorted((p, n) for p, n in named if n not in declared) == []


def test_the_variable_finder_finds_an_undeclared_one() -> None:
    declared = {knob(n).variable for n in FIELDS}
    found = VARIABLE.findall("set BETTERSTACK_SL0 or MONITOR_ID, not BETTERSTACK_")
    assert [n for n in found if n not in declared] == ["BETTERSTACK_SL0"]


def test_the_flows_parameters_are_the_declared_ones() -> None:
    from betterstack_etl.flow import rj_iplanrio__betterstack_api

    function = rj_iplanrio__betterstack_api.fn
    parameters = list(inspect.signature(function).parameters)
    assert sorted(parameters) == sorted(n for n in FIELDS if knob(n).parameter)
    lines = (inspect.getdoc(function) or "").splitlines()
    for name in parameters:
        at = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{name}: "))
        assert knob(name).variable in " ".join(lines[at : at + 2]), name


def test_the_tables_help_names_every_table() -> None:
    description = FIELDS["tables"].description or ""
    assert all(spec.short_name in description for spec in TABLES)
