"""SPEC §13 in the report: names and causes are escaped HTML and are never parsed as matplotlib
mathtext (``$\\frac{1}{$`` breaks nothing; ``$\\alpha$`` is drawn as its eight characters)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from betterstack_etl.report import DuckDbSource, ReportOptions, render_report

from . import fixture_lake as F
from .conftest import section

NAMES = {
    "100": "$\\alpha$ [/bold]",
    "200": "$\\frac{1}{$ [x](javascript:alert(1)) <img src=x onerror=alert(1)> \x1b]0;T\x07",
}
CAUSE = "$\\frac{1}{$ <script>alert(1)</script> \x1b[31m"


@pytest.fixture(scope="module")
def hostile_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = F.build(tmp_path_factory.mktemp("hostile"))
    con = duckdb.connect(str(root / "betterstack.duckdb"))
    for monitor_id, name in NAMES.items():
        con.execute(
            "UPDATE eai_gateway_monitors SET pronounceable_name = ? WHERE monitor_id = ?",
            [name, monitor_id],
        )
    con.execute("UPDATE eai_gateway_incidents SET cause = ? WHERE monitor_id = '300'", [CAUSE])
    con.close()
    return root


@pytest.mark.parametrize("lang", ["pt-BR", "en"])
def test_hostile_names_and_causes_render_as_their_characters(hostile_lake: Path, lang: str) -> None:
    options = ReportOptions.from_cli(now=F.NOW, lang=lang)
    with DuckDbSource.open(hostile_lake) as source:
        html = render_report(source, options)
    assert "<script>" not in html
    assert "<img" not in html
    assert "\x1b" not in html
    assert "\x07" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; \\x1b]0;T\\x07" in html
    assert "$\\frac{1}{$ &lt;script&gt;alert(1)&lt;/script&gt; \\x1b[31m" in section(html, "300")
    svg = "".join(re.findall(r"<svg.*?</svg>", html, flags=re.S))
    # the budget chart's labels are the names; the timeline's, the causes: drawn as text
    assert "$\\alpha$ [/bold]" in svg
    assert "$\\frac{1}{$ [x](javascript:alert(1))" in svg
    assert "$\\frac{1}{$ &lt;script&gt;alert(1)&lt;/scr" in svg  # cut at 40 characters
    assert "α" not in html  # no mathtext: no Greek letter was drawn
