"""Audit verification: `audit verify` over N events with their records (every event wrote one record row and
keeps its image), against a floor that reads and hashes the same bytes; and its peak memory at two sizes,
which must not grow with the chain."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine

from bench.common import best_of, figure
from tracker.audit import records, rules
from tracker.audit.models import AuditEvent, AuditHead, AuditRecord, AuditSeal
from tracker.custody.models import CustodyEvent
from tracker.db import make_engine
from tracker.schema import migrate

USERS = [("gao", "gmp"), ("qian", "qa"), ("pan", "pharmacist"), ("niu", "nurse")]
_CUSTODY = CustodyEvent.__table__
_CLEAR = ("audit_record", "audit_seal", "audit_event", "audit_head", "custody_event")


def _custody_row(n: int, user: str, role: str, at: dt.datetime) -> dict:
    return {
        "id": n, "subject_type": "bag", "subject_id": f"B{n:010d}", "action": "dispatch",
        "location": "ward 3", "at": at, "username": user, "role": role, "note": None, "seal_intact": True,
        "temperature_c": 4.5,
    }  # fmt: skip


def seed_audit_events(engine: Engine, count: int, batch: int = 20_000) -> None:
    """Bulk-insert a valid sealed chain of `count` events, each with the custody row it wrote and that row's
    image (what years of a trial would leave), written as `record_event` writes them but in batches."""
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    prev = rules.GENESIS_HASH
    no_unblinded_events = {"seq": 0, "hash": rules.GENESIS_HASH}
    with engine.connect().execution_options(write=True) as conn:
        events, seals, images, rows = [], [], [], []
        for seq in range(1, count + 1):
            user, role = USERS[seq % len(USERS)]
            at = start + dt.timedelta(seconds=seq)
            row = _custody_row(seq, user, role, at)
            image = (seq, "custody_event", records.row_key(_CUSTODY, row), records.image_of(_CUSTODY, row))
            sealed = {
                "seq": seq, "before": {}, "after": {"lot_number": "L1"}, "reason": None,
                "records": records.images_digest([image]), "unblinded_head": no_unblinded_events,
            }  # fmt: skip
            sealed_canonical = rules.canonical_bytes(sealed, rules.SEAL_FIELDS)
            salt = rules.new_salt()
            fields = {
                "seq": seq, "at": at.isoformat(), "user": user, "role": role, "action": "dispatch",
                "entity_type": "bag", "entity_id": row["subject_id"], "before": {"status": "prepared"},
                "after": {"status": "dispatched", "location": "ward 3"}, "reason": None,
                "seal": rules.seal_of(salt, sealed_canonical), "prev_hash": prev,
            }  # fmt: skip
            canonical = rules.canonical_bytes(fields)
            digest = rules.event_hash(canonical)
            events.append({
                "seq": seq, "at": at, "username": user, "role": role, "action": "dispatch",
                "entity_type": "bag", "entity_id": row["subject_id"], "before": fields["before"],
                "after": fields["after"], "reason": None, "seal": fields["seal"], "prev_hash": prev,
                "hash": digest, "canonical": canonical,
            })  # fmt: skip
            seals.append({"seq": seq, "salt": salt, "sealed": sealed, "canonical": sealed_canonical})
            images.append({"n": seq, "chain": "sealed", "seq": seq, "table_name": "custody_event",
                           "row_key": image[2], "image": image[3]})  # fmt: skip
            rows.append(row)
            prev = digest
            if len(events) == batch or seq == count:
                conn.execute(insert(AuditEvent), events)
                conn.execute(insert(AuditSeal), seals)
                conn.execute(insert(AuditRecord), images)
                conn.execute(insert(_CUSTODY), rows)
                events, seals, images, rows = [], [], [], []
        conn.execute(insert(AuditHead), [
            {"id": 1, "seq": count, "hash": prev}, {"id": 2, "seq": 0, "hash": rules.GENESIS_HASH},
            {"id": 3, "seq": count, "hash": ""},
        ])  # fmt: skip
        conn.commit()


def floor_hash_stored_bytes(engine: Engine, batch: int = 20_000) -> int:
    """The least any verifier must do: read each event's bytes, its seal and its row image, and each live
    row, and hash them once."""
    count = 0
    with engine.connect() as conn:
        for query in (
            select(AuditEvent.canonical, AuditSeal.salt, AuditSeal.canonical)
            .join(AuditSeal, AuditSeal.seq == AuditEvent.seq)
            .order_by(AuditEvent.seq),
            select(AuditRecord.row_key, AuditRecord.image).order_by(AuditRecord.n),
            select(_CUSTODY).order_by(_CUSTODY.c.id),
        ):
            result = conn.execution_options(stream_results=True, yield_per=batch).execute(query)
            for row in result:
                hashlib.sha256(repr(tuple(row)).encode()).digest()
                count += 1
    return count


def _clear(engine: Engine) -> None:
    with engine.connect().execution_options(write=True) as conn:
        for table in _CLEAR:
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed table names
        conn.commit()


def _verify_in_child(database_url: str) -> dict:
    """`audit verify` in a fresh interpreter, so that its peak RSS is the verification's alone."""
    child = Path(__file__).with_name("verify_child.py")
    out = subprocess.run(
        [sys.executable, str(child), database_url], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(database_url: str, label: str, events: int) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    # Both sizes well past verification's batches, so that what grows with the chain shows.
    sizes = (events // 10, events) if events >= 1_000_000 else (events // 2, events)
    peaks = {}
    for size in sizes:
        _clear(engine)
        seed_audit_events(engine, size)
        engine.dispose()
        measured = [_verify_in_child(database_url) for _ in range(2)]
        if not all(m["ok"] and m["events"] == size and m["rows"] == size for m in measured):
            raise SystemExit(f"the seeded chain did not verify: {measured}")
        peaks[size] = measured[0]["peak_kb"] / 1024
    floor = best_of(2, lambda: floor_hash_stored_bytes(engine))
    value = min(m["seconds"] for m in measured)
    note = "" if events >= 1_000_000 else f"--quick: {events:,} events instead of 1,000,000"
    figure(
        f"audit verify {events // 1000}k events with records ({label})",
        value, "s", round(floor, 4), round(floor / value, 3), note,
        goal="ratio >= 0.5", met=floor / value >= 0.5,
    )  # fmt: skip
    small, big = sizes
    figure(
        f"audit verify peak RSS, {big // 1000}k events vs {small // 1000}k ({label})",
        peaks[big], "MiB", round(peaks[small], 1), round(peaks[small] / peaks[big], 3), note,
        goal="ratio >= 0.8 (bounded)", met=peaks[small] / peaks[big] >= 0.8,
    )  # fmt: skip
    engine.dispose()
