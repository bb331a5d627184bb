"""The bedside scan under load: the app under gunicorn (one sync worker per core) on 127.0.0.1, loaded by wrk
for a fixed time, against the floor route of bench/scan_server.py under the same server and database; then the
same scan on a database grown to years of history (the growth figure)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from bench.common import figure
from bench.scan_server import FLOOR_METADATA
from bench.seed import seed_history, seed_ward
from tracker.db import make_engine

ROOT = Path(__file__).resolve().parents[1]
LUA = Path(__file__).with_name("scan.lua")
LOADED, UNLOADED = 16, 1
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(database_url: str, log: Path):
    """gunicorn serving bench/scan_server.py, one sync worker per core, until the block ends."""
    port = _free_port()
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(os.cpu_count()), "--bind", f"127.0.0.1:{port}",
        "--log-level", "warning", "bench.scan_server:app",
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


def wrk(base: str, data: Path, connections: int, seconds: float) -> Load:
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


def run(database_url: str, label: str, quick: bool) -> None:
    seconds = 5 if quick else 10
    scale = 10 if quick else 1
    seeded = seed_ward(database_url)
    engine = make_engine(database_url)
    FLOOR_METADATA.create_all(engine)
    workdir = Path(tempfile.mkdtemp(prefix="scan-bench-"))
    log = workdir / "gunicorn.log"
    scans = _data_file(
        workdir, "scans.txt", "/api/v1/scans", seeded.nurse_token,
        [{"qr_payload": qr, "participant_id": pid} for qr, pid in seeded.bags],
    )  # fmt: skip
    pairs = zip(seeded.bag_pks, seeded.bags, strict=True)
    floors = _data_file(
        workdir,
        "floor.txt",
        "/bench/floor",
        "-",
        [{"bag_pk": pk, "participant_id": pid} for pk, (_, pid) in pairs],
    )
    with served(database_url, log) as base:
        wrk(base, scans, LOADED, 1)  # warm both workers: imports, pools, caches
        wrk(base, floors, LOADED, 1)
        floor_loaded = wrk(base, floors, LOADED, seconds)
        scan_loaded = wrk(base, scans, LOADED, seconds)
        floor_unloaded = wrk(base, floors, UNLOADED, seconds)
        scan_unloaded = wrk(base, scans, UNLOADED, seconds)
    workers = os.cpu_count()
    where = f"{label}, gunicorn {workers} workers"
    figure(
        f"scans/s at {LOADED} conn ({where})", scan_loaded.per_second, "req/s",
        round(floor_loaded.per_second, 1), round(scan_loaded.per_second / floor_loaded.per_second, 3),
        goal="ratio >= 0.5", met=scan_loaded.per_second >= 0.5 * floor_loaded.per_second,
    )  # fmt: skip
    figure(
        f"scan p50 at {LOADED} conn ({label})", scan_loaded.p50_ms, "ms", floor_loaded.p50_ms,
        round(floor_loaded.p50_ms / scan_loaded.p50_ms, 3),
    )  # fmt: skip
    figure(
        f"scan p99 at {LOADED} conn ({label})", scan_loaded.p99_ms, "ms", floor_loaded.p99_ms,
        round(floor_loaded.p99_ms / scan_loaded.p99_ms, 3),
        goal="<= 2x floor p99", met=scan_loaded.p99_ms <= 2 * floor_loaded.p99_ms,
    )  # fmt: skip
    figure(
        f"scan p50 unloaded, 1 conn ({label})", scan_unloaded.p50_ms, "ms", floor_unloaded.p50_ms,
        round(floor_unloaded.p50_ms / scan_unloaded.p50_ms, 3),
        goal="<= 3 ms", met=scan_unloaded.p50_ms <= 3.0,
    )  # fmt: skip

    bags, events = GROWTH_BAGS // scale, GROWTH_EVENTS // scale
    started = time.perf_counter()
    seed_history(engine, bags, events)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:  # what autovacuum would have done in the years the rows stand for
            conn.execute(text("ANALYZE"))
            conn.commit()
    seeded_in = time.perf_counter() - started
    engine.dispose()
    with served(database_url, log) as base:
        wrk(base, scans, LOADED, 1)
        grown_loaded = wrk(base, scans, LOADED, seconds)
        grown_unloaded = wrk(base, scans, UNLOADED, seconds)
    size = f"{bags // 1000}k bags + {events / 1e6:g}M events"
    note = f"seeded by bulk insert in {seeded_in:.0f} s"
    if quick:
        note = f"--quick: {bags:,} bags and {events:,} events, a tenth of 100,000 and 5,000,000; " + note
    slower = scan_loaded.per_second / grown_loaded.per_second
    figure(
        f"growth: scans/s at {LOADED} conn, {size} ({label})", grown_loaded.per_second, "req/s",
        round(scan_loaded.per_second, 1), round(slower, 3), note,
        goal="empty/grown <= 1.2", met=slower <= 1.2,
    )  # fmt: skip
    slower = grown_unloaded.p50_ms / scan_unloaded.p50_ms
    figure(
        f"growth: scan p50 1 conn, {size} ({label})", grown_unloaded.p50_ms, "ms",
        round(scan_unloaded.p50_ms, 3), round(slower, 3), note,
        goal="grown/empty <= 1.2", met=slower <= 1.2,
    )  # fmt: skip
    engine.dispose()
    shutil.rmtree(workdir, ignore_errors=True)
