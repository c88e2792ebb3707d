"""The docs' benchmark figures are written from the benchmarks' own results
(``benchmarks/results/*.json``), never copied by hand (issue 24)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from benchmarks.common import Figure
from benchmarks.results import (
    DOCS,
    check,
    load,
    print_and_save,
    render,
    render_index,
    save,
    stray_figures,
    update,
)


def test_the_docs_show_the_last_results() -> None:
    """What ``python -m benchmarks.results --check`` says: every marked section of the
    README, CONTRIBUTING and docs/*.md is what the kept results render, and no doc quotes a
    benchmark's figure outside a section."""
    assert check() == []
    kept = set(load())
    assert {"all", "cli", "merge", "periods", "report", "scale", "views"} <= kept
    names = {"README.md", "CONTRIBUTING.md", "benchmarks.md", "sla.md", "lake.md"}
    assert names <= {doc.name for doc in DOCS}
    # every kept result is shown somewhere: no benchmark runs for nothing
    text = "".join(doc.read_text(encoding="utf-8") for doc in DOCS)
    assert all(f"<!-- results:{name} -->" in text for name in kept)
    assert "<!-- results:index -->" in (DOCS[1].read_text(encoding="utf-8"))


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


_PROSE = """# Setup

The suite took 476 s on 2 cores at load 8 (the test suite's time).

## Benchmarks

Against the simulator (`--rate 8 --latency 0.2`), 10 monitors × 60 days, on 2 cores.
The merge must stay ≤ 1.25 × the floor and the start ≥ 0.3 s, checked every 30 s; issue 24.
<!-- results:merge -->
| 4 merge | rows/s | 1,380,000 | 12.5 s |
<!-- /results:merge -->
"""


def test_prose_and_marked_sections_are_not_figures_copied_by_hand() -> None:
    """Counts, cores, issue numbers, targets, options and periods are not measurements; a
    figure outside a benchmark's context, or inside a marked section, is not copied by hand."""
    assert stray_figures(_PROSE) == []


@pytest.mark.parametrize(
    ("line", "figure"),
    [
        ("Merging gives **355 k rows/s** at 10 M rows.", "355 k rows/s"),
        ("The run took 76.9 s against a floor.", "76.9 s"),
        ("ours is 1.63× faster", "1.63×"),
        ("peak RSS 416 MiB", "416 MiB"),
        ("1.6 % of requests answered 429", "1.6 %"),
        ("efficiency 0.995 of the rate limit", "0.995"),
        ("summary: merge_rows_per_s=355188 memory_growth=1.00", "merge_rows_per_s=355188"),
        ("`demo` in ~3–4 s", "4 s"),
    ],
)
def test_a_figure_in_a_benchmark_context_outside_a_section_is_found(line: str, figure: str) -> None:
    under_heading = f"# Doc\n\n## Benchmarks\n\nIntro.\n\n{line}\n"
    found = stray_figures(under_heading)
    assert found
    assert found[0].startswith(f"line 7: {figure!r}")
    # a paragraph that names a benchmark is its context, whatever the heading
    assert stray_figures(f"# Setup\n\nBenchmark 4: {line}\n")
    # the same sentence elsewhere is not about a benchmark
    assert stray_figures(f"# Setup\n\n{line}\n") == []
    # docs/benchmarks.md is a benchmark's context throughout, fenced output included
    assert stray_figures(f"# Setup\n\n```text\n{line}\n```\n", whole=True)


def test_the_index_lists_each_command_and_how_long_it_took(tmp_path: Path) -> None:
    figures = [Figure("7 CLI", "hourly run", "5.00 s")]
    save(
        "cli",
        figures,
        "summary: x=1",
        command="python -m benchmarks cli",
        folder=tmp_path,
        wall_seconds=38.24,
    )
    save(
        "scale",
        figures,
        "summary: y=2",
        command="python -m benchmarks.scale",
        folder=tmp_path,
        wall_seconds=512.0,
    )
    kept = load(tmp_path)
    assert kept["cli"]["wall_seconds"] == 38.2
    index = render_index(kept)
    assert "| `cli.json` | `.venv/bin/python -m benchmarks cli` | 38 s |" in index
    assert "| `scale.json` | `.venv/bin/python -m benchmarks.scale` | 8 min 32 s |" in index
    doc = "<!-- results:index -->\nold\n<!-- /results:index -->\n"
    new, problems = update(doc, kept)
    assert problems == []
    assert "8 min 32 s" in new
    assert "old" not in new


def test_a_run_records_how_long_its_process_has_run(tmp_path: Path) -> None:
    """Without ``wall_seconds``, the time since the process started: more than nothing, less
    than this test session (bounds, not a timing)."""
    path = save("views", [], "summary: z=3", command="c", folder=tmp_path)
    kept = json.loads(path.read_text())["wall_seconds"]
    assert kept is not None
    assert 0 < kept < time.clock_gettime(time.CLOCK_BOOTTIME)


def test_a_benchmark_ends_printing_its_figures_and_summary_then_keeps_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = [Figure("6b periods", "SLO check", "1.06×", "458 ms → 485 ms")]
    path = print_and_save("periods", figures, "slo_check_365_vs_90=1.06", ["--repeats", "5"],
                          width=12, folder=tmp_path)  # fmt: skip
    assert capsys.readouterr().out.splitlines() == [
        "SLO check         1.06×  458 ms → 485 ms",
        "summary: slo_check_365_vs_90=1.06",
    ]
    kept = json.loads(path.read_text())
    assert path == tmp_path / "periods.json"
    assert kept["command"] == "python -m benchmarks.periods --repeats 5"
    assert kept["summary"] == "summary: slo_check_365_vs_90=1.06"
    assert kept["figures"][0]["value"] == "1.06×"
