"""The benchmarks' figures, written once by the benchmark that measured them.

Each benchmark's ``main`` saves what it printed to ``benchmarks/results/<name>.json`` (its
figures, its summary line, the command, when, and the load average it ran at). The docs never
copy a figure by hand: ``docs/benchmarks.md`` and ``README.md`` hold marked sections

    <!-- results:periods -->            the results table, the summary line, when and at what load
    <!-- results:periods summary -->    the summary line, when and at what load
    …
    <!-- /results:periods -->

that ``python -m benchmarks.results`` fills from the last results; ``--check`` (run by the
tests) fails when a section differs from them or names a benchmark with no results.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from benchmarks.common import Figure

__all__ = ["DOCS", "RESULTS_DIR", "check", "load", "render", "save", "update"]

_REPO: Final = Path(__file__).resolve().parent.parent
RESULTS_DIR: Final = _REPO / "benchmarks" / "results"
DOCS: Final = (_REPO / "docs" / "benchmarks.md", _REPO / "README.md")
_SECTION: Final = re.compile(
    r"(<!-- results:(?P<name>[a-z0-9_-]+)(?P<short> summary)? -->\n)(?P<body>.*?)"
    r"(<!-- /results:(?P=name) -->)",
    re.DOTALL,
)


def _process_seconds() -> float | None:
    """Wall time since this process started (Linux: its start in ``/proc/self/stat``, in clock
    ticks since boot), or None where that cannot be read."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return time.clock_gettime(time.CLOCK_BOOTTIME) - int(fields[19]) / ticks
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def save(
    name: str,
    figures: Sequence[Figure],
    summary: str,
    *,
    command: str,
    folder: Path = RESULTS_DIR,
    wall_seconds: float | None = None,
) -> Path:
    """Keep one benchmark run's results (``folder/name.json``); returns the file.

    ``wall_seconds`` (how long the whole command took, for CONTRIBUTING's refresh table)
    defaults to the time since this process started."""
    folder.mkdir(parents=True, exist_ok=True)
    load1, load5, load15 = os.getloadavg()
    wall = _process_seconds() if wall_seconds is None else wall_seconds
    result = {
        "command": command,
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "wall_seconds": None if wall is None else round(wall, 1),
        "load_average": [round(load1, 2), round(load5, 2), round(load15, 2)],
        "cpus": os.cpu_count(),
        "figures": [asdict(f) for f in figures],
        "summary": summary,
    }
    path = folder / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load(folder: Path = RESULTS_DIR) -> dict[str, dict[str, Any]]:
    """Every kept result, by benchmark name."""
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.json"))
    }


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(result: Mapping[str, Any], *, short: bool = False) -> str:
    """A section's Markdown: the results table (unless ``short``), the summary line, and when
    and at what load it was measured."""
    loads = " / ".join(f"{x:.2f}" for x in result["load_average"])
    lines = []
    if not short:
        lines += ["| benchmark | measure | value | note |", "|---|---|---:|---|"]
        last = ""
        for f in result["figures"]:
            name = "" if f["benchmark"] == last else f["benchmark"]
            last = f["benchmark"]
            lines.append(
                f"| {_cell(name)} | {_cell(f['measure'])} | {_cell(f['value'])} "
                f"| {_cell(f['note'])} |"
            )
        lines.append("")
    lines += [
        "```",
        result["summary"],
        "```",
        "",
        f"Measured {result['measured_at']} by `{result['command']}` on {result['cpus']} cores, "
        f"load average {loads} (1 / 5 / 15 min); written by `python -m benchmarks.results` "
        "from the benchmark's own output, not by hand.",
        "",
    ]
    return "\n".join(lines)


def update(text: str, results: Mapping[str, Mapping[str, Any]]) -> tuple[str, list[str]]:
    """``text`` with each marked section rendered from ``results``; and the problems (a
    section naming a benchmark with no results)."""
    problems: list[str] = []

    def fill(found: re.Match[str]) -> str:
        name = found["name"]
        if name not in results:
            problems.append(f"no results for the section {name!r}: run its benchmark")
            return found[0]
        body = render(results[name], short=bool(found["short"]))
        return found[1] + body + found[5]

    return _SECTION.sub(fill, text), problems


def check(docs: Sequence[Path] = DOCS, folder: Path = RESULTS_DIR) -> list[str]:
    """What differs between the docs and the kept results (empty: they match)."""
    results = load(folder)
    out = []
    for doc in docs:
        text = doc.read_text(encoding="utf-8")
        new, problems = update(text, results)
        out += [f"{doc.name}: {p}" for p in problems]
        if new != text:
            out.append(
                f"{doc.name}: figures differ from {folder.name}/ (python -m benchmarks.results)"
            )
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.results", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if a doc is out of date")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for line in problems:
            print(line, file=sys.stderr)
        raise SystemExit(1 if problems else 0)
    results = load()
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        new, problems = update(text, results)
        for line in problems:
            print(f"{doc.name}: {line}", file=sys.stderr)
        if new != text:
            doc.write_text(new, encoding="utf-8")
            print(f"updated {doc.relative_to(_REPO)}")


if __name__ == "__main__":
    main()
