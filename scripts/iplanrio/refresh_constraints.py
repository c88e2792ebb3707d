"""Rewrite scripts/iplanrio/constraints.txt from the city hall's uv.lock.

The compat check (scripts/iplanrio-compat.sh) installs betterstack-etl into a stand-in of their
uv workspace with these versions as ``constraint-dependencies``: every package that their lock
and our install share, at their lock's version. Refresh it when their lock moves:

    git -C <their clone> show HEAD:uv.lock > /tmp/their-uv.lock
    python scripts/iplanrio/refresh_constraints.py /tmp/their-uv.lock <commit> <names...>

where ``<names...>`` are the packages of our install (``uv pip freeze`` of the compat venv, or
the current file's names when nothing was added). Only names and versions are copied.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

OUT = Path(__file__).with_name("constraints.txt")


def main(lock: str, commit: str, names: list[str]) -> None:
    packages = tomllib.loads(Path(lock).read_text())["package"]
    theirs: dict[str, set[str]] = {}
    for package in packages:
        if "version" in package:
            theirs.setdefault(package["name"], set()).add(package["version"])
    wanted = {n.lower().replace("_", "-").split("==")[0] for n in names}
    lines = [
        "# Versions from prefeitura-rio/prefect_rj_iplanrio's uv.lock at commit " + commit + ",",
        "# for every package that lock shares with an install of betterstack-etl[gcp] (Python",
        "# 3.13, prefect 3.4.9). Written by scripts/iplanrio/refresh_constraints.py; read by",
        "# scripts/iplanrio-compat.sh. One version per name (their lock has one for these).",
    ]
    for name in sorted(wanted & theirs.keys()):
        (version,) = theirs[name]
        lines.append(f"{name}=={version}")
    OUT.write_text("\n".join(lines) + "\n")
    print(f"{OUT}: {len(lines) - 4} constraints", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
