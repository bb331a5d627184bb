"""Writing and reading the audit trail's two chains. Every write happens inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from tracker import blinding
from tracker.audit import records, rules
from tracker.audit.models import AuditEvent, AuditHead, AuditRecord, AuditSeal, UnblindedAuditEvent
from tracker.db import UnitOfWork, utcnow
from tracker.errors import Forbidden
from tracker.roles import Actor

# Head rows: the two chains', and the count of row images written (its `seq`; no hash).
SEALED_HEAD, UNBLINDED_HEAD, IMAGES_HEAD = 1, 2, 3
HEADS = (SEALED_HEAD, UNBLINDED_HEAD, IMAGES_HEAD)
_SEALED = AuditEvent.__table__
_SEALS = AuditSeal.__table__
_UNBLINDED = UnblindedAuditEvent.__table__
_RECORDS = AuditRecord.__table__
_HEAD = AuditHead.__table__
# Built once: every write of the app runs these. Every writer locks the sealed chain's head, whichever chain
# it extends, so that writers are serialised in one order and each seal names the unblinded head of its time.
_LOCK_HEADS = (
    select(_HEAD.c.id, _HEAD.c.seq, _HEAD.c.hash)
    .where(_HEAD.c.id.in_(HEADS))
    .order_by(_HEAD.c.id)
    .with_for_update()
)
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == bindparam("head_id"))


def _locked_heads(conn: Connection) -> dict[int, tuple[int, str]]:
    heads = {row.id: (row.seq, row.hash) for row in conn.execute(_LOCK_HEADS)}
    for head_id in HEADS:
        if head_id not in heads:
            genesis = "" if head_id == IMAGES_HEAD else rules.GENESIS_HASH
            conn.execute(insert(_HEAD), {"id": head_id, "seq": 0, "hash": genesis})
            heads[head_id] = (0, genesis)
    return heads


def chain_time(session: Session) -> dt.datetime:
    """Lock the trail and give the time this transaction's event will carry. A use case whose record shows a
    time of its own (a bag's `prepared_at`) takes it from here and passes it to `record_event`, so that the
    record, its custody and its audit event carry one value, fixed before any work that differs by arm."""
    session.flush()
    _locked_heads(session.connection())
    return utcnow()


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
    at: dt.datetime | None = None,
    written: Iterable[tuple[Table, dict[str, Any]]] = (),
) -> None:
    """Append one event, in the same transaction as the change it records: to the unblinded chain when the
    declaration says the event itself is unblinded, else to the sealed chain with its unblinded facts sealed.
    The event carries the image of every record row the transaction wrote since its last event (collected
    from the session; rows written with Core statements are passed as `written`).

    Written with Core statements rather than the ORM's unit of work: every write of the app comes here, and
    on SQLite the time between the first statement and the commit holds the database's one write lock."""
    # What the use case changed is written first, then the event, through the session's connection.
    session.flush()
    append_event(
        session.connection(),
        at=at or utcnow(),
        username=actor.username,
        role=actor.role,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=rules.normalise(before),
        after=rules.normalise(after),
        reason=reason,
        images=[*records.take_images(session), *records.explicit_images(written)],
    )
    # An ORM copy of a head loaded earlier in this transaction must not answer the old values.
    for head_id in HEADS:
        cached = session.identity_map.get(session.identity_key(AuditHead, head_id))
        if cached is not None:
            session.expire(cached)


def _keep_images(conn: Connection, heads: dict, chain: str, seq: int, images: list[records.Image]) -> str:
    """Number and store an event's row images; the digest its seal or hash commits to."""
    first = heads[IMAGES_HEAD][0] + 1
    numbered = [(first + i, table, key, image) for i, (table, key, image) in enumerate(images)]
    if numbered:
        conn.execute(
            insert(_RECORDS),
            [{"n": n, "chain": chain, "seq": seq, "table_name": table, "row_key": key, "image": image}
             for n, table, key, image in numbered],
        )  # fmt: skip
        conn.execute(_MOVE_HEAD, {"head_id": IMAGES_HEAD, "seq": numbered[-1][0], "hash": ""})
    return records.images_digest(numbered)


def append_event(conn: Connection, *, at: dt.datetime, images: list[records.Image], **event: Any) -> str:
    """Append one (normalised) event and its row images to the chain it belongs to; returns the chain's
    name. Used by `record_event` and by the migration that resealed the first trail."""
    # Locking the heads serialises writers (a row lock on PostgreSQL; SQLite writers already hold the
    # database lock from BEGIN IMMEDIATE), so two transactions can never extend the same head.
    heads = _locked_heads(conn)
    fields = {
        "at": at.isoformat(), "user": event["username"], "role": event["role"], "action": event["action"],
        "entity_type": event["entity_type"], "entity_id": event["entity_id"],
    }  # fmt: skip
    columns = {key: event[key] for key in ("username", "role", "action", "entity_type", "entity_id")}
    if blinding.is_unblinded_event(event["entity_type"], event["action"]):
        seq, prev_hash = heads[UNBLINDED_HEAD][0] + 1, heads[UNBLINDED_HEAD][1]
        digest_of_images = _keep_images(conn, heads, "unblinded", seq, images)
        fields |= {
            "seq": seq, "before": event["before"], "after": event["after"], "reason": event["reason"],
            "records": digest_of_images, "prev_hash": prev_hash,
        }  # fmt: skip
        canonical = rules.canonical_bytes(fields, rules.UNBLINDED_CHAIN_FIELDS)
        digest = rules.event_hash(canonical)
        conn.execute(
            insert(_UNBLINDED),
            {**columns, "seq": seq, "at": at, "before": event["before"], "after": event["after"],
             "reason": event["reason"], "records": digest_of_images, "prev_hash": prev_hash, "hash": digest,
             "canonical": canonical},
        )  # fmt: skip
        conn.execute(_MOVE_HEAD, {"head_id": UNBLINDED_HEAD, "seq": seq, "hash": digest})
        return "unblinded"
    split = rules.split_event(
        event["entity_type"], event["role"], event["before"], event["after"], event["reason"]
    )
    seq, prev_hash = heads[SEALED_HEAD][0] + 1, heads[SEALED_HEAD][1]
    sealed = {
        "seq": seq, "before": split.sealed_before, "after": split.sealed_after, "reason": split.sealed_reason,
        "records": _keep_images(conn, heads, "sealed", seq, images),
        "unblinded_head": {"seq": heads[UNBLINDED_HEAD][0], "hash": heads[UNBLINDED_HEAD][1]},
    }  # fmt: skip
    sealed_canonical = rules.canonical_bytes(sealed, rules.SEAL_FIELDS)
    salt = rules.new_salt()
    seal = rules.seal_of(salt, sealed_canonical)
    fields |= {
        "seq": seq, "before": split.before, "after": split.after, "reason": split.reason, "seal": seal,
        "prev_hash": prev_hash,
    }  # fmt: skip
    canonical = rules.canonical_bytes(fields, rules.SEALED_CHAIN_FIELDS)
    digest = rules.event_hash(canonical)
    conn.execute(
        insert(_SEALED),
        {**columns, "seq": seq, "at": at, "before": split.before, "after": split.after, "seal": seal,
         "reason": split.reason, "prev_hash": prev_hash, "hash": digest, "canonical": canonical},
    )  # fmt: skip
    conn.execute(insert(_SEALS), {"seq": seq, "salt": salt, "sealed": sealed, "canonical": sealed_canonical})
    conn.execute(_MOVE_HEAD, {"head_id": SEALED_HEAD, "seq": seq, "hash": digest})
    return "sealed"


@dataclass(frozen=True)
class AuditFilter:
    after_seq: int = 0
    limit: int = 500
    entity_type: str | None = None
    entity_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    # The audit page's own filters (the API's contract names only the ones above).
    username: str | None = None
    action: str | None = None


def _filtered(table: Table, flt: AuditFilter, columns: list[Any]) -> Select:
    query = select(*columns).where(table.c.seq > flt.after_seq).order_by(table.c.seq)
    if flt.entity_type:
        query = query.where(table.c.entity_type == flt.entity_type)
    if flt.entity_id:
        query = query.where(table.c.entity_id == flt.entity_id)
    if flt.since:
        query = query.where(table.c.at >= flt.since)
    if flt.until:
        query = query.where(table.c.at <= flt.until)
    if flt.username:
        query = query.where(table.c.username == flt.username)
    if flt.action:
        query = query.where(table.c.action == flt.action)
    return query


def event_view(event: Any, sealed: dict[str, Any] | None = None) -> dict[str, Any]:
    """An event row as the API answers it; with `sealed` (unblinded readers), its sealed facts merged in."""
    view = {
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
        "seal": getattr(event, "seal", None),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }
    if sealed is not None:
        view["before"] = rules.merged(event.before, sealed["before"])
        view["after"] = rules.merged(event.after, sealed["after"])
        view["reason"] = sealed["reason"] if sealed["reason"] is not None else event.reason
    return view


_EVENT_COLUMNS = [c for c in _SEALED.c if c.name != "canonical"]
_UNBLINDED_COLUMNS = [c for c in _UNBLINDED.c if c.name != "canonical"]


def _query(actor: Actor, flt: AuditFilter) -> Select:
    """The sealed chain as this reader may read it: the rows themselves, and for an unblinded reader the
    sealed facts beside them (the salt never leaves the database)."""
    if not actor.unblinded:
        return _filtered(_SEALED, flt, _EVENT_COLUMNS)
    return _filtered(_SEALED, flt, [*_EVENT_COLUMNS, _SEALS.c.sealed]).join(
        _SEALS, _SEALS.c.seq == _SEALED.c.seq
    )


def _view(actor: Actor, row: Any) -> dict[str, Any]:
    return event_view(row, row.sealed if actor.unblinded else None)


def list_events(session: Session, actor: Actor, flt: AuditFilter) -> list[dict[str, Any]]:
    """One page of the sealed chain. Every reader sees every event, so pages have no gaps."""
    return [_view(actor, row) for row in session.execute(_query(actor, flt).limit(flt.limit))]


def iter_events(
    session: Session, actor: Actor, flt: AuditFilter, batch: int = 2000
) -> Iterator[dict[str, Any]]:
    """Every matching event, read in batches of plain rows so that a large export runs in bounded memory."""
    after = flt.after_seq
    while True:
        page_filter = replace(flt, after_seq=after, limit=batch)
        page = session.execute(_query(actor, page_filter).limit(batch)).all()
        if not page:
            return
        for row in page:
            yield _view(actor, row)
        after = page[-1].seq


def newest_events(
    session: Session, actor: Actor, flt: AuditFilter, *, offset: int, upto_seq: int | None = None
) -> tuple[list[dict[str, Any]], int]:
    """A page of the sealed chain newest first (the audit page), read and viewed as `list_events` reads it,
    and how many events match in all. `upto_seq` pins the pages to the trail as it was when paging began,
    so that events written meanwhile do not shift them."""
    query = _query(actor, flt)
    if upto_seq is not None:
        query = query.where(_SEALED.c.seq <= upto_seq)
    total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    newest_first = query.order_by(None).order_by(_SEALED.c.seq.desc())
    page = session.execute(newest_first.offset(offset).limit(flt.limit))
    return [_view(actor, row) for row in page], total


def event_actions(session: Session) -> list[str]:
    """The actions the sealed chain holds, for the audit page's filter (every reader sees all of them)."""
    return list(session.execute(select(_SEALED.c.action).distinct().order_by(_SEALED.c.action)).scalars())


def list_unblinded_events(session: Session, actor: Actor, flt: AuditFilter) -> list[dict[str, Any]]:
    """One page of the unblinded chain, for unblinded readers only."""
    if not actor.unblinded:
        raise Forbidden("The unblinded audit chain is for unblinded roles", code="wrong_role")
    rows = session.execute(_filtered(_UNBLINDED, flt, _UNBLINDED_COLUMNS).limit(flt.limit))
    return [event_view(row) for row in rows]


def chain_head(session: Session) -> tuple[int, str]:
    """The sealed chain's head: what reports and exports cite, and what every reader can check."""
    head = session.get(AuditHead, SEALED_HEAD)
    return (head.seq, head.hash) if head else (0, rules.GENESIS_HASH)


# ---- reads for pages and the API (they open no session of their own) ----


def read_events(uow: UnitOfWork, actor: Actor, flt: AuditFilter) -> list[dict[str, Any]]:
    with uow:
        return list_events(uow.session, actor, flt)


def read_unblinded_events(uow: UnitOfWork, actor: Actor, flt: AuditFilter) -> list[dict[str, Any]]:
    with uow:
        return list_unblinded_events(uow.session, actor, flt)


def stream_events(uow: UnitOfWork, actor: Actor, flt: AuditFilter) -> Iterator[dict[str, Any]]:
    """Every matching event, its unit of work held open while the caller iterates (a streamed export)."""
    with uow:
        yield from iter_events(uow.session, actor, flt)


def read_chain_head(uow: UnitOfWork) -> tuple[int, str]:
    with uow:
        return chain_head(uow.session)


def read_audit_page(
    uow: UnitOfWork, actor: Actor, flt: AuditFilter | None, *, offset: int, upto_seq: int | None
) -> tuple[tuple[int, str], list[str], list[dict[str, Any]], int]:
    """What the audit page shows, read together: the chain head, the actions to filter by, a page of events
    newest first (none when there is no valid filter) and how many match. Paging is pinned to `upto_seq`,
    or to the head when paging begins."""
    with uow:
        head = chain_head(uow.session)
        actions = event_actions(uow.session)
        if flt is None:
            return head, actions, [], 0
        upto = head[0] if upto_seq is None else upto_seq
        events, total = newest_events(uow.session, actor, flt, offset=offset, upto_seq=upto)
        return head, actions, events, total


def events_to_print(
    uow: UnitOfWork, actor: Actor, flt: AuditFilter, limit: int
) -> tuple[tuple[int, str], list[dict[str, Any]]]:
    """The chain head and up to `limit` + 1 matching events, read together (the caller refuses more)."""
    with uow:
        return chain_head(uow.session), list(islice(iter_events(uow.session, actor, flt), limit + 1))
