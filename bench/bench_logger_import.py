"""Logger file import: a 100,000-reading data logger CSV file posted to
`POST /api/v1/storage-units/{unit_id}/logger-imports` (read, checked line by line, °F converted, stored all or
nothing, its excursions judged), against a floor measured in the same run: reading the same file with the csv
module alone. Goal: under 5 s.

    python bench/bench_logger_import.py [--db sqlite|postgresql|both] [--readings N]

`bench/run.py --only logger` runs it with the other figures."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import figure, print_table, scratch_database  # noqa: E402

GOAL_SECONDS = 5.0
PASSWORD = "Bench-password-1"  # noqa: S105 - a user of a scratch database that is dropped afterwards


def app_config(database_url: str) -> dict:
    return {
        "DATABASE_URL": database_url, "SECRET_KEY": "bench-secret-key", "QR_SIGNING_KEY": "bench-qr-key",
        "AUTO_MIGRATE": True,
    }  # fmt: skip


def logger_file(readings: int, end: dt.datetime) -> bytes:
    """A semicolon-separated export in °F with a preamble and a unit row, a reading a minute ending at `end`,
    times in the site's zone without an offset, decimal commas: the slowest of the common layouts to read."""
    start = end - dt.timedelta(minutes=readings)
    lines = ["Logger;EL-USB-TC", "Serial number;BENCH-0001", "Date/Time;Temperature", ";°F"]
    for i in range(readings):
        at = start + dt.timedelta(minutes=i)
        # -320 °F is -195.6 °C, in range for a liquid-nitrogen freezer; an odd warm reading now and then
        value = -320.0 + (i % 7) * 0.1 if i % 5000 else -200.0
        lines.append(f"{at:%Y-%m-%d %H:%M:%S};{value:.1f}".replace(".", ","))
    return ("\n".join(lines) + "\n").encode()


def _floor(content: bytes) -> float:
    start = time.perf_counter()
    rows = list(csv.reader(io.StringIO(content.decode("utf-8")), delimiter=";"))
    assert len(rows) > 4
    return time.perf_counter() - start


def run(database_url: str, label: str, readings: int = 100_000) -> None:
    from tracker import create_app
    from tracker.roles import SYSTEM
    from tracker.studies.services import load_study
    from tracker.users.services import create_user
    from tracker.web.context import uow

    app = create_app(app_config(database_url))
    client = app.test_client()
    with app.app_context():
        load_study(uow(), SYSTEM, "umsis")
        create_user(uow(), SYSTEM, "bench_gmp", "gmp", PASSWORD, "Bench GMP")
    signed_in = client.post("/api/v1/auth/token", json={"username": "bench_gmp", "password": PASSWORD})
    token = signed_in.json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    made = client.post(
        "/api/v1/storage-units", headers=headers,
        json={"unit_id": "LN2-BENCH", "name": "Bench freezer", "kind": "ln2_freezer", "location": "Bench"},
    )  # fmt: skip
    assert made.status_code == 201, made.json
    content = logger_file(readings, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    floor = min(_floor(content) for _ in range(3))
    start = time.perf_counter()
    answer = client.post(
        "/api/v1/storage-units/LN2-BENCH/logger-imports", data=content,
        headers={**headers, "Content-Type": "text/csv"},
    )  # fmt: skip
    seconds = time.perf_counter() - start
    assert answer.status_code == 201, answer.json
    assert answer.json["count"] == readings, answer.json["count"]
    app.extensions["tracker"].engine.dispose()
    figure(
        f"logger import, {readings // 1000}k readings ({label})", seconds, "s", floor,
        round(floor / seconds, 3),
        f"floor: csv.reader over the same {len(content) / 1e6:.1f} MB file",
        goal=f"< {GOAL_SECONDS:g} s", met=seconds < GOAL_SECONDS,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--readings", type=int, default=100_000)
    args = parser.parse_args()
    for kind in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        with scratch_database(kind) as url:
            run(url, kind, args.readings)
    print_table()


if __name__ == "__main__":
    main()
