"""Audit verification: `audit verify` over N events against a floor of hashlib over the same stored bytes."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine

from bench.common import best_of, figure
from tracker.audit import rules
from tracker.audit.models import AuditEvent, AuditHead, AuditSeal
from tracker.audit.verification import verify_chain
from tracker.db import make_engine
from tracker.schema import migrate

USERS = [("gao", "gmp"), ("qian", "qa"), ("pan", "pharmacist"), ("niu", "nurse")]


def seed_audit_events(engine: Engine, count: int, batch: int = 20_000) -> None:
    """Bulk-insert a valid sealed chain of `count` events with their seals (what years of a trial would
    leave), written as `record_event` writes them but without its per-event round trips."""
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    prev = rules.GENESIS_HASH
    no_unblinded_events = {"seq": 0, "hash": rules.GENESIS_HASH}
    with engine.connect().execution_options(write=True) as conn:
        events, seals = [], []
        for seq in range(1, count + 1):
            user, role = USERS[seq % len(USERS)]
            at = start + dt.timedelta(seconds=seq)
            sealed = {
                "seq": seq, "before": {}, "after": {"lot_number": "L1"}, "reason": None,
                "unblinded_head": no_unblinded_events,
            }  # fmt: skip
            sealed_canonical = rules.canonical_bytes(sealed, rules.SEAL_FIELDS)
            salt = rules.new_salt()
            fields = {
                "seq": seq, "at": at.isoformat(), "user": user, "role": role, "action": "handoff",
                "entity_type": "bag", "entity_id": f"B{seq:010d}", "before": {"status": "prepared"},
                "after": {"status": "dispatched", "location": "ward 3"}, "reason": None,
                "seal": rules.seal_of(salt, sealed_canonical), "prev_hash": prev,
            }  # fmt: skip
            canonical = rules.canonical_bytes(fields)
            digest = rules.event_hash(canonical)
            events.append({
                "seq": seq, "at": at, "username": user, "role": role, "action": "handoff",
                "entity_type": "bag", "entity_id": fields["entity_id"], "before": fields["before"],
                "after": fields["after"], "reason": None, "seal": fields["seal"], "prev_hash": prev,
                "hash": digest, "canonical": canonical,
            })  # fmt: skip
            seals.append({"seq": seq, "salt": salt, "sealed": sealed, "canonical": sealed_canonical})
            prev = digest
            if len(events) == batch:
                conn.execute(insert(AuditEvent), events)
                conn.execute(insert(AuditSeal), seals)
                events, seals = [], []
        if events:
            conn.execute(insert(AuditEvent), events)
            conn.execute(insert(AuditSeal), seals)
        conn.execute(insert(AuditHead), [{"id": 1, "seq": count, "hash": prev}])
        conn.commit()


def floor_hash_stored_bytes(engine: Engine, batch: int = 5000) -> int:
    """The least any verifier must do: read the stored bytes of each event and its seal in batches, hash
    the one and open the other."""
    count, after = 0, 0
    with engine.connect() as conn:
        while True:
            rows = conn.execute(
                select(AuditEvent.seq, AuditEvent.canonical, AuditSeal.salt, AuditSeal.canonical)
                .join(AuditSeal, AuditSeal.seq == AuditEvent.seq)
                .where(AuditEvent.seq > after)
                .order_by(AuditEvent.seq)
                .limit(batch)
            ).all()
            if not rows:
                return count
            for row in rows:
                hashlib.sha256(row[1]).hexdigest()
                rules.seal_of(row[2], row[3])
            count += len(rows)
            after = rows[-1].seq


def run(database_url: str, label: str, events: int) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    with engine.connect().execution_options(write=True) as conn:
        conn.execute(text("DELETE FROM audit_seal"))
        conn.execute(text("DELETE FROM audit_event"))
        conn.execute(text("DELETE FROM audit_head"))
        conn.commit()
    seed_audit_events(engine, events)

    from sqlalchemy.orm import Session

    def verify() -> None:
        with Session(engine) as session:
            result = verify_chain(session)
            if not (result.ok and result.events == events):
                raise SystemExit(f"the seeded chain did not verify: {result}")

    floor = best_of(2, lambda: floor_hash_stored_bytes(engine))
    value = best_of(2, verify)
    note = "" if events >= 1_000_000 else f"--quick: {events:,} events instead of 1,000,000"
    figure(
        f"audit verify {events // 1000}k events ({label})",
        value,
        "s",
        round(floor, 4),
        round(floor / value, 3),
        note,
        goal="ratio >= 0.5",
        met=floor / value >= 0.5,
    )
    engine.dispose()
