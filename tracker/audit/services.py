"""Writing, reading and verifying the audit chain. Every write happens inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

import orjson
from sqlalchemy import String, Text, cast, insert, select, type_coerce, update
from sqlalchemy.orm import Session

from tracker.audit import rules
from tracker.audit.models import AuditEvent, AuditHead
from tracker.db import utcnow
from tracker.roles import Actor, is_unblinded

HEAD_ID = 1
_TABLE = AuditEvent.__table__
_HEAD = AuditHead.__table__
# Built once: every write of the app runs these.
_LOCK_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == HEAD_ID).with_for_update()
_INSERT_EVENT = insert(_TABLE)
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == HEAD_ID)


def record_event(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the same transaction as the change it records.

    Written with Core statements rather than the ORM's unit of work: every write of the app comes here, and
    on SQLite the time between the first statement and the commit holds the database's one write lock."""
    # What the use case changed is written first, then the event, through the session's connection: Core
    # statements need none of the ORM's bookkeeping.
    session.flush()
    conn = session.connection()
    # Locking the head row serialises writers (a row lock on PostgreSQL; SQLite writers already hold
    # the database lock from BEGIN IMMEDIATE), so two transactions can never extend the same head.
    head = conn.execute(_LOCK_HEAD).first()
    head_seq, head_hash = head if head is not None else (0, rules.GENESIS_HASH)
    at = utcnow()
    fields = {
        "seq": head_seq + 1,
        "at": at.isoformat(),
        "user": actor.username,
        "role": actor.role,
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "before": rules.normalise(before),
        "after": rules.normalise(after),
        "reason": reason,
        "prev_hash": head_hash,
    }
    canonical = rules.canonical_bytes(fields)
    row = {
        "seq": fields["seq"],
        "at": at,
        "username": actor.username,
        "role": actor.role,
        "action": action,
        "entity_type": entity_type,
        "entity_id": fields["entity_id"],
        "before": fields["before"],
        "after": fields["after"],
        "reason": reason,
        "prev_hash": head_hash,
        "hash": rules.event_hash(canonical),
        "canonical": canonical,
    }
    conn.execute(_INSERT_EVENT, row)
    if head is None:
        conn.execute(insert(_HEAD), {"id": HEAD_ID, "seq": row["seq"], "hash": row["hash"]})
    else:
        conn.execute(_MOVE_HEAD, {"seq": row["seq"], "hash": row["hash"]})
    # An ORM copy of the head loaded earlier in this transaction must not answer the old values.
    cached = session.identity_map.get(session.identity_key(AuditHead, HEAD_ID))
    if cached is not None:
        session.expire(cached)
    return AuditEvent(**row)


@dataclass(frozen=True)
class AuditFilter:
    after_seq: int = 0
    limit: int = 500
    entity_type: str | None = None
    entity_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def _filtered(flt: AuditFilter, *columns: Any):  # noqa: ANN202
    query = select(*columns) if columns else select(AuditEvent)
    query = query.where(AuditEvent.seq > flt.after_seq).order_by(AuditEvent.seq)
    if flt.entity_type:
        query = query.where(AuditEvent.entity_type == flt.entity_type)
    if flt.entity_id:
        query = query.where(AuditEvent.entity_id == flt.entity_id)
    if flt.since:
        query = query.where(AuditEvent.at >= flt.since)
    if flt.until:
        query = query.where(AuditEvent.at <= flt.until)
    return query


def event_view(event: Any) -> dict[str, Any]:
    """An event (an ORM object or a plain row of its columns) as the API answers it."""
    return {
        "seq": event.seq,
        "at": event.at,
        "user": event.username,
        "role": event.role,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "entity": {"type": event.entity_type, "id": event.entity_id},
        "before": event.before,
        "after": event.after,
        "reason": event.reason,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _as_reader_may_see(actor: Actor, view: dict[str, Any]) -> dict[str, Any] | None:
    return view if is_unblinded(actor.role) else rules.redact_for_blinded(view)


def list_events(session: Session, actor: Actor, flt: AuditFilter) -> list[dict[str, Any]]:
    events = session.execute(_filtered(flt).limit(flt.limit)).scalars()
    return [v for e in events if (v := _as_reader_may_see(actor, event_view(e))) is not None]


_EXPORT_COLUMNS = [c for c in AuditEvent.__table__.c if c.name != "canonical"]


def iter_events(
    session: Session, actor: Actor, flt: AuditFilter, batch: int = 2000
) -> Iterator[dict[str, Any]]:
    """Every matching event, read in batches of plain rows so that a large export runs in bounded memory."""
    after = flt.after_seq
    while True:
        page_filter = AuditFilter(after, batch, flt.entity_type, flt.entity_id, flt.since, flt.until)
        page = session.execute(_filtered(page_filter, *_EXPORT_COLUMNS).limit(batch)).all()
        if not page:
            return
        for row in page:
            view = _as_reader_may_see(actor, event_view(row))
            if view is not None:
                yield view
        after = page[-1].seq


def chain_head(session: Session) -> tuple[int, str]:
    head = session.get(AuditHead, HEAD_ID)
    return (head.seq, head.hash) if head else (0, rules.GENESIS_HASH)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    events: int
    broken_seq: int | None = None
    problem: str | None = None


# Raw column values (no type processing): verification reads every event ever written, so it parses only what
# it compares, and the same way on every database.
_VERIFY_COLUMNS = [
    # JSON as text: orjson parses it faster than PostgreSQL's driver does.
    cast(_TABLE.c[name], Text) if name in ("before", "after")
    else type_coerce(_TABLE.c[name], String) if name == "at"
    else _TABLE.c[name]
    for name in (
        "seq", "at", "username", "role", "action", "entity_type", "entity_id",
        "before", "after", "reason", "prev_hash", "hash", "canonical",
    )
]  # fmt: skip

_SCALAR_KEYS = ("seq", "user", "role", "action", "entity_type", "entity_id", "reason", "prev_hash")
# The canonical encoding writes every time in UTC with this suffix; the column holds it as naive UTC.
_UTC_SUFFIX = "+00:00"


def _row_problem(row: Any, expected_seq: int, prev_hash: str) -> str | None:
    """What is wrong with one stored event, or None. Kept lean: it runs for every event ever recorded."""
    (seq, at, username, role, action, entity_type, entity_id) = row[:7]
    (before, after, reason, row_prev, digest, canonical) = row[7:]
    if sha256(canonical).hexdigest() != digest:
        return "hash does not match the stored event"
    if seq != expected_seq:
        return f"sequence gap: expected seq {expected_seq}"
    if row_prev != prev_hash:
        return "prev_hash does not match the previous event's hash"
    stored = orjson.loads(canonical)
    columns = (seq, username, role, action, entity_type, entity_id, reason, row_prev)
    if (
        stored["seq"], stored["user"], stored["role"], stored["action"], stored["entity_type"],
        stored["entity_id"], stored["reason"], stored["prev_hash"],
    ) != columns:  # fmt: skip
        key = next(k for k, v in zip(_SCALAR_KEYS, columns, strict=True) if stored[k] != v)
        return f"column {key} differs from the hashed event"
    # SQLite hands JSON columns back as text, PostgreSQL's driver as parsed values.
    if (orjson.loads(before) if before.__class__ is str else before) != stored["before"]:
        return "column before differs from the hashed event"
    if (orjson.loads(after) if after.__class__ is str else after) != stored["after"]:
        return "column after differs from the hashed event"
    stored_at = stored["at"]
    column_at = dt.datetime.fromisoformat(at) if at.__class__ is str else at
    if not stored_at.endswith(_UTC_SUFFIX) or dt.datetime.fromisoformat(stored_at[:-6]) != column_at:
        return "column at differs from the hashed event"
    return None


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Verification allocates millions of short-lived objects and makes no cycles; left on, the cyclic
    collector would rescan each batch of rows again and again (a quarter of the run in the audit bench)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def verify_chain(session: Session, batch: int = 20_000) -> VerifyResult:
    """Walk the chain from the start; report the first row that breaks it."""
    with _cyclic_gc_paused():
        return _walk_chain(session, batch)


def _walk_chain(session: Session, batch: int) -> VerifyResult:
    prev_hash, count = rules.GENESIS_HASH, 0
    # One query streamed in batches (a server-side cursor on PostgreSQL), as Core rows: verification reads
    # every event ever written, in one snapshot.
    result = (
        session.connection()
        .execution_options(stream_results=True, yield_per=batch)
        .execute(select(*_VERIFY_COLUMNS).order_by(_TABLE.c.seq))
    )
    with result:
        for rows in result.partitions():
            for row in rows:
                problem = _row_problem(row, count + 1, prev_hash)
                if problem:
                    return VerifyResult(False, count, row[0], problem)
                prev_hash, count = row[11], count + 1
    head_seq, head_hash = chain_head(session)
    if (head_seq, head_hash) != (count, prev_hash):
        return VerifyResult(
            False,
            count,
            count + 1 if head_seq > count else head_seq,
            "chain head disagrees: events missing at the end",
        )
    return VerifyResult(True, count)
