"""Profile the bedside scan path in one process: `python bench/profile_scan.py [--db postgresql] [-n N]`.

Seeds a scratch database through the app (bench/seed.py), then sends N matching scans through the WSGI stack
with Flask's test client under pyinstrument and prints where the time went (the HTML report with --html)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pyinstrument import Profiler  # noqa: E402

from bench.common import scratch_database  # noqa: E402
from bench.seed import app_config, seed_ward  # noqa: E402
from tracker import create_app  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--html", type=Path)
    args = parser.parse_args()
    with scratch_database(args.db) as url:
        seeded = seed_ward(url)
        app = create_app(app_config(url, AUTO_MIGRATE=False))
        client = app.test_client()
        headers = {"Authorization": f"Bearer {seeded.nurse_token}"}
        bodies = [{"qr_payload": qr, "participant_id": pid} for qr, pid in seeded.bags]
        for body in bodies * 25:  # warm: imports, pools, caches
            client.post("/api/v1/scans", json=body, headers=headers)
        profiler = Profiler(interval=0.0002)
        profiler.start()
        for i in range(args.n):
            answer = client.post("/api/v1/scans", json=bodies[i % len(bodies)], headers=headers)
            if answer.status_code != 200:
                raise SystemExit(f"scan answered {answer.status_code}: {answer.json}")
        profiler.stop()
        app.extensions["tracker"].engine.dispose()
    if args.html:
        args.html.write_text(profiler.output_html())
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
