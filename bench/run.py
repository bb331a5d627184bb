"""Benchmarks: `python bench/run.py [--quick] [--db sqlite|postgresql|both] [--only NAME ...]`.

Each figure is printed as a JSON line {"name", "value", "unit", "floor", "ratio"} next to its floor,
measured in the same run on the same machine (with its goal and whether it was met), then all of them as a
table. Figures: the bedside scan under gunicorn and wrk, and its growth with years of history (scan); the
scan with one and with two gunicorn instances on one PostgreSQL (instances); the label sheet (labels); audit
verification (audit); the audit export's memory (export); a data logger file's import (logger)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import (  # noqa: E402
    audit_bench,
    bench_logger_import,
    export_bench,
    instances_bench,
    labels_bench,
    scan_bench,
)  # fmt: skip
from bench.common import print_table, scratch_database  # noqa: E402

BENCHES = ("scan", "instances", "labels", "audit", "export", "logger")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller data sets (each figure says so)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--only", nargs="+", choices=BENCHES, default=BENCHES)
    args = parser.parse_args()
    started = time.perf_counter()
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    events = 100_000 if args.quick else 1_000_000
    load = os.getloadavg()[0]
    spent: dict[str, float] = {}

    def timed(name: str, work: Callable[[], object]) -> None:
        start = time.perf_counter()
        work()
        spent[name] = time.perf_counter() - start

    if "labels" in args.only:
        timed("labels", lambda: labels_bench.run(args.quick))
    for kind in kinds:
        if "scan" in args.only:  # it makes its own two scratch databases
            timed(f"scan {kind}", lambda kind=kind: scan_bench.run(kind, args.quick))
        if "instances" in args.only and kind == "postgresql":  # two app servers share one PostgreSQL
            timed("instances postgresql", lambda: instances_bench.run(args.quick))
        for name, bench in (
            ("audit", lambda url, kind=kind: audit_bench.run(url, kind, events)),
            ("export", lambda url, kind=kind: export_bench.run(url, kind, events)),
            ("logger", lambda url, kind=kind: bench_logger_import.run(url, kind)),
        ):
            if name in args.only:
                with scratch_database(kind) as url:
                    timed(f"{name} {kind}", lambda bench=bench, url=url: bench(url))
    print_table()
    print("\nseconds: " + ", ".join(f"{name} {seconds:.0f}" for name, seconds in spent.items()))
    print(
        f"\n{os.cpu_count()} cores; load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the "
        f"end; {time.perf_counter() - started:.0f} s in all"
    )


if __name__ == "__main__":
    main()
