"""The docs' benchmark figures are written from the benchmarks' own results
(``benchmarks/results/*.json``), never copied by hand (issue 24)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.common import Figure
from benchmarks.results import check, load, render, save, update


def test_the_docs_show_the_last_results() -> None:
    """What ``python -m benchmarks.results --check`` says: every marked section of
    docs/benchmarks.md and README.md is what the kept results render."""
    assert check() == []
    assert {"periods", "views"} <= set(load())


def test_a_section_is_rendered_from_the_results_file(tmp_path: Path) -> None:
    figures = [Figure("6b months", "SLO check", "1.05×", "900 ms → 945 ms")]
    save("periods", figures, "summary: slo_check_365_vs_90=1.05", command="x", folder=tmp_path)
    kept = load(tmp_path)
    assert kept["periods"]["figures"][0]["value"] == "1.05×"
    doc = (
        "# Doc\n<!-- results:periods -->\nstale 355 k rows/s\n<!-- /results:periods -->\n"
        "<!-- results:periods summary -->\n<!-- /results:periods -->\ntail\n"
    )
    new, problems = update(doc, kept)
    assert problems == []
    assert "stale" not in new
    assert new.endswith("tail\n")
    assert "| 6b months | SLO check | 1.05× | 900 ms → 945 ms |" in new
    assert new.count("summary: slo_check_365_vs_90=1.05") == 2
    assert new.count("| 6b months |") == 1  # the short section has the summary only
    assert update(new, kept) == (new, [])  # rendering twice changes nothing

    # a new run changes the doc; a section with no results is named
    path = tmp_path / "periods.json"
    data = json.loads(path.read_text())
    data["summary"] = "summary: slo_check_365_vs_90=1.10"
    path.write_text(json.dumps(data))
    newer, _ = update(new, load(tmp_path))
    assert "=1.10" in newer
    assert "=1.05" not in newer
    _, problems = update("<!-- results:scale -->\n<!-- /results:scale -->\n", kept)
    assert problems == ["no results for the section 'scale': run its benchmark"]
    assert render(kept["periods"], short=True).startswith("```\nsummary:")
