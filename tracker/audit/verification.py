"""`audit verify`: the whole trail proven, hidden parts included. Both chains hash and link from their first
event to their head, every seal opens to its sealed facts, every seal's anchor names a real state of the
unblinded chain, and the first trail (when this database was resealed) is intact and is exactly what the two
chains re-express."""

from __future__ import annotations

import datetime as dt
import gc
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

import orjson
from sqlalchemy import String, Table, Text, cast, select, type_coerce
from sqlalchemy.orm import Session

from tracker.audit import rules
from tracker.audit.models import ArchivedAuditEvent, AuditEvent, AuditHead, AuditSeal, UnblindedAuditEvent
from tracker.audit.services import SEALED_HEAD, UNBLINDED_HEAD

RESEAL_ACTION, RESEAL_ENTITY = "reseal", "audit_trail"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    events: int
    broken_seq: int | None = None
    problem: str | None = None
    chain: str = "sealed"
    unblinded_events: int = 0

    @property
    def where(self) -> str:
        return f"seq {self.broken_seq} of the {self.chain} chain"


class Broken(Exception):
    def __init__(self, chain: str, seq: int | None, problem: str) -> None:
        super().__init__(problem)
        self.chain, self.seq, self.problem = chain, seq, problem


def _columns(table: Table, names: tuple[str, ...]) -> list[Any]:
    # Raw column values (no type processing): verification reads every event ever written, so it parses
    # only what it compares, and the same way on every database. JSON as text: orjson parses it faster
    # than PostgreSQL's driver does.
    return [
        cast(table.c[name], Text) if name in ("before", "after", "sealed")
        else type_coerce(table.c[name], String) if name == "at"
        else table.c[name]
        for name in names
    ]  # fmt: skip


_COMMON = ("seq", "at", "username", "role", "action", "entity_type", "entity_id", "before", "after", "reason")
_SCALAR_KEYS = ("seq", "user", "role", "action", "entity_type", "entity_id", "reason", "prev_hash")
# The canonical encoding writes every time in UTC with this suffix; the column holds it as naive UTC.
_UTC_SUFFIX = "+00:00"


def _json(value: Any) -> Any:
    # SQLite hands JSON columns back as text, PostgreSQL's driver as parsed values.
    return orjson.loads(value) if value.__class__ is str else value


def _event_problem(row: Any, expected_seq: int, prev_hash: str, seal: str | None) -> str | None:
    """What is wrong with one stored event, or None. Kept lean: it runs for every event ever recorded.
    `row` starts with the common columns, then prev_hash, hash and canonical."""
    (seq, at, username, role, action, entity_type, entity_id, before, after, reason) = row[:10]
    (row_prev, digest, canonical) = row[10:13]
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
    if seal is not None and stored.get("seal") != seal:
        return "column seal differs from the hashed event"
    if _json(before) != stored["before"]:
        return "column before differs from the hashed event"
    if _json(after) != stored["after"]:
        return "column after differs from the hashed event"
    stored_at = stored["at"]
    column_at = dt.datetime.fromisoformat(at) if at.__class__ is str else at
    if not stored_at.endswith(_UTC_SUFFIX) or dt.datetime.fromisoformat(stored_at[:-6]) != column_at:
        return "column at differs from the hashed event"
    return None


def _seal_problem(
    seq: int, seal: str, salt: bytes | None, sealed: Any, canonical: bytes | None
) -> str | None:
    if salt is None or canonical is None:
        return "its seal's record is missing"
    if not hmac.compare_digest(rules.seal_of(salt, canonical), seal):
        return "the seal does not open to its sealed facts"
    opened = orjson.loads(canonical)
    if opened["seq"] != seq:
        return "the seal belongs to another event"
    if _json(sealed) != opened:
        return "column sealed differs from the sealed bytes"
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


def _stream(session: Session, query: Any, batch: int) -> Iterator[Any]:
    # One query streamed in batches (a server-side cursor on PostgreSQL), as Core rows, in one snapshot.
    result = session.connection().execution_options(stream_results=True, yield_per=batch).execute(query)
    with result:
        for rows in result.partitions():
            yield from rows


def _head(session: Session, head_id: int) -> tuple[int, str]:
    head = session.get(AuditHead, head_id)
    return (head.seq, head.hash) if head else (0, rules.GENESIS_HASH)


def _check_head(session: Session, chain: str, head_id: int, count: int, last_hash: str) -> None:
    head_seq, head_hash = _head(session, head_id)
    if (head_seq, head_hash) != (count, last_hash):
        seq = count + 1 if head_seq > count else head_seq
        raise Broken(chain, seq, "chain head disagrees: events missing at the end")


def _walk_sealed(session: Session, batch: int) -> tuple[int, dict[int, str]]:
    """The sealed chain and its seals; returns the count and the unblinded heads its seals name."""
    ev, seals = AuditEvent.__table__, AuditSeal.__table__
    query = (
        select(
            *_columns(ev, (*_COMMON, "prev_hash", "hash", "canonical", "seal")),
            *_columns(seals, ("salt", "sealed", "canonical")),
        )
        .outerjoin(seals, seals.c.seq == ev.c.seq)
        .order_by(ev.c.seq)
    )
    prev_hash, count = rules.GENESIS_HASH, 0
    anchors: dict[int, str] = {0: rules.GENESIS_HASH}
    last_anchor = 0
    for row in _stream(session, query, batch):
        seal = row[13]
        problem = _event_problem(row, count + 1, prev_hash, seal) or _seal_problem(row[0], seal, *row[14:17])
        if problem:
            raise Broken("sealed", row[0], problem)
        anchor = orjson.loads(row[16])["unblinded_head"]
        if anchor["seq"] != last_anchor:
            if anchor["seq"] < last_anchor:
                raise Broken("sealed", row[0], "its seal names an older state of the unblinded chain")
            anchors[anchor["seq"]], last_anchor = anchor["hash"], anchor["seq"]
        elif anchors[last_anchor] != anchor["hash"]:
            raise Broken("sealed", row[0], "its seal names another unblinded chain")
        prev_hash, count = row[11], count + 1
    _check_head(session, "sealed", SEALED_HEAD, count, prev_hash)
    return count, anchors


def _walk_plain(
    session: Session, table: Table, chain: str, batch: int, anchors: dict[int, str] | None = None
) -> tuple[int, str]:
    """A chain without seals (the unblinded chain, or the archived first trail): count and last hash."""
    query = select(*_columns(table, (*_COMMON, "prev_hash", "hash", "canonical"))).order_by(table.c.seq)
    prev_hash, count = rules.GENESIS_HASH, 0
    for row in _stream(session, query, batch):
        problem = _event_problem(row, count + 1, prev_hash, None)
        if problem:
            raise Broken(chain, row[0], problem)
        prev_hash, count = row[11], count + 1
        if anchors is not None and anchors.get(count, prev_hash) != prev_hash:
            raise Broken(chain, count, "differs from the state a seal of the sealed chain recorded")
    if anchors is not None and max(anchors) > count:
        raise Broken(chain, count + 1, "a seal names events of the unblinded chain that are missing")
    return count, prev_hash


def verify_chain(session: Session, batch: int = 20_000) -> VerifyResult:
    """Walk both chains (and the archived first trail) from the start; report the first row that breaks."""
    try:
        with _cyclic_gc_paused():
            sealed_count, anchors = _walk_sealed(session, batch)
            unblinded = UnblindedAuditEvent.__table__
            unblinded_count, last_hash = _walk_plain(session, unblinded, "unblinded", batch, anchors)
            _check_head(session, "unblinded", UNBLINDED_HEAD, unblinded_count, last_hash)
            _verify_reseal(session, batch)
    except Broken as broken:
        return VerifyResult(False, 0, broken.seq, broken.problem, broken.chain)
    return VerifyResult(True, sealed_count, unblinded_events=unblinded_count)


# ---- the first trail, resealed --------------------------------------------------------------------------


def _content(view: dict[str, Any]) -> tuple:
    return tuple(view[k] for k in ("at", "username", "role", "action", "entity_type", "entity_id")) + (
        view["before"], view["after"], view["reason"],
    )  # fmt: skip


def _rows(session: Session, table: Table, limit: int | None = None) -> list[dict[str, Any]]:
    query = select(*(table.c[name] for name in _COMMON)).order_by(table.c.seq).limit(limit)
    return [dict(row._mapping) for row in session.execute(query)]


def _verify_reseal(session: Session, batch: int) -> None:
    """When this database holds the first trail, prove that the two chains re-express it event for event
    (in order, nothing added, dropped or changed) and that the reseal event names its head."""
    archive = ArchivedAuditEvent.__table__
    archived_count, archived_head = _walk_plain(session, archive, "archived", batch)
    if archived_count == 0:
        return
    ev, seals = AuditEvent.__table__, AuditSeal.__table__
    reseal = session.execute(
        select(ev.c.seq, ev.c.after, seals.c.sealed)
        .join(seals, seals.c.seq == ev.c.seq)
        .where(ev.c.action == RESEAL_ACTION, ev.c.entity_type == RESEAL_ENTITY)
        .order_by(ev.c.seq)
        .limit(1)
    ).first()
    if reseal is None:
        raise Broken("archived", None, "the first trail is kept but no reseal event re-expresses it")
    counts, sealed_head = reseal.after, reseal.sealed["after"].get("archived_head")
    if counts.get("archived_events") != archived_count or sealed_head != {
        "seq": archived_count, "hash": archived_head,
    }:  # fmt: skip
        raise Broken("sealed", reseal.seq, "the reseal event does not name the archived trail's head")
    if reseal.seq != counts.get("sealed_events", -1) + 1:
        raise Broken("sealed", reseal.seq, "events precede the reseal event that it does not account for")
    # Re-expressed events carry their original content: the unblinded reader's view of each must equal the
    # archived event, taken in order from whichever chain holds it.
    sealed_rows = session.execute(
        select(*(ev.c[name] for name in _COMMON), seals.c.sealed)
        .join(seals, seals.c.seq == ev.c.seq)
        .where(ev.c.seq < reseal.seq)
        .order_by(ev.c.seq)
    ).all()
    sealed_views = [
        {**dict(row._mapping), "before": rules.merged(row.before, row.sealed["before"]),
         "after": rules.merged(row.after, row.sealed["after"]),
         "reason": row.sealed["reason"] if row.sealed["reason"] is not None else row.reason}
        for row in sealed_rows
    ]  # fmt: skip
    unblinded_views = _rows(session, UnblindedAuditEvent.__table__, counts.get("unblinded_events", 0))
    if len(unblinded_views) != counts.get("unblinded_events"):
        raise Broken("unblinded", len(unblinded_views) + 1, "events the reseal event counts are missing")
    i = j = 0
    for archived in _rows(session, archive):
        want = _content(archived)
        if i < len(sealed_views) and _content(sealed_views[i]) == want:
            i += 1
        elif j < len(unblinded_views) and _content(unblinded_views[j]) == want:
            j += 1
        else:
            raise Broken("archived", archived["seq"], "no event of the two chains re-expresses it unchanged")
