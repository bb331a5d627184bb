"""Audit trail export: peak memory of streaming N events as CSV, against the same process exporting 1,000."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.audit_bench import seed_audit_events
from bench.common import figure
from tracker.db import make_engine
from tracker.schema import migrate

CHILD = Path(__file__).with_name("export_child.py")


def _export(url: str) -> dict:
    out = subprocess.run([sys.executable, str(CHILD), url], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(database_url: str, label: str, events: int) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    seed_audit_events(engine, 1_000)
    small = _export(database_url)
    engine.dispose()
    with engine.connect().execution_options(write=True) as conn:
        from sqlalchemy import text

        conn.execute(text("DELETE FROM audit_record"))
        conn.execute(text("DELETE FROM custody_event"))
        conn.execute(text("DELETE FROM audit_seal"))
        conn.execute(text("DELETE FROM audit_event"))
        conn.execute(text("DELETE FROM audit_head"))
        conn.execute(text("DELETE FROM login_attempt"))
        conn.execute(text("DELETE FROM api_token"))
        conn.execute(text("DELETE FROM user_account"))
        conn.commit()
    seed_audit_events(engine, events)
    big = _export(database_url)
    engine.dispose()
    note = "" if events >= 1_000_000 else f"--quick: {events:,} events instead of 1,000,000"
    figure(
        f"audit export peak RSS, {events // 1000}k events ({label})",
        big["peak_kb"] / 1024, "MiB", round(small["peak_kb"] / 1024, 1),
        round(small["peak_kb"] / big["peak_kb"], 3), note,
    )  # fmt: skip
    figure(
        f"audit export rows/s, {events // 1000}k events ({label})",
        big["rows"] / big["seconds"],
        "rows/s",
        None,
        None,
    )
