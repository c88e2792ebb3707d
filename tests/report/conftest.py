from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from . import fixture_lake


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture lake (read only by the tests: one per module)."""
    return fixture_lake.build(tmp_path_factory.mktemp("lake"))


def rows(html: str, attribute: str) -> dict[str, list[str]]:
    """Table rows carrying ``data-<attribute>``: its value → the rows' cell texts."""
    found: dict[str, list[str]] = {}
    for match in re.finditer(rf'<tr data-{attribute}="([^"]+)">(.*?)</tr>', html, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", match.group(2), re.S)
        found[match.group(1)] = [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells]
    return found


def section(html: str, monitor_id: str) -> str:
    """The HTML of one monitor's section (full or compact)."""
    found = re.search(f'<section class="monitor( compact)?" id="m-{re.escape(monitor_id)}"', html)
    assert found is not None, monitor_id
    return html[found.start() : html.index("</section>", found.start())]


def text(html: str) -> str:
    """The visible text, whitespace collapsed (SVG left out)."""
    html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    html = re.sub(r"<style>.*?</style>|<title>.*?</title>", " ", html, flags=re.S)
    plain = unescape(re.sub(r"<[^>]+>", " ", html))
    return re.sub(r"[ \t\r\n]+", " ", plain).strip()  # keeps no-break spaces as they are


@pytest.fixture(scope="module")
def simulated_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lake from the simulator with the SLA views published (frozen at ``sim_lake.NOW``)."""
    from . import sim_lake

    return sim_lake.build(tmp_path_factory.mktemp("sim-lake"))
