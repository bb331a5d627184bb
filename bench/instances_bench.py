"""More than one app server (issue 25): the bedside scan's throughput with one gunicorn instance and with two
instances on one PostgreSQL database, each instance with one sync worker per core divided between them, loaded
by wrk at the same total connections; beside it the floor route of bench/scan_server.py served the same way.

Two instances share the machine's cores, so on one machine they cannot be faster than one: the figure says
that splitting the service in two costs little (ratio near 1) and that the database, not an app server, is
shared correctly; on two machines the same layout adds a machine's cores."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import figure, print_table, scratch_database  # noqa: E402
from bench.scan_bench import LOADED, Load, _data_file, _scan_file, combined, served, wrk  # noqa: E402
from bench.scan_server import FLOOR_METADATA  # noqa: E402
from bench.seed import seed_ward  # noqa: E402
from tracker.db import make_engine  # noqa: E402

SLICES, SECONDS = 4, 2  # each load in slices taken in turn with the loads it is compared to


def _together(targets: list[str], data: Path, connections: int, seconds: int) -> Load:
    """Every target loaded at once, the connections split between them: one Load for all of them."""
    each = max(1, connections // len(targets))
    with ThreadPoolExecutor(len(targets)) as pool:
        loads = list(pool.map(lambda base: wrk(base, data, each, seconds), targets))
    requests = sum(load.requests for load in loads)
    duration = max(load.seconds for load in loads)
    return Load(requests, duration, max(x.p50_ms for x in loads), max(x.p99_ms for x in loads))


def run(quick: bool = False) -> None:
    slices, seconds = (2, 1) if quick else (SLICES, SECONDS)
    cores = os.cpu_count() or 1
    workdir = Path(tempfile.mkdtemp(prefix="instances-bench-"))
    log = workdir / "gunicorn.log"
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database("postgresql"))
        seeded = seed_ward(url)
        engine = make_engine(url)
        FLOOR_METADATA.create_all(engine)
        engine.dispose()
        scans = _scan_file(workdir, "scans.txt", seeded)
        pairs = zip(seeded.bag_pks, seeded.bags, strict=True)
        floors = _data_file(
            workdir, "floor.txt", "/bench/floor", "-",
            [{"bag_pk": pk, "participant_id": pid} for pk, (_, pid) in pairs],
        )  # fmt: skip
        one = [stack.enter_context(served(url, log, workers=cores))]
        two = [stack.enter_context(served(url, log, workers=max(1, cores // 2))) for _ in range(2)]
        layouts = {"one": one, "two": two}
        for targets in layouts.values():  # warm every worker: imports, pools, caches
            _together(targets, scans, LOADED, 1)
        loads: dict[tuple[str, str], list[Load]] = {}
        for _ in range(slices):
            for layout, targets in layouts.items():
                for name, data in (("floor", floors), ("scan", scans)):
                    loads.setdefault((layout, name), []).append(_together(targets, data, LOADED, seconds))
    shutil.rmtree(workdir, ignore_errors=True)
    result = {key: combined(pieces) for key, pieces in loads.items()}
    for layout, label in (
        ("one", f"1 instance x {cores} workers"),
        ("two", f"2 instances x {max(1, cores // 2)}"),
    ):
        scan, floor = result[layout, "scan"], result[layout, "floor"]
        figure(
            f"scans/s at {LOADED} conn, {label} (postgresql)", scan.per_second, "req/s", floor.per_second,
            scan.per_second / floor.per_second,
        )  # fmt: skip
    ratio = result["two", "scan"].per_second / result["one", "scan"].per_second
    figure(
        "scans/s two instances / one, same cores (postgresql)", result["two", "scan"].per_second, "req/s",
        result["one", "scan"].per_second, ratio, "on one machine two instances share its cores",
        goal="ratio >= 0.8", met=ratio >= 0.8,
    )  # fmt: skip


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
    print_table()
