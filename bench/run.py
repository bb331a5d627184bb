"""Benchmarks: `python bench/run.py [--quick] [--db sqlite|postgresql|both]`.

Each figure is printed as a JSON line {"name", "value", "unit", "floor", "ratio"} next to its floor,
measured in the same run on the same machine, then all of them as a table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import audit_bench, export_bench  # noqa: E402
from bench.common import print_table, scratch_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller data sets (each figure says so)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    events = 100_000 if args.quick else 1_000_000
    for kind in kinds:
        with scratch_database(kind) as url:
            audit_bench.run(url, kind, events)
        with scratch_database(kind) as url:
            export_bench.run(url, kind, events)
    print_table()


if __name__ == "__main__":
    main()
