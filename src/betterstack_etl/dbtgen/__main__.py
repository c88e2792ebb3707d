"""``python -m betterstack_etl.dbtgen [--check] [--dir DIR] [--time-zone Z] [--slo PCT]``:
write the generated files of the dbt package (default: the repository's ``dbt/``), or, with
``--check``, exit 1 naming those that drifted from the SQL definition."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from betterstack_etl.dbtgen import DBT_DIR, drifted, write
from betterstack_etl.errors import ConfigError
from betterstack_etl.settings import parse_as
from betterstack_etl.sla import DEFAULT_SLO_PCT, DEFAULT_TIME_ZONE, SlaOptions

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m betterstack_etl.dbtgen")
    parser.add_argument("--check", action="store_true", help="only report drift (exit 1)")
    parser.add_argument("--dir", type=Path, default=DBT_DIR, help="the dbt package's folder")
    parser.add_argument("--time-zone", default=DEFAULT_TIME_ZONE, help="the SLA calendar")
    parser.add_argument("--slo", default=str(DEFAULT_SLO_PCT), help="availability SLO, %%")
    args = parser.parse_args(argv)
    try:
        options = SlaOptions(  # parsed as the settings BETTERSTACK_REPORT_TIMEZONE / _SLO are
            parse_as("report_timezone", args.time_zone, label="--time-zone"),
            parse_as("slo", args.slo, label="--slo"),
        )
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        wrong = drifted(args.dir, options)
        for path in wrong:
            print(f"drifted from the SQL definition: {args.dir / path}", file=sys.stderr)
        if wrong:
            print("fix: python -m betterstack_etl.dbtgen", file=sys.stderr)
        return 1 if wrong else 0
    for path in write(args.dir, options):
        print(f"wrote {args.dir / path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
