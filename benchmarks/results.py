"""The benchmarks' figures, written once by the benchmark that measured them.

Each benchmark's ``main`` saves what it printed to ``benchmarks/results/<name>.json`` (its
figures, its summary line, the command, when, and the load average it ran at). The docs never
copy a figure by hand: ``docs/benchmarks.md`` and ``README.md`` hold marked sections

    <!-- results:periods -->            the results table, the summary line, when and at what load
    <!-- results:periods summary -->    the summary line, when and at what load
    …
    <!-- /results:periods -->

that ``python -m benchmarks.results`` fills from the last results, and one section

    <!-- results:index -->              every kept result: its command, how long it took, when
    <!-- /results:index -->

(CONTRIBUTING's "Refreshing the figures"). ``--check`` (run by the tests) fails when a section
differs from the results, names a benchmark with no results, or when a doc quotes a figure in a
benchmark's context outside a marked section (``stray_figures``).
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

__all__ = [
    "DOCS",
    "RESULTS_DIR",
    "check",
    "load",
    "print_and_save",
    "render",
    "render_index",
    "save",
    "stray_figures",
    "update",
]

_REPO: Final = Path(__file__).resolve().parent.parent
RESULTS_DIR: Final = _REPO / "benchmarks" / "results"
DOCS: Final = (
    _REPO / "README.md",
    _REPO / "CONTRIBUTING.md",
    *sorted((_REPO / "docs").glob("*.md")),
)
INDEX: Final = "index"  # the section listing every kept result (not a benchmark's name)
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


def print_and_save(
    name: str,
    figures: Sequence[Figure],
    summary: str,
    argv: Sequence[str] | None,
    *,
    width: int = 40,
    folder: Path = RESULTS_DIR,
) -> Path:
    """A benchmark's ``main`` ends here: its figures and its ``summary:`` line printed, then
    kept (``save``) under the command that ran it (``python -m benchmarks.<name> <argv>``)."""
    for figure in figures:
        print(f"{figure.measure:<{width}} {figure.value:>10}  {figure.note}")
    line = f"summary: {summary}"
    print(line, flush=True)
    command = " ".join([f"python -m benchmarks.{name}", *(argv or sys.argv[1:])])
    return save(name, figures, line, command=command, folder=folder)


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


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "not recorded"
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def render_index(results: Mapping[str, Mapping[str, Any]]) -> str:
    """The ``index`` section: every kept result, the command that refreshes it, how long that
    command took and at what load."""
    lines = [
        "| results | command | took | measured | load (1 min) |",
        "|---|---|---:|---|---:|",
    ]
    for name, result in sorted(results.items()):
        lines.append(
            f"| `{name}.json` | `.venv/bin/{result['command']}` "
            f"| {_duration(result.get('wall_seconds'))} | {result['measured_at']} "
            f"| {result['load_average'][0]:.2f} |"
        )
    lines += [
        "",
        "Then `.venv/bin/python -m benchmarks.results` rewrites every marked section. "
        "Written by `python -m benchmarks.results` from the results "
        "files, not by hand.",
        "",
    ]
    return "\n".join(lines)


def update(text: str, results: Mapping[str, Mapping[str, Any]]) -> tuple[str, list[str]]:
    """``text`` with each marked section rendered from ``results``; and the problems (a
    section naming a benchmark with no results)."""
    problems: list[str] = []

    def fill(found: re.Match[str]) -> str:
        name = found["name"]
        if name == INDEX:
            return found[1] + render_index(results) + found[5]
        if name not in results:
            problems.append(f"no results for the section {name!r}: run its benchmark")
            return found[0]
        body = render(results[name], short=bool(found["short"]))
        return found[1] + body + found[5]

    return _SECTION.sub(fill, text), problems


# A measured figure: a number with a unit of time, size, rate or ratio ("355 k rows/s",
# "76.9 s", "1.63×", "416 MiB", "1.6 %"), a summary's "key=value", or a bare ratio with two or
# more decimals ("0.995"). Not a figure: "2 cores", "10 monitors", "issue 24", a target
# ("≤ 1.25", "≥ 0.85"), an option's value ("--latency 0.05"), a period ("every 30 s"), code.
_UNIT = (
    r"(?:[ \u00a0]?(?:%|×)|[ \u00a0](?:ms|s|seconds?|min|minutes?|h|hours?|x)"
    r"|[ \u00a0]?(?:KiB|MiB|GiB|kB|MB|GB|rows/s|req/s|requests/s))(?![\w/])"
)
_FIGURE: Final = re.compile(
    r"(?<![\w.,/=-])(?:\d[\d,]*(?:\.\d+)?(?:[ \u00a0][kM](?= ))?"
    + _UNIT
    + r"|\d+\.\d{2,}(?![\w.])"
    + r")|\b[a-z][a-z0-9_]*=\d[\d.]*"
)
_NOT_MEASURED: Final = re.compile(
    r"(?:[≤≥<>]|--[a-z-]+[ =]|\bevery|\btarget|\bgoal|\bat\s+most|\bat\s+least|\bunder"
    r"|\bwithin)[\s*]*$",
    re.IGNORECASE,
)
_CODE: Final = re.compile(r"`[^`\n]*`")
_CONTEXT: Final = re.compile(r"benchmark", re.IGNORECASE)


def _blocks(text: str) -> list[tuple[int, str, list[tuple[int, str]]]]:
    """``text`` without its marked sections, as blocks of consecutive non-blank lines (a
    fenced block is one block): (first line number, the heading above, the lines)."""
    kept = _SECTION.sub(lambda m: "\n" * m[0].count("\n"), text)
    blocks: list[tuple[int, str, list[tuple[int, str]]]] = []
    heading, current, fenced = "", [], False
    for number, line in enumerate(kept.splitlines(), start=1):
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("#"):
            heading = line
        if line.strip() or fenced:
            current.append((number, line))
        elif current:
            blocks.append((current[0][0], heading, current))
            current = []
    if current:
        blocks.append((current[0][0], heading, current))
    return blocks


def stray_figures(text: str, *, whole: bool = False) -> list[str]:
    """The figures ``text`` quotes in a benchmark's context outside a marked section, one
    ``line N: …`` each. The context is the whole text when ``whole`` (docs/benchmarks.md),
    else a block (a paragraph, a table, a fenced block) that says "benchmark" or sits under a
    heading that does. Inline code is not read (commands, options, names)."""
    found = []
    for first, heading, lines in _blocks(text):
        block = "\n".join(line for _, line in lines)
        if not (whole or _CONTEXT.search(heading) or _CONTEXT.search(block)):
            continue
        plain = _CODE.sub(lambda m: " " * len(m[0]), block)  # the same offsets as ``block``
        for match in _FIGURE.finditer(plain):
            if _NOT_MEASURED.search(plain[: match.start()].replace("\n", " ")):
                continue
            offset = plain.count("\n", 0, match.start())
            line = lines[offset][1].strip()[:80]
            found.append(f"line {first + offset}: {match[0].strip()!r} in {line!r}")
    return found


def check(docs: Sequence[Path] = DOCS, folder: Path = RESULTS_DIR) -> list[str]:
    """What differs between the docs and the kept results (empty: they match)."""
    results = load(folder)
    out = []
    for doc in docs:
        text = doc.read_text(encoding="utf-8")
        new, problems = update(text, results)
        out += [f"{doc.name}: {p}" for p in problems]
        strays = stray_figures(text, whole=doc.name == "benchmarks.md")
        out += [
            f"{doc.name}: {stray}: a figure copied by hand; let its benchmark write it (a "
            "marked section) or write a setting as code (`--rate 8`)"
            for stray in strays
        ]
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
