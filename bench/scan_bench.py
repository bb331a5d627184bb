"""The bedside scan under load: the app under gunicorn (one sync worker per core) on 127.0.0.1, loaded by wrk
for a fixed time, against the floor route of bench/scan_server.py under the same server and database; and the
same scan on a second database grown to years of history (the growth figure)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from bench.common import figure, scratch_database
from bench.scan_server import FLOOR_METADATA
from bench.seed import SeededWard, seed_history, seed_ward
from tracker.db import make_engine

ROOT = Path(__file__).resolve().parents[1]
LUA = Path(__file__).with_name("scan.lua")
LOADED, UNLOADED = 16, 1
# Each load runs its fixed time in slices, taken in turn with the loads it is compared to (floor, scan on the
# empty database, scan on the grown one): the machine's other work then weighs on all of them alike.
SLICES = 5
GROWTH_BAGS, GROWTH_EVENTS = 100_000, 5_000_000


def ensure_wrk() -> str:
    """wrk from Debian's packages, installed here if missing (the benchmark's own dependency, not CI's)."""
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (Debian package) ...", file=sys.stderr, flush=True)
    quiet = {"stdout": subprocess.DEVNULL, "check": True}
    subprocess.run(["apt-get", "update", "-qq"], **quiet)  # noqa: S607 - Debian's apt, as .ci/run uses it
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],  # noqa: S607
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        **quiet,
    )
    return shutil.which("wrk") or sys.exit("wrk could not be installed")


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def combined(slices: list[Load]) -> Load:
    """Slices of one load run taken in turn with others: all their requests over all their time, and the
    median slice's percentiles (one slice hit by the machine's other work moves nothing)."""
    return Load(
        sum(s.requests for s in slices),
        sum(s.seconds for s in slices),
        statistics.median(s.p50_ms for s in slices),
        statistics.median(s.p99_ms for s in slices),
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(database_url: str, log: Path, workers: int | None = None):
    """gunicorn serving bench/scan_server.py, one sync worker per core or `workers`, until the block ends."""
    port = _free_port()
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers or os.cpu_count()),
        "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "bench.scan_server:app",
    ]  # fmt: skip
    env = {**os.environ, "BENCH_DATABASE_URL": database_url}
    with log.open("ab") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):  # noqa: S310
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn did not start: see {log}") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def wrk(base: str, data: Path, connections: int, seconds: int) -> Load:
    """Load the server for `seconds` with `connections` connections; every answer must be a 200."""
    out = subprocess.run(  # noqa: S603
        [ensure_wrk(), "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(LUA),
         base, "--", str(data)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    line = next(ln for ln in out.splitlines() if ln.startswith("WRK_RESULT "))
    result = json.loads(line.removeprefix("WRK_RESULT "))
    bad = {status: n for status, n in result["statuses"].items() if status != "200"}
    if bad or any(result["errors"].values()):
        raise SystemExit(f"the load run had failures: statuses {bad}, errors {result['errors']}")
    return Load(
        result["requests"], result["duration_us"] / 1e6, result["p50_us"] / 1000, result["p99_us"] / 1000
    )


def _data_file(folder: Path, name: str, path: str, token: str, bodies: list[dict]) -> Path:
    file = folder / name
    file.write_text("\n".join([path, token, *(json.dumps(b) for b in bodies)]) + "\n")
    return file


def _scan_file(workdir: Path, name: str, seeded: SeededWard) -> Path:
    bodies = [{"qr_payload": qr, "participant_id": pid} for qr, pid in seeded.bags]
    return _data_file(workdir, name, "/api/v1/scans", seeded.nurse_token, bodies)


def _grown_database(kind: str, stack: ExitStack, scale: int) -> tuple[str, SeededWard, str]:
    """A second scratch database: the same small trial, then years of history by bulk insert."""
    url = stack.enter_context(scratch_database(kind))
    seeded = seed_ward(url)
    bags, events = GROWTH_BAGS // scale, GROWTH_EVENTS // scale
    started = time.perf_counter()
    engine = make_engine(url)
    seed_history(engine, bags, events)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:  # what autovacuum would have done in the years the rows stand for
            conn.execute(text("ANALYZE"))
            conn.commit()
    engine.dispose()
    note = f"seeded by bulk insert in {time.perf_counter() - started:.0f} s"
    if scale != 1:
        note = f"--quick: {bags:,} bags and {events:,} events, a tenth of 100,000 and 5,000,000; {note}"
    return url, seeded, note


def run(kind: str, quick: bool) -> None:
    """Both databases are served at once; the floor, the scan and the scan on the grown database are loaded
    in turn, in slices (see SLICES); --quick takes three one-second slices of each load."""
    slices, seconds = (3, 3) if quick else (SLICES, 10)
    scale = 10 if quick else 1
    workdir = Path(tempfile.mkdtemp(prefix="scan-bench-"))
    log = workdir / "gunicorn.log"
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database(kind))
        seeded = seed_ward(url)
        engine = make_engine(url)
        FLOOR_METADATA.create_all(engine)
        engine.dispose()
        grown_url, grown_seeded, note = _grown_database(kind, stack, scale)
        scans = _scan_file(workdir, "scans.txt", seeded)
        grown_scans = _scan_file(workdir, "grown.txt", grown_seeded)
        pairs = zip(seeded.bag_pks, seeded.bags, strict=True)
        floors = _data_file(
            workdir, "floor.txt", "/bench/floor", "-",
            [{"bag_pk": pk, "participant_id": pid} for pk, (_, pid) in pairs],
        )  # fmt: skip
        base = stack.enter_context(served(url, log))
        grown_base = stack.enter_context(served(grown_url, log))
        targets = {"floor": (base, floors), "scan": (base, scans), "grown": (grown_base, grown_scans)}
        for target, data in targets.values():
            wrk(target, data, LOADED, 1)  # warm both workers: imports, pools, caches
        loads: dict[tuple[str, int], list[Load]] = {}
        for connections in (LOADED, UNLOADED):
            for _ in range(slices):
                for name, (target, data) in targets.items():
                    piece = wrk(target, data, connections, seconds // slices)
                    loads.setdefault((name, connections), []).append(piece)
        floor_loaded, scan_loaded, grown_loaded, floor_unloaded, scan_unloaded, grown_unloaded = (
            combined(loads[name, connections])
            for connections in (LOADED, UNLOADED)
            for name in ("floor", "scan", "grown")
        )
    shutil.rmtree(workdir, ignore_errors=True)

    where = f"{kind}, gunicorn {os.cpu_count()} workers"
    figure(
        f"scans/s at {LOADED} conn ({where})", scan_loaded.per_second, "req/s",
        floor_loaded.per_second, scan_loaded.per_second / floor_loaded.per_second,
        goal="ratio >= 0.5", met=scan_loaded.per_second >= 0.5 * floor_loaded.per_second,
    )  # fmt: skip
    figure(
        f"scan p50 at {LOADED} conn ({kind})", scan_loaded.p50_ms, "ms", floor_loaded.p50_ms,
        floor_loaded.p50_ms / scan_loaded.p50_ms,
    )  # fmt: skip
    figure(
        f"scan p99 at {LOADED} conn ({kind})", scan_loaded.p99_ms, "ms", floor_loaded.p99_ms,
        floor_loaded.p99_ms / scan_loaded.p99_ms,
        goal="<= 2x floor p99", met=scan_loaded.p99_ms <= 2 * floor_loaded.p99_ms,
    )  # fmt: skip
    figure(
        f"scan p50 unloaded, 1 conn ({kind})", scan_unloaded.p50_ms, "ms", floor_unloaded.p50_ms,
        floor_unloaded.p50_ms / scan_unloaded.p50_ms,
        goal="<= 3 ms", met=scan_unloaded.p50_ms <= 3.0,
    )  # fmt: skip
    size = f"{GROWTH_BAGS // scale // 1000}k bags + {GROWTH_EVENTS / scale / 1e6:g}M events"
    slower = scan_loaded.per_second / grown_loaded.per_second
    figure(
        f"growth: scans/s at {LOADED} conn, {size} ({kind})", grown_loaded.per_second, "req/s",
        scan_loaded.per_second, slower, note,
        goal="empty/grown <= 1.2", met=slower <= 1.2,
    )  # fmt: skip
    slower = grown_unloaded.p50_ms / scan_unloaded.p50_ms
    figure(
        f"growth: scan p50 1 conn, {size} ({kind})", grown_unloaded.p50_ms, "ms", scan_unloaded.p50_ms,
        slower, note,
        goal="grown/empty <= 1.2", met=slower <= 1.2,
    )  # fmt: skip
